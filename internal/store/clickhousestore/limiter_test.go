package clickhousestore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

// TestLimitsAcrossProcesses: the cardinality limits count the series other processes stored,
// read from the series table when a process first creates a series for the tenant and again
// after LimitsRefresh; series of a write that is rolled back do not count.
func TestLimitsAcrossProcesses(t *testing.T) {
	srv := chtest.Start(t)
	o := testOptions(t, srv.Addr)
	o.LimitsRefresh = time.Hour // reloads only when the test says so
	lim := func(string) limits.Values {
		var v limits.Values
		v[limits.MaxSeriesPerTenant] = 3
		return v
	}
	a, b := openStore(t, o), openStore(t, o)
	defer a.Close()
	defer b.Close()
	a.SetLimits(lim)
	b.SetLimits(lim)
	write := func(s *Store, k string) error {
		t.Helper()
		return writeLimited(t, s, "t1", k)
	}
	for _, k := range []string{"a", "b"} {
		if err := write(a, k); err != nil {
			t.Fatalf("series %s: %v", k, err)
		}
	}
	// b reads the two series of a at its first new series: one more fits, then none.
	if err := write(b, "c"); err != nil {
		t.Fatalf("third series through the other process: %v", err)
	}
	if err := write(b, "d"); !store.IsCardinalityError(err) {
		t.Fatalf("fourth series: %v, want CARDINALITY_EXCEEDED", err)
	}
	if err := write(b, "a"); err != nil {
		t.Errorf("a series the other process created is refused: %v", err)
	}
	// a has not reloaded: it counts 2 and would admit one more; after the refresh it sees 3.
	a.lim.tenant("t1").loadedAt.Store(time.Now().Add(-2 * time.Hour).UnixNano())
	if err := write(a, "e"); !store.IsCardinalityError(err) {
		t.Errorf("after a reload, a new series: %v, want CARDINALITY_EXCEEDED", err)
	}
	if n := a.lim.loads.Load(); n != 2 {
		t.Errorf("a read the tenant's series %d times, want 2", n)
	}

	// A rolled-back write frees what it admitted.
	c := openStore(t, testOptions(t, srv.Addr))
	defer c.Close()
	c.SetLimits(func(string) limits.Values {
		var v limits.Values
		v[limits.MaxSeriesPerMetric] = 1
		return v
	})
	ap := c.Appender("t2")
	if err := ap.Append("m", gaugeMeta, labelsOf("k", "x"), 1_800_000_000_000, 1); err != nil {
		t.Fatal(err)
	}
	ap.Rollback()
	for i, want := range []bool{true, false} {
		err := writeLimited(t, c, "t2", fmt.Sprint("y", i))
		if (err == nil) != want {
			t.Errorf("series %d after a rollback: %v", i, err)
		}
	}
}

// writeLimited writes one point of series k=<k> of metric m and returns the Append error.
func writeLimited(t *testing.T, s *Store, tenant, k string) error {
	t.Helper()
	ap := s.Appender(tenant)
	err := ap.Append("m", gaugeMeta, labelsOf("k", k), 1_800_000_000_000, 1)
	if cerr := ap.Commit(context.Background()); cerr != nil {
		t.Fatal(cerr)
	}
	return err
}
