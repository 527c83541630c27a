// Package storetest is the storage semantics suite every engine runs: hand-computed cases for
// each rule of api.md, and a differential test that writes the same random data to the engine
// and to memstore (the reference) and compares hundreds of random queries.
//
// An engine's test calls Run with a function that opens a fresh, empty store. The tenancy cases
// (tenancy.go) check the cardinality limits, usage, retention and deletes of the optional
// interfaces store.Limited, store.Admin and store.CardinalityReader.
package storetest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Opener returns a fresh, empty store; the suite closes it.
type Opener func(t *testing.T) store.Store

// Base is the time the suite's data starts at (a Friday at midnight UTC).
var Base = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).UnixMilli()

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	t.Run("Aggregations", func(t *testing.T) { testAggregations(t, open) })
	t.Run("Percentiles", func(t *testing.T) { testPercentiles(t, open) })
	t.Run("RateAcrossReset", func(t *testing.T) { testRate(t, open) })
	t.Run("IntegralAndTWA", func(t *testing.T) { testIntegral(t, open) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, open) })
	t.Run("GroupByMissingKey", func(t *testing.T) { testGroupByMissing(t, open) })
	t.Run("IntervalBuckets", func(t *testing.T) { testIntervals(t, open) })
	t.Run("InclusiveRange", func(t *testing.T) { testInclusiveRange(t, open) })
	t.Run("LimitOrder", func(t *testing.T) { testLimitOrder(t, open) })
	t.Run("RawRange", func(t *testing.T) { testRawRange(t, open) })
	t.Run("DuplicateTimestamps", func(t *testing.T) { testDuplicates(t, open) })
	t.Run("TenantIsolation", func(t *testing.T) { testTenants(t, open) })
	t.Run("Discovery", func(t *testing.T) { testDiscovery(t, open) })
	t.Run("Guards", func(t *testing.T) { testGuards(t, open) })
	t.Run("CounterStartTimeReset", func(t *testing.T) { needPoints(t, open); testStartReset(t, open) })
	t.Run("HistogramMerge", func(t *testing.T) { needPoints(t, open); testHistogramMerge(t, open) })
	t.Run("HistogramCumulative", func(t *testing.T) { needPoints(t, open); testHistogramCumulative(t, open) })
	t.Run("ExponentialHistogram", func(t *testing.T) { needPoints(t, open); testExponential(t, open) })
	t.Run("HistogramRules", func(t *testing.T) { needPoints(t, open); testHistogramRules(t, open) })
	t.Run("Differential", func(t *testing.T) { testDifferential(t, open) })
	runTenancy(t, open)
}

// P is a point to write.
type P struct {
	Metric string
	Meta   model.MetricMeta
	Labels map[string]string
	T      int64 // ms after Base
	V      float64
	Start  int64 // ms after Base; 0: none (written as 0)
	Hist   *model.Histogram
}

var gauge = model.MetricMeta{Type: model.TypeGauge}

// Write commits points for a tenant in one appender.
func Write(t testing.TB, s store.Store, tenant string, pts []P) {
	t.Helper()
	a := s.Appender(tenant)
	for _, p := range pts {
		if err := appendP(a, p); err != nil {
			t.Fatalf("append %+v: %v", p, err)
		}
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatalf("commit %d points: %v", len(pts), err)
	}
}

// SupportsPoints reports whether an engine stores start times and histograms (OTLP shapes).
func SupportsPoints(s store.Store) bool {
	_, ok := s.Appender("probe").(store.PointAppender)
	return ok
}

// needPoints skips the OTLP-shape cases, loudly, for an engine that does not store them yet.
func needPoints(t *testing.T, open Opener) {
	s := open(t)
	ok := SupportsPoints(s)
	s.Close()
	if !ok {
		t.Skip("ENGINE GAP: this engine does not implement store.PointAppender (start times, histograms); the OTLP-shape cases did not run")
	}
}

