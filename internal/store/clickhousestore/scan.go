package clickhousestore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// De-duplication (last write wins) without a full scan.
//
// Reads keep one row per (series, timestamp), the one with the highest ver. Collapsing every
// row that way (GROUP BY series_id, ts_ms or FINAL) costs more than the query itself on 18.16,
// so a query reads most series row by row and collapses only the series that may hold a
// rewritten timestamp. Which series those are comes, cheapest first, from:
//
//  1. the rewrites table: within one writer epoch (samples.writer) the ingest process knows
//     every point it wrote, and records each point that may overwrite a stored one (a timestamp
//     at or before its series' latest, or a retried INSERT) before storing it. When every row a
//     query reads comes from one epoch, the series listed there for the range are exactly the
//     candidates. The main statement reports min and max of the writers it read, so this is
//     checked in the same pass;
//  2. otherwise (rows of several epochs: several ingest processes, a restart, rows from before
//     writer ids), the exact scan pass: per series in range, rows against distinct timestamps.
//
// Histograms are de-duplicated in Go (histquery.go) and rate, integral and twa per series in
// SQL when needed (pairs.go); neither needs the scan.

// maxDupList is how many duplicated series ids are written into the SQL as a literal list;
// beyond it the set is a subquery.
const maxDupList = 10_000

// dupSet is the series a read must collapse to one row per timestamp.
type dupSet struct {
	ids []uint64
	sub string // a subquery listing them, when there are more than maxDupList
}

func (d dupSet) empty() bool { return len(d.ids) == 0 && d.sub == "" }

func (d dupSet) cond() string {
	if d.sub != "" {
		return "series_id IN (" + d.sub + ")"
	}
	return "series_id IN " + uintList(d.ids)
}

// stats are what every statement reports besides its answer: seriesScanned and pointsScanned
// after de-duplication, and the range of writer epochs among the rows it read row by row.
type stats struct {
	series, points uint64
	wmin, wmax     uint64
}

// noWriters is the neutral (wmin, wmax) of a statement that read nothing row by row.
var noWriters = stats{wmin: ^uint64(0)}

func (st *stats) add(o stats) {
	st.series += o.series
	st.points += o.points
	st.wmin = min(st.wmin, o.wmin)
	st.wmax = max(st.wmax, o.wmax)
}

// oneWriter reports whether the rows read row by row come from at most one writer epoch.
func (st stats) oneWriter() bool { return st.wmin >= st.wmax }

// rewriteCandidates lists the series with a recorded rewrite in the range.
func (p *plan) rewriteCandidates(ctx context.Context) (dupSet, error) {
	where := p.metricWhere() + " AND " + p.timeWhere()
	var n uint64
	var ids []uint64
	sql := fmt.Sprintf("SELECT count(), groupArray(%d)(series_id) FROM (SELECT DISTINCT series_id FROM %s WHERE %s)", maxDupList, p.s.t.rewrites, where)
	if err := p.s.conn.QueryRow(ctx, sql).Scan(&n, &ids); err != nil {
		return dupSet{}, p.s.queryError(ctx, "rewrites", err)
	}
	if n > uint64(len(ids)) {
		return dupSet{sub: "SELECT series_id FROM " + p.s.t.rewritesLocal + " WHERE " + where}, nil
	}
	return dupSet{ids: ids}, nil
}

// exactScan is the full duplicate scan: per series in range, rows against distinct timestamps.
// It yields SeriesScanned and PointsScanned exactly and the series holding a rewritten
// timestamp.
func (p *plan) exactScan(ctx context.Context) (stats, dupSet, error) {
	p.s.exactScans.Add(1)
	sql := fmt.Sprintf("SELECT count(), sum(u), countIf(c > u), groupArrayIf(%d)(series_id, c > u) FROM (SELECT series_id, count() AS c, uniqExact(ts_ms) AS u FROM %s WHERE %s GROUP BY series_id)",
		maxDupList, p.s.t.samples, p.where)
	var st stats
	var dupSeries uint64
	var d dupSet
	if err := p.s.conn.QueryRow(ctx, sql).Scan(&st.series, &st.points, &dupSeries, &d.ids); err != nil {
		return st, d, p.s.queryError(ctx, "scan", err)
	}
	if dupSeries > uint64(len(d.ids)) {
		d = dupSet{sub: "SELECT series_id FROM " + p.s.t.samplesLocal + " WHERE " + p.where + " GROUP BY series_id HAVING count() > uniqExact(ts_ms)"}
	}
	return st, d, nil
}

