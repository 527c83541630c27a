package clickhousestore

import (
	"context"
	"math"
	"sort"

	"github.com/luminate-metrics/luminate/internal/store"
)

// fold answers aggregations over raw points (avg, sum, count, min, max, last, percentiles),
// with or without interval buckets, as one GROUP BY that also reports the statistics: per group
// its points, its distinct series (every series belongs to one group, so their sum is
// seriesScanned) and the writers it read. Without interval:
//
//	SELECT d1 AS k0, avg(value) AS v, count(), uniqExact(series_id), min(writer), max(writer) FROM samples WHERE ... GROUP BY k0
//
// With an interval, an inner GROUP BY per (group, bucket) and an outer one per group that keeps
// the buckets as arrays and merges the whole-range value from per-bucket parts (sums and
// counts, the latest (ts, value), or -State/-Merge for percentiles and the series sets).
//
// Every group comes back (no LIMIT in SQL): the statistics need all of them, and re-grouping the
// groups on the server to sum them WITH TOTALS cost more (0.1 s at 100,000 groups) than sending
// them; their number is bounded by the series (query.max_series). They come sorted as
// store.RankGroups sorts (value, then key), so that ranking them in Go (after snapping float
// noise) is a pass over sorted data rather than a sort: 60 ms less at 100,000 groups.
func (p *plan) fold(ctx context.Context, d dupSet) ([]store.Group, stats, error) {
	from, where, wlo, whi := p.source(d)
	join := p.join(p.joinTable(where))
	keys := selectKeys(p.keyCols)
	var stmt string
	if p.q.Interval == 0 {
		stmt = "SELECT " + keys + p.aggExpr() + " AS v, count(), uniqExact(series_id), min(" + wlo + "), max(" + whi + ") FROM " +
			from + join + where + groupBy(p.keyNames)
	} else {
		bv, extra, total := p.bucketAgg()
		buckets := "SELECT " + keys + p.bucketExpr("ts_ms") + " AS b, " + bv + " AS bv, count() AS bn" + extra +
			", uniqExactState(series_id) AS bss, min(" + wlo + ") AS bw0, max(" + whi + ") AS bw1 FROM " + from + join + where + groupBy(p.keyNames, "b")
		stmt = "SELECT " + selectKeys(p.keyNames) + "groupArray(b), groupArray(bv), groupArray(bn), " + total +
			" AS v, sum(bn), uniqExactMerge(bss), min(bw0), max(bw1) FROM (" + buckets + ")" + groupBy(p.keyNames)
	}
	if len(p.keyNames) > 0 {
		stmt += p.orderBy()
	}
	rows, err := p.s.conn.Query(ctx, stmt)
	if err != nil {
		return nil, stats{}, p.s.queryError(ctx, "aggregate", err)
	}
	defer rows.Close()
	var out []store.Group
	st := noWriters
	for rows.Next() {
		g := store.Group{Key: make([]string, len(p.keyNames))}
		dest := make([]any, 0, len(p.keyNames)+8)
		for i := range g.Key {
			dest = append(dest, &g.Key[i])
		}
		var gs stats
		var bts []int64
		var bvs []float64
		var bns []uint64
		if p.q.Interval > 0 {
			dest = append(dest, &bts, &bvs, &bns)
		}
		dest = append(dest, &g.Value, &gs.points, &gs.series, &gs.wmin, &gs.wmax)
		if err := rows.Scan(dest...); err != nil {
			return nil, stats{}, p.s.queryError(ctx, "aggregate", err)
		}
		if gs.points == 0 {
			continue // an aggregate without GROUP BY answers one row even for no data
		}
		st.add(gs)
		g.Count = int64(gs.points)
		for i := range bts {
			g.Buckets = append(g.Buckets, store.Bucket{T: bts[i], Value: bvs[i], Count: int64(bns[i])})
		}
		sort.Slice(g.Buckets, func(i, j int) bool { return g.Buckets[i].T < g.Buckets[j].T })
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, stats{}, p.s.queryError(ctx, "aggregate", err)
	}
	return store.RankGroups(snapTies(out), p.q.Order, p.q.Limit), st, nil
}

// aggExpr is the aggregate over raw values.
func (p *plan) aggExpr() string {
	switch p.q.Agg.Func {
	case store.AggSum:
		return "sum(value)"
	case store.AggCount:
		return "toFloat64(count())"
	case store.AggMin:
		return "min(value)"
	case store.AggMax:
		return "max(value)"
	case store.AggLast:
		// the latest timestamp; between series with a point there, the largest value
		return "tupleElement(max((ts_ms, value)), 2)"
	case store.AggPercentile:
		return "quantileExact(" + float(quantileLevel(p.q.Agg.Percentile)) + ")(value)"
	}
	return "avg(value)"
}

// bucketAgg returns the per-bucket value, extra per-bucket columns, and the outer expression
// that merges buckets into the whole-range value.
func (p *plan) bucketAgg() (bv, extra, total string) {
	switch p.q.Agg.Func {
	case store.AggSum:
		return "sum(value)", "", "sum(bv)"
	case store.AggCount:
		return "toFloat64(count())", "", "toFloat64(sum(bn))"
	case store.AggMin:
		return "min(value)", "", "min(bv)"
	case store.AggMax:
		return "max(value)", "", "max(bv)"
	case store.AggLast:
		return "tupleElement(bl, 2)", ", max((ts_ms, value)) AS bl", "tupleElement(max(bl), 2)"
	case store.AggPercentile:
		l := float(quantileLevel(p.q.Agg.Percentile))
		return "quantileExact(" + l + ")(value)", ", quantileExactState(" + l + ")(value) AS bst", "quantileExactMerge(" + l + ")(bst)"
	}
	return "avg(value)", ", sum(value) AS bs", "sum(bs) / sum(bn)"
}

// quantileLevel maps api.md's nearest rank to ClickHouse's quantileExact, which returns the
// element at 0-based index floor(level * n) where nearest rank wants ceil(p/100 * n) - 1. The
// two agree unless p/100 * n is an integer, where quantileExact is one element higher; a level
// lowered by 1e-12 moves exactly those cases down by one. That is exact while 1e-12 * n stays
// below the smallest fractional part p/100 * n can have otherwise: 1e-3 for api.md's pNN.N
// percentiles, so up to 1e9 points per group; past that a rank may be off by one (a relative
// error far below api.md's 1%).
func quantileLevel(p float64) float64 {
	return math.Max(p/100-1e-12, 0)
}

// snapTies makes values that differ only by float noise (summation order differs between
// engines) equal, so that ties are broken by key as store.RankGroups does on every engine.
func snapTies(gs []store.Group) []store.Group {
	if len(gs) < 2 {
		return gs
	}
	idx := make([]int, len(gs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return gs[idx[a]].Value < gs[idx[b]].Value })
	for i := 1; i < len(idx); i++ {
		a, b := &gs[idx[i-1]], &gs[idx[i]]
		if a.Value != b.Value && math.Abs(a.Value-b.Value) <= 1e-12*math.Max(math.Abs(a.Value), math.Abs(b.Value)) {
			b.Value = a.Value
		}
	}
	return gs
}