func appendP(a store.Appender, p P) error {
	if p.Hist == nil && p.Start == 0 {
		return a.Append(p.Metric, p.Meta, model.FromMap(p.Labels), Base+p.T, p.V)
	}
	pa, ok := a.(store.PointAppender)
	if !ok {
		return fmt.Errorf("the engine's appender %T cannot store start times and histograms (store.PointAppender)", a)
	}
	pt := model.Point{T: Base + p.T, V: p.V, Hist: p.Hist}
	if p.Start != 0 {
		pt.Start = Base + p.Start
	}
	return pa.AppendPoint(p.Metric, p.Meta, model.FromMap(p.Labels), pt)
}

// Q builds a query over [Base+from, Base+to] (ms offsets).
func Q(tenant, metric string, kind store.Kind, agg store.Aggregation, from, to int64) *store.Query {
	return &store.Query{Tenant: tenant, Metric: metric, Kind: kind, Agg: agg, Start: Base + from, End: Base + to, Limit: 1000}
}

func agg(f store.AggFunc) store.Aggregation { return store.Aggregation{Func: f} }

func pct(p float64) store.Aggregation {
	return store.Aggregation{Func: store.AggPercentile, Percentile: p}
}

func mustQuery(t testing.TB, s store.Store, q *store.Query) *store.Result {
	t.Helper()
	r, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("query %s %s: %v", q.Kind, q.Agg, err)
	}
	return r
}

// single returns the only group's value.
func single(t testing.TB, r *store.Result) float64 {
	t.Helper()
	if len(r.Groups) != 1 {
		t.Fatalf("want 1 group, got %d: %+v", len(r.Groups), r.Groups)
	}
	return r.Groups[0].Value
}

