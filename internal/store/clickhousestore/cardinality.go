package clickhousestore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/store"
)

var _ store.CardinalityReader = (*Store)(nil)

// Usage implements store.CardinalityReader in one query: the tenant's metrics (the metrics
// table, as Metrics lists them) joined with their series counts (uniqExact(series_id) over the
// series table, which holds a series once per writer epoch until merged).
func (s *Store) Usage(ctx context.Context, tenant string, topN int) (store.TenantUsage, error) {
	ctx = s.queryContext(ctx)
	sql := "SELECT metric, c FROM (SELECT DISTINCT metric FROM " + s.t.metrics + " WHERE tenant = " + quote(tenant) +
		") ANY LEFT JOIN (SELECT metric, uniqExact(series_id) AS c FROM " + s.t.series + " WHERE tenant = " + quote(tenant) +
		" GROUP BY metric) USING metric"
	rows, err := s.conn.Query(ctx, sql)
	if err != nil {
		return store.TenantUsage{}, s.queryError(ctx, "usage", err)
	}
	defer rows.Close()
	var u store.TenantUsage
	var all []store.MetricSeries
	for rows.Next() {
		var name string
		var n uint64
		if err := rows.Scan(&name, &n); err != nil {
			return store.TenantUsage{}, s.queryError(ctx, "usage", err)
		}
		all = append(all, store.MetricSeries{Name: name, Series: int64(n)})
		u.Series += int64(n)
	}
	if err := rows.Err(); err != nil {
		return store.TenantUsage{}, s.queryError(ctx, "usage", err)
	}
	u.Metrics = int64(len(all))
	u.TopMetrics = store.TopMetrics(all, topN)
	return u, nil
}

