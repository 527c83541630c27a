package clickhousestore

import (
	"context"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
	"github.com/luminate-metrics/luminate/internal/store/storetest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// testOptions are options for a fresh database on addrs with a short flush interval, so the
// suite's many small commits do not wait 150 ms each.
func testOptions(t testing.TB, addrs ...string) Options {
	return Options{Addrs: addrs, Database: chtest.Database(t), ApplySchema: true, FlushInterval: 5 * time.Millisecond, RetryTimeout: 5 * time.Second}
}

func openStore(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSemantics(t *testing.T) {
	srv := chtest.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openStore(t, testOptions(t, srv.Addr)) })
}
