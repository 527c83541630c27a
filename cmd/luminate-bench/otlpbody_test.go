package main

import (
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// TestOTLPRequestIsTheWorkload checks a request after a protobuf round trip, as the server
// receives it: point count, resource, metric types, attributes, values and timestamps.
func TestOTLPRequestIsTheWorkload(t *testing.T) {
	s := smallShape()
	ds := newDataset(s)
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
		rm := md.ResourceMetrics().At(0)
		if v, ok := rm.Resource().Attributes().Get("service.name"); !ok || v.Str() != "bench" {
			t.Fatalf("resource attributes %v, want service.name=bench", rm.Resource().Attributes().AsRaw())
		}
		ms := rm.ScopeMetrics().At(0).Metrics()
		if ms.Len() != 2 {
			t.Fatalf("%d metrics, want 2", ms.Len())
		}
		lat, cnt := ms.At(0), ms.At(1)
		if lat.Name() != metricLatency || lat.Type() != pmetric.MetricTypeGauge {
			t.Fatalf("first metric %s %s, want api_latency Gauge", lat.Name(), lat.Type())
		}
		if cnt.Name() != metricCounter || cnt.Type() != pmetric.MetricTypeSum || !cnt.Sum().IsMonotonic() ||
			cnt.Sum().AggregationTemporality() != pmetric.AggregationTemporalityCumulative {
			t.Fatalf("second metric %s %s, want requests_total cumulative monotonic Sum", cnt.Name(), cnt.Type())
		}
		for k := range j.to - j.from {
			i := j.from + k
			checkPoint(t, ds, lat.Gauge().DataPoints().At(k), i, j.round, s.Latency(i, j.round))
			p := cnt.Sum().DataPoints().At(k)
			checkPoint(t, ds, p, i, j.round, s.Counter(i, j.round))
			if st := p.StartTimestamp().AsTime().UnixMilli(); st >= s.T(j.round) || st != ds.counterStart(i, j.round) {
				t.Fatalf("series %d round %d: start %d, want %d (before the point)", i, j.round, st, ds.counterStart(i, j.round))
			}
		}
	}
	if int64(total) != ds.points() {
		t.Fatalf("%d points in all requests, want %d", total, ds.points())
	}
}

func checkPoint(t *testing.T, ds *dataset, p pmetric.NumberDataPoint, i, r int, want float64) {
	t.Helper()
	if p.Timestamp() != pcommon.Timestamp(ds.shape.T(r)*1e6) || math.Float64bits(p.DoubleValue()) != math.Float64bits(want) {
		t.Fatalf("series %d round %d: %v at %v, want %v at %d ms", i, r, p.DoubleValue(), p.Timestamp(), want, ds.shape.T(r))
	}
	attrs := p.Attributes().AsRaw()
	want3 := ds.shape.Labels(i).Map()
	if len(attrs) != 3 || len(want3) != 3 {
		t.Fatalf("series %d attributes %v, want customer_id, endpoint, region", i, attrs)
	}
	for k, v := range want3 {
		if attrs[k] != v {
			t.Fatalf("series %d attribute %s = %v, want %s", i, k, attrs[k], v)
		}
	}
}

// TestCounterStartMarksTheReset: every 500th series restarts its counter at round Points/2, and
// OTLP says so with a later start time from then on; the other series keep theirs.
func TestCounterStartMarksTheReset(t *testing.T) {
	ds := newDataset(smallShape()) // 4 points: the reset is at round 2
	s := ds.shape
	if a, b := ds.counterStart(500, 1), ds.counterStart(500, 2); b <= a || b != s.T(2)-s.StepMs {
		t.Fatalf("series 500: start %d at round 1, %d at round 2; want a new start %d at the reset", a, b, s.T(2)-s.StepMs)
	}
	if a, b := ds.counterStart(7, 0), ds.counterStart(7, 3); a != b || a != s.T(0)-s.StepMs {
		t.Fatalf("series 7: start %d then %d, want %d throughout", a, b, s.T(0)-s.StepMs)
	}
}
