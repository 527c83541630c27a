package badgerstore

import (
	"math"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/sampleblock"
	"github.com/luminate-metrics/luminate/internal/store"
)

// maxCells bounds groups x buckets per query (each cell is ~48 bytes per worker).
const maxCells = 2_000_000

// cell folds the points of one (group, bucket).
type cell struct {
	count    int64
	sum      float64
	min, max float64
	lastT    int64
	lastV    float64
}

// pairCell holds what rate, integral and twa need: sums over consecutive pairs.
type pairCell struct {
	integral float64
	covered  float64 // seconds
	increase float64
}

// evaluator folds time-ordered, de-duplicated series runs into cells. The semantics are the
// ones written down in memstore.Query; the storage suite checks that both agree.
type evaluator struct {
	layout
	meta    model.MetricMeta
	cells   []cell
	pairs   []pairCell  // nil unless the aggregation walks pairs
	vals    [][]float64 // nil unless a percentile
	points  int64
	nSeries int64
}

func newEvaluator(q *store.Query, meta model.MetricMeta, groups int) (*evaluator, error) {
	l, n, err := newLayout(q, groups, maxCells, "cells")
	if err != nil {
		return nil, err
	}
	e := &evaluator{layout: l, meta: meta}
	e.cells = make([]cell, n)
	if q.Kind == store.KindRate || q.Agg.Func == store.AggIntegral || q.Agg.Func == store.AggTWA {
		e.pairs = make([]pairCell, n)
	}
	if q.Kind != store.KindRate && q.Agg.Func == store.AggPercentile {
		e.vals = make([][]float64, n)
	}
	return e, nil
}

// series folds one run of a series in group g; run is sorted by time, one point per timestamp,
// all inside the query range.
func (e *evaluator) series(g int32, run []sampleblock.Point) {
	if len(run) == 0 {
		return
	}
	e.nSeries++
	e.points += int64(len(run))
	total := e.total(int(g))
	delta := e.meta.Temporality == model.TemporalityDelta
	for i, p := range run {
		ci := e.cell(g, p.T)
		e.add(ci, p)
		if e.bucketd {
			e.add(total, p)
		}
		if e.pairs == nil {
			continue
		}
		var pc pairCell
		if delta {
			pc.increase = p.V
		}
		if i > 0 {
			prev := run[i-1]
			dt := float64(p.T-prev.T) / 1000
			pc.integral = (p.V + prev.V) / 2 * dt
			pc.covered = dt
			if !delta {
				inc := p.V - prev.V
				restarted := p.Start != 0 && p.Start != prev.Start
				if restarted || (inc < 0 && e.meta.Type != model.TypeUpDownCounter) {
					inc = p.V // a reset: a new start time, or a counter that went down
				}
				pc.increase = inc
			}
		}
		e.addPair(ci, pc)
		if e.bucketd {
			e.addPair(total, pc)
		}
	}
}

func (e *evaluator) add(ci int, p sampleblock.Point) {
	c := &e.cells[ci]
	if c.count == 0 {
		c.min, c.max, c.lastT, c.lastV = p.V, p.V, p.T, p.V
	} else {
		// plain comparisons: values are finite (Append refuses NaN), so math.Min's NaN and
		// signed-zero handling is cost without benefit on the hottest loop of a scan
		if p.V < c.min {
			c.min = p.V
		}
		if p.V > c.max {
			c.max = p.V
		}
		if p.T > c.lastT || (p.T == c.lastT && p.V > c.lastV) {
			c.lastT, c.lastV = p.T, p.V
		}
	}
	c.count++
	c.sum += p.V
	if e.vals != nil {
		e.vals[ci] = append(e.vals[ci], p.V)
	}
}

func (e *evaluator) addPair(ci int, pc pairCell) {
	d := &e.pairs[ci]
	d.integral += pc.integral
	d.covered += pc.covered
	d.increase += pc.increase
}

// merge adds o (another worker's evaluator of the same query) into e.
func (e *evaluator) merge(o *evaluator) {
	e.points += o.points
	e.nSeries += o.nSeries
	for i := range o.cells {
		oc := &o.cells[i]
		if oc.count == 0 {
			continue
		}
		c := &e.cells[i]
		if c.count == 0 {
			*c = *oc
		} else {
			c.count += oc.count
			c.sum += oc.sum
			c.min = math.Min(c.min, oc.min)
			c.max = math.Max(c.max, oc.max)
			if oc.lastT > c.lastT || (oc.lastT == c.lastT && oc.lastV > c.lastV) {
				c.lastT, c.lastV = oc.lastT, oc.lastV
			}
		}
		if e.pairs != nil {
			e.addPair(i, o.pairs[i])
		}
		if e.vals != nil {
			e.vals[i] = append(e.vals[i], o.vals[i]...)
		}
	}
}

// groups turns the cells into ranked result groups.
func (e *evaluator) groups(keys [][]string) []store.Group {
	out := make([]store.Group, 0, len(keys))
	points := func(ci int) int64 { return e.cells[ci].count }
	for g, key := range keys {
		if sg, ok := e.group(key, g, e.value, points); ok {
			out = append(out, sg)
		}
	}
	return store.RankGroups(out, e.q.Order, e.q.Limit)
}

func (e *evaluator) value(ci int, bucketMs int64) float64 {
	c := &e.cells[ci]
	if e.q.Kind == store.KindRate {
		if bucketMs <= 0 {
			return 0
		}
		return e.pairs[ci].increase / (float64(bucketMs) / 1000)
	}
	switch e.q.Agg.Func {
	case store.AggSum:
		return c.sum
	case store.AggCount:
		return float64(c.count)
	case store.AggMin:
		return c.min
	case store.AggMax:
		return c.max
	case store.AggLast:
		return c.lastV
	case store.AggPercentile:
		vs := e.vals[ci]
		return selectNth(vs, store.NearestRank(e.q.Agg.Percentile, len(vs)))
	case store.AggIntegral:
		return e.pairs[ci].integral
	case store.AggTWA:
		if e.pairs[ci].covered == 0 {
			return c.sum / float64(c.count)
		}
		return e.pairs[ci].integral / e.pairs[ci].covered
	}
	return c.sum / float64(c.count)
}

// selectNth returns the k-th smallest value (0-based), reordering vs (quickselect: O(n), where a
// sort of the 300k values of a p95-by-endpoint group costs ~10x more).
func selectNth(vs []float64, k int) float64 {
	lo, hi := 0, len(vs)-1
	for lo < hi {
		// median of three as pivot keeps sorted input linear
		mid := lo + (hi-lo)/2
		if vs[mid] < vs[lo] {
			vs[mid], vs[lo] = vs[lo], vs[mid]
		}
		if vs[hi] < vs[lo] {
			vs[hi], vs[lo] = vs[lo], vs[hi]
		}
		if vs[hi] < vs[mid] {
			vs[hi], vs[mid] = vs[mid], vs[hi]
		}
		pivot := vs[mid]
		i, j := lo, hi
		for i <= j {
			for vs[i] < pivot {
				i++
			}
			for vs[j] > pivot {
				j--
			}
			if i <= j {
				vs[i], vs[j] = vs[j], vs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return vs[k]
		}
	}
	return vs[k]
}