func approx(a, b float64) bool {
	if a == b || (math.IsNaN(a) && math.IsNaN(b)) {
		return true
	}
	d := math.Abs(a - b)
	return d <= 1e-9 || d <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

func wantValue(t testing.TB, what string, got, want float64) {
	t.Helper()
	if !approx(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func sec(n int64) int64 { return n * 1000 }

func testAggregations(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	// one series, values 4 2 8 6 at 0, 10, 20, 30 s
	var pts []P
	for i, v := range []float64{4, 2, 8, 6} {
		pts = append(pts, P{Metric: "m", Meta: gauge, Labels: map[string]string{"k": "a"}, T: sec(int64(i) * 10), V: v})
	}
	Write(t, s, "t1", pts)
	for _, c := range []struct {
		agg  store.Aggregation
		want float64
	}{
		{agg(store.AggAvg), 5}, {agg(store.AggSum), 20}, {agg(store.AggCount), 4},
		{agg(store.AggMin), 2}, {agg(store.AggMax), 8}, {agg(store.AggLast), 6},
	} {
		r := mustQuery(t, s, Q("t1", "m", store.KindAggregate, c.agg, 0, sec(30)))
		wantValue(t, c.agg.String(), single(t, r), c.want)
		if r.Groups[0].Count != 4 || r.PointsScanned != 4 || r.SeriesScanned != 1 {
			t.Errorf("%s: count %d, scanned %d points %d series; want 4, 4, 1", c.agg, r.Groups[0].Count, r.PointsScanned, r.SeriesScanned)
		}
	}
	// last across series: the latest timestamp wins, ties take the larger value
	Write(t, s, "t1", []P{
		{Metric: "m", Meta: gauge, Labels: map[string]string{"k": "b"}, T: sec(30), V: 7},
		{Metric: "m", Meta: gauge, Labels: map[string]string{"k": "c"}, T: sec(25), V: 100},
	})
	r := mustQuery(t, s, Q("t1", "m", store.KindAggregate, agg(store.AggLast), 0, sec(30)))
	wantValue(t, "last over series with a tie", single(t, r), 7)
}

func testPercentiles(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	// 1..100 spread over 10 series in shuffled order
	var pts []P
	for i := range 100 {
		v := float64((i*37)%100 + 1)
		pts = append(pts, P{Metric: "lat", Meta: gauge, Labels: map[string]string{"s": fmt.Sprint(i % 10)}, T: sec(int64(i)), V: v})
	}
	Write(t, s, "t1", pts)
	for p, want := range map[float64]float64{50: 50, 95: 95, 99: 99, 99.9: 100, 1: 1, 100: 100, 0.5: 1, 33.3: 34} {
		r := mustQuery(t, s, Q("t1", "lat", store.KindAggregate, pct(p), 0, sec(100)))
		wantValue(t, fmt.Sprintf("p%g of 1..100", p), single(t, r), want)
	}
}

func testRate(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	counter := model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true}
	// 10, 20, 5 (reset), 15 at 0, 10, 20, 30 s: increases 10, 5, 10 = 25
	var pts []P
	for i, v := range []float64{10, 20, 5, 15} {
		pts = append(pts, P{Metric: "c", Meta: counter, Labels: map[string]string{"h": "a"}, T: sec(int64(i) * 10), V: v})
	}
	// a second series adds 1 per 10 s: increases 1, 1, 1
	for i := range 4 {
		pts = append(pts, P{Metric: "c", Meta: counter, Labels: map[string]string{"h": "b"}, T: sec(int64(i) * 10), V: float64(100 + i)})
	}
	Write(t, s, "t1", pts)
	q := Q("t1", "c", store.KindRate, store.Aggregation{}, 0, sec(30))
	r := mustQuery(t, s, q)
	wantValue(t, "rate over 30 s", single(t, r), 28.0/30)
	if len(r.Groups[0].Buckets) != 1 || r.Groups[0].Buckets[0].T != q.Start {
		t.Errorf("rate without interval: want one bucket at the range start, got %+v", r.Groups[0].Buckets)
	}
	q.GroupBy = []string{"h"}
	r = mustQuery(t, s, q)
	got := map[string]float64{}
	for _, g := range r.Groups {
		got[g.Key[0]] = g.Value
	}
	wantValue(t, "rate of the reset series", got["a"], 25.0/30)
	wantValue(t, "rate of the steady series", got["b"], 3.0/30)
	// 20 s buckets: [0,20) holds the pair ending at 10 s; [20,40) the pairs ending at 20 and 30 s
	q.GroupBy, q.Interval = nil, sec(20)
	r = mustQuery(t, s, q)
	b := r.Groups[0].Buckets
	if len(b) != 2 {
		t.Fatalf("want 2 buckets, got %+v", b)
	}
	wantValue(t, "rate bucket 0", b[0].Value, 11.0/20)
	wantValue(t, "rate bucket 1", b[1].Value, 17.0/20)
	// only pairs inside the range count: from 10 s on, the pair (0 s, 10 s) is gone
	r = mustQuery(t, s, Q("t1", "c", store.KindRate, store.Aggregation{}, sec(10), sec(30)))
	wantValue(t, "rate from 10 s", single(t, r), 17.0/20)

	delta := model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityDelta, Monotonic: true}
	up := model.MetricMeta{Type: model.TypeUpDownCounter, Temporality: model.TemporalityCumulative}
	Write(t, s, "t1", []P{
		{Metric: "d", Meta: delta, T: 0, V: 3}, {Metric: "d", Meta: delta, T: sec(10), V: 4}, {Metric: "d", Meta: delta, T: sec(20), V: 5},
		{Metric: "u", Meta: up, T: 0, V: 10}, {Metric: "u", Meta: up, T: sec(10), V: 4}, {Metric: "u", Meta: up, T: sec(20), V: 6},
	})
	r = mustQuery(t, s, Q("t1", "d", store.KindRate, store.Aggregation{}, 0, sec(20)))
	wantValue(t, "delta sum rate adds every delta", single(t, r), 12.0/20)
	r = mustQuery(t, s, Q("t1", "u", store.KindRate, store.Aggregation{}, 0, sec(20)))
	wantValue(t, "updowncounter rate keeps decreases", single(t, r), -4.0/20)
}

func testIntegral(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	Write(t, s, "t1", []P{
		{Metric: "g", Meta: gauge, Labels: map[string]string{"s": "a"}, T: 0, V: 50},
		{Metric: "g", Meta: gauge, Labels: map[string]string{"s": "a"}, T: sec(10), V: 100},
		{Metric: "g", Meta: gauge, Labels: map[string]string{"s": "b"}, T: sec(5), V: 9}, // one point: contributes 0
	})
	r := mustQuery(t, s, Q("t1", "g", store.KindAggregate, agg(store.AggIntegral), 0, sec(10)))
	wantValue(t, "integral of 50 then 100 over 10 s", single(t, r), 750)
	r = mustQuery(t, s, Q("t1", "g", store.KindAggregate, agg(store.AggTWA), 0, sec(10)))
	wantValue(t, "twa", single(t, r), 75)
	q := Q("t1", "g", store.KindAggregate, agg(store.AggTWA), 0, sec(10))
	q.Filters = []store.Filter{{Key: "s", Op: store.OpEq, Values: []string{"b"}}}
	wantValue(t, "twa of a single point is its value", single(t, mustQuery(t, s, q)), 9)
}

func testFilters(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	// series: (us, web) (eu, web) (ap, api) (no region, api)
	Write(t, s, "t1", []P{
		{Metric: "f", Meta: gauge, Labels: map[string]string{"region": "us", "svc": "web"}, T: 0, V: 1},
		{Metric: "f", Meta: gauge, Labels: map[string]string{"region": "eu", "svc": "web"}, T: 0, V: 10},
		{Metric: "f", Meta: gauge, Labels: map[string]string{"region": "ap", "svc": "api"}, T: 0, V: 100},
		{Metric: "f", Meta: gauge, Labels: map[string]string{"svc": "api"}, T: 0, V: 1000},
	})
	cases := []struct {
		name string
		f    []store.Filter
		want float64 // sum of matching values
	}{
		{"eq", []store.Filter{{Key: "region", Op: store.OpEq, Values: []string{"us"}}}, 1},
		{"ne matches missing", []store.Filter{{Key: "region", Op: store.OpNe, Values: []string{"us"}}}, 1110},
		{"in", []store.Filter{{Key: "region", Op: store.OpIn, Values: []string{"us", "ap", "zz"}}}, 101},
		{"nin", []store.Filter{{Key: "region", Op: store.OpNin, Values: []string{"us", "ap"}}}, 1010},
		{"regex anchored", []store.Filter{{Key: "region", Op: store.OpRegex, Regex: anchored("u|e.")}}, 10},
		{"nregex", []store.Filter{{Key: "region", Op: store.OpNregex, Regex: anchored("e.*")}}, 1101},
		{"exists", []store.Filter{{Key: "region", Op: store.OpExists, Exists: true}}, 111},
		{"not exists", []store.Filter{{Key: "region", Op: store.OpExists, Exists: false}}, 1000},
		{"and", []store.Filter{{Key: "svc", Op: store.OpEq, Values: []string{"api"}}, {Key: "region", Op: store.OpExists, Exists: true}}, 100},
		{"unknown key eq empty", []store.Filter{{Key: "nokey", Op: store.OpEq, Values: []string{""}}}, 1111},
	}
	for _, c := range cases {
		q := Q("t1", "f", store.KindAggregate, agg(store.AggSum), 0, 0)
		q.Filters = c.f
		wantValue(t, "filter "+c.name, single(t, mustQuery(t, s, q)), c.want)
	}
	q := Q("t1", "f", store.KindAggregate, agg(store.AggSum), 0, 0)
	q.Filters = []store.Filter{{Key: "region", Op: store.OpEq, Values: []string{"mars"}}}
	if r := mustQuery(t, s, q); len(r.Groups) != 0 {
		t.Errorf("filter matching nothing: want no groups, got %+v", r.Groups)
	}
}

func testGroupByMissing(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	Write(t, s, "t1", []P{
		{Metric: "g", Meta: gauge, Labels: map[string]string{"customer": "a", "ep": "/x"}, T: 0, V: 1},
		{Metric: "g", Meta: gauge, Labels: map[string]string{"customer": "a", "ep": "/y"}, T: 0, V: 2},
		{Metric: "g", Meta: gauge, Labels: map[string]string{"ep": "/x"}, T: 0, V: 4},
	})
	q := Q("t1", "g", store.KindAggregate, agg(store.AggSum), 0, 0)
	q.GroupBy = []string{"customer"}
	r := mustQuery(t, s, q)
	got := map[string]float64{}
	for _, g := range r.Groups {
		got[g.Key[0]] = g.Value
	}
	if len(got) != 2 || got["a"] != 3 || got[""] != 4 {
		t.Errorf("group by customer with a series lacking it: got %v, want map[:4 a:3]", got)
	}
	q.GroupBy = []string{"customer", "ep"}
	if r = mustQuery(t, s, q); len(r.Groups) != 3 {
		t.Errorf("group by two keys: want 3 groups, got %+v", r.Groups)
	}
}

func testIntervals(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	// points at 30 s, 70 s, 130 s after Base (Base is a multiple of 1 min): buckets 0, 60, 120 s
	Write(t, s, "t1", []P{
		{Metric: "g", Meta: gauge, T: sec(30), V: 1}, {Metric: "g", Meta: gauge, T: sec(70), V: 2},
		{Metric: "g", Meta: gauge, T: sec(80), V: 4}, {Metric: "g", Meta: gauge, T: sec(130), V: 8},
		{Metric: "g", Meta: gauge, T: sec(3600 + 10), V: 16}, // next hour: bucket 3600 s; 3540-3600 empty
	})
	q := Q("t1", "g", store.KindAggregate, agg(store.AggSum), sec(20), sec(3700))
	q.Interval = sec(60)
	r := mustQuery(t, s, q)
	if len(r.Groups) != 1 {
		t.Fatalf("want one group, got %+v", r.Groups)
	}
	want := []store.Bucket{{T: Base, Value: 1, Count: 1}, {T: Base + sec(60), Value: 6, Count: 2}, {T: Base + sec(120), Value: 8, Count: 1}, {T: Base + sec(3600), Value: 16, Count: 1}}
	if !slices.Equal(r.Groups[0].Buckets, want) {
		t.Errorf("1m buckets: got %+v, want %+v", r.Groups[0].Buckets, want)
	}
	wantValue(t, "whole-range value beside buckets", r.Groups[0].Value, 31)
	// a 7 m interval aligns to multiples of 7 m since the epoch, not to the range start
	q.Interval = sec(420)
	r = mustQuery(t, s, q)
	for _, b := range r.Groups[0].Buckets {
		if b.T%sec(420) != 0 {
			t.Errorf("bucket %d is not aligned to 7 m since the epoch", b.T)
		}
	}
}

func testInclusiveRange(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	Write(t, s, "t1", []P{
		{Metric: "g", Meta: gauge, T: sec(9), V: 1}, {Metric: "g", Meta: gauge, T: sec(10), V: 2},
		{Metric: "g", Meta: gauge, T: sec(20), V: 4}, {Metric: "g", Meta: gauge, T: sec(21), V: 8},
	})
	r := mustQuery(t, s, Q("t1", "g", store.KindAggregate, agg(store.AggSum), sec(10), sec(20)))
	wantValue(t, "sum over [10 s, 20 s]", single(t, r), 6)
	r = mustQuery(t, s, Q("t1", "g", store.KindAggregate, agg(store.AggSum), sec(10), sec(10)))
	wantValue(t, "sum over [10 s, 10 s]", single(t, r), 2)
}

func testLimitOrder(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	var pts []P
	for i := range 5 {
		pts = append(pts, P{Metric: "g", Meta: gauge, Labels: map[string]string{"c": fmt.Sprint("c", i)}, T: 0, V: float64(i * 10)})
	}
	Write(t, s, "t1", pts)
	q := Q("t1", "g", store.KindAggregate, agg(store.AggMax), 0, 0)
	q.GroupBy, q.Limit = []string{"c"}, 2
	if got := keys(mustQuery(t, s, q)); !slices.Equal(got, []string{"c4", "c3"}) {
		t.Errorf("top 2 desc: got %v", got)
	}
	q.Order = store.OrderAsc
	if got := keys(mustQuery(t, s, q)); !slices.Equal(got, []string{"c0", "c1"}) {
		t.Errorf("top 2 asc: got %v", got)
	}
}

func keys(r *store.Result) []string {
	var out []string
	for _, g := range r.Groups {
		out = append(out, strings.Join(g.Key, ","))
	}
	return out
}

func testRawRange(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	Write(t, s, "t1", []P{
		{Metric: "g", Meta: gauge, Labels: map[string]string{"s": "b"}, T: sec(2), V: 3},
		{Metric: "g", Meta: gauge, Labels: map[string]string{"s": "a"}, T: sec(2), V: 2},
		{Metric: "g", Meta: gauge, Labels: map[string]string{"s": "a"}, T: sec(1), V: 1},
		{Metric: "g", Meta: gauge, Labels: map[string]string{"s": "b"}, T: sec(3), V: 4},
	})
	q := Q("t1", "g", store.KindRange, store.Aggregation{}, 0, sec(3))
	r := mustQuery(t, s, q)
	var got []float64
	for _, p := range r.Points {
		got = append(got, p.V)
	}
	if !slices.Equal(got, []float64{1, 2, 3, 4}) || r.Points[1].Labels.Map()["s"] != "a" {
		t.Errorf("raw points in time order (ties by labels): got %v", r.Points)
	}
	q.Limit = 2
	if r = mustQuery(t, s, q); len(r.Points) != 2 || r.Points[0].V != 3 || r.Points[1].V != 4 {
		t.Errorf("raw limit 2, order desc keeps the latest points: got %+v", r.Points)
	}
	q.Order = store.OrderAsc
	if r = mustQuery(t, s, q); len(r.Points) != 2 || r.Points[0].V != 1 {
		t.Errorf("raw limit 2, order asc keeps the earliest points: got %+v", r.Points)
	}
}

func testDuplicates(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	Write(t, s, "t1", []P{{Metric: "g", Meta: gauge, T: 0, V: 1}, {Metric: "g", Meta: gauge, T: sec(10), V: 2}})
	Write(t, s, "t1", []P{{Metric: "g", Meta: gauge, T: 0, V: 5}})
	r := mustQuery(t, s, Q("t1", "g", store.KindAggregate, agg(store.AggSum), 0, sec(10)))
	wantValue(t, "a rewritten timestamp counts once, last write wins", single(t, r), 7)
	if r.Groups[0].Count != 2 {
		t.Errorf("count %d, want 2", r.Groups[0].Count)
	}
}

func testTenants(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	Write(t, s, "a", []P{{Metric: "secret", Meta: gauge, Labels: map[string]string{"tenant_id": "b"}, T: 0, V: 1}})
	if _, err := s.Query(context.Background(), Q("b", "secret", store.KindAggregate, agg(store.AggSum), 0, 0)); err == nil {
		t.Error("tenant b read tenant a's metric")
	}
	if ms, _ := s.Metrics(context.Background(), "b"); len(ms) != 0 {
		t.Errorf("tenant b lists %v", ms)
	}
	if _, err := s.Dimensions(context.Background(), "b", "secret"); err == nil {
		t.Error("tenant b lists tenant a's dimensions")
	}
	if _, err := s.DimensionValues(context.Background(), "b", "secret", "tenant_id", "", 10); err == nil {
		t.Error("tenant b lists tenant a's values")
	}
	Write(t, s, "b", []P{{Metric: "secret", Meta: gauge, T: 0, V: 100}})
	r := mustQuery(t, s, Q("b", "secret", store.KindAggregate, agg(store.AggSum), 0, 0))
	wantValue(t, "tenant b sees only its own point", single(t, r), 100)
}

func testDiscovery(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	var pts []P
	for i := range 6 {
		pts = append(pts, P{Metric: "api_latency", Meta: model.MetricMeta{Type: model.TypeGauge, Unit: "ms"},
			Labels: map[string]string{"customer_id": fmt.Sprint("cust_", i%3), "endpoint": fmt.Sprint("/e", i)}, T: 0, V: 1})
	}
	pts = append(pts, P{Metric: "cpu", Meta: gauge, Labels: map[string]string{"host": "h1"}, T: 0, V: 1})
	Write(t, s, "t1", pts)
	ctx := context.Background()
	ms, err := s.Metrics(ctx, "t1")
	if err != nil || len(ms) != 2 || ms[0].Name != "api_latency" || ms[0].SeriesCount != 6 || ms[0].Meta.Unit != "ms" || ms[1].Name != "cpu" {
		t.Errorf("metrics: %+v %v", ms, err)
	}
	dims, err := s.Dimensions(ctx, "t1", "api_latency")
	if err != nil || !slices.Equal(dims, []string{"customer_id", "endpoint"}) {
		t.Errorf("dimensions: %v %v", dims, err)
	}
	Write(t, s, "t1", []P{{Metric: "api_latency", Meta: gauge, Labels: map[string]string{"customer_id": "cust_1", "endpoint": "/z"}, T: 0, V: 1}})
	vals, err := s.DimensionValues(ctx, "t1", "api_latency", "customer_id", "cust", 2)
	want := []store.ValueCount{{Value: "cust_1", SeriesCount: 3}, {Value: "cust_0", SeriesCount: 2}}
	if err != nil || !slices.Equal(vals, want) {
		t.Errorf("values: got %v %v, want %v", vals, err, want)
	}
	if vals, _ = s.DimensionValues(ctx, "t1", "api_latency", "customer_id", "cust_2", 0); len(vals) != 1 {
		t.Errorf("prefix cust_2: %v", vals)
	}
	if _, err := s.Dimensions(ctx, "t1", "nope"); err == nil {
		t.Error("unknown metric: want NOT_FOUND")
	}
}

func testGuards(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	var pts []P
	for i := range 20 {
		pts = append(pts, P{Metric: "g", Meta: gauge, Labels: map[string]string{"s": fmt.Sprint(i)}, T: 0, V: 1},
			P{Metric: "g", Meta: gauge, Labels: map[string]string{"s": fmt.Sprint(i)}, T: sec(1), V: 1})
	}
	Write(t, s, "t1", pts)
	q := Q("t1", "g", store.KindAggregate, agg(store.AggSum), 0, sec(1))
	q.MaxSeries = 10
	if _, err := s.Query(context.Background(), q); !isCode(err, "QUERY_TOO_LARGE") {
		t.Errorf("20 series over max_series 10: got %v, want QUERY_TOO_LARGE", err)
	}
	q.MaxSeries, q.MaxPoints = 0, 30
	if _, err := s.Query(context.Background(), q); !isCode(err, "QUERY_TOO_LARGE") {
		t.Errorf("40 points over max_points 30: got %v, want QUERY_TOO_LARGE", err)
	}
	q.MaxPoints = 40
	wantValue(t, "40 points at max_points 40", single(t, mustQuery(t, s, q)), 40)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Query(ctx, q); err == nil {
		t.Error("a cancelled query returned a result")
	}
}

func isCode(err error, code string) bool { return err != nil && strings.Contains(err.Error(), code) }
