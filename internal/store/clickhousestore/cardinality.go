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

// MetricCardinality implements store.CardinalityReader. Counting series per (key, value) with
// uniqExact(series_id) is exact but slow at 1M series, and needed only while the series table
// holds a series more than once (one row per writer epoch until merged). So:
//
//  1. The metric's existence and slot maps, and concurrently its dimension keys
//     (groupUniqArrayArray(dim_keys)).
//  2. Concurrently: the hot keys and the metric's series with count() (cardinalitySQL), and per
//     other key one scan giving the metric's rows, the rows with the key and
//     uniqExact(cityHash64(value)) among them, plus the key's topN smallest values
//     (coldStatsSQL).
//  3. A key with as many distinct value hashes as rows has a distinct value per row: exactly one
//     series per value (the rows of one series carry the same value), so its distinct count is
//     its row count and its top values are its smallest, each with 1 series. When such a key is
//     in every row of the metric, no series has two rows; otherwise one more query compares
//     count() with uniqExact(series_id) over the metric's rows.
//  4. One row per series: the counts of step 2 are exact, and the remaining non-hot keys are
//     grouped with count() (one more query). Duplicate rows: the answer is the query of every
//     key counting uniqExact(series_id) (as before; slow at 1M series, and only until merged).
//
// At 1M series with an id-like key this is about 0.75 CPU-seconds of server time, against 1.9
// for the uniqExact query (see docs/storage-clickhouse.md, "Cardinality").
func (s *Store) MetricCardinality(ctx context.Context, tenant, metric string, topN int) (*store.MetricCardinality, error) {
	ctx = s.queryContext(ctx)
	where := "tenant = " + quote(tenant) + " AND metric = " + quote(metric)
	var keys []string
	var keysErr error
	keysDone := make(chan struct{})
	go func() {
		defer close(keysDone)
		keysErr = s.conn.QueryRow(ctx, "SELECT groupUniqArrayArray(dim_keys) FROM "+s.t.series+" WHERE "+where).Scan(&keys)
	}()
	known, maps, err := s.metricAndSlotMaps(ctx, where)
	if err != nil || !known {
		<-keysDone
		if err != nil {
			return nil, err
		}
		return nil, apierror.New(apierror.NotFound, "metric %q not found", metric)
	}
	hot := hotKeys(maps)
	n := max(topN, 0)
	var stats []coldStats
	var statsErr error
	statsDone := make(chan struct{})
	go func() {
		defer close(statsDone)
		<-keysDone
		if keysErr != nil {
			statsErr = s.queryError(ctx, "dimension keys", keysErr)
			return
		}
		slices.Sort(keys)
		var cold []string
		for _, k := range keys {
			if _, ok := hot[k]; !ok {
				cold = append(cold, k)
			}
		}
		if len(cold) > 0 {
			stats, statsErr = s.coldStats(ctx, coldStatsSQL(s.t.series, where, newLabelSQL(maps), cold, n))
		}
	}()
	res, resErr := s.readCardinality(ctx, metric, cardinalitySQL(s.t.series, where, maps, topN, cardPlan{count: "count()", hot: true, cold: []string{}, total: true}), topN)
	<-statsDone
	if resErr != nil {
		return nil, resErr
	}
	if statsErr != nil {
		return nil, statsErr
	}
	// step 3
	single := false
	for _, st := range stats {
		if st.n == st.total && st.h == st.n {
			single = true
			break
		}
	}
	if !single {
		var rows, series uint64
		if err := s.conn.QueryRow(ctx, "SELECT count(), uniqExact(series_id) FROM "+s.t.series+" WHERE "+where).Scan(&rows, &series); err != nil {
			return nil, s.queryError(ctx, "duplicate series rows", err)
		}
		single = rows == series
	}
	if !single {
		s.exactCardinality.Add(1)
		// step 4, duplicate rows: every count uniqExact(series_id)
		out, err := s.readCardinality(ctx, metric, cardinalitySQL(s.t.series, where, maps, topN, cardPlan{count: "uniqExact(series_id)", hot: true, total: true}), topN)
		if err != nil {
			return nil, err
		}
		store.SortKeyCardinality(out.Keys)
		return out, nil
	}
	// step 4, one row per series
	var grouped []string
	for _, st := range stats {
		switch {
		case st.n == 0: // gone since the keys were read
		case st.h == st.n:
			kc := store.KeyCardinality{Key: st.key, Distinct: int64(st.n), Top: make([]store.ValueCount, 0, len(st.smallest))}
			for _, v := range st.smallest {
				kc.Top = append(kc.Top, store.ValueCount{Value: v, SeriesCount: 1})
			}
			store.SortValueCounts(kc.Top)
			kc.Top = kc.Top[:min(len(kc.Top), n)]
			res.Keys = append(res.Keys, kc)
		default:
			grouped = append(grouped, st.key)
		}
	}
	if len(grouped) > 0 {
		more, err := s.readCardinality(ctx, metric, cardinalitySQL(s.t.series, where, maps, topN, cardPlan{count: "count()", cold: grouped}), topN)
		if err != nil {
			return nil, err
		}
		res.Keys = append(res.Keys, more.Keys...)
	}
	store.SortKeyCardinality(res.Keys)
	return res, nil
}

