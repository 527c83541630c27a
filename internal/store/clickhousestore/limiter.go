package clickhousestore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/store"
)

// The cardinality limits (store.Limited). ClickHouse has no series index that a write consults,
// so the engine keeps one per limited tenant in memory: the ids of its series (loaded once from
// the series table, then kept up to date by this process's own writes) and its metrics with
// their series counts. A point of a known series passes with one map lookup; a new series is
// admitted under the tenant's lock, which makes the counts exact for every writer of this
// process. Other processes' new series arrive with a reload from the series table when this
// process next creates a series after LimitsRefresh has passed; between reloads, N ingest
// processes may together pass a limit by what the others created since (docs/storage-clickhouse.md,
// "Cardinality limits").

// SetLimits implements store.Limited.
func (s *Store) SetLimits(f store.LimitsFunc) {
	if f == nil {
		s.limitsF.Store(nil)
		return
	}
	s.limitsF.Store(&f)
}

var _ store.Limited = (*Store)(nil)

// tenantLimits returns the tenant's limits, or nil when no limits are installed.
func (s *Store) tenantLimits(tenant string) *limits.Values {
	f := s.limitsF.Load()
	if f == nil {
		return nil
	}
	v := (*f)(tenant)
	return &v
}

// defaultRetentionDays is the tenant's retention_days limit (0: keep forever).
func (s *Store) defaultRetentionDays(tenant string) int {
	if v := s.tenantLimits(tenant); v != nil {
		return int(v.Int(limits.RetentionDays))
	}
	return 0
}

// limitedCardinality reports whether any cardinality limit applies to v.
func limitedCardinality(v *limits.Values) bool {
	return v != nil && (v.Int(limits.MaxSeriesPerTenant) > 0 || v.Int(limits.MaxSeriesPerMetric) > 0 || v.Int(limits.MaxMetricsPerTenant) > 0)
}

const limiterShards = 32

// tenantSeries is one tenant's series and metrics as the limits count them.
type tenantSeries struct {
	name   string
	shards [limiterShards]struct {
		mu  sync.RWMutex
		ids map[uint64]string // series id -> metric
	}

	mu       sync.Mutex // admits new series and metrics; guards the fields below
	metrics  map[string]int64
	series   int64
	loadedAt time.Time // zero: not loaded (the next new series loads)
	failedAt time.Time // last failed load: retried after loadRetry
}

// loadRetry is how long a tenant whose series could not be read admits new series without a
// check (limits protect the server; refusing writes while ClickHouse is unreachable would turn
// an outage into data loss) before the next read is tried.
const loadRetry = 5 * time.Second

// limiter holds the limited tenants' series.
type limiter struct {
	mu      sync.Mutex
	tenants map[string]*tenantSeries
	loads   atomic.Int64 // reads of a tenant's series (tests, diagnostics)
}

func (l *limiter) tenant(name string) *tenantSeries {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tenants == nil {
		l.tenants = map[string]*tenantSeries{}
	}
	ts := l.tenants[name]
	if ts == nil {
		ts = &tenantSeries{name: name, metrics: map[string]int64{}}
		for i := range ts.shards {
			ts.shards[i].ids = map[uint64]string{}
		}
		l.tenants[name] = ts
	}
	return ts
}

func (ts *tenantSeries) known(sid uint64) bool {
	sh := &ts.shards[sid%limiterShards]
	sh.mu.RLock()
	_, ok := sh.ids[sid]
	sh.mu.RUnlock()
	return ok
}

// addLocked records a series (ts.mu held); it reports whether it was new.
func (ts *tenantSeries) addLocked(metric string, sid uint64) bool {
	sh := &ts.shards[sid%limiterShards]
	sh.mu.Lock()
	_, ok := sh.ids[sid]
	if !ok {
		sh.ids[sid] = metric
	}
	sh.mu.Unlock()
	if ok {
		return false
	}
	ts.metrics[metric]++
	ts.series++
	return true
}

