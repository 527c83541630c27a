package luminateexporter

import (
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

func pct(p float64) store.Aggregation {
	return store.Aggregation{Func: store.AggPercentile, Percentile: p}
}

// TestAllTypesStored: every OTLP metric type lands in a real Badger store and answers queries:
// a cumulative histogram (percentile from buckets, observations between points), a delta
// exponential histogram, a summary (quantile series plus _sum and _count), and a cumulative
// sum whose start time changes (a reset even though the value went up).
func TestAllTypesStored(t *testing.T) {
	e := startEnv(t, openBadger(t), nil)
	md, _, ms := newMetrics("acme")

	h := ms.AppendEmpty()
	h.SetName("http.server.duration")
	h.SetUnit("ms")
	hh := h.SetEmptyHistogram()
	hh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for i, counts := range [][]uint64{{0, 4, 0, 0}, {0, 10, 10, 0}} {
		dp := hh.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(ts(1)) // started inside the range: the first point counts
		dp.SetTimestamp(ts(int64(10 * (i + 1))))
		dp.ExplicitBounds().FromRaw([]float64{10, 20, 50})
		dp.BucketCounts().FromRaw(counts)
		var n uint64
		for _, c := range counts {
			n += c
		}
		dp.SetCount(n)
		dp.SetSum(float64(n) * 18)
		dp.Attributes().PutStr("route", "/checkout")
	}

	x := ms.AppendEmpty()
	x.SetName("rpc.duration")
	xh := x.SetEmptyExponentialHistogram()
	xh.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	xdp := xh.DataPoints().AppendEmpty()
	xdp.SetTimestamp(ts(5))
	xdp.SetScale(0)
	xdp.SetCount(6)
	xdp.SetZeroCount(2)
	xdp.Positive().SetOffset(2) // (4, 8]
	xdp.Positive().BucketCounts().FromRaw([]uint64{4})

	s := ms.AppendEmpty()
	s.SetName("gc.pause")
	sdp := s.SetEmptySummary().DataPoints().AppendEmpty()
	sdp.SetTimestamp(ts(5))
	sdp.SetStartTimestamp(ts(1))
	sdp.SetCount(100)
	sdp.SetSum(250)
	for _, q := range [][2]float64{{0.5, 2}, {0.99, 9.5}} {
		qv := sdp.QuantileValues().AppendEmpty()
		qv.SetQuantile(q[0])
		qv.SetValue(q[1])
	}

	c := sum(ms, "restarts_total", true, pmetric.AggregationTemporalityCumulative)
	for i, v := range []float64{100, 110, 150} {
		dp := point(c, int64(10*i), v)
		dp.SetStartTimestamp(ts(-600))
		if i == 2 {
			dp.SetStartTimestamp(ts(15)) // restarted and already counted to 150
		}
	}
	e.mustConsume(t, md)
	e.wantCounts(t, 2+1+4+3, nil)

	check := func(what string, r *store.Result, want float64) {
		t.Helper()
		if got := single(t, r); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("histogram count", query(t, e.st, "acme", "http.server.duration", store.KindAggregate, agg(store.AggCount), 0, 60), 20)
	// merged: 10 in (10,20], 10 in (20,50]: the median is the top of (10,20]
	check("histogram p50", query(t, e.st, "acme", "http.server.duration", store.KindAggregate, pct(50), 0, 60), 20)
	check("histogram p75", query(t, e.st, "acme", "http.server.duration", store.KindAggregate, pct(75), 0, 60), 35)
	check("exponential count", query(t, e.st, "acme", "rpc.duration", store.KindAggregate, agg(store.AggCount), 0, 60), 6)
	check("exponential p100", query(t, e.st, "acme", "rpc.duration", store.KindAggregate, pct(100), 0, 60), 8)
	check("summary _sum", query(t, e.st, "acme", "gc.pause_sum", store.KindAggregate, agg(store.AggSum), 0, 60), 250)
	check("summary _count", query(t, e.st, "acme", "gc.pause_count", store.KindAggregate, agg(store.AggSum), 0, 60), 100)
	check("rate across a start-time reset", query(t, e.st, "acme", "restarts_total", store.KindRate, store.Aggregation{}, 0, 20), 160.0/20)

	qs := query(t, e.st, "acme", "gc.pause", store.KindRange, store.Aggregation{}, 0, 60).Points
	got := map[string]float64{}
	for _, p := range qs {
		q, _ := p.Labels.Get("quantile")
		got[q] = p.V
	}
	if len(got) != 2 || got["0.5"] != 2 || got["0.99"] != 9.5 {
		t.Errorf("summary quantile series: %v", got)
	}
	infos, _ := e.st.Metrics(t.Context(), "acme")
	types := map[string]string{}
	for _, m := range infos {
		types[m.Name] = m.Meta.Type.String()
	}
	want := map[string]string{"http.server.duration": "histogram", "rpc.duration": "exphistogram", "gc.pause": "summary",
		"gc.pause_sum": "counter", "gc.pause_count": "counter", "restarts_total": "counter"}
	for n, typ := range want {
		if types[n] != typ {
			t.Errorf("type of %s = %q, want %q", n, types[n], typ)
		}
	}
	if hm := infos[0]; hm.Name == "gc.pause" && hm.Meta.Type != model.TypeSummary {
		t.Errorf("gc.pause meta %+v", hm.Meta)
	}
}

// TestInvalidHistograms: inconsistent histograms are refused per point with a reason.
func TestInvalidHistograms(t *testing.T) {
	e := startEnv(t, openBadger(t), nil)
	md, _, ms := newMetrics("acme")
	h := ms.AppendEmpty()
	h.SetName("bad")
	hh := h.SetEmptyHistogram()
	for _, c := range []struct {
		bounds []float64
		counts []uint64
	}{
		{[]float64{1, 2}, []uint64{1, 1}},       // one count short
		{[]float64{2, 1}, []uint64{1, 1, 1}},    // bounds not increasing
		{[]float64{1, 2}, []uint64{1, 1, 1, 1}}, // one count too many
	} {
		dp := hh.DataPoints().AppendEmpty()
		dp.SetTimestamp(ts(1))
		dp.ExplicitBounds().FromRaw(c.bounds)
		dp.BucketCounts().FromRaw(c.counts)
	}
	rej := rejectedError(t, e.consume(t, md))
	if len(rej.Rejections) != 3 {
		t.Fatalf("rejections %+v", rej.Rejections)
	}
	e.wantCounts(t, 0, map[string]int64{"invalid": 3})
}
