package clickhousestore

import (
	"context"
	"sort"

	"github.com/luminate-metrics/luminate/internal/histogram"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// histograms answers a query on a histogram metric. The filtered, time-bounded rows of the
// histograms table (one per point: count, sum, min, max and the buckets) are read into Go per
// series, with their group key, and evaluated with internal/histogram exactly as the reference
// engine does (memstore/histogram.go):
//
//   - per series, points in time order, one per timestamp (the highest ver: last write wins);
//   - each point becomes the observations since the previous point of its series: for delta
//     temporality the point itself; for cumulative the difference to the previous point in
//     range, the point itself after a reset (a new start time, a count going down, changed
//     buckets), and for the first point in range the point itself only when its series started
//     inside the range (else it only opens the series);
//   - a bucket merges those deltas of its group (count, sum, avg and pNN read the merge, min
//     and max the points' known min and max, rate is observations per second); count in the
//     result is the raw points.
//
// Merging buckets in SQL would need the exponential downscaling and the re-bucketing of
// different explicit bounds, which 18.16 cannot express reasonably; histogram points are far
// fewer than value points (one per series and interval, each carrying its buckets), so the
// rows travel to Go instead. The statement is guarded by max_points like the others.
func (p *plan) histograms(ctx context.Context) (*store.Result, error) {
	if err := p.checkHistogramPoints(ctx); err != nil {
		return nil, err
	}
	sql := "SELECT " + selectKeys(p.keyCols) + "series_id, ts_ms, ver, start_ms, flags, count, sum, min, max, bounds, bucket_counts, " +
		"scale, zero_count, zero_threshold, positive_offset, positive_counts, negative_offset, negative_counts FROM " +
		p.s.t.histograms + p.join(p.s.t.seriesLocal) + " WHERE " + p.where
	rows, err := p.s.conn.Query(ctx, sql)
	if err != nil {
		return nil, p.s.queryError(ctx, "histograms", err)
	}
	defer rows.Close()
	type point struct {
		t, start int64
		ver      uint64
		h        *model.Histogram
	}
	type series struct {
		key []string
		pts []point
	}
	bySeries := map[uint64]*series{}
	for rows.Next() {
		key := make([]string, len(p.keyNames))
		var sid uint64
		var pt point
		var flags uint8
		h := &model.Histogram{}
		dest := make([]any, 0, len(key)+18)
		for i := range key {
			dest = append(dest, &key[i])
		}
		dest = append(dest, &sid, &pt.t, &pt.ver, &pt.start, &flags, &h.Count, &h.Sum, &h.Min, &h.Max, &h.Bounds, &h.Counts,
			&h.Scale, &h.ZeroCount, &h.ZeroThreshold, &h.PosOffset, &h.Pos, &h.NegOffset, &h.Neg)
		if err := rows.Scan(dest...); err != nil {
			return nil, p.s.queryError(ctx, "histograms", err)
		}
		h.HasSum, h.HasMin, h.HasMax, h.Exp = flags&histHasSum != 0, flags&histHasMin != 0, flags&histHasMax != 0, flags&histExp != 0
		pt.h = h
		sr := bySeries[sid]
		if sr == nil {
			sr = &series{key: key}
			bySeries[sid] = sr
		}
		sr.pts = append(sr.pts, pt)
	}
	if err := rows.Err(); err != nil {
		return nil, p.s.queryError(ctx, "histograms", err)
	}

	res := &store.Result{}
	cells := newHistCells(p.q)
	for _, sr := range bySeries {
		sort.Slice(sr.pts, func(i, j int) bool {
			if sr.pts[i].t != sr.pts[j].t {
				return sr.pts[i].t < sr.pts[j].t
			}
			return sr.pts[i].ver < sr.pts[j].ver
		})
		pts := make([]model.Point, 0, len(sr.pts))
		for i, x := range sr.pts {
			if i+1 < len(sr.pts) && sr.pts[i+1].t == x.t {
				continue // a later write of the same timestamp follows
			}
			pts = append(pts, model.Point{T: x.t, Start: x.start, Hist: x.h})
		}
		res.SeriesScanned++
		res.PointsScanned += int64(len(pts))
		cells.series(sr.key, pts, p.meta)
	}
	if err := p.checkMaxPoints(uint64(res.PointsScanned)); err != nil {
		return nil, err
	}
	res.Groups = cells.groups()
	return res, nil
}

// checkHistogramPoints applies max_points before the rows are read: rows in range are an upper
// bound of the points; only when that is over the limit are distinct (series, timestamp) counted.
func (p *plan) checkHistogramPoints(ctx context.Context) error {
	if p.q.MaxPoints <= 0 {
		return nil
	}
	var n uint64
	if err := p.s.conn.QueryRow(ctx, "SELECT count() FROM "+p.s.t.histograms+" WHERE "+p.where).Scan(&n); err != nil {
		return p.s.queryError(ctx, "histogram count", err)
	}
	if int64(n) <= p.q.MaxPoints {
		return nil
	}
	sql := "SELECT count() FROM (SELECT series_id, ts_ms FROM " + p.s.t.histograms + " WHERE " + p.where + " GROUP BY series_id, ts_ms)"
	if err := p.s.conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		return p.s.queryError(ctx, "histogram count", err)
	}
	return p.checkMaxPoints(n)
}

// histCells folds histogram points into groups and buckets as memstore's cellGroups does.
type histCells struct {
	q      *store.Query
	byKey  map[string]*histGroup
	groupN []*histGroup
}

type histGroup struct {
	key     []string
	total   histCell
	buckets map[int64]*histCell
}

type histCell struct {
	acc    histogram.Acc
	points int64
}

func newHistCells(q *store.Query) *histCells {
	return &histCells{q: q, byKey: map[string]*histGroup{}}
}

// series adds one series' points (time order, one per timestamp, all in range) to its group.
func (c *histCells) series(key []string, pts []model.Point, meta model.MetricMeta) {
	ks := store.GroupKeyString(key)
	g := c.byKey[ks]
	if g == nil {
		g = &histGroup{key: key, buckets: map[int64]*histCell{}}
		c.byKey[ks] = g
		c.groupN = append(c.groupN, g)
	}
	for i := range pts {
		bt := c.q.Start
		if c.q.Interval > 0 {
			bt = store.BucketStart(pts[i].T, c.q.Interval)
		}
		b := g.buckets[bt]
		if b == nil {
			b = &histCell{}
			g.buckets[bt] = b
		}
		d := store.HistObservations(pts, i, c.q.Start, meta)
		for _, cell := range []*histCell{b, &g.total} {
			cell.points++
			if d != nil {
				cell.acc.Add(d)
			}
		}
	}
}

func (c *histCells) groups() []store.Group {
	q := c.q
	out := make([]store.Group, 0, len(c.groupN))
	for _, g := range c.groupN {
		sg := store.Group{Key: g.key, Count: g.total.points, Value: store.HistValue(&g.total.acc, q, q.End-q.Start)}
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
				sg.Buckets = append(sg.Buckets, store.Bucket{T: t, Value: store.HistValue(&b.acc, q, bl), Count: b.points})
			}
		}
		out = append(out, sg)
	}
	return store.RankGroups(snapTies(out), q.Order, q.Limit)
}
