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
// so the engine keeps one per limited tenant in memory: the ids of its series (read from the
// series table, then kept up to date by this process's own writes) and its metrics with their
// series counts. Other processes' new series arrive with a reload when this process next
// creates a series after LimitsRefresh has passed; between reloads, N ingest processes may
// together pass a limit by what the others created since (docs/storage-clickhouse.md,
// "Cardinality limits").
//
// Looking every point up in that set costs a cache miss per point (0.6 µs at 2M series, a
// quarter of the Go side's CPU per point), so a write far from the limits does not: it reserves
// headroom in chunks (inflight), as if each of its points might be a new series, and at Commit
// counts the series that really are new among those the series cache has not stored in this
// writer epoch (usually none, as series repeat). Near a limit, where no chunk fits, a write
// first counts what it reserved, then checks each point's series (exact mode). Counts plus
// reservations never pass a limit, so no point is admitted over one; a new series refused only
// because of other writes' reservations waits up to reservationWait for them to finish.

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

const (
	limiterShardBits = 6
	limiterShards    = 1 << limiterShardBits
	// limiterChunk is the headroom a write reserves at a time: a write near a limit (within
	// writers x limiterChunk series) checks each point instead.
	limiterChunk = 1024
	// reservationWait bounds how long a new series waits for other writes' reservations
	// before it is refused as over the limit.
	reservationWait = 2 * time.Second
)

// tenantSeries is one tenant's series and metrics as the limits count them. A series is in the
// set once because it is added under its shard's lock; counts and reservations change together
// under cnt, so that series + inflight never passes a limit.
type tenantSeries struct {
	name   string
	shards [limiterShards]struct {
		mu  sync.Mutex
		ids sidTable // series id -> metric id
		_   [24]byte // keep shards on separate cache lines
	}

	cnt      sync.Mutex
	series   int64 // series in the set
	inflight int64 // headroom reserved by writes in progress

	mu       sync.Mutex // creates metrics; loads
	metrics  map[string]*metricCount
	loadedAt atomic.Int64 // Unix ns of the last load; 0: not loaded (the next new series loads)
	failedAt time.Time    // last failed load: retried after loadRetry
}

// metricCount is a metric's series and reservations (under its tenant's cnt).
type metricCount struct {
	id               uint32
	name             string
	series, inflight int64
}

// loadRetry is how long a tenant whose series could not be read admits new series without a
// check (limits protect the server; refusing writes while ClickHouse is unreachable would turn
// an outage into data loss) before the next read is tried.
const loadRetry = 5 * time.Second

// limiter holds the limited tenants' series.
type limiter struct {
	mu      sync.Mutex
	tenants map[string]*tenantSeries
	nextID  uint32       // metric ids, unique in the process (a deleted metric's id is not reused)
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
		ts = &tenantSeries{name: name, metrics: map[string]*metricCount{}}
		l.tenants[name] = ts
	}
	return ts
}

// metricLocked returns the metric's count, creating it (ts.mu held).
func (l *limiter) metricLocked(ts *tenantSeries, name string) *metricCount {
	mc := ts.metrics[name]
	if mc == nil {
		l.mu.Lock()
		l.nextID++
		mc = &metricCount{id: l.nextID, name: name}
		l.mu.Unlock()
		ts.metrics[name] = mc
	}
	return mc
}

// admitMetric returns the count of a metric a point is written to, creating the metric when it
// fits the limits (a new metric needs room for its first series too).
func (s *Store) admitMetric(ts *tenantSeries, lim *limits.Values, name string) (*metricCount, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if mc := ts.metrics[name]; mc != nil {
		return mc, nil
	}
	ts.cnt.Lock()
	n := ts.series
	ts.cnt.Unlock()
	if max := lim.Int(limits.MaxSeriesPerTenant); max > 0 && n >= max {
		return nil, store.CardinalityError(limits.MaxSeriesPerTenant, max, ts.name)
	}
	if max := lim.Int(limits.MaxMetricsPerTenant); max > 0 && int64(len(ts.metrics)) >= max {
		return nil, store.CardinalityError(limits.MaxMetricsPerTenant, max, ts.name)
	}
	return s.lim.metricLocked(ts, name), nil
}

// fits reports whether n more series fit both limits counting every reservation.
func fits(ts *tenantSeries, mc *metricCount, lim *limits.Values, n int64) bool {
	maxT, maxM := lim.Int(limits.MaxSeriesPerTenant), lim.Int(limits.MaxSeriesPerMetric)
	return (maxT <= 0 || ts.series+ts.inflight+n <= maxT) && (maxM <= 0 || mc.series+mc.inflight+n <= maxM)
}

// reserveChunk reserves limiterChunk series of headroom for a write, when they fit.
func reserveChunk(ts *tenantSeries, mc *metricCount, lim *limits.Values) bool {
	ts.cnt.Lock()
	defer ts.cnt.Unlock()
	if !fits(ts, mc, lim, limiterChunk) {
		return false
	}
	ts.inflight += limiterChunk
	mc.inflight += limiterChunk
	return true
}

// unreserve returns headroom a write reserved.
func unreserve(ts *tenantSeries, mc *metricCount, n int64) {
	if n == 0 {
		return
	}
	ts.cnt.Lock()
	ts.inflight -= n
	mc.inflight -= n
	ts.cnt.Unlock()
}

