package clickhousestore

import (
	"context"
	"fmt"
	"sort"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// raw answers a range query without interval: points in time order, ties by labels, at most
// limit of them (the earliest for asc, the latest for desc). When the range holds more than
// limit points, the timestamp of the limit-th point is found first, and only points up to it
// are fetched (all of them, so that ties at the boundary are ordered by labels here as on
// every engine).
func (p *plan) raw(ctx context.Context, d dupSet, exact bool) ([]store.RawPoint, stats, error) {
	from, where, wlo, whi := p.source(d)
	st := noWriters
	sql := "SELECT count(), uniqExact(series_id), min(" + wlo + "), max(" + whi + ") FROM " + from + where
	if err := p.s.conn.QueryRow(ctx, sql).Scan(&st.points, &st.series, &st.wmin, &st.wmax); err != nil {
		return nil, stats{}, p.s.queryError(ctx, "range statistics", err)
	}
	if st.points == 0 {
		return nil, noWriters, nil
	}
	if !exact && !st.oneWriter() {
		return nil, st, nil // the caller scans and asks again
	}
	cond := where
	if p.q.Limit > 0 && st.points > uint64(p.q.Limit) {
		dir, op := "DESC", ">="
		if p.q.Order == store.OrderAsc {
			dir, op = "ASC", "<="
		}
		var edge int64
		sql := fmt.Sprintf("SELECT ts_ms FROM %s%s ORDER BY ts_ms %s LIMIT 1 OFFSET %d", from, where, dir, p.q.Limit-1)
		if err := p.s.conn.QueryRow(ctx, sql).Scan(&edge); err != nil {
			return nil, stats{}, p.s.queryError(ctx, "range boundary", err)
		}
		if cond == "" {
			cond = " WHERE "
		} else {
			cond += " AND "
		}
		cond += fmt.Sprintf("ts_ms %s %d", op, edge)
	}
	rows, err := p.s.conn.Query(ctx, "SELECT series_id, ts_ms, value FROM "+from+cond)
	if err != nil {
		return nil, stats{}, p.s.queryError(ctx, "range", err)
	}
	defer rows.Close()
	type pt struct {
		sid uint64
		t   int64
		v   float64
	}
	var pts []pt
	ids := map[uint64]model.Labels{}
	for rows.Next() {
		var x pt
		if err := rows.Scan(&x.sid, &x.t, &x.v); err != nil {
			return nil, stats{}, p.s.queryError(ctx, "range", err)
		}
		pts = append(pts, x)
		ids[x.sid] = nil
	}
	if err := rows.Err(); err != nil {
		return nil, stats{}, p.s.queryError(ctx, "range", err)
	}
	if err := p.labelsOf(ctx, ids); err != nil {
		return nil, stats{}, err
	}
	out := make([]store.RawPoint, len(pts))
	for i, x := range pts {
		out[i] = store.RawPoint{T: x.t, V: x.v, Labels: ids[x.sid]}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].T != out[j].T {
			return out[i].T < out[j].T
		}
		return model.CompareLabels(out[i].Labels, out[j].Labels) < 0
	})
	if p.q.Limit > 0 && len(out) > p.q.Limit {
		if p.q.Order == store.OrderAsc {
			out = out[:p.q.Limit]
		} else {
			out = out[len(out)-p.q.Limit:]
		}
	}
	return out, st, nil
}

// labelsOf fills ids with each series' labels from the series table.
func (p *plan) labelsOf(ctx context.Context, ids map[uint64]model.Labels) error {
	list := make([]uint64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	for len(list) > 0 {
		chunk := list[:min(len(list), 10_000)]
		list = list[len(chunk):]
		// any() of one tuple: every field from the same row (rows of a series may differ in
		// layout until merged: written before and after the series table had slots)
		sql := "SELECT series_id, tupleElement(r, 1), tupleElement(r, 2), tupleElement(r, 3), tupleElement(r, 4), tupleElement(r, 5), tupleElement(r, 6) " +
			"FROM (SELECT series_id, any((dim_keys, dim_values, slots, d1, d2, d3)) AS r FROM " + p.s.t.series + " WHERE " + p.metricWhere() +
			" AND series_id IN " + uintList(chunk) + " GROUP BY series_id)"
		rows, err := p.s.conn.Query(ctx, sql)
		if err != nil {
			return p.s.queryError(ctx, "series labels", err)
		}
		for rows.Next() {
			var id uint64
			var ks, vs []string
			var joined string
			var hot [MaxHotSlots]string
			if err := rows.Scan(&id, &ks, &vs, &joined, &hot[0], &hot[1], &hot[2]); err != nil {
				rows.Close()
				return p.s.queryError(ctx, "series labels", err)
			}
			slots := splitSlots(joined)
			ls := make(model.Labels, len(ks))
			for i := range ks {
				ls[i] = model.Label{Name: ks[i], Value: vs[i]}
				for j, k := range slots {
					if k == ks[i] {
						ls[i].Value = hot[j]
					}
				}
			}
			ids[id] = ls
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return p.s.queryError(ctx, "series labels", err)
		}
	}
	return nil
}
