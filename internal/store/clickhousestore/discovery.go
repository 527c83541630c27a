package clickhousestore

import (
	"context"
	"fmt"
	"sort"

	"github.com/luminate-metrics/luminate/internal/store"
)

// Discovery reads the series table (one row per series, until merged possibly a few): counts
// are uniqExact(series_id), never a scan of samples.

// Metrics implements store.Store.
func (s *Store) Metrics(ctx context.Context, tenant string) ([]store.MetricInfo, error) {
	ctx = s.queryContext(ctx)
	rows, err := s.conn.Query(ctx, "SELECT metric, argMin(type, first_seen_ms), argMinIf(unit, first_seen_ms, unit != ''), argMin(temporality, first_seen_ms), argMin(monotonic, first_seen_ms) FROM "+
		s.t.metrics+" WHERE tenant = "+quote(tenant)+" GROUP BY metric")
	if err != nil {
		return nil, s.queryError(ctx, "metrics", err)
	}
	var out []store.MetricInfo
	for rows.Next() {
		var name, typ, unit, temp string
		var mono uint8
		if err := rows.Scan(&name, &typ, &unit, &temp, &mono); err != nil {
			rows.Close()
			return nil, s.queryError(ctx, "metrics", err)
		}
		out = append(out, store.MetricInfo{Name: name, Meta: metaOf(typ, unit, temp, mono)})
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, s.queryError(ctx, "metrics", err)
	}
	counts := map[string]int64{}
	rows, err = s.conn.Query(ctx, "SELECT metric, uniqExact(series_id) FROM "+s.t.series+" WHERE tenant = "+quote(tenant)+" GROUP BY metric")
	if err != nil {
		return nil, s.queryError(ctx, "series counts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n uint64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, s.queryError(ctx, "series counts", err)
		}
		counts[name] = int64(n)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, "series counts", err)
	}
	for i := range out {
		out[i].SeriesCount = counts[out[i].Name]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Dimensions implements store.Store.
func (s *Store) Dimensions(ctx context.Context, tenant, metric string) ([]string, error) {
	ctx = s.queryContext(ctx)
	if _, err := s.metricMeta(ctx, tenant, metric); err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT arrayJoin(dim_keys) AS k FROM "+s.t.series+
		" WHERE tenant = "+quote(tenant)+" AND metric = "+quote(metric)+" ORDER BY k")
	if err != nil {
		return nil, s.queryError(ctx, "dimensions", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, s.queryError(ctx, "dimensions", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, "dimensions", err)
	}
	return out, nil
}

// DimensionValues implements store.Store. A hot key reads its sorted slot column; any other
// key the series arrays.
func (s *Store) DimensionValues(ctx context.Context, tenant, metric, key, prefix string, limit int) ([]store.ValueCount, error) {
	ctx = s.queryContext(ctx)
	if _, err := s.metricMeta(ctx, tenant, metric); err != nil {
		return nil, err
	}
	maps, err := s.slotMaps(ctx, tenant, metric)
	if err != nil {
		return nil, s.queryError(ctx, "slot maps", err)
	}
	col := newLabelSQL(maps).value(key) // a hot key reads its sorted slot column
	sql := "SELECT " + col + " AS val, uniqExact(series_id) AS c FROM " + s.t.series + " WHERE tenant = " + quote(tenant) +
		" AND metric = " + quote(metric) + " AND has(dim_keys, " + quote(key) + ")"
	if prefix != "" {
		sql += fmt.Sprintf(" AND substring(val, 1, %d) = %s", len(prefix), quote(prefix))
	}
	sql += " GROUP BY val ORDER BY c DESC, val"
	if limit > 0 {
		sql += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.conn.Query(ctx, sql)
	if err != nil {
		return nil, s.queryError(ctx, "dimension values", err)
	}
	defer rows.Close()
	out := []store.ValueCount{}
	for rows.Next() {
		var v string
		var n uint64
		if err := rows.Scan(&v, &n); err != nil {
			return nil, s.queryError(ctx, "dimension values", err)
		}
		out = append(out, store.ValueCount{Value: v, SeriesCount: int64(n)})
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError(ctx, "dimension values", err)
	}
	store.SortValueCounts(out) // same tie order as every engine (bytewise, as ClickHouse sorts)
	return out, nil
}
