package storetest

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

var (
	deltaHist = model.MetricMeta{Type: model.TypeHistogram, Temporality: model.TemporalityDelta, Unit: "ms"}
	cumHist   = model.MetricMeta{Type: model.TypeHistogram, Temporality: model.TemporalityCumulative, Unit: "ms"}
	deltaExp  = model.MetricMeta{Type: model.TypeExpHistogram, Temporality: model.TemporalityDelta, Unit: "ms"}
	cumSum    = model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true}
)

// Hist builds an explicit-bucket histogram with the given counts; sum is given.
func Hist(bounds []float64, sum float64, counts ...uint64) *model.Histogram {
	h := &model.Histogram{Bounds: bounds, Counts: counts, Sum: sum, HasSum: true}
	for _, c := range counts {
		h.Count += c
	}
	return h
}

// A cumulative counter whose start time changes has restarted, even when its value went up.
func testStartReset(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	// 100 -> 110 (same start), then a restart that already counted to 150: increase 10 + 150
	Write(t, s, "t1", []P{
		{Metric: "c", Meta: cumSum, T: 0, V: 100, Start: -sec(600)},
		{Metric: "c", Meta: cumSum, T: sec(10), V: 110, Start: -sec(600)},
		{Metric: "c", Meta: cumSum, T: sec(20), V: 150, Start: sec(15)},
	})
	r := mustQuery(t, s, Q("t1", "c", store.KindRate, store.Aggregation{}, 0, sec(20)))
	wantValue(t, "rate across a start-time reset", single(t, r), 160.0/20)
}

// Percentiles come from the merged buckets of the group, not from per-series percentiles.
func testHistogramMerge(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	b := []float64{10, 20, 50}
	Write(t, s, "t1", []P{
		{Metric: "lat", Meta: deltaHist, Labels: map[string]string{"svc": "a"}, T: 0, Hist: Hist(b, 150, 0, 10, 0, 0)},
		{Metric: "lat", Meta: deltaHist, Labels: map[string]string{"svc": "b"}, T: sec(1), Hist: Hist(b, 300, 0, 0, 10, 0)},
	})
	for agg, want := range map[store.Aggregation]float64{
		pct(50):             20, // per-series p50s are 15 and 35: their average (25) would be wrong
		pct(75):             35,
		agg(store.AggCount): 20,
		agg(store.AggSum):   450,
		agg(store.AggAvg):   22.5,
		pct(100):            50,
	} {
		r := mustQuery(t, s, Q("t1", "lat", store.KindAggregate, agg, 0, sec(1)))
		wantValue(t, "histogram "+agg.String(), single(t, r), want)
		if r.Groups[0].Count != 2 || r.PointsScanned != 2 {
			t.Errorf("%s: count %d, points %d; want 2 raw histogram points", agg, r.Groups[0].Count, r.PointsScanned)
		}
	}
	q := Q("t1", "lat", store.KindAggregate, pct(50), 0, sec(1))
	q.GroupBy = []string{"svc"}
	r := mustQuery(t, s, q)
	got := map[string]float64{}
	for _, g := range r.Groups {
		got[g.Key[0]] = g.Value
	}
	if !approx(got["a"], 15) || !approx(got["b"], 35) {
		t.Errorf("p50 by svc: %v, want a:15 b:35", got)
	}
	r = mustQuery(t, s, Q("t1", "lat", store.KindRate, store.Aggregation{}, 0, sec(10)))
	wantValue(t, "histogram rate = observations per second", single(t, r), 20.0/10)
}

