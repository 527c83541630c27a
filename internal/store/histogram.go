package store

import (
	"github.com/luminate-metrics/luminate/internal/histogram"
	"github.com/luminate-metrics/luminate/internal/model"
)

// HistObservations is what point i of one histogram series (points in time order) adds to a
// merge: a delta point itself; for a cumulative series the difference to the previous point,
// or the point itself after a reset (new start time, or counts that went down); for the first
// point in range the point itself only if the series started inside the range (nil: nothing).
func HistObservations(pts []model.Point, i int, rangeStart int64, meta model.MetricMeta) *model.Histogram {
	p := pts[i]
	if meta.Temporality == model.TemporalityDelta {
		return p.Hist
	}
	if i == 0 {
		if p.Start != 0 && p.Start >= rangeStart {
			return p.Hist
		}
		return nil
	}
	prev := pts[i-1]
	if p.Start != 0 && p.Start != prev.Start {
		return p.Hist
	}
	if d, ok := histogram.Delta(p.Hist, prev.Hist); ok {
		return d
	}
	return p.Hist
}

// HistValue reads a query's value off the merged observations of a group or bucket of
// bucketMs: the rate of observations for rate queries, else the aggregation (avg when none
// of the others; NaN without observations).
func HistValue(a *histogram.Acc, q *Query, bucketMs int64) float64 {
	if q.Kind == KindRate {
		if bucketMs <= 0 {
			return 0
		}
		return a.Count() / (float64(bucketMs) / 1000)
	}
	switch q.Agg.Func {
	case AggCount:
		return a.Count()
	case AggSum:
		return a.Sum()
	case AggMin:
		return a.Min()
	case AggMax:
		return a.Max()
	case AggPercentile:
		return a.Quantile(q.Agg.Percentile / 100)
	}
	return a.Sum() / a.Count()
}
