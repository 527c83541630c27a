package limits

import (
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// Guard enforces the rate limits: per tenant, a token bucket (burst = 2 x rate) for write
// requests, points and query requests, and a count of running queries. One Guard is shared by
// everything in a process that admits traffic (the JSON receiver, the OTLP limits processor and
// the query server), so a tenant has one bucket whatever door it uses. Limits are per process:
// N ingest replicas admit up to N times a rate. Safe for concurrent use.
type Guard struct {
	cfg     Config
	now     func() time.Time
	tenants sync.Map // tenant -> *tenantState
}

type tenantState struct {
	limits                Values
	write, points, query  *rate.Limiter // nil: no limit
	running               atomic.Int64
	writeRate, pointsRate meter
	queryRate             meter
}

// NewGuard returns a Guard for cfg; now is the clock (nil: time.Now).
func NewGuard(cfg Config, now func() time.Time) *Guard {
	if now == nil {
		now = time.Now
	}
	return &Guard{cfg: cfg, now: now}
}

// Config returns the configuration the Guard enforces.
func (g *Guard) Config() *Config { return &g.cfg }

// Limits returns the effective limits of a tenant. It is what the storage engines call on the
// write path when a series or metric is about to be created.
func (g *Guard) Limits(tenant string) Values {
	if st, ok := g.tenants.Load(tenant); ok {
		return st.(*tenantState).limits
	}
	return g.cfg.For(tenant)
}

func (g *Guard) state(tenant string) *tenantState {
	if st, ok := g.tenants.Load(tenant); ok {
		return st.(*tenantState)
	}
	v := g.cfg.For(tenant)
	st := &tenantState{limits: v}
	st.write = bucket(v[WriteRequestsPerSecond])
	st.points = bucket(v[PointsPerSecond])
	st.query = bucket(v[QueryRequestsPerSecond])
	actual, _ := g.tenants.LoadOrStore(tenant, st)
	return actual.(*tenantState)
}

func bucket(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(perSecond), RateBurst(perSecond))
}

// AllowWriteRequest takes one token of the tenant's write request bucket (JSON write before
// decoding the body, OTLP export call). It returns nil or the refusal.
func (g *Guard) AllowWriteRequest(tenant string) *Denial {
	st := g.state(tenant)
	now := g.now()
	if d := take(st.write, 1, now, WriteRequestsPerSecond, st.limits, tenant); d != nil {
		return d
	}
	st.writeRate.add(now, 1)
	return nil
}

// AllowPoints takes n tokens of the tenant's points bucket (after decoding, n = the points that
// would be written). A request of more points than the burst can never pass; its refusal says
// to split it.
func (g *Guard) AllowPoints(tenant string, n int) *Denial {
	if n <= 0 {
		return nil
	}
	st := g.state(tenant)
	now := g.now()
	if d := take(st.points, n, now, PointsPerSecond, st.limits, tenant); d != nil {
		return d
	}
	st.pointsRate.add(now, int64(n))
	return nil
}

// AllowRead takes one token of the tenant's query request bucket (discovery endpoints).
func (g *Guard) AllowRead(tenant string) *Denial {
	st := g.state(tenant)
	now := g.now()
	if d := take(st.query, 1, now, QueryRequestsPerSecond, st.limits, tenant); d != nil {
		return d
	}
	st.queryRate.add(now, 1)
	return nil
}

// StartQuery admits a query: one token of the query request bucket, then a slot of
// max_concurrent_queries. On success the caller must call done when the query has finished.
func (g *Guard) StartQuery(tenant string) (done func(), d *Denial) {
	st := g.state(tenant)
	now := g.now()
	if d := take(st.query, 1, now, QueryRequestsPerSecond, st.limits, tenant); d != nil {
		return nil, d
	}
	st.queryRate.add(now, 1)
	maxQ := st.limits.Int(MaxConcurrentQueries)
	if n := st.running.Add(1); maxQ > 0 && n > maxQ {
		st.running.Add(-1)
		return nil, &Denial{
			ID: MaxConcurrentQueries, Tenant: tenant, Limit: float64(maxQ), Remaining: 0,
			RetryAfter: time.Second, Reset: now.Add(time.Second),
			Message: ExceededMessage(MaxConcurrentQueries, float64(maxQ), tenant) + "; wait for running queries to finish",
		}
	}
	var once sync.Once
	return func() { once.Do(func() { st.running.Add(-1) }) }, nil
}

// Usage is what a tenant consumes right now: rates over the last 10 seconds of admitted
// requests and points, and the queries running.
type Usage struct {
	WriteRequestsPerSecond float64
	PointsPerSecond        float64
	QueryRequestsPerSecond float64
	ConcurrentQueries      int64
}