// checkMaxSeries counts the series matching the filters (whether or not they have points in
// range), as memstore does, from the series table: first its rows (an upper bound, read from
// the sorting key when there are no filters), and only when that is over the limit the
// distinct series.
func (p *plan) checkMaxSeries(ctx context.Context) error {
	if p.q.MaxSeries <= 0 {
		return nil
	}
	var n uint64
	where := p.seriesWhere()
	if err := p.s.conn.QueryRow(ctx, "SELECT count() FROM "+p.s.t.series+" WHERE "+where).Scan(&n); err != nil {
		return p.s.queryError(ctx, "series count", err)
	}
	if int64(n) <= p.q.MaxSeries {
		return nil
	}
	if err := p.s.conn.QueryRow(ctx, "SELECT uniqExact(series_id) FROM "+p.s.t.series+" WHERE "+where).Scan(&n); err != nil {
		return p.s.queryError(ctx, "series count", err)
	}
	if int64(n) > p.q.MaxSeries {
		return apierror.New(apierror.QueryTooLarge, "query matches %d series, more than the maximum of %d (query.max_series)", n, p.q.MaxSeries)
	}
	return nil
}

func (p *plan) checkMaxPoints(points uint64) error {
	if p.q.MaxPoints > 0 && int64(points) > p.q.MaxPoints {
		return apierror.New(apierror.QueryTooLarge, "query scans %d points, more than the maximum of %d (query.max_points)", points, p.q.MaxPoints)
	}
	return nil
}

// guarded returns the context of a main statement: with max_points set, the server refuses to
// read more rows than that (max_rows_to_read, checked against the parts' marks before reading),
// so an oversized query stops early instead of running to the end. Rows read are an upper bound
// of the points in range; isReadLimit tells the caller to count exactly.
func (p *plan) guarded(ctx context.Context) context.Context {
	if p.q.MaxPoints <= 0 {
		return ctx
	}
	// (read_overflow_mode is "throw" by default; 18.16's protocol cannot carry string settings)
	return withSettings(ctx, map[string]any{"max_rows_to_read": int(p.q.MaxPoints)})
}

// isReadLimit reports the server's "limit for rows to read exceeded" (TOO_MANY_ROWS).
func isReadLimit(err error) bool {
	var ex *proto.Exception
	return errors.As(err, &ex) && ex.Code == 158
}

// source is the FROM of a row-level read with one row per (series, timestamp), the latest
// write. Without candidates it is the samples table itself (and the returned where must be
// applied); with them, a UNION of the other series' rows and the candidates' rows collapsed by
// argMax(value, ver). Hot slot columns keep their names d1..d3. wlo and whi are the columns
// whose min and max are the writers read row by row (the collapsed rows do not count: they
// cannot hide a duplicate).
func (p *plan) source(d dupSet, extra ...string) (from, where, wlo, whi string) {
	if d.empty() {
		return p.s.t.samples, " WHERE " + p.where, "writer", "writer"
	}
	cols := "d1, d2, d3, series_id, ts_ms, value, writer AS w_lo, writer AS w_hi"
	// a UNION takes its column names from the first SELECT: the collapsed branch names its
	// columns apart, or 18.16 would read any(d1) into a WHERE on d1
	dedup := "any(d1) AS u_d1, any(d2) AS u_d2, any(d3) AS u_d3, series_id, ts_ms, argMax(value, ver) AS u_value, toUInt64(18446744073709551615) AS u_w_lo, toUInt64(0) AS u_w_hi"
	for _, c := range extra {
		cols += ", " + c
		dedup += ", argMax(" + c + ", ver) AS u_" + c
	}
	var b strings.Builder
	b.WriteString("(SELECT " + cols + " FROM " + p.s.t.samples + " WHERE " + p.where + " AND NOT (" + d.cond() + ")")
	b.WriteString(" UNION ALL SELECT " + dedup + " FROM " + p.s.t.samples +
		" WHERE " + p.where + " AND " + d.cond() + " GROUP BY series_id, ts_ms)")
	return b.String(), "", "w_lo", "w_hi"
}

// joinTable is the series table a JOIN on top of from must read.
func (p *plan) joinTable(where string) string {
	if where == "" && p.s.t.cluster { // from is a subquery: the JOIN runs on the initiator
		return p.s.t.series
	}
	return p.s.t.seriesLocal
}
