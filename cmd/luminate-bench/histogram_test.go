package main

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

func histDataset(t *testing.T) *dataset {
	t.Helper()
	ds := newDataset(smallShape())
	ds.addHistograms()
	return ds
}

// TestLatencyBounds: 19 strictly increasing bounds make 20 buckets covering the workload's
// latencies, and a value on a bound belongs to the bucket it closes ((lo, hi], as OTLP says).
func TestLatencyBounds(t *testing.T) {
	if len(latencyBounds) != 19 || latencyBuckets != 20 {
		t.Fatalf("%d bounds, %d buckets; want 19 and 20", len(latencyBounds), latencyBuckets)
	}
	for i := 1; i < len(latencyBounds); i++ {
		if latencyBounds[i] <= latencyBounds[i-1] {
			t.Fatalf("bounds not strictly increasing at %d: %v", i, latencyBounds)
		}
	}
	for _, c := range []struct {
		v    float64
		want int
	}{{0.1, 0}, {5, 0}, {5.1, 1}, {20, 3}, {20.1, 4}, {100, 12}, {243.6, 17}, {300, 18}, {300.1, 19}, {1e9, 19}} {
		if got := latencyBucket(c.v); got != c.want {
			t.Errorf("latencyBucket(%v) = %d (%s), want %d (%s)", c.v, got, bucketName(got), c.want, bucketName(c.want))
		}
	}
	if bucketName(0) != "(-Inf, 5]" || bucketName(14) != "(125, 150]" || bucketName(19) != "(300, +Inf)" {
		t.Fatalf("bucket names %q %q %q", bucketName(0), bucketName(14), bucketName(19))
	}
}

// TestHistogramsGrowCumulatively recomputes every series' histogram at every round from the
// observations: bucket counts sum to count, count grows by obsPerRound a round, each bucket grows
// by its share of the round's observations, and sum, min and max follow the observations.
func TestHistogramsGrowCumulatively(t *testing.T) {
	ds := histDataset(t)
	s := ds.shape
	used := make([]bool, latencyBuckets)
	for i := range s.Series() {
		want := make([]uint32, latencyBuckets)
		sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
		var prev histPoint
		for r := range s.Points {
			seen := map[float64]bool{}
			for k := range obsPerRound {
				v := observation(s, i, r, k)
				if v < 20 || v > 250 || math.Round(v*10)/10 != v {
					t.Fatalf("series %d round %d: observation %v: want 20-250 ms with one decimal", i, r, v)
				}
				seen[v] = true
				want[latencyBucket(v)]++
				used[latencyBucket(v)] = true
				sum += v
				lo, hi = min(lo, v), max(hi, v)
			}
			if len(seen) < obsPerRound/2 {
				t.Fatalf("series %d round %d: only %d distinct observations of %d", i, r, len(seen), obsPerRound)
			}
			p := ds.hist.point(i, r)
			var total uint64
			for _, c := range p.counts {
				total += uint64(c)
			}
			if p.count != total || p.count != uint64(obsPerRound*(r+1)) {
				t.Fatalf("series %d round %d: count %d, buckets sum to %d; want both %d", i, r, p.count, total, obsPerRound*(r+1))
			}
			if !slices.Equal(p.counts, want) || p.sum != sum || p.min != lo || p.max != hi {
				t.Fatalf("series %d round %d: counts %v sum %v min %v max %v; want %v %v %v %v", i, r, p.counts, p.sum, p.min, p.max, want, sum, lo, hi)
			}
			if r > 0 {
				for b := range p.counts {
					if p.counts[b] < prev.counts[b] {
						t.Fatalf("series %d round %d: bucket %d went down from %d to %d", i, r, b, prev.counts[b], p.counts[b])
					}
				}
				if p.sum <= prev.sum || p.min > prev.min || p.max < prev.max {
					t.Fatalf("series %d round %d: sum/min/max %v/%v/%v after %v/%v/%v", i, r, p.sum, p.min, p.max, prev.sum, prev.min, prev.max)
				}
			}
			prev = p
		}
	}
	// the workload's 20-240 ms fill several buckets, not one
	n := 0
	for _, u := range used {
		if u {
			n++
		}
	}
	if n < 8 {
		t.Fatalf("observations fill %d of %d buckets: the bounds do not fit the latencies", n, latencyBuckets)
	}
	var obs int64
	for _, ts := range ds.hist.tenths {
		for _, c := range ts {
			obs += c
		}
	}
	if want := int64(s.Series() * s.Points * obsPerRound); obs != want {
		t.Fatalf("%d observations counted by value, want %d", obs, want)
	}
	if ds.histPoints() != ds.points()/2 || ds.rangeStart() != ds.start()-2*s.StepMs || ds.histStart() != ds.start()-s.StepMs {
		t.Fatalf("histogram points %d of %d, range start %d, hist start %d, first round %d",
			ds.histPoints(), ds.points(), ds.rangeStart(), ds.histStart(), ds.start())
	}
}

