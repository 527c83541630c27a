package clickhousestore

import (
	"context"
	"testing"

	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

// TestDeduplicationPaths checks the three ways a query finds rewritten points (scan.go): none
// (one writer, no rewrite: no scan), the rewrites table (one writer rewriting its own points:
// the series is collapsed, still no scan), and the exact scan (a second process writing the same
// series and timestamp, which it cannot know is a rewrite). Every answer counts each (series,
// timestamp) once, with the latest value.
func TestDeduplicationPaths(t *testing.T) {
	srv := chtest.Start(t)
	o := testOptions(t, srv.Addr)
	a := openStore(t, o)
	defer a.Close()
	ctx := context.Background()
	base := int64(1_800_000_000_000)
	write := func(s *Store, k string, v float64, ts ...int64) {
		t.Helper()
		ap := s.Appender("t1")
		for _, x := range ts {
			if err := ap.Append("m", gaugeMeta, labelsOf("k", k), base+x, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := ap.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *Store, what string, want map[string]float64, wantPoints int64, wantRate float64, wantScans int64) {
		t.Helper()
		before := s.exactScans.Load()
		rate, err := s.Query(ctx, &store.Query{Tenant: "t1", Metric: "m", Kind: store.KindRate, Start: base, End: base + 10_000, Limit: 10})
		if err != nil || len(rate.Groups) != 1 || rate.Groups[0].Value != wantRate || rate.PointsScanned != wantPoints {
			t.Errorf("%s: rate %+v %v, want %v over %d points", what, rate, err, wantRate, wantPoints)
		}
		for _, q := range []*store.Query{
			{Tenant: "t1", Metric: "m", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggSum}, GroupBy: []string{"k"}, Start: base, End: base + 10_000, Limit: 10},
			{Tenant: "t1", Metric: "m", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggSum}, GroupBy: []string{"k"}, Interval: 5000, Start: base, End: base + 10_000, Limit: 10},
		} {
			r, err := s.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, g := range r.Groups {
				got[g.Key[0]] = g.Value
			}
			if len(got) != len(want) || r.PointsScanned != wantPoints || r.SeriesScanned != int64(len(want)) {
				t.Errorf("%s: %v, scanned %d points %d series; want %v over %d points", what, got, r.PointsScanned, r.SeriesScanned, want, wantPoints)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: sum of %s = %v, want %v", what, k, got[k], v)
				}
			}
		}
		r, err := s.Query(ctx, &store.Query{Tenant: "t1", Metric: "m", Kind: store.KindRange, Start: base, End: base + 10_000, Limit: 10})
		if err != nil || len(r.Points) != int(wantPoints) {
			t.Errorf("%s: raw %+v %v", what, r, err)
		}
		if got := s.exactScans.Load() - before; got != wantScans {
			t.Errorf("%s: %d exact scans, want %d", what, got, wantScans)
		}
	}
	write(a, "a", 1, 0, 1000, 2000)
	write(a, "b", 5, 0)
	check(a, "one writer, no rewrite", map[string]float64{"a": 3, "b": 5}, 4, 0, 0)
	write(a, "a", 10, 1000)
	check(a, "one writer rewriting its own point", map[string]float64{"a": 12, "b": 5}, 4, 1, 0) // 1, 10, 1: 9 + reset 1 in 10 s
	// a second process overwrites b's point, which it cannot know is stored
	b := openStore(t, Options{Addrs: o.Addrs, Database: o.Database, FlushInterval: o.FlushInterval, RetryTimeout: o.RetryTimeout})
	defer b.Close()
	write(b, "b", 50, 0)
	check(a, "two writers", map[string]float64{"a": 12, "b": 50}, 4, 1, 3)
	check(b, "two writers, read by the second", map[string]float64{"a": 12, "b": 50}, 4, 1, 3)
}
