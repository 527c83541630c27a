package clickhousestore

import (
	"context"
	"fmt"
	"strings"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// maxDupList is how many duplicated series ids are written into the SQL as a literal list;
// beyond it the duplicate set is recomputed by a subquery.
const maxDupList = 10_000

// scanStats is the first pass of every query: per series in range, the rows and distinct
// timestamps. It yields SeriesScanned and PointsScanned exactly as api.md defines them (after
// de-duplication), checks max_points before any heavy work, and finds the series that hold
// rewritten timestamps. Only those need the costly last-write-wins read; the others are read
// row by row.
type scanStats struct {
	series, points uint64
	dupSeries      uint64
	dupIDs         []uint64
}

func (p *plan) scan(ctx context.Context) (scanStats, error) {
	sql := fmt.Sprintf("SELECT count(), sum(u), countIf(c > u), groupArrayIf(%d)(series_id, c > u) FROM (SELECT series_id, count() AS c, uniqExact(ts_ms) AS u FROM %s WHERE %s GROUP BY series_id)",
		maxDupList, p.s.t.samples, p.where)
	var st scanStats
	if err := p.s.conn.QueryRow(ctx, sql).Scan(&st.series, &st.points, &st.dupSeries, &st.dupIDs); err != nil {
		return st, p.s.queryError(ctx, "scan", err)
	}
	return st, nil
}

// checkMaxSeries counts the series matching the filters (whether or not they have points in
// range), as memstore does, from the series table.
func (p *plan) checkMaxSeries(ctx context.Context) error {
	if p.q.MaxSeries <= 0 {
		return nil
	}
	var n uint64
	sql := "SELECT uniqExact(series_id) FROM " + p.s.t.series + " WHERE " + p.seriesWhere()
	if err := p.s.conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		return p.s.queryError(ctx, "series count", err)
	}
	if int64(n) > p.q.MaxSeries {
		return apierror.New(apierror.QueryTooLarge, "query matches %d series, more than the maximum of %d (query.max_series)", n, p.q.MaxSeries)
	}
	return nil
}

func (p *plan) checkMaxPoints(st scanStats) error {
	if p.q.MaxPoints > 0 && int64(st.points) > p.q.MaxPoints {
		return apierror.New(apierror.QueryTooLarge, "query scans %d points, more than the maximum of %d (query.max_points)", st.points, p.q.MaxPoints)
	}
	return nil
}

// source is the FROM of a row-level read with one row per (series, timestamp), the latest
// write. Without duplicates it is the samples table itself (and the returned where must be
// applied); with them, a UNION of the clean series' rows and the duplicated series' rows
// collapsed by argMax(value, ver). hot slot columns keep their names d1..d3.
func (p *plan) source(st scanStats) (from, where string) {
	if st.dupSeries == 0 {
		return p.s.t.samples, " WHERE " + p.where
	}
	dup := "series_id IN " + uintList(st.dupIDs)
	if st.dupSeries > uint64(len(st.dupIDs)) {
		dup = "series_id IN (SELECT series_id FROM " + p.s.t.samplesLocal + " WHERE " + p.where + " GROUP BY series_id HAVING count() > uniqExact(ts_ms))"
	}
	cols := "d1, d2, d3, series_id, ts_ms, value"
	var b strings.Builder
	b.WriteString("(SELECT " + cols + " FROM " + p.s.t.samples + " WHERE " + p.where + " AND NOT (" + dup + ")")
	b.WriteString(" UNION ALL SELECT any(d1) AS d1, any(d2) AS d2, any(d3) AS d3, series_id, ts_ms, argMax(value, ver) AS value FROM " + p.s.t.samples +
		" WHERE " + p.where + " AND " + dup + " GROUP BY series_id, ts_ms)")
	return b.String(), ""
}

// joinTable is the series table a JOIN on top of from must read.
func (p *plan) joinTable(where string) string {
	if where == "" && p.s.t.cluster { // from is a subquery: the JOIN runs on the initiator
		return p.s.t.series
	}
	return p.s.t.seriesLocal
}
