package clickhousestore

import (
	"context"
	"fmt"
	"sync"
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

// TestLimitsHeadroom covers the writes that reserve headroom instead of checking each point:
// their new series are counted at Commit (a second write of the same series adds nothing), a
// write that reaches the limit switches to checking each point and stops exactly at it, and
// concurrent writers near the limit together admit exactly the limit.
func TestLimitsHeadroom(t *testing.T) {
	srv := chtest.Start(t)
	s := openStore(t, testOptions(t, srv.Addr))
	defer s.Close()
	s.SetLimits(func(tenant string) limits.Values {
		var v limits.Values
		v[limits.MaxSeriesPerTenant] = map[string]float64{"one": 10_000, "many": 3_000}[tenant]
		return v
	})
	write := func(tenant, metric string, from, to int) (accepted int) {
		t.Helper()
		ap := s.Appender(tenant)
		for i := from; i < to; i++ {
			err := ap.Append(metric, gaugeMeta, labelsOf("k", fmt.Sprint(i)), 1_800_000_000_000, 1)
			switch {
			case err == nil:
				accepted++
			case !store.IsCardinalityError(err):
				t.Errorf("series %d: %v", i, err)
			}
		}
		if err := ap.Commit(context.Background()); err != nil {
			t.Fatal(err)
		}
		return accepted
	}
	counted := func(tenant string) int64 {
		ts := s.lim.tenant(tenant)
		ts.cnt.Lock()
		defer ts.cnt.Unlock()
		if ts.inflight != 0 {
			t.Errorf("%s: %d series of headroom still reserved after every write ended", tenant, ts.inflight)
		}
		return ts.series
	}
	if n := write("one", "a", 0, 1500); n != 1500 {
		t.Fatalf("1500 new series far from the limit: %d accepted", n)
	}
	if n := write("one", "a", 0, 1500); n != 1500 || counted("one") != 1500 {
		t.Fatalf("the same series again: %d accepted, %d counted, want 1500 and 1500", n, counted("one"))
	}
	if n := write("one", "b", 0, 9000); n != 8500 || counted("one") != 10_000 {
		t.Fatalf("9000 new series with room for 8500: %d accepted, %d counted", n, counted("one"))
	}

	// 4 writers of 1,000 new series each, in commits of 250, with room for 3,000
	var wg sync.WaitGroup
	accepted := make([]int, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range 4 {
				from := w*1000 + c*250
				accepted[w] += write("many", fmt.Sprint("m", w%2), from, from+250)
			}
		}()
	}
	wg.Wait()
	if total := accepted[0] + accepted[1] + accepted[2] + accepted[3]; total != 3000 || counted("many") != 3000 {
		t.Errorf("concurrent writers accepted %v (%d) and counted %d, want exactly 3000", accepted, total, counted("many"))
	}
	if u, err := store.UsageOf(context.Background(), s, "many", 0); err != nil || u.Series != 3000 {
		t.Errorf("the series table holds %+v (%v), want 3000 series", u, err)
	}
}