// Usage reports the tenant's current rates in this process.
func (g *Guard) Usage(tenant string) Usage {
	v, ok := g.tenants.Load(tenant)
	if !ok {
		return Usage{}
	}
	st := v.(*tenantState)
	now := g.now()
	return Usage{
		WriteRequestsPerSecond: st.writeRate.rate(now),
		PointsPerSecond:        st.pointsRate.rate(now),
		QueryRequestsPerSecond: st.queryRate.rate(now),
		ConcurrentQueries:      st.running.Load(),
	}
}

// take takes n tokens or describes the refusal.
func take(lim *rate.Limiter, n int, now time.Time, id ID, v Values, tenant string) *Denial {
	if lim == nil || lim.AllowN(now, n) {
		return nil
	}
	r := float64(lim.Limit())
	burst := lim.Burst()
	tokens := lim.TokensAt(now)
	d := &Denial{ID: id, Tenant: tenant, Limit: v[id], Remaining: int64(math.Max(0, math.Floor(tokens)))}
	d.Reset = now.Add(seconds((float64(burst) - tokens) / r))
	d.Message = ExceededMessage(id, v[id], tenant)
	if n > burst {
		// Waiting never helps: the bucket never holds n tokens.
		d.RetryAfter = d.Reset.Sub(now)
		d.Message += "; this request alone needs " + strconv.Itoa(n) + " tokens, more than the burst of " +
			strconv.Itoa(burst) + " (2 x the limit): split it into smaller requests"
		return d
	}
	d.RetryAfter = seconds((float64(n) - tokens) / r)
	return d
}

func seconds(s float64) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(s * float64(time.Second))
}

// Denial is a refusal by a rate limit: which limit applied and what the client is told.
type Denial struct {
	ID     ID
	Tenant string
	// Limit is the configured value: requests or points per second, or concurrent queries.
	Limit float64
	// Remaining is the whole tokens left in the bucket (free query slots: 0).
	Remaining int64
	// RetryAfter is when a retry of the same request can pass.
	RetryAfter time.Duration
	// Reset is when the bucket is full again.
	Reset   time.Time
	Message string
}

// Error returns the 429 RATE_LIMIT_EXCEEDED error of api.md.
func (d *Denial) Error() *apierror.Error {
	return apierror.New(apierror.RateLimitExceeded, "%s", d.Message).WithDetails(map[string]any{
		"limit":             d.ID.Def().JSON,
		"setting":           d.ID.Setting(),
		"value":             d.Limit,
		"retryAfterSeconds": d.RetryAfterSeconds(),
	})
}

// RetryAfterSeconds is Retry-After in whole seconds, rounded up, at least 1.
func (d *Denial) RetryAfterSeconds() int64 {
	s := int64(math.Ceil(d.RetryAfter.Seconds()))
	return max(s, 1)
}

// Headers are the response headers of the refusal, in the order api.md names them:
// Retry-After (seconds), X-RateLimit-Limit (the configured value), X-RateLimit-Remaining (whole
// tokens left) and X-RateLimit-Reset (Unix time in seconds at which the bucket is full again).
func (d *Denial) Headers() [4][2]string {
	return [4][2]string{
		{"Retry-After", strconv.FormatInt(d.RetryAfterSeconds(), 10)},
		{"X-RateLimit-Limit", formatValue(d.Limit)},
		{"X-RateLimit-Remaining", strconv.FormatInt(d.Remaining, 10)},
		{"X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(d.Reset.UnixNano())/1e9)), 10)},
	}
}

// meter counts events in 1-second slots over the last meterSlots seconds.
type meter struct {
	mu     sync.Mutex
	secs   [meterSlots]int64
	counts [meterSlots]int64
}

const meterSlots = 10

func (m *meter) add(now time.Time, n int64) {
	sec := now.Unix()
	i := int(uint64(sec) % meterSlots)
	m.mu.Lock()
	if m.secs[i] != sec {
		m.secs[i], m.counts[i] = sec, 0
	}
	m.counts[i] += n
	m.mu.Unlock()
}

// rate is the events per second over the last meterSlots whole seconds before now.
func (m *meter) rate(now time.Time) float64 {
	sec := now.Unix()
	var sum int64
	m.mu.Lock()
	for i := range meterSlots {
		if s := m.secs[i]; s < sec && s >= sec-meterSlots {
			sum += m.counts[i]
		}
	}
	m.mu.Unlock()
	return float64(sum) / meterSlots
}
