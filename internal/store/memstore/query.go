package memstore

import (
	"context"
	"math"
	"sort"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Query implements store.Store by brute force: every matching series is read whole, its points
// in range sorted and de-duplicated, then folded bucket by bucket. The rules written here are
// the contract the real engines are tested against:
//
//   - a bucket exists when it holds at least one raw point of the group; count = those points;
//   - pair-based aggregations (rate, integral, twa) attribute the pair (t[i-1], t[i]) to the
//     bucket of t[i], and only pairs with both points in the query range count;
//   - last = the value at the latest timestamp; if several series have a point there, the
//     largest of those values;
//   - percentiles are exact nearest rank: sorted v[0..n-1], v[ceil(p/100*n)-1];
//   - twa with no covered time (single points only) is the mean of the points;
//   - rate: increase / bucket seconds; without interval the bucket is [Start, End] and a zero
//     length range has rate 0.
func (s *Store) Query(ctx context.Context, q *store.Query) (*store.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, err := s.metric(q.Tenant, q.Metric)
	if err != nil {
		return nil, err
	}
	if store.IsHistogram(m.meta.Type) {
		if err := store.CheckHistogramQuery(q); err != nil {
			return nil, err
		}
	}
	var runs []run
	res := &store.Result{}
	matched := int64(0)
	for _, sr := range m.series {
		if !store.MatchLabels(q.Filters, sr.labels) {
			continue
		}
		matched++
		pts := inRange(sr.samples, q.Start, q.End)
		if len(pts) == 0 {
			continue
		}
		res.SeriesScanned++
		res.PointsScanned += int64(len(pts))
		runs = append(runs, run{labels: sr.labels, pts: pts})
	}
	if q.MaxSeries > 0 && matched > q.MaxSeries {
		return nil, apierror.New(apierror.QueryTooLarge, "query matches %d series, more than the maximum of %d (query.max_series)", matched, q.MaxSeries)
	}
	if q.MaxPoints > 0 && res.PointsScanned > q.MaxPoints {
		return nil, apierror.New(apierror.QueryTooLarge, "query scans %d points, more than the maximum of %d (query.max_points)", res.PointsScanned, q.MaxPoints)
	}
	if q.Kind == store.KindRange && q.Interval == 0 {
		res.Points = rawPoints(runs, q)
		return res, nil
	}
	if store.IsHistogram(m.meta.Type) {
		res.Groups = histogramGroups(runs, q, m.meta)
		return res, nil
	}
	res.Groups = groups(runs, q, m.meta)
	return res, nil
}

type run struct {
	labels model.Labels
	pts    []model.Point
}

// inRange returns the points in [start, end], sorted by time, one per timestamp (the last
// written wins).
func inRange(all []model.Point, start, end int64) []model.Point {
	var pts []model.Point
	for _, p := range all {
		if p.T >= start && p.T <= end {
			pts = append(pts, p)
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].T < pts[j].T })
	out := pts[:0]
	for i, p := range pts {
		if i+1 < len(pts) && pts[i+1].T == p.T {
			continue // a later write of the same timestamp follows
		}
		out = append(out, p)
	}
	return out
}

func rawPoints(runs []run, q *store.Query) []store.RawPoint {
	var out []store.RawPoint
	for _, r := range runs {
		for _, p := range r.pts {
			out = append(out, store.RawPoint{T: p.T, V: p.V, Labels: r.labels})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].T != out[j].T {
			return out[i].T < out[j].T
		}
		return model.CompareLabels(out[i].Labels, out[j].Labels) < 0
	})
	if q.Limit > 0 && len(out) > q.Limit {
		if q.Order == store.OrderAsc {
			out = out[:q.Limit]
		} else {
			out = out[len(out)-q.Limit:]
		}
	}
	return out
}

// acc gathers everything any aggregation needs about one bucket of one group.
type acc struct {
	vals     []float64
	lastT    int64
	lastV    float64
	integral float64
	covered  float64 // seconds
	increase float64
}

