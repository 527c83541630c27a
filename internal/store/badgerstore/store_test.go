package badgerstore

import (
	"testing"

	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/storetest"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSemantics(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}
