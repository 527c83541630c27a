package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/storetest"
)

// countingCtx is a context that reports cancellation once Err was asked `after` times, and
// counts every Err call: the Badger scan asks once per chunk, so the count says how many chunks
// a query went on to scan after it was cancelled.
type countingCtx struct {
	context.Context
	after int64
	calls atomic.Int64
}

func (c *countingCtx) Err() error {
	if c.calls.Add(1) > c.after {
		return context.Canceled
	}
	return nil
}

func (c *countingCtx) Done() <-chan struct{} { return nil }

// A query that is cancelled stops scanning: of 40 chunks, the workers stop at the first chunk
// boundary after the cancellation instead of scanning the rest (value, raw and histogram
// queries).
func TestCancelledQueryStopsScanning(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), Workers: 2, NoBackgroundCompaction: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const series = 40 * chunkSize // 40 chunks
	var pts []storetest.P
	for i := range series {
		pts = append(pts, storetest.P{Metric: "v", Meta: model.MetricMeta{Type: model.TypeGauge},
			Labels: map[string]string{"s": fmt.Sprint(i)}, T: 0, V: 1})
		pts = append(pts, storetest.P{Metric: "h", Meta: model.MetricMeta{Type: model.TypeHistogram, Temporality: model.TemporalityDelta},
			Labels: map[string]string{"s": fmt.Sprint(i)}, T: 0, Hist: storetest.Hist([]float64{1}, 1, 1, 0)})
	}
	storetest.Write(t, s, "t", pts)
	for _, c := range []struct {
		name   string
		q      *store.Query
		chunks int
	}{
		{"aggregate", storetest.Q("t", "v", store.KindAggregate, store.Aggregation{Func: store.AggSum}, 0, 1000), 40},
		{"raw range", storetest.Q("t", "v", store.KindRange, store.Aggregation{}, 0, 1000), 40},
		{"histogram", storetest.Q("t", "h", store.KindAggregate, store.Aggregation{Func: store.AggCount}, 0, 1000), 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			full := &countingCtx{Context: context.Background(), after: 1 << 30}
			if _, err := s.Query(full, c.q); err != nil {
				t.Fatal(err)
			}
			if n := full.calls.Load(); n < int64(c.chunks) {
				t.Fatalf("an uncancelled query asked the context %d times, fewer than its %d chunks", n, c.chunks)
			}
			ctx := &countingCtx{Context: context.Background(), after: 3}
			_, err := s.Query(ctx, c.q)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled query: %v", err)
			}
			// 3 chunks, then each of the 2 workers notices once.
			if n := ctx.calls.Load(); n > 3+2 {
				t.Errorf("the query went on scanning after the cancellation: %d context checks (40 chunks)", n)
			}
		})
	}
}

// Policies, series counts and dropped metrics survive a restart.
func TestTenancyStateSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, NoBackgroundCompaction: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var pts []storetest.P
	for i := range 300 {
		pts = append(pts, storetest.P{Metric: "a", Meta: model.MetricMeta{Type: model.TypeGauge}, Labels: map[string]string{"i": fmt.Sprint(i)}, T: 0, V: 1})
	}
	pts = append(pts, storetest.P{Metric: "b", Meta: model.MetricMeta{Type: model.TypeGauge}, Labels: map[string]string{"i": "0"}, T: 0, V: 1})
	storetest.Write(t, s, "t", pts)
	if err := s.SetRetention(ctx, "t", store.RetentionPolicy{Metric: "*", Days: 9}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRetention(ctx, "fresh", store.RetentionPolicy{Metric: "x", Days: 2}); err != nil { // a tenant without data
		t.Fatal(err)
	}
	if err := s.DeleteBefore(ctx, "t", "b", storetest.Base+1); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(Options{Dir: dir, NoBackgroundCompaction: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.Usage(ctx, "t", 5)
	if err != nil || u.Series != 300 || u.Metrics != 1 {
		t.Errorf("usage after reopen %+v %v, want 300 series in 1 metric (b was deleted)", u, err)
	}
	for tenant, want := range map[string]store.RetentionPolicy{"t": {Metric: "*", Days: 9}, "fresh": {Metric: "x", Days: 2}} {
		ps, err := s.RetentionPolicies(ctx, tenant)
		if err != nil || len(ps) != 1 || ps[0] != want {
			t.Errorf("%s policies after reopen: %v %v", tenant, ps, err)
		}
	}
	s.SetLimits(func(string) limits.Values {
		var v limits.Values
		v[limits.MaxSeriesPerTenant] = 301
		return v
	})
	a := s.Appender("t")
	if err := a.Append("b", model.MetricMeta{}, model.Labels{{Name: "i", Value: "0"}}, storetest.Base, 1); err != nil {
		t.Errorf("the 301st series: %v", err)
	}
	if err := a.Append("b", model.MetricMeta{}, model.Labels{{Name: "i", Value: "1"}}, storetest.Base, 1); !store.IsCardinalityError(err) {
		t.Errorf("the 302nd series: %v", err)
	}
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// Deletes and compaction of the same chunk-hours, concurrently: a merge never writes back
// points a delete removed. Each round writes two more blocks into every chunk-hour, then
// merges them while deleting the oldest round still there.
func TestDeleteRacesCompaction(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), NoBackgroundCompaction: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const rounds, series = 40, 600 // 3 chunks
	write := func(round int) {
		for half := range 2 {
			var pts []storetest.P
			for i := half; i < series; i += 2 {
				pts = append(pts, storetest.P{Metric: "m", Meta: model.MetricMeta{Type: model.TypeGauge},
					Labels: map[string]string{"i": fmt.Sprint(i)}, T: int64(round) * 1000, V: float64(round)})
			}
			storetest.Write(t, s, "t", pts)
		}
	}
	write(0)
	for round := 1; round < rounds; round++ {
		write(round)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.CompactAll(); err != nil {
				t.Error(err)
			}
		}()
		if err := s.DeleteBefore(ctx, "t", "m", storetest.Base+int64(round)*1000); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		r, err := s.Query(ctx, storetest.Q("t", "m", store.KindAggregate, store.Aggregation{Func: store.AggMin}, 0, 3600_000))
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Groups) != 1 || r.Groups[0].Count != series || r.Groups[0].Value != float64(round) {
			t.Fatalf("round %d: %+v, want %d points of round %d only: a merge wrote back deleted points", round, r.Groups, series, round)
		}
	}
}

// The background loop applies retention without a call.
func TestRetentionLoop(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir(), NoBackgroundCompaction: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := time.Now().Add(-72 * time.Hour).UnixMilli()
	a := s.Appender("t")
	for _, ts := range []int64{old, time.Now().UnixMilli()} {
		if err := a.Append("m", model.MetricMeta{}, model.Labels{{Name: "k", Value: "v"}}, ts, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRetention(context.Background(), "t", store.RetentionPolicy{Metric: "m", Days: 1}); err != nil {
		t.Fatal(err)
	}
	s.retStop, s.retDone = make(chan struct{}), make(chan struct{})
	go s.retentionLoop(10*time.Millisecond, time.Hour)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := s.Query(context.Background(), &store.Query{Tenant: "t", Metric: "m", Kind: store.KindAggregate,
			Agg: store.Aggregation{Func: store.AggCount}, Start: 0, End: time.Now().UnixMilli() + 1000})
		if err == nil && len(r.Groups) == 1 && r.Groups[0].Count == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("retention did not run: %+v %v", r, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