// metricAndSlotMaps reads whether the metric has a metrics row, and its slot maps (one query).
func (s *Store) metricAndSlotMaps(ctx context.Context, where string) (bool, [][]string, error) {
	// the metrics row count (is_meta = 1) and the slot maps, as slotMaps reads them
	rows, err := s.conn.Query(ctx, "SELECT emptyArrayString() AS slots, toInt64(count()) AS c, 1 AS is_meta FROM "+s.t.metrics+" WHERE "+where+
		" UNION ALL SELECT slots, min(created_ms) AS c, 0 AS is_meta FROM "+s.t.slotMaps+" WHERE "+where+" GROUP BY slots")
	if err != nil {
		return false, nil, s.queryError(ctx, "metric and slot maps", err)
	}
	defer rows.Close()
	var known bool
	var maps []slotMapRow
	for rows.Next() {
		var r slotMapRow
		var isMeta uint8
		if err := rows.Scan(&r.slots, &r.c, &isMeta); err != nil {
			return false, nil, s.queryError(ctx, "metric and slot maps", err)
		}
		if isMeta == 1 {
			known = r.c > 0
		} else {
			maps = append(maps, r)
		}
	}
	if err := rows.Err(); err != nil {
		return false, nil, s.queryError(ctx, "metric and slot maps", err)
	}
	return known, sortSlotMaps(maps), nil
}

// readCardinality runs a cardinalitySQL query: the series count when it has the series branch
// (key ""), and the keys with their top values (unsorted keys).
func (s *Store) readCardinality(ctx context.Context, metric, sql string, topN int) (*store.MetricCardinality, error) {
	rows, err := s.conn.Query(ctx, sql)
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
	return out, nil
}

// coldStats is one non-hot key of coldStatsSQL: the metric's rows, the rows with the key, the
// distinct hashes of its values among them, and its smallest values.
type coldStats struct {
	key         string
	total, n, h uint64
	smallest    []string
}

func (s *Store) coldStats(ctx context.Context, sql string) ([]coldStats, error) {
	rows, err := s.conn.Query(ctx, sql)
	if err != nil {
		return nil, s.queryError(ctx, "key statistics", err)
	}
	defer rows.Close()
	byKey := map[string]*coldStats{}
	var out []string
	for rows.Next() {
		var key string
		var isVals uint8
		var total, n, h uint64
		var vals []string
		if err := rows.Scan(&key, &isVals, &total, &n, &h, &vals); err != nil {
			return nil, s.queryError(ctx, "key statistics", err)
		}
		st := byKey[key]
		if st == nil {
			st = &coldStats{key: key}
			byKey[key] = st
			out = append(out, key)
		}
		if isVals == 1 {
			st.smallest = vals
		} else {
			st.total, st.n, st.h = total, n, h
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, "key statistics", err)
	}
	res := make([]coldStats, len(out))
	for i, k := range out {
		res[i] = *byKey[k]
	}
	return res, nil
}

