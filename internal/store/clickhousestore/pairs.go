package clickhousestore

import (
	"context"
	"sort"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// pairs answers rate, integral and twa, which walk each series' consecutive points. Per series
// (18.16 has no window functions), innermost first:
//  1. groupArray of ts_ms, value and ver;
//  2. sort by time; when the scan pass found rewritten timestamps, by (ts, ver) keeping the
//     last of equal timestamps (last write wins);
//  3. arrayJoin the point index j: the pair (j-1, j) belongs to the bucket of t[j] and adds its
//     increase (reset-aware), trapezoid area and covered seconds;
//  4. sum per (group, bucket).
//
// Go then turns the sums into rates (increase / bucket seconds), integrals or twa.
func (p *plan) pairs(ctx context.Context, st scanStats) ([]store.Group, error) {
	keys := selectKeys(p.keyNames)
	var deduped string
	if st.dupSeries == 0 {
		// the scan pass found no rewritten timestamp: sorting by time is enough
		perSeries := "SELECT " + selectKeys(p.keyCols) + "series_id, groupArray(ts_ms) AS t0, groupArray(value) AS v0 FROM " +
			p.s.t.samples + p.join(p.s.t.seriesLocal) + " WHERE " + p.where + groupBy(p.keyNames, "series_id")
		deduped = "SELECT " + keys + "arraySort(t0) AS t, arraySort((y, x) -> x, v0, t0) AS v FROM (" + perSeries + ")"
	} else {
		// No lambda reads a column it does not take as an argument: 18.16 then drops that
		// column from the subquery ("Unknown identifier"). keep marks the last of equal
		// timestamps by comparing each with its successor (-1 after the end: ts_ms is never
		// negative).
		perSeries := "SELECT " + selectKeys(p.keyCols) + "series_id, groupArray(ts_ms) AS t0, groupArray(value) AS v0, groupArray(ver) AS r0 FROM " +
			p.s.t.samples + p.join(p.s.t.seriesLocal) + " WHERE " + p.where + groupBy(p.keyNames, "series_id")
		deduped = "SELECT " + keys +
			"arraySort((x, r) -> (x, r), t0, r0) AS ts, arraySort((y, x, r) -> (x, r), v0, t0, r0) AS vs, " +
			"arrayMap((a, b) -> a != b, ts, arrayPushBack(arrayPopFront(ts), -1)) AS keep, " +
			"arrayFilter((x, k) -> k, ts, keep) AS t, arrayFilter((x, k) -> k, vs, keep) AS v FROM (" + perSeries + ")"
	}
	points := "SELECT " + keys + "arrayJoin(arrayEnumerate(t)) AS j, " + p.bucketExpr("t[j]") + " AS b, " +
		p.increaseExpr() + " AS inc, " +
		"if(j = 1, 0, (v[j] + v[j - 1]) / 2 * ((t[j] - t[j - 1]) / 1000)) AS integ, " +
		"if(j = 1, 0, (t[j] - t[j - 1]) / 1000) AS cov, v[j] AS val FROM (" + deduped + ")"
	sql := "SELECT " + keys + "b, sum(inc), sum(integ), sum(cov), sum(val), count() FROM (" + points + ")" + groupBy(p.keyNames, "b")

	rows, err := p.s.conn.Query(ctx, sql)
	if err != nil {
		return nil, p.s.queryError(ctx, "per-series aggregate", err)
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
		dest := make([]any, 0, len(key)+6)
		for i := range key {
			dest = append(dest, &key[i])
		}
		var b int64
		var a acc
		var n uint64
		dest = append(dest, &b, &a.inc, &a.integ, &a.cov, &a.sum, &n)
		if err := rows.Scan(dest...); err != nil {
			return nil, p.s.queryError(ctx, "per-series aggregate", err)
		}
		a.n = int64(n)
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
		return nil, p.s.queryError(ctx, "per-series aggregate", err)
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
	return store.RankGroups(snapTies(out), p.q.Order, p.q.Limit), nil
}

// increaseExpr is what point j adds to a rate: a delta sum adds every delta; otherwise the pair
// (j-1, j) adds its difference, and a drop is a counter reset (the new value is the increase,
// as Prometheus does) except for an updowncounter, which keeps decreases.
func (p *plan) increaseExpr() string {
	switch {
	case p.meta.Temporality == model.TemporalityDelta:
		return "v[j]"
	case p.meta.Type == model.TypeUpDownCounter:
		return "if(j = 1, 0, v[j] - v[j - 1])"
	}
	return "if(j = 1, 0, if(v[j] - v[j - 1] < 0, v[j], v[j] - v[j - 1]))"
}
