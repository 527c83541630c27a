package badgerstore

import (
	"context"
	"slices"
	"sort"

	"github.com/luminate-metrics/luminate/internal/histblock"
	"github.com/luminate-metrics/luminate/internal/histogram"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// maxHistCells bounds groups x buckets for histogram queries (a merged histogram per cell).
const maxHistCells = 250_000

// queryHistograms answers a query on a histogram metric: per series, each point becomes the
// observations since the previous one (see observations), and each (group, bucket) merges them.
func (sc *scan) queryHistograms(ctx context.Context, meta model.MetricMeta) (*store.Result, error) {
	if err := store.CheckHistogramQuery(sc.q); err != nil {
		return nil, err
	}
	nw := min(sc.s.workers, max(1, len(sc.p.chunks)))
	evs := make([]*histEvaluator, nw)
	for i := range evs {
		var err error
		if evs[i], err = newHistEvaluator(sc.q, meta, len(sc.p.keys)); err != nil {
			return nil, err
		}
	}
	type scratch struct {
		pts, sorted []histblock.Point
		seek        []byte
		dec         histblock.Decoder
	}
	scr := make([]scratch, nw)
	err := sc.forChunks(ctx, nw, pfxHistBlock, func(w int, it badgerIterator, chunk uint32) error {
		hs := &scr[w]
		hs.pts = hs.pts[:0]
		hs.dec.Reset() // the previous chunk is folded: its histograms are free
		err := sc.blocks(it, pfxHistBlock, chunk, &hs.seek, func(v []byte) error {
			var err error
			hs.pts, err = hs.dec.Unmarshal(hs.pts, v)
			return err
		})
		if err != nil {
			return err
		}
		base := chunk << chunkBits
		keep := func(p *histblock.Point) bool {
			sid := base + p.SID
			return p.T >= sc.q.Start && p.T <= sc.q.End && int(sid) < len(sc.p.groupOf) && sc.p.groupOf[sid] >= 0
		}
		var n int
		hs.sorted, n = regroupHist(hs.sorted, hs.pts, keep, func(sid uint32, run []histblock.Point) {
			evs[w].series(sc.p.groupOf[base+sid], run)
		})
		return sc.guardPoints(n)
	})
	if err != nil {
		return nil, err
	}
	for _, o := range evs[1:] {
		evs[0].merge(o)
	}
	e := evs[0]
	return &store.Result{Groups: e.groups(sc.p.keys), SeriesScanned: e.nSeries, PointsScanned: e.points}, nil
}

// regroupHist is regroup for histogram points: a counting sort by chunk-local series, then each
// run in time order with one point per timestamp (the last written). It is regroup's twin over
// another point type, kept apart so the hot value path stays free of indirect calls.
func regroupHist(dst, pts []histblock.Point, keep func(*histblock.Point) bool, fn func(sid uint32, run []histblock.Point)) ([]histblock.Point, int) {
	var off [chunkSize + 1]int
	n := 0
	for i := range pts {
		if keep(&pts[i]) {
			off[pts[i].SID+1]++
			n++
		}
	}
	if n == 0 {
		return dst, 0
	}
	for i := 1; i <= chunkSize; i++ {
		off[i] += off[i-1]
	}
	dst = slices.Grow(dst[:0], n)[:n]
	pos := off
	for i := range pts {
		if keep(&pts[i]) {
			dst[pos[pts[i].SID]] = pts[i]
			pos[pts[i].SID]++
		}
	}
	for sid := range chunkSize {
		run := dst[off[sid]:off[sid+1]]
		if len(run) == 0 {
			continue
		}
		sort.SliceStable(run, func(i, j int) bool { return run[i].T < run[j].T })
		out := run[:0]
		for i, p := range run {
			if i+1 < len(run) && run[i+1].T == p.T {
				continue
			}
			out = append(out, p)
		}
		fn(uint32(sid), out)
	}
	return dst, n
}

// observations is what point i of a series run adds: a delta point itself; for a cumulative
// series the difference to the previous point, the point itself after a reset (new start time,
// a count going down, changed buckets), and for the first point in range the point itself only
// if the series started inside the range.
// The result may be scratch, valid until the next call with the same scratch.
func observations(run []histblock.Point, i int, rangeStart int64, meta model.MetricMeta, scratch *model.Histogram) *model.Histogram {
	p := &run[i]
	if meta.Temporality == model.TemporalityDelta {
		return p.H
	}
	if i == 0 {
		if p.Start != 0 && p.Start >= rangeStart {
			return p.H
		}
		return nil
	}
	prev := &run[i-1]
	if p.Start != 0 && p.Start != prev.Start {
		return p.H
	}
	if histogram.DeltaInto(scratch, p.H, prev.H) {
		return scratch
	}
	return p.H
}

type histCell struct {
	acc    histogram.Acc
	points int64
}

type histEvaluator struct {
	layout
	meta    model.MetricMeta
	cells   []histCell
	points  int64
	nSeries int64
	buckets bool // the aggregation reads buckets (a percentile); else count and sum suffice
	scratch model.Histogram
}

func newHistEvaluator(q *store.Query, meta model.MetricMeta, groups int) (*histEvaluator, error) {
	l, n, err := newLayout(q, groups, maxHistCells, "merged histograms")
	if err != nil {
		return nil, err
	}
	needBuckets := q.Kind != store.KindRate && q.Agg.Func == store.AggPercentile
	return &histEvaluator{layout: l, meta: meta, cells: make([]histCell, n), buckets: needBuckets}, nil
}

func (e *histEvaluator) series(g int32, run []histblock.Point) {
	e.nSeries++
	e.points += int64(len(run))
	total := e.total(int(g))
	for i := range run {
		d := observations(run, i, e.q.Start, e.meta, &e.scratch)
		e.add(e.cell(g, run[i].T), d)
		if e.bucketd {
			e.add(total, d)
		}
	}
}

func (e *histEvaluator) add(ci int, d *model.Histogram) {
	c := &e.cells[ci]
	c.points++
	switch {
	case d == nil:
	case e.buckets:
		c.acc.Add(d)
	default:
		c.acc.AddCount(d)
	}
}

func (e *histEvaluator) merge(o *histEvaluator) {
	e.points += o.points
	e.nSeries += o.nSeries
	for i := range o.cells {
		e.cells[i].points += o.cells[i].points
		e.cells[i].acc.Merge(&o.cells[i].acc)
	}
}

func (e *histEvaluator) groups(keys [][]string) []store.Group {
	out := make([]store.Group, 0, len(keys))
	points := func(ci int) int64 { return e.cells[ci].points }
	for g, key := range keys {
		if sg, ok := e.group(key, g, e.value, points); ok {
			out = append(out, sg)
		}
	}
	return store.RankGroups(out, e.q.Order, e.q.Limit)
}

func (e *histEvaluator) value(ci int, bucketMs int64) float64 {
	return store.HistValue(&e.cells[ci].acc, e.q, bucketMs)
}