// Cumulative histograms: only what happened inside the range counts, resets included.
func testHistogramCumulative(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	b := []float64{10, 20, 50}
	Write(t, s, "t1", []P{
		// started an hour before the range: the first point only opens the series
		{Metric: "lat", Meta: cumHist, T: 0, Start: -sec(3600), Hist: Hist(b, 75, 0, 5, 0, 0)},
		{Metric: "lat", Meta: cumHist, T: sec(10), Start: -sec(3600), Hist: Hist(b, 200, 0, 8, 2, 0)}, // +3 in (10,20], +2 in (20,50]
		{Metric: "lat", Meta: cumHist, T: sec(20), Start: sec(15), Hist: Hist(b, 15, 0, 1, 0, 0)},     // restart: 1 new
		// a series that started inside the range counts its first point
		{Metric: "lat", Meta: cumHist, Labels: map[string]string{"new": "1"}, T: sec(5), Start: sec(2), Hist: Hist(b, 40, 0, 0, 1, 0)},
	})
	r := mustQuery(t, s, Q("t1", "lat", store.KindAggregate, agg(store.AggCount), 0, sec(20)))
	wantValue(t, "observations in range", single(t, r), 7)
	r = mustQuery(t, s, Q("t1", "lat", store.KindAggregate, agg(store.AggSum), 0, sec(20)))
	wantValue(t, "sum of observations in range", single(t, r), 125+15+40)
	q := Q("t1", "lat", store.KindAggregate, agg(store.AggCount), 0, sec(20))
	q.Interval = sec(10)
	r = mustQuery(t, s, q)
	var counts []float64
	for _, bk := range r.Groups[0].Buckets {
		counts = append(counts, bk.Value)
	}
	if !slices.Equal(counts, []float64{1, 5, 1}) {
		t.Errorf("observations per 10 s bucket: %v, want [1 5 1]", counts)
	}
}

// Exponential histograms of two series at different scales merge at the lower scale.
func testExponential(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	// scale 0: bucket i is (2^i, 2^(i+1)]. Series a: 4 values in (4,8]; b at scale 1 (base
	// sqrt 2): 4 values in (8, 11.31] -> at scale 0 they are in (8,16].
	a := &model.Histogram{Exp: true, Scale: 0, Count: 4, Sum: 24, HasSum: true, PosOffset: 2, Pos: []uint64{4}}
	bh := &model.Histogram{Exp: true, Scale: 1, Count: 4, Sum: 40, HasSum: true, PosOffset: 6, Pos: []uint64{4}}
	Write(t, s, "t1", []P{
		{Metric: "rpc", Meta: deltaExp, Labels: map[string]string{"s": "a"}, T: 0, Hist: a},
		{Metric: "rpc", Meta: deltaExp, Labels: map[string]string{"s": "b"}, T: 0, Hist: bh},
	})
	r := mustQuery(t, s, Q("t1", "rpc", store.KindAggregate, pct(50), 0, 0))
	wantValue(t, "exp p50: top of (4,8]", single(t, r), 8)
	r = mustQuery(t, s, Q("t1", "rpc", store.KindAggregate, pct(75), 0, 0))
	if v := single(t, r); v <= 8 || v > 16 {
		t.Errorf("exp p75 = %v, want in (8,16]", v)
	}
	r = mustQuery(t, s, Q("t1", "rpc", store.KindAggregate, agg(store.AggCount), 0, 0))
	wantValue(t, "exp count", single(t, r), 8)
}

func testHistogramRules(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	b := []float64{10}
	Write(t, s, "t1", []P{{Metric: "lat", Meta: deltaHist, T: 0, Hist: Hist(b, 5, 1, 0)}})
	for _, q := range []*store.Query{
		Q("t1", "lat", store.KindAggregate, agg(store.AggLast), 0, 0),
		Q("t1", "lat", store.KindAggregate, agg(store.AggIntegral), 0, 0),
		Q("t1", "lat", store.KindAggregate, agg(store.AggTWA), 0, 0),
		Q("t1", "lat", store.KindRange, store.Aggregation{}, 0, 0),
	} {
		if _, err := s.Query(context.Background(), q); !isCode(err, "INVALID_QUERY") {
			t.Errorf("%s %s on a histogram: got %v, want INVALID_QUERY", q.Kind, q.Agg, err)
		}
	}
	// a value point for a histogram metric is refused, the others of the commit are kept
	a := s.Appender("t1")
	if err := a.Append("lat", gauge, nil, Base, 1); err == nil || !isCode(err, "INVALID_REQUEST") {
		t.Errorf("value point for a histogram metric: got %v, want INVALID_REQUEST", err)
	}
	if err := appendP(a, P{Metric: "lat", Meta: deltaHist, T: sec(1), Hist: Hist(b, 5, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := mustQuery(t, s, Q("t1", "lat", store.KindAggregate, agg(store.AggCount), 0, sec(1)))
	wantValue(t, "count after a refused point", single(t, r), 2)
	// min and max without min/max in the points: no answer (null), not 0
	r = mustQuery(t, s, Q("t1", "lat", store.KindAggregate, agg(store.AggMin), 0, sec(1)))
	if v := single(t, r); !math.IsNaN(v) {
		t.Errorf("min of histograms without min: %v, want NaN (null)", v)
	}
}
