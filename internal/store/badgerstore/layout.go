package badgerstore

import (
	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/store"
)

// layout places the cells of a query's evaluator: per group, one cell per interval bucket plus
// one for the whole range when the query has an interval (limit/order rank groups by it), or a
// single cell without interval.
type layout struct {
	q       *store.Query
	nb      int   // buckets per group
	stride  int   // cells per group
	first   int64 // start of the first bucket
	bucketd bool
}

// newLayout sizes the cells of groups groups and refuses more than maxCells, naming what a
// cell holds in the message.
func newLayout(q *store.Query, groups, maxCells int, what string) (layout, int, error) {
	l := layout{q: q, nb: 1, stride: 1, first: q.Start}
	if q.Interval > 0 {
		l.bucketd = true
		l.first = store.BucketStart(q.Start, q.Interval)
		l.nb = int((store.BucketStart(q.End, q.Interval)-l.first)/q.Interval) + 1
		l.stride = l.nb + 1
	}
	n := groups * l.stride
	if n > maxCells || n < 0 {
		return l, 0, apierror.New(apierror.QueryTooLarge,
			"query needs %d groups x %d buckets = %d %s, more than the maximum of %d; add filters, a coarser interval or a shorter range",
			groups, l.nb, n, what, maxCells)
	}
	return l, n, nil
}

// cell is the index of the bucket holding t in group g.
func (l *layout) cell(g int32, t int64) int {
	ci := int(g) * l.stride
	if l.bucketd {
		ci += int((store.BucketStart(t, l.q.Interval) - l.first) / l.q.Interval)
	}
	return ci
}

// total is the whole-range cell of group g (without interval, its only cell).
func (l *layout) total(g int) int {
	if l.bucketd {
		return g*l.stride + l.nb
	}
	return g * l.stride
}

// group turns the cells of group g into a result group: value reads a cell with the length in
// ms of the interval it covers, points counts its raw points; buckets without points are left
// out.
func (l *layout) group(key []string, g int, value func(ci int, ms int64) float64, points func(ci int) int64) (store.Group, bool) {
	total := l.total(g)
	if points(total) == 0 {
		return store.Group{}, false
	}
	sg := store.Group{Key: key, Count: points(total), Value: value(total, l.q.End-l.q.Start)}
	switch {
	case l.bucketd:
		base := g * l.stride
		for b := range l.nb {
			if n := points(base + b); n > 0 {
				sg.Buckets = append(sg.Buckets, store.Bucket{T: l.first + int64(b)*l.q.Interval, Value: value(base+b, l.q.Interval), Count: n})
			}
		}
	case l.q.Kind == store.KindRate:
		sg.Buckets = []store.Bucket{{T: l.q.Start, Value: sg.Value, Count: sg.Count}}
	}
	return sg, true
}