// TestMergedHistogramQuantile: linear interpolation inside the bucket holding the rank, the open
// buckets closed by min and max; the exact percentile is nearest rank over the observations.
func TestMergedHistogramQuantile(t *testing.T) {
	var m mergedHist
	// 10 observations in (20, 25], 10 in (25, 30], min 21, max 29
	p := histPoint{counts: make([]uint32, latencyBuckets), count: 20, sum: 500, min: 21, max: 29}
	p.counts[4], p.counts[5] = 10, 10
	m.add(p)
	for _, c := range []struct{ q, want float64 }{
		{0.5, 25},    // rank 10: the top of (21, 25]
		{0.25, 23},   // rank 5: half of (21, 25]
		{0.95, 28.6}, // rank 19: 9/10 of (25, 29]
	} {
		if got := m.quantile(c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if b := m.rankBucket(0.95); b != 5 {
		t.Errorf("rank 0.95 in bucket %d, want 5", b)
	}
	if lo, hi := m.bucketEdges(4); lo != 21 || hi != 25 {
		t.Errorf("bucket 4 edges %v, %v; want 21, 25 (min narrows it)", lo, hi)
	}
	h := &histData{tenths: [][]int64{make([]int64, 1001)}}
	for v := 1; v <= 100; v++ {
		h.tenths[0][v*10] = 1 // 1.0, 2.0, ... 100.0
	}
	if got := h.exactPercentile(0, 95); got != 95 {
		t.Errorf("exact p95 of 1..100 = %v, want 95", got)
	}
}

// TestOTLPHistogramRequest checks a --histograms request after a protobuf round trip: api_latency
// a cumulative Histogram with the start time one step before round 0, the bounds, and count,
// sum, min, max and buckets of the series at the job's round; requests_total unchanged.
func TestOTLPHistogramRequest(t *testing.T) {
	ds := histDataset(t)
	s := ds.shape
	total := 0
	for _, j := range ds.jobs(400) {
		raw, err := pmetricotlp.NewExportRequestFromMetrics(ds.otlpMetrics(j)).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(raw); err != nil {
			t.Fatal(err)
		}
		md := req.Metrics()
		if n := md.DataPointCount(); n != j.points() {
			t.Fatalf("job %+v: %d data points, want %d", j, n, j.points())
		}
		total += md.DataPointCount()
		ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
		lat, cnt := ms.At(0), ms.At(1)
		if lat.Name() != metricLatency || lat.Unit() != "ms" || lat.Type() != pmetric.MetricTypeHistogram ||
			lat.Histogram().AggregationTemporality() != pmetric.AggregationTemporalityCumulative {
			t.Fatalf("first metric %s (%s) %s, want api_latency (ms) cumulative Histogram", lat.Name(), lat.Unit(), lat.Type())
		}
		if cnt.Name() != metricCounter || cnt.Type() != pmetric.MetricTypeSum {
			t.Fatalf("second metric %s %s, want requests_total Sum", cnt.Name(), cnt.Type())
		}
		for k := range j.to - j.from {
			i := j.from + k
			p := lat.Histogram().DataPoints().At(k)
			want := ds.hist.point(i, j.round)
			if p.StartTimestamp() != pcommon.Timestamp(ds.histStart()*1e6) || p.Timestamp() != pcommon.Timestamp(s.T(j.round)*1e6) {
				t.Fatalf("series %d round %d: start %v time %v, want %d ms and %d ms", i, j.round, p.StartTimestamp(), p.Timestamp(), ds.histStart(), s.T(j.round))
			}
			if !slices.Equal(p.ExplicitBounds().AsRaw(), latencyBounds) || p.BucketCounts().Len() != latencyBuckets {
				t.Fatalf("series %d: bounds %v, %d buckets", i, p.ExplicitBounds().AsRaw(), p.BucketCounts().Len())
			}
			var bsum uint64
			for b, c := range p.BucketCounts().All() {
				bsum += c
				if c != uint64(want.counts[b]) {
					t.Fatalf("series %d round %d bucket %d: %d, want %d", i, j.round, b, c, want.counts[b])
				}
			}
			if p.Count() != want.count || bsum != p.Count() || !p.HasSum() || p.Sum() != want.sum ||
				!p.HasMin() || p.Min() != want.min || !p.HasMax() || p.Max() != want.max {
				t.Fatalf("series %d round %d: count %d (buckets %d) sum %v min %v max %v, want %d %v %v %v",
					i, j.round, p.Count(), bsum, p.Sum(), p.Min(), p.Max(), want.count, want.sum, want.min, want.max)
			}
			if attrs := p.Attributes().AsRaw(); attrs["customer_id"] != ds.labels[i][0].Value || len(attrs) != 3 {
				t.Fatalf("series %d attributes %v", i, attrs)
			}
			checkPoint(t, ds, cnt.Sum().DataPoints().At(k), i, j.round, s.Counter(i, j.round))
		}
	}
	if int64(total) != ds.points() {
		t.Fatalf("%d points in all requests, want %d", total, ds.points())
	}
}

// TestHistogramChecksAcceptTheReferenceAndRejectSmallErrors: with --histograms the checks pass
// the reference engine's answers from merged buckets (the p95 equal to the interpolation) and
// fail them after one small change.
func TestHistogramChecksAcceptTheReferenceAndRejectSmallErrors(t *testing.T) {
	ds := histDataset(t)
	ref := referenceAnswers(t, ds)
	checks := map[string]checkFunc{}
	for _, q := range ds.queries(0) {
		checks[q.name] = q.check
		if !strings.Contains(string(q.body), `"start":`+strconv.FormatInt(ds.rangeStart(), 10)) {
			t.Fatalf("%s: %s does not start at the range start %d", q.name, q.body, ds.rangeStart())
		}
	}
	for name, raw := range ref {
		_, note, err := checks[name](raw)
		if err != nil {
			t.Fatalf("%s: reference answer refused: %v\n%s", name, err, raw)
		}
		if name == "p95-by-endpoint" && !strings.Contains(note, "3 of 3 groups inside the bucket of rank 0.95, 3 equal to its linear interpolation") {
			t.Fatalf("p95 note %q: want every group equal to the interpolation", note)
		}
	}
	for _, c := range []struct {
		query  string
		mutate func(*[]map[string]any)
		want   string // "" : still passes
		note   string
	}{
		{"avg-by-customer", func(gs *[]map[string]any) { (*gs)[3]["value"] = (*gs)[3]["value"].(float64) * (1 + 1e-6) }, "value", ""},
		{"avg-by-customer", func(gs *[]map[string]any) { (*gs)[3]["count"] = (*gs)[3]["count"].(float64) * 10 }, "count", ""},
		{"avg-by-customer", func(gs *[]map[string]any) { *gs = (*gs)[1:] }, "groups, want 167", ""},
		{"p95-by-endpoint", func(gs *[]map[string]any) { (*gs)[0]["value"] = (*gs)[0]["value"].(float64) * 1.3 }, "outside bucket", ""},
		{"p95-by-endpoint", func(gs *[]map[string]any) { (*gs)[1]["count"] = (*gs)[1]["count"].(float64) - 1 }, "count", ""},
		{"p95-by-endpoint", func(gs *[]map[string]any) { (*gs)[2]["value"] = (*gs)[2]["value"].(float64) + 0.001 }, "", "2 equal to its linear interpolation (e.g. "},
		{"one-customer-1m", func(gs *[]map[string]any) {
			p := (*gs)[1]["points"].([]any)[0].(map[string]any)
			p["value"] = p["value"].(float64) * (1 + 1e-6)
		}, "value", ""},
	} {
		var gs []map[string]any
		if err := json.Unmarshal(ref[c.query], &gs); err != nil {
			t.Fatal(err)
		}
		c.mutate(&gs)
		raw, _ := json.Marshal(gs)
		_, note, err := checks[c.query](raw)
		switch {
		case c.want == "" && (err != nil || !strings.Contains(note, c.note)):
			t.Errorf("%s: mutated answer: error %v, note %q; want it accepted with a note mentioning %q", c.query, err, note, c.note)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: mutated answer: error %v, want one mentioning %q", c.query, err, c.want)
		}
	}
}