// admit lets a point of series sid of metric through the tenant's limits: a known series always
// passes, a new one is counted when it fits and refused with a CardinalityError when not. It
// returns whether the series was new (the caller releases it if the write then fails).
func (s *Store) admit(ctx context.Context, ts *tenantSeries, lim *limits.Values, metric string, sid uint64) (bool, error) {
	tenant := ts.name
	if ts.known(sid) {
		return false, nil
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ok := s.refreshLocked(ctx, ts); !ok {
		return false, nil // the series table is unreadable: admitted unchecked (see loadRetry)
	}
	if ts.known(sid) {
		return false, nil // created by another appender, or found by the reload
	}
	n, metricExists := ts.metrics[metric]
	if max := lim.Int(limits.MaxSeriesPerTenant); max > 0 && ts.series >= max {
		return false, store.CardinalityError(limits.MaxSeriesPerTenant, max, tenant)
	}
	if max := lim.Int(limits.MaxMetricsPerTenant); !metricExists && max > 0 && int64(len(ts.metrics)) >= max {
		return false, store.CardinalityError(limits.MaxMetricsPerTenant, max, tenant)
	}
	if max := lim.Int(limits.MaxSeriesPerMetric); max > 0 && n >= max {
		return false, store.CardinalityError(limits.MaxSeriesPerMetric, max, tenant)
	}
	return ts.addLocked(metric, sid), nil
}

// release forgets series admitted for a write that failed: the client's retry admits them again.
func (s *Store) release(tenant string, refs []admitted) {
	if len(refs) == 0 {
		return
	}
	ts := s.lim.tenant(tenant)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, r := range refs {
		sh := &ts.shards[r.sid%limiterShards]
		sh.mu.Lock()
		_, ok := sh.ids[r.sid]
		delete(sh.ids, r.sid)
		sh.mu.Unlock()
		if ok {
			ts.series--
			if ts.metrics[r.metric]--; ts.metrics[r.metric] <= 0 {
				delete(ts.metrics, r.metric)
			}
		}
	}
}

// admitted is a series an appender admitted as new.
type admitted struct {
	metric string
	sid    uint64
}

// forgetLimits drops a deleted metric and its series from the counts.
func (s *Store) forgetLimits(tenant, metric string) {
	ts := s.lim.tenant(tenant)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for i := range ts.shards {
		sh := &ts.shards[i]
		sh.mu.Lock()
		for sid, m := range sh.ids {
			if m == metric {
				delete(sh.ids, sid)
				ts.series--
			}
		}
		sh.mu.Unlock()
	}
	delete(ts.metrics, metric)
}

// refreshLocked loads the tenant's series when they were never loaded or LimitsRefresh has
// passed (adding what other processes created; nothing is removed but by forgetLimits). It
// reports false when the series table cannot be read.
func (s *Store) refreshLocked(ctx context.Context, ts *tenantSeries) bool {
	now := time.Now()
	if !ts.loadedAt.IsZero() && now.Sub(ts.loadedAt) < s.o.LimitsRefresh {
		return true
	}
	if !ts.failedAt.IsZero() && now.Sub(ts.failedAt) < loadRetry {
		return !ts.loadedAt.IsZero() // stale counts are better than none
	}
	ctx, cancel := context.WithTimeout(ctx, s.o.DialTimeout+30*time.Second)
	defer cancel()
	start := time.Now()
	n, err := s.loadSeries(ctx, ts)
	s.lim.loads.Add(1)
	if err != nil {
		ts.failedAt = now
		s.o.Logger.Warn("clickhouse: cannot read the tenant's series for the cardinality limits; new series pass unchecked until the next try",
			zap.String("tenant", ts.name), zap.Duration("retry_in", loadRetry), zap.Error(err))
		return !ts.loadedAt.IsZero()
	}
	ts.loadedAt, ts.failedAt = now, time.Time{}
	if d := time.Since(start); d > time.Second {
		s.o.Logger.Info("clickhouse: read a tenant's series for the cardinality limits", zap.String("tenant", ts.name),
			zap.Int("series", n), zap.Duration("took", d))
	}
	return true
}

// loadSeries adds every series and metric the database holds for the tenant and returns the
// number of series read. Metrics come from the metrics table too: a metric counts from its
// first point, as in discovery.
func (s *Store) loadSeries(ctx context.Context, ts *tenantSeries) (int, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT metric FROM "+s.t.metrics+" WHERE tenant = "+quote(ts.name))
	if err != nil {
		return 0, fmt.Errorf("metrics of tenant: %w", err)
	}
	var metrics []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return 0, err
		}
		metrics = append(metrics, m)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, err
	}
	for _, m := range metrics {
		if _, ok := ts.metrics[m]; !ok {
			ts.metrics[m] = 0
		}
	}
	rows, err = s.conn.Query(ctx, "SELECT metric, series_id FROM "+s.t.series+" WHERE tenant = "+quote(ts.name)+" GROUP BY metric, series_id")
	if err != nil {
		return 0, fmt.Errorf("series of tenant: %w", err)
	}
	defer rows.Close()
	n := 0
	names := map[string]string{} // one copy of each metric name for a million series
	for rows.Next() {
		var m string
		var sid uint64
		if err := rows.Scan(&m, &sid); err != nil {
			return n, err
		}
		if c, ok := names[m]; ok {
			m = c
		} else {
			names[m] = m
		}
		ts.addLocked(m, sid)
		n++
	}
	return n, rows.Err()
}
