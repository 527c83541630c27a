package main

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// otlpMetrics builds job j as one OTLP resource (service.name=bench) with api_latency as a
// Gauge (unit ms), or with --histograms as a cumulative explicit-bucket Histogram, and
// requests_total as a cumulative monotonic Sum, one data point per series each, with the series'
// dimensions as data-point attributes: what an OTel SDK or collector scraping these endpoints
// would send.
func (d *dataset) otlpMetrics(j job) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "bench")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("luminate-bench")

	n := j.to - j.from
	ts := pcommon.Timestamp(d.shape.T(j.round) * 1e6)
	lat := sm.Metrics().AppendEmpty()
	lat.SetName(metricLatency)
	lat.SetUnit("ms")
	if d.hist != nil {
		d.appendHistograms(lat, j, ts)
	} else {
		latPts := lat.SetEmptyGauge().DataPoints()
		latPts.EnsureCapacity(n)
		for i := j.from; i < j.to; i++ {
			p := latPts.AppendEmpty()
			p.SetTimestamp(ts)
			p.SetDoubleValue(d.lat[j.round][i])
			d.putAttrs(p.Attributes(), i)
		}
	}

	cnt := sm.Metrics().AppendEmpty()
	cnt.SetName(metricCounter)
	sum := cnt.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	cntPts := sum.DataPoints()
	cntPts.EnsureCapacity(n)
	for i := j.from; i < j.to; i++ {
		p := cntPts.AppendEmpty()
		p.SetStartTimestamp(pcommon.Timestamp(d.counterStart(i, j.round) * 1e6))
		p.SetTimestamp(ts)
		p.SetDoubleValue(d.cnt[j.round][i])
		d.putAttrs(p.Attributes(), i)
	}
	return md
}

// appendHistograms makes m the cumulative histogram api_latency of job j's series at its round:
// count, sum, min, max, the 19 bounds and 20 bucket counts, start time one step before round 0.
func (d *dataset) appendHistograms(m pmetric.Metric, j job, ts pcommon.Timestamp) {
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	pts := h.DataPoints()
	pts.EnsureCapacity(j.to - j.from)
	start := pcommon.Timestamp(d.histStart() * 1e6)
	counts := make([]uint64, latencyBuckets)
	for i := j.from; i < j.to; i++ {
		hp := d.hist.point(i, j.round)
		p := pts.AppendEmpty()
		p.SetStartTimestamp(start)
		p.SetTimestamp(ts)
		p.SetCount(hp.count)
		p.SetSum(hp.sum)
		p.SetMin(hp.min)
		p.SetMax(hp.max)
		p.ExplicitBounds().FromRaw(latencyBounds)
		for b, c := range hp.counts {
			counts[b] = uint64(c)
		}
		p.BucketCounts().FromRaw(counts)
		d.putAttrs(p.Attributes(), i)
	}
}

func (d *dataset) putAttrs(m pcommon.Map, i int) {
	m.EnsureCapacity(len(d.labels[i]))
	for _, l := range d.labels[i] {
		m.PutStr(l.Name, l.Value)
	}
}

// counterStart is the start time (Unix ms) of series i's cumulative counter at round r: one step
// before the first round, or, for the series workload.Counter resets at round Points/2 (every
// 500th), one step before that round from then on, as OTLP signals a reset by a new start time.
func (d *dataset) counterStart(i, r int) int64 {
	s := d.shape
	if i%500 == 0 && r >= s.Points/2 {
		return s.T(s.Points/2) - s.StepMs
	}
	return s.T(0) - s.StepMs
}
