package clickhousestore

import (
	"context"
	"sort"
	"strings"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// pairs answers rate, integral and twa, which walk each series' consecutive points. Per series
// (18.16 has no window functions), innermost first:
//  1. groupArray of ts_ms, value (and ver, start_ms when needed), min and max writer;
//  2. sort by time; when a series may hold a rewritten timestamp, by (ts, ver) keeping the last
//     of equal timestamps (last write wins);
//  3. arrayJoin the point index j: the pair (j-1, j) belongs to the bucket of t[j] and adds its
//     increase (reset-aware), trapezoid area and covered seconds;
//  4. sum per (group, bucket), with the points and series for the statistics.
//
// Go then turns the sums into rates (increase / bucket seconds), integrals or twa.
//
// De-duplication needs no scan here: the statement sorts by (ts, ver) and drops overwritten
// points itself when the rewrites table lists a series in range, or when it finds a series
// written by more than one writer epoch (then it runs again that way). Both are rare, and
// sorting by time alone is cheaper. Likewise a rate over a cumulative metric reads each point's
// start time only when some series' start time changes in the range (a restart), which the
// first run reports.
func (p *plan) pairs(ctx context.Context) (*store.Result, error) {
	d, err := p.rewriteCandidates(ctx)
	if err != nil {
		return nil, err
	}
	dedup := !d.empty()
	starts := false
	guard := true
	for {
		qctx := ctx
		if guard {
			qctx = p.guarded(ctx)
		}
		groups, st, multi, restarts, err := p.pairsRun(qctx, dedup, starts)
		if err != nil {
			if !guard || !isReadLimit(err) {
				return nil, err
			}
			// over the read guard: count exactly before refusing
			exact, _, err := p.exactScan(ctx)
			if err != nil {
				return nil, err
			}
			if err := p.checkMaxPoints(exact.points); err != nil {
				return nil, err
			}
			guard = false
			continue
		}
		if (multi && !dedup) || (restarts && !starts) {
			dedup, starts = dedup || multi, starts || restarts
			continue
		}
		if err := p.checkMaxPoints(st.points); err != nil {
			return nil, err
		}
		return &store.Result{Groups: groups, SeriesScanned: int64(st.series), PointsScanned: int64(st.points)}, nil
	}
}

// pairsRun runs the statement; multi reports a series written by several writer epochs, restarts
// (for a rate over a cumulative metric, unless starts) a series whose start time changes in the
// range: only then can a pair be a restart, and only then does the statement need each point's
// start time (an array per series: 10-15% of a rate).
func (p *plan) pairsRun(ctx context.Context, dedup, starts bool) (groups []store.Group, st stats, multi, restarts bool, err error) {
	keys := selectKeys(p.keyNames)
	needStarts := p.q.Kind == store.KindRate && p.meta.Temporality != model.TemporalityDelta
	starts = starts && needStarts
	perSeriesCols := "series_id, groupArray(ts_ms) AS t0, groupArray(value) AS v0, min(writer) AS sw0, max(writer) AS sw1, " +
		"min(start_ms) != max(start_ms) AS srs"
	if starts {
		perSeriesCols += ", groupArray(start_ms) AS s0"
	}
	if dedup {
		perSeriesCols += ", groupArray(ver) AS r0"
	}
	perSeries := "SELECT " + selectKeys(p.keyCols) + perSeriesCols + " FROM " + p.s.t.samples + p.join(p.s.t.seriesLocal) +
		" WHERE " + p.where + groupBy(p.keyNames, "series_id")
	var deduped string
	if !dedup {
		deduped = "SELECT " + keys + "sw0, sw1, srs, arraySort(t0) AS t, arraySort((y, x) -> x, v0, t0) AS v"
		if starts {
			deduped += ", arraySort((y, x) -> x, s0, t0) AS s"
		}
	} else {
		// No lambda reads a column it does not take as an argument: 18.16 then drops that
		// column from the subquery ("Unknown identifier"). keep marks the last of equal
		// timestamps by comparing each with its successor (-1 after the end: ts_ms is never
		// negative).
		deduped = "SELECT " + keys + "sw0, sw1, srs, " +
			"arraySort((x, r) -> (x, r), t0, r0) AS ts, arraySort((y, x, r) -> (x, r), v0, t0, r0) AS vs, " +
			"arrayMap((a, b) -> a != b, ts, arrayPushBack(arrayPopFront(ts), -1)) AS keep, " +
			"arrayFilter((x, k) -> k, ts, keep) AS t, arrayFilter((x, k) -> k, vs, keep) AS v"
		if starts {
			deduped += ", arrayFilter((x, k) -> k, arraySort((y, x, r) -> (x, r), s0, t0, r0), keep) AS s"
		}
	}
	deduped += " FROM (" + perSeries + ")"
	points := "SELECT " + keys + "arrayJoin(arrayEnumerate(t)) AS j, " + p.bucketExpr("t[j]") + " AS b, " +
		p.increaseExpr(starts) + " AS inc, " +
		"if(j = 1, 0, (v[j] + v[j - 1]) / 2 * ((t[j] - t[j - 1]) / 1000)) AS integ, " +
		"if(j = 1, 0, (t[j] - t[j - 1]) / 1000) AS cov, v[j] AS val, " +
		"if(j = 1, length(t), 0) AS np, j = 1 AS first, sw0 != sw1 AS multi, srs FROM (" + deduped + ")"
	sql := "SELECT " + keys + "b, sum(inc), sum(integ), sum(cov), sum(val), count(), sum(np), sum(first), max(multi), max(srs) FROM (" + points + ")" + groupBy(p.keyNames, "b")

	rows, err := p.s.conn.Query(ctx, sql)
	if err != nil {
		return nil, stats{}, false, false, p.s.queryError(ctx, "per-series aggregate", err)
	}
	defer rows.Close()
	type acc struct {
		inc, integ, cov, sum float64
		n                    int64
	}
	type group struct {
		key     []string
		total   acc
		buckets map[int64]*acc
	}
	byKey := map[string]*group{}
	for rows.Next() {
		key := make([]string, len(p.keyNames))
		dest := make([]any, 0, len(key)+9)
		for i := range key {
			dest = append(dest, &key[i])
		}
		var b int64
		var a acc
		var n, np, first uint64
		var m, rs uint8
		dest = append(dest, &b, &a.inc, &a.integ, &a.cov, &a.sum, &n, &np, &first, &m, &rs)
		if err := rows.Scan(dest...); err != nil {
			return nil, stats{}, false, false, p.s.queryError(ctx, "per-series aggregate", err)
		}
		a.n = int64(n)
		st.points += np
		st.series += first
		multi = multi || m != 0
		restarts = restarts || (rs != 0 && needStarts)
		ks := store.GroupKeyString(key)
		g := byKey[ks]
		if g == nil {
			g = &group{key: key, buckets: map[int64]*acc{}}
			byKey[ks] = g
		}
		g.buckets[b] = &a
		g.total.inc += a.inc
		g.total.integ += a.integ
		g.total.cov += a.cov
		g.total.sum += a.sum
		g.total.n += a.n
	}
	if err := rows.Err(); err != nil {
		return nil, stats{}, false, false, p.s.queryError(ctx, "per-series aggregate", err)
	}
	value := func(a *acc, bucketMs int64) float64 {
		switch {
		case p.q.Kind == store.KindRate:
			if bucketMs <= 0 {
				return 0
			}
			return a.inc / (float64(bucketMs) / 1000)
		case p.q.Agg.Func == store.AggIntegral:
			return a.integ
		case a.cov == 0: // twa of single points: their mean
			return a.sum / float64(a.n)
		}
		return a.integ / a.cov
	}
	bucketMs := p.q.Interval
	if bucketMs == 0 {
		bucketMs = p.q.End - p.q.Start
	}
	out := make([]store.Group, 0, len(byKey))
	for _, g := range byKey {
		sg := store.Group{Key: g.key, Count: g.total.n, Value: value(&g.total, p.q.End-p.q.Start)}
		if p.q.Interval > 0 || p.q.Kind == store.KindRate {
			for t, a := range g.buckets {
				sg.Buckets = append(sg.Buckets, store.Bucket{T: t, Value: value(a, bucketMs), Count: a.n})
			}
			sort.Slice(sg.Buckets, func(i, j int) bool { return sg.Buckets[i].T < sg.Buckets[j].T })
		}
		out = append(out, sg)
	}
	return store.RankGroups(snapTies(out), p.q.Order, p.q.Limit), st, multi, restarts, nil
}

// increaseExpr is what point j adds to a rate: a delta sum adds every delta; otherwise the pair
// (j-1, j) adds its difference, and a reset counts the new value as the increase (as
// Prometheus does): a start time that differs from the previous point's (starts: the s array
// holds them, 0 = unknown), or, except for an updowncounter, which keeps decreases, a drop.
func (p *plan) increaseExpr(starts bool) string {
	restart := ""
	if starts {
		restart = "(s[j] != 0 AND s[j] != s[j - 1]) OR "
	}
	switch {
	case p.meta.Temporality == model.TemporalityDelta:
		return "v[j]"
	case p.meta.Type == model.TypeUpDownCounter:
		if starts {
			return "if(j = 1, 0, if(" + strings.TrimSuffix(restart, " OR ") + ", v[j], v[j] - v[j - 1]))"
		}
		return "if(j = 1, 0, v[j] - v[j - 1])"
	}
	return "if(j = 1, 0, if(" + restart + "v[j] - v[j - 1] < 0, v[j], v[j] - v[j - 1]))"
}
