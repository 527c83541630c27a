package memstore

import (
	"sort"

	"github.com/luminate-metrics/luminate/internal/histogram"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// histogramGroups answers a query on a histogram metric. Each point becomes the observations
// since the previous point of its series (the rules of docs/api.md):
//
//   - delta temporality: the point itself;
//   - cumulative: the difference to the previous point in range; a reset (a new start time, a
//     count going down, changed buckets) counts the point itself; the first point in range
//     counts itself only when its series started inside the range (start >= range start),
//     else it only opens the series, like the first point of a counter.
//
// A group's bucket merges those deltas; count/sum/avg/pNN read the merge, min/max the points'
// min/max, rate is observations per second. count in the result is the raw points.
func histogramGroups(runs []run, q *store.Query, meta model.MetricMeta) []store.Group {
	type group struct {
		key     []string
		total   *histogram.Acc
		points  int64
		buckets map[int64]*hbucket
	}
	byKey := map[string]*group{}
	var order []*group
	for _, r := range runs {
		key := make([]string, len(q.GroupBy))
		for i, k := range q.GroupBy {
			key[i], _ = r.labels.Get(k)
		}
		g := byKey[store.GroupKeyString(key)]
		if g == nil {
			g = &group{key: key, total: &histogram.Acc{}, buckets: map[int64]*hbucket{}}
			byKey[store.GroupKeyString(key)] = g
			order = append(order, g)
		}
		for i, p := range r.pts {
			bt := q.Start
			if q.Interval > 0 {
				bt = store.BucketStart(p.T, q.Interval)
			}
			b := g.buckets[bt]
			if b == nil {
				b = &hbucket{}
				g.buckets[bt] = b
			}
			b.points++
			g.points++
			if d := deltaOf(r.pts, i, q.Start, meta); d != nil {
				b.acc.Add(d)
				g.total.Add(d)
			}
		}
	}
	out := make([]store.Group, 0, len(order))
	for _, g := range order {
		sg := store.Group{Key: g.key, Count: g.points, Value: histValue(g.total, q, q.End-q.Start)}
		if q.Interval > 0 || q.Kind == store.KindRate {
			bl := q.Interval
			if bl == 0 {
				bl = q.End - q.Start
			}
			ts := make([]int64, 0, len(g.buckets))
			for t := range g.buckets {
				ts = append(ts, t)
			}
			sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
			for _, t := range ts {
				b := g.buckets[t]
				sg.Buckets = append(sg.Buckets, store.Bucket{T: t, Value: histValue(&b.acc, q, bl), Count: b.points})
			}
		}
		out = append(out, sg)
	}
	return store.RankGroups(out, q.Order, q.Limit)
}

type hbucket struct {
	acc    histogram.Acc
	points int64
}

func deltaOf(pts []model.Point, i int, rangeStart int64, meta model.MetricMeta) *model.Histogram {
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

func histValue(a *histogram.Acc, q *store.Query, bucketMs int64) float64 {
	if q.Kind == store.KindRate {
		if bucketMs <= 0 {
			return 0
		}
		return a.Count() / (float64(bucketMs) / 1000)
	}
	switch q.Agg.Func {
	case store.AggCount:
		return a.Count()
	case store.AggSum:
		return a.Sum()
	case store.AggMin:
		return a.Min()
	case store.AggMax:
		return a.Max()
	case store.AggPercentile:
		return a.Quantile(q.Agg.Percentile / 100)
	}
	return a.Sum() / a.Count() // avg; NaN without observations
}