// SeriesByTenant implements store.CardinalityReader: per tenant the sum of its metrics' series
// counts (as Usage counts them), tenants without series left out.
func (s *Store) SeriesByTenant(ctx context.Context) (map[string]int64, error) {
	ctx = s.queryContext(ctx)
	rows, err := s.conn.Query(ctx, "SELECT tenant, sum(c) FROM (SELECT tenant, metric, uniqExact(series_id) AS c FROM "+s.t.series+
		" GROUP BY tenant, metric) GROUP BY tenant")
	if err != nil {
		return nil, s.queryError(ctx, "series by tenant", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var tenant string
		var n uint64
		if err := rows.Scan(&tenant, &n); err != nil {
			return nil, s.queryError(ctx, "series by tenant", err)
		}
		if n > 0 {
			out[tenant] = int64(n)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, "series by tenant", err)
	}
	return out, nil
}

// MetricCardinality implements store.CardinalityReader in two round trips: the metric's
// existence and slot maps (one query), then one query over the series table (cardinalitySQL).
func (s *Store) MetricCardinality(ctx context.Context, tenant, metric string, topN int) (*store.MetricCardinality, error) {
	ctx = s.queryContext(ctx)
	where := "tenant = " + quote(tenant) + " AND metric = " + quote(metric)
	// the metrics row count (is_meta = 1) and the slot maps, as slotMaps reads them
	rows, err := s.conn.Query(ctx, "SELECT emptyArrayString() AS slots, toInt64(count()) AS c, 1 AS is_meta FROM "+s.t.metrics+" WHERE "+where+
		" UNION ALL SELECT slots, min(created_ms) AS c, 0 AS is_meta FROM "+s.t.slotMaps+" WHERE "+where+" GROUP BY slots")
	if err != nil {
		return nil, s.queryError(ctx, "metric and slot maps", err)
	}
	var known bool
	var maps []slotMapRow
	for rows.Next() {
		var r slotMapRow
		var isMeta uint8
		if err := rows.Scan(&r.slots, &r.c, &isMeta); err != nil {
			rows.Close()
			return nil, s.queryError(ctx, "metric and slot maps", err)
		}
		if isMeta == 1 {
			known = r.c > 0
		} else {
			maps = append(maps, r)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, s.queryError(ctx, "metric and slot maps", err)
	}
	if !known {
		return nil, apierror.New(apierror.NotFound, "metric %q not found", metric)
	}
	rows, err = s.conn.Query(ctx, cardinalitySQL(s.t.series, where, sortSlotMaps(maps), topN))
	if err != nil {
		return nil, s.queryError(ctx, "cardinality", err)
	}
	defer rows.Close()
	out := &store.MetricCardinality{Name: metric, Keys: []store.KeyCardinality{}}
	for rows.Next() {
		var key string
		var distinct uint64
		var vals []string
		var counts []uint64
		if err := rows.Scan(&key, &distinct, &vals, &counts); err != nil {
			return nil, s.queryError(ctx, "cardinality", err)
		}
		if key == "" { // the metric's series count
			out.Series = int64(distinct)
			continue
		}
		kc := store.KeyCardinality{Key: key, Distinct: int64(distinct), Top: make([]store.ValueCount, len(vals))}
		for i, v := range vals {
			kc.Top[i] = store.ValueCount{Value: v, SeriesCount: int64(counts[i])}
		}
		store.SortValueCounts(kc.Top)
		kc.Top = kc.Top[:min(len(kc.Top), max(topN, 0))]
		out.Keys = append(out.Keys, kc)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, "cardinality", err)
	}
	store.SortKeyCardinality(out.Keys)
	return out, nil
}

// cardinalitySQL is the cardinality query of the metric selected by where, written with maps
// (see labelSQL).
//
// perValue counts the series of every (key, value) with uniqExact(series_id) (a series has a
// row per writer epoch until merged; in cluster mode the states merge across shards). A hot
// key (same slot in every map) reads its slot column, one UNION ALL branch each; the other keys
// come from one ARRAY JOIN of the indexes of the non-hot keys, grouped by key and value joined
// into one string (18.16 groups one string much faster than two). A last branch with key ""
// counts the metric's series (reported as its d).
//
// Per key, count() of the values is the distinct count, and the topN are found without sorting
// every value (arraySort of 1M strings takes seconds): cn is the topN-th largest count (a
// numeric sort); values with more series than cn are fewer than topN and all returned; of those
// with cn series (a high-cardinality key: maybe all of them) only the smallest are needed, so
// they are cut first by their first 8 bytes as a big-endian number (monotone in the string
// order), then sorted. Go orders the returned values and keeps topN.
func cardinalitySQL(series, where string, maps [][]string, topN int) string {
	hot := hotKeys(maps)
	hotList := make([]string, 0, len(hot))
	for k := range hot {
		hotList = append(hotList, k)
	}
	slices.Sort(hotList)
	var branches []string
	for _, k := range hotList {
		col := fmt.Sprintf("d%d", hot[k]+1)
		branches = append(branches, "SELECT "+quote(k)+" AS k, "+col+" AS v, uniqExact(series_id) AS c FROM "+series+
			" WHERE "+where+" AND has(dim_keys, "+quote(k)+") GROUP BY v")
	}
	idx := "arrayEnumerate(dim_keys)"
	if len(hotList) > 0 {
		idx = "arrayFilter((i, x) -> NOT has(" + quoteArray(hotList) + ", x), arrayEnumerate(dim_keys), dim_keys)"
	}
	val := coldValueSQL(maps, hot)
	branches = append(branches,
		"SELECT any(dim_keys[i]) AS k, any("+val+") AS v, uniqExact(series_id) AS c FROM "+series+" ARRAY JOIN "+idx+
			" AS i WHERE "+where+" GROUP BY concat(dim_keys[i], '\\0', "+val+")",
		"SELECT '' AS k, '' AS v, uniqExact(series_id) AS c FROM "+series+" WHERE "+where)
	n := max(topN, 0)
	perKey := "SELECT k, if(k = '', sum(c), count()) AS d, groupArray(v) AS vs, groupArray(c) AS cs FROM (" + strings.Join(branches, " UNION ALL ") + ") GROUP BY k"
	// cn: the n-th largest count (n = 0: the largest UInt64, so that no value is above or tied)
	withCut := fmt.Sprintf("SELECT k, d, vs, cs, if(%d = 0, toUInt64(18446744073709551615), arrayReverseSort(cs)[least(%d, length(cs))]) AS cn FROM (%s)", n, n, perKey)
	// above: values with more than cn series; ties: with cn series (lambdas take every column
	// they read as an argument: see pairs.go)
	withTies := fmt.Sprintf("SELECT k, d, arrayFilter((v, c, t) -> c > t, vs, cs, arrayResize([cn], length(cs), cn)) AS av, "+
		"arrayFilter((c, t) -> c > t, cs, arrayResize([cn], length(cs), cn)) AS ac, "+
		"arrayFilter((v, c, t) -> c = t, vs, cs, arrayResize([cn], length(cs), cn)) AS tv, cn FROM (%s)", withCut)
	// m ties are needed; prefix: the first 8 bytes of a tie as a big-endian number
	withPrefix := fmt.Sprintf("SELECT k, d, av, ac, tv, cn, toUInt64(greatest(%d - length(av), 0)) AS m, "+
		"arrayMap(v -> reinterpretAsUInt64(reverse(substring(concat(v, '\\0\\0\\0\\0\\0\\0\\0\\0'), 1, 8))), tv) AS tp FROM (%s)", n, withTies)
	return fmt.Sprintf("SELECT k, d, arrayConcat(av, top) AS vals, arrayConcat(ac, arrayResize([cn], length(top), cn)) AS counts FROM ("+
		"SELECT k, d, av, ac, cn, if(m = 0, emptyArrayString(), arraySlice(arraySort(arrayFilter((v, p, q) -> p <= q, tv, tp, arrayResize([pm], length(tp), pm))), 1, m)) AS top FROM ("+
		"SELECT k, d, av, ac, tv, tp, cn, m, if(m = 0, toUInt64(0), arraySort(tp)[least(m, length(tp))]) AS pm FROM (%s)))", withPrefix)
}

// coldValueSQL is the value of the ARRAY JOINed key dim_keys[i] of a series row: its slot
// column in rows written with a slot map that stores it in a slot, otherwise dim_values[i]
// (rows with a slot map hold "" there for the keys in slots; hot keys are not ARRAY JOINed).
func coldValueSQL(maps [][]string, hot map[string]int) string {
	var cases []string
	for _, m := range maps {
		for j, k := range m {
			if _, ok := hot[k]; !ok {
				cases = append(cases, "dim_keys[i] = "+quote(k)+" AND slots = "+quote(joinSlots(m)), fmt.Sprintf("d%d", j+1))
			}
		}
	}
	if len(cases) == 0 {
		return "dim_values[i]"
	}
	return "multiIf(" + strings.Join(cases, ", ") + ", dim_values[i])"
}

// quoteArray is a String array literal.
func quoteArray(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
