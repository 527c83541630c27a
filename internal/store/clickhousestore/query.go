package clickhousestore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"time"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Query implements store.Store: metadata and slot maps, the max_series guard, the series with a
// recorded rewrite, then one SQL statement that answers and reports its statistics (scan.go
// explains when a second, exact pass is needed). Histogram metrics are read into Go
// (histquery.go).
func (s *Store) Query(ctx context.Context, q *store.Query) (*store.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx = s.queryContext(ctx)
	meta, err := s.metricMeta(ctx, q.Tenant, q.Metric)
	if err != nil {
		return nil, err
	}
	if store.IsHistogram(meta.Type) {
		if err := store.CheckHistogramQuery(q); err != nil {
			return nil, err
		}
	}
	maps, err := s.slotMaps(ctx, q.Tenant, q.Metric)
	if err != nil {
		return nil, s.queryError(ctx, "slot maps", err)
	}
	p := newPlan(s, q, meta, maps)
	if err := p.checkMaxSeries(ctx); err != nil {
		return nil, err
	}
	if store.IsHistogram(meta.Type) {
		return p.histograms(ctx)
	}
	raw := q.Kind == store.KindRange && q.Interval == 0
	if !raw && (q.Kind == store.KindRate || q.Agg.PerSeries()) {
		// per series in SQL, de-duplicated there when needed: no scan pass
		return p.pairs(ctx)
	}
	d, err := p.rewriteCandidates(ctx)
	if err != nil {
		return nil, err
	}
	res, st, err := p.answer(p.guarded(ctx), d, false)
	switch {
	case err != nil && !isReadLimit(err):
		return nil, err
	case err == nil && st.oneWriter():
		if err := p.checkMaxPoints(st.points); err != nil {
			return nil, err
		}
		return res, nil
	}
	// over the read guard (count exactly before refusing), or rows of several writer epochs:
	// the exact scan finds every duplicated series
	st, d, err = p.exactScan(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.checkMaxPoints(st.points); err != nil {
		return nil, err
	}
	if st.series == 0 {
		return &store.Result{}, nil
	}
	res, _, err = p.answer(ctx, d, true)
	if err != nil {
		return nil, err
	}
	res.SeriesScanned, res.PointsScanned = int64(st.series), int64(st.points)
	return res, nil
}

// answer runs the statement of a fold or raw query with the series in d collapsed. exact: d is
// every duplicated series (from the exact scan), not only the recorded rewrites.
func (p *plan) answer(ctx context.Context, d dupSet, exact bool) (*store.Result, stats, error) {
	res := &store.Result{}
	var st stats
	var err error
	if p.q.Kind == store.KindRange && p.q.Interval == 0 {
		res.Points, st, err = p.raw(ctx, d, exact)
	} else {
		res.Groups, st, err = p.fold(ctx, d)
	}
	res.SeriesScanned, res.PointsScanned = int64(st.series), int64(st.points)
	return res, st, err
}

// queryContext passes the caller's deadline to the server as max_execution_time, so a query
// stops there too and not only in the client.
func (s *Store) queryContext(ctx context.Context) context.Context {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx
	}
	secs := math.Ceil(time.Until(dl).Seconds())
	return withSettings(ctx, map[string]any{"max_execution_time": int(max(secs, 1))})
}

// queryError reports a failed statement. When the caller's context ended, the driver's error
// (a cancelled read, or the server's TIMEOUT_EXCEEDED from max_execution_time) is replaced by
// the context's, so callers recognise it with errors.Is(err, context.DeadlineExceeded).
func (s *Store) queryError(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("clickhouse %s: %w (%v)", what, ctxErr, err)
	}
	// the driver sets the connection's deadline to the context's, and its read can time out a
	// moment before the context's own timer marks it done: that is the deadline too
	var ne net.Error
	if dl, ok := ctx.Deadline(); ok && errors.As(err, &ne) && ne.Timeout() && time.Until(dl) < 50*time.Millisecond {
		return fmt.Errorf("clickhouse %s: %w (%v)", what, context.DeadlineExceeded, err)
	}
	return fmt.Errorf("clickhouse %s: %w", what, err)
}

// metricMeta reads a metric's metadata: the first row written wins, except that a unit written
// later fills an empty one (as the Badger engine does). No row: NOT_FOUND.
func (s *Store) metricMeta(ctx context.Context, tenant, metric string) (model.MetricMeta, error) {
	sql := "SELECT count(), argMin(type, first_seen_ms), argMinIf(unit, first_seen_ms, unit != ''), argMin(temporality, first_seen_ms), argMin(monotonic, first_seen_ms) FROM " +
		s.t.metrics + " WHERE tenant = " + quote(tenant) + " AND metric = " + quote(metric)
	var n uint64
	var typ, unit, temp string
	var mono uint8
	if err := s.conn.QueryRow(ctx, sql).Scan(&n, &typ, &unit, &temp, &mono); err != nil {
		return model.MetricMeta{}, s.queryError(ctx, "metric metadata", err)
	}
	if n == 0 {
		return model.MetricMeta{}, apierror.New(apierror.NotFound, "metric %q not found", metric)
	}
	return metaOf(typ, unit, temp, mono), nil
}

func metaOf(typ, unit, temp string, mono uint8) model.MetricMeta {
	t, _ := model.ParseMetricType(typ)
	return model.MetricMeta{Type: t, Unit: unit, Temporality: parseTemporality(temp), Monotonic: mono != 0}
}