// coldStatsSQL is, per key of cold (keys read from the series arrays), one scan of the metric's
// series rows giving count() (total), the rows with the key (n) and uniqExact(cityHash64(value))
// of those (h: equal to n only if every such row has its own value, since equal values hash
// equally), and, when n > 0, a second branch with the n smallest values of the key (ORDER BY
// LIMIT: a partial sort, cheap). Distinct hashes prove distinct values; a collision only sends
// the key to the grouped query.
func coldStatsSQL(series, where string, l labelSQL, cold []string, n int) string {
	var branches []string
	for _, k := range cold {
		has := "has(dim_keys, " + quote(k) + ")"
		v := l.value(k)
		branches = append(branches, "SELECT "+quote(k)+" AS k, toUInt8(0) AS is_vals, count() AS total, countIf("+has+") AS n, uniqExactIf(cityHash64("+v+"), "+has+
			") AS h, emptyArrayString() AS vals FROM "+series+" WHERE "+where)
		if n > 0 {
			branches = append(branches, fmt.Sprintf("SELECT %s AS k, toUInt8(1) AS is_vals, toUInt64(0) AS total, toUInt64(0) AS n, toUInt64(0) AS h, groupArray(v) AS vals FROM "+
				"(SELECT %s AS v FROM %s WHERE %s AND %s ORDER BY v LIMIT %d)", quote(k), v, series, where, has, n))
		}
	}
	return strings.Join(branches, " UNION ALL ")
}

// cardPlan selects the branches of cardinalitySQL and how it counts series.
type cardPlan struct {
	count string   // "uniqExact(series_id)" (exact with duplicate series rows) or "count()"
	hot   bool     // the hot keys, one branch each
	cold  []string // the other keys to group (nil: all of them; empty: none)
	total bool     // the branch with key "" counting the metric's series
}

// cardinalitySQL is the cardinality query of the metric selected by where, written with maps
// (see labelSQL), with the branches of p.
//
// perValue counts the series of every (key, value) with p.count (uniqExact(series_id) when a
// series may have a row per writer epoch; in cluster mode the states merge across shards). A hot
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
func cardinalitySQL(series, where string, maps [][]string, topN int, p cardPlan) string {
	hot := hotKeys(maps)
	hotList := make([]string, 0, len(hot))
	for k := range hot {
		hotList = append(hotList, k)
	}
	slices.Sort(hotList)
	var branches []string
	if p.hot {
		for _, k := range hotList {
			col := fmt.Sprintf("d%d", hot[k]+1)
			// a non-empty slot value means the key is present; only the rows with "" in the
			// slot need has(dim_keys, k), and PREWHERE reads dim_keys for just those (a slot is
			// in the sorting key, so the server does not move its condition to PREWHERE itself)
			branches = append(branches, "SELECT "+quote(k)+" AS k, "+col+" AS v, "+p.count+" AS c FROM "+series+
				" WHERE "+where+" AND "+col+" != '' GROUP BY v",
				"SELECT "+quote(k)+" AS k, "+col+" AS v, "+p.count+" AS c FROM "+series+
					" PREWHERE "+col+" = '' WHERE "+where+" AND has(dim_keys, "+quote(k)+") GROUP BY v")
		}
	}
	if p.cold == nil || len(p.cold) > 0 {
		idx := "arrayEnumerate(dim_keys)"
		switch {
		case p.cold != nil:
			idx = "arrayFilter((i, x) -> has(" + quoteArray(p.cold) + ", x), arrayEnumerate(dim_keys), dim_keys)"
		case len(hotList) > 0:
			idx = "arrayFilter((i, x) -> NOT has(" + quoteArray(hotList) + ", x), arrayEnumerate(dim_keys), dim_keys)"
		}
		val := coldValueSQL(maps, hot)
		branches = append(branches,
			"SELECT any(dim_keys[i]) AS k, any("+val+") AS v, "+p.count+" AS c FROM "+series+" ARRAY JOIN "+idx+
				" AS i WHERE "+where+" GROUP BY concat(dim_keys[i], '\\0', "+val+")")
	}
	if p.total {
		branches = append(branches, "SELECT '' AS k, '' AS v, "+p.count+" AS c FROM "+series+" WHERE "+where)
	}
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