// admitExact lets a point of series sid through the limits, one series at a time: a known
// series passes, a new one is counted when it fits and refused with a CardinalityError when
// not. It reports whether the series was new (the caller releases it if the write fails).
func admitExact(ts *tenantSeries, lim *limits.Values, mc *metricCount, sid uint64) (bool, error) {
	deadline := time.Time{}
	for {
		isNew, id, waitable := tryAdmit(ts, lim, mc, sid)
		if id == 0 {
			return isNew, nil
		}
		if !waitable {
			return false, store.CardinalityError(id, lim.Int(id), ts.name)
		}
		// over only with other writes' reservations: most of them are usually existing series
		if deadline.IsZero() {
			deadline = time.Now().Add(reservationWait)
		} else if time.Now().After(deadline) {
			return false, store.CardinalityError(id, lim.Int(id), ts.name)
		}
		time.Sleep(time.Millisecond)
	}
}

// tryAdmit is one attempt of admitExact: the limit that refuses sid (0: admitted), and whether
// the refusal is only due to reservations.
func tryAdmit(ts *tenantSeries, lim *limits.Values, mc *metricCount, sid uint64) (isNew bool, refused limits.ID, waitable bool) {
	sh := &ts.shards[sid%limiterShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.ids.find(sid)
	if e.metric != 0 {
		return false, 0, false
	}
	ts.cnt.Lock()
	defer ts.cnt.Unlock()
	for _, c := range []struct {
		id       limits.ID
		n, extra int64
	}{{limits.MaxSeriesPerTenant, ts.series, ts.inflight}, {limits.MaxSeriesPerMetric, mc.series, mc.inflight}} {
		if max := lim.Int(c.id); max > 0 && c.n+c.extra >= max {
			return false, c.id, c.n < max
		}
	}
	ts.series++
	mc.series++
	sh.ids.insert(e, sid, mc.id)
	return true, 0, false
}

// add counts a series when it is not in the set yet, without a limit check: a series read from
// the database, or one a write reserved headroom for. It reports whether it was new.
func (ts *tenantSeries) add(mc *metricCount, sid uint64) bool {
	sh := &ts.shards[sid%limiterShards]
	sh.mu.Lock()
	e := sh.ids.find(sid)
	ok := e.metric != 0
	if !ok {
		sh.ids.insert(e, sid, mc.id)
	}
	sh.mu.Unlock()
	if ok {
		return false
	}
	ts.cnt.Lock()
	ts.series++
	mc.series++
	ts.cnt.Unlock()
	return true
}

// release forgets series admitted for a write that failed: the client's retry admits them again.
func (s *Store) release(ts *tenantSeries, refs []admitted) {
	for _, r := range refs {
		sh := &ts.shards[r.sid%limiterShards]
		sh.mu.Lock()
		ok := sh.ids.remove(r.sid)
		sh.mu.Unlock()
		if ok {
			ts.cnt.Lock()
			ts.series--
			r.mc.series--
			ts.cnt.Unlock()
		}
	}
}

// admitted is a series a write counted as new.
type admitted struct {
	mc  *metricCount
	sid uint64
}

// forgetLimits drops a deleted metric and its series from the counts.
func (s *Store) forgetLimits(tenant, metric string) {
	s.lim.mu.Lock()
	ts := s.lim.tenants[tenant]
	s.lim.mu.Unlock()
	if ts == nil {
		return // not a limited tenant (or none of its series was counted yet)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	mc := ts.metrics[metric]
	if mc == nil {
		return
	}
	for i := range ts.shards {
		sh := &ts.shards[i]
		sh.mu.Lock()
		n := int64(sh.ids.removeMetric(mc.id))
		sh.mu.Unlock()
		ts.cnt.Lock()
		ts.series -= n
		mc.series -= n
		ts.cnt.Unlock()
	}
	delete(ts.metrics, metric) // writes in progress may still hold mc; it no longer counts
}

// fresh makes sure the tenant's series were read: at the first new series, and again when
// LimitsRefresh has passed. It reports false when they could never be read (see loadRetry).
func (s *Store) fresh(ctx context.Context, ts *tenantSeries) bool {
	if at := ts.loadedAt.Load(); at != 0 && time.Since(time.Unix(0, at)) < s.o.LimitsRefresh {
		return true
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return s.refreshLocked(ctx, ts)
}

// refreshLocked loads the tenant's series (ts.mu held) when they were never loaded or
// LimitsRefresh has passed (adding what other processes created; nothing is removed but by forgetLimits). It
// reports false when the series table cannot be read.
func (s *Store) refreshLocked(ctx context.Context, ts *tenantSeries) bool {
	now := time.Now()
	loaded := ts.loadedAt.Load() != 0
	if loaded && now.Sub(time.Unix(0, ts.loadedAt.Load())) < s.o.LimitsRefresh {
		return true // another appender loaded meanwhile
	}
	if !ts.failedAt.IsZero() && now.Sub(ts.failedAt) < loadRetry {
		return loaded // stale counts are better than none
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
		return loaded
	}
	ts.loadedAt.Store(now.UnixNano())
	ts.failedAt = time.Time{}
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
		s.lim.metricLocked(ts, m)
	}
	rows, err = s.conn.Query(ctx, "SELECT metric, series_id FROM "+s.t.series+" WHERE tenant = "+quote(ts.name)+" GROUP BY metric, series_id")
	if err != nil {
		return 0, fmt.Errorf("series of tenant: %w", err)
	}
	defer rows.Close()
	n := 0
	var mc *metricCount
	for rows.Next() {
		var m string
		var sid uint64
		if err := rows.Scan(&m, &sid); err != nil {
			return n, err
		}
		if mc == nil || mc.name != m {
			mc = s.lim.metricLocked(ts, m)
		}
		ts.add(mc, sid)
		n++
	}
	return n, rows.Err()
}