func (a *acc) add(p model.Point) {
	if len(a.vals) == 0 || p.T > a.lastT || (p.T == a.lastT && p.V > a.lastV) {
		a.lastT, a.lastV = p.T, p.V
	}
	a.vals = append(a.vals, p.V)
}

func groups(runs []run, q *store.Query, meta model.MetricMeta) []store.Group {
	fold := func(a *acc, pts []model.Point, i int) {
		a.add(pts[i])
		addPair(a, pts, i, meta)
	}
	val := func(a *acc, bucketMs int64) float64 { return value(a, q, bucketMs) }
	count := func(a *acc) int64 { return int64(len(a.vals)) }
	return cellGroups(runs, q, fold, val, count)
}

// cellGroups puts every point of the runs into the cell of its group and bucket and into the
// group's whole-range cell (fold updates a cell with point i of a series), then renders each
// group: its whole-range value and, with an interval or for rate, its non-empty buckets.
func cellGroups[C any](runs []run, q *store.Query, fold func(c *C, pts []model.Point, i int),
	value func(c *C, bucketMs int64) float64, count func(c *C) int64) []store.Group {
	type group struct {
		key     []string
		total   *C
		buckets map[int64]*C
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
			g = &group{key: key, total: new(C), buckets: map[int64]*C{}}
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
				b = new(C)
				g.buckets[bt] = b
			}
			fold(b, r.pts, i)
			fold(g.total, r.pts, i)
		}
	}
	out := make([]store.Group, 0, len(order))
	for _, g := range order {
		sg := store.Group{Key: g.key, Count: count(g.total), Value: value(g.total, q.End-q.Start)}
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
				sg.Buckets = append(sg.Buckets, store.Bucket{T: t, Value: value(b, bl), Count: count(b)})
			}
		}
		out = append(out, sg)
	}
	return store.RankGroups(out, q.Order, q.Limit)
}

// addPair adds what point i contributes to pair-based aggregations.
func addPair(a *acc, pts []model.Point, i int, meta model.MetricMeta) {
	p := pts[i]
	if meta.Temporality == model.TemporalityDelta {
		a.increase += p.V
	}
	if i == 0 {
		return
	}
	prev := pts[i-1]
	dt := float64(p.T-prev.T) / 1000
	a.integral += (p.V + prev.V) / 2 * dt
	a.covered += dt
	if meta.Temporality == model.TemporalityDelta {
		return
	}
	inc := p.V - prev.V
	restarted := p.Start != 0 && p.Start != prev.Start
	if restarted || (inc < 0 && meta.Type != model.TypeUpDownCounter) {
		inc = p.V // a reset: a new start time, or a counter that went down (as Prometheus)
	}
	a.increase += inc
}

func value(a *acc, q *store.Query, bucketMs int64) float64 {
	if q.Kind == store.KindRate {
		if bucketMs <= 0 {
			return 0
		}
		return a.increase / (float64(bucketMs) / 1000)
	}
	vs := a.vals
	switch q.Agg.Func {
	case store.AggSum:
		return sum(vs)
	case store.AggCount:
		return float64(len(vs))
	case store.AggMin:
		m := math.Inf(1)
		for _, v := range vs {
			m = math.Min(m, v)
		}
		return m
	case store.AggMax:
		m := math.Inf(-1)
		for _, v := range vs {
			m = math.Max(m, v)
		}
		return m
	case store.AggLast:
		return a.lastV
	case store.AggPercentile:
		s := append([]float64(nil), vs...)
		sort.Float64s(s)
		return s[store.NearestRank(q.Agg.Percentile, len(s))]
	case store.AggIntegral:
		return a.integral
	case store.AggTWA:
		if a.covered == 0 {
			return sum(vs) / float64(len(vs))
		}
		return a.integral / a.covered
	}
	return sum(vs) / float64(len(vs)) // avg
}

func sum(vs []float64) float64 {
	s := 0.0
	for _, v := range vs {
		s += v
	}
	return s
}
