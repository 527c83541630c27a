package queryserver

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
	"github.com/luminate-metrics/luminate/internal/store"
)

// guardWith returns a Guard with per-tenant overrides.
func guardWith(over map[string]map[limits.ID]float64) *limits.Guard {
	cfg := limits.DefaultConfig()
	cfg.Overrides = map[string]limits.Override{}
	for tenant, m := range over {
		var o limits.Override
		for id, x := range m {
			o = o.Set(id, x)
		}
		cfg.Overrides[tenant] = o
	}
	return limits.NewGuard(cfg, nil)
}

func TestLimitsEndpoint(t *testing.T) {
	st := seeded(t)
	g := guardWith(map[string]map[limits.ID]float64{"acme": {limits.MaxSeriesPerTenant: 1000, limits.RetentionDays: 30}})
	f := newFixture(t, st, func(c *Config) { c.Guard = g })
	// (rates are over the last whole seconds: a fresh guard reports 0; internal/limits tests them)
	r := f.request(t, http.MethodGet, "/api/v1/limits?topN=1", token(t, "acme", "read"), "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	d := limits.Defaults()
	assertJSON(t, r.body, fmt.Sprintf(`{"tenant":"acme","topN":1,
		"limits":{"writeRequestsPerSecond":%v,"pointsPerSecond":%v,"queryRequestsPerSecond":%v,"maxConcurrentQueries":%v,
			"maxSeriesPerTenant":1000,"maxSeriesPerMetric":%v,"maxMetricsPerTenant":%v,"retentionDays":30},
		"usage":{"activeSeries":4,"metrics":2,"seriesPerMetric":{"api_latency":2},"writeRequestsPerSecond":0,"pointsPerSecond":0,
			"queryRequestsPerSecond":0,"concurrentQueries":0}}`,
		d[limits.WriteRequestsPerSecond], d[limits.PointsPerSecond], d[limits.QueryRequestsPerSecond], d[limits.MaxConcurrentQueries],
		d[limits.MaxSeriesPerMetric], d[limits.MaxMetricsPerTenant]))

	// Another tenant sees only itself; no limit is null.
	r = f.request(t, http.MethodGet, "/api/v1/limits", token(t, "globex", "read"), "")
	v := r.json(t)
	if v["tenant"] != "globex" || v["limits"].(map[string]any)["retentionDays"] != nil || v["usage"].(map[string]any)["activeSeries"] != 2.0 {
		t.Errorf("globex: %s", r.body)
	}
	// Scope, bad topN.
	expectError(t, f.request(t, http.MethodGet, "/api/v1/limits", token(t, "acme", "write"), ""), 403, "FORBIDDEN", "read")
	expectError(t, f.request(t, http.MethodGet, "/api/v1/limits?topN=0", token(t, "acme", "read"), ""), 400, "INVALID_REQUEST", "topN")

	// Without a guard, limits are null (not enforced).
	f2 := newFixture(t, st)
	r = f2.request(t, http.MethodGet, "/api/v1/limits", token(t, "acme", "read"), "")
	if lim := r.json(t)["limits"].(map[string]any); lim["maxSeriesPerTenant"] != nil || len(lim) != int(limits.NumIDs) {
		t.Errorf("without a guard: %s", r.body)
	}
}

func TestCardinalityEndpoint(t *testing.T) {
	f := newFixture(t, seeded(t))
	tok := token(t, "acme", "read")
	r := f.request(t, http.MethodGet, "/api/v1/cardinality", tok, "")
	assertJSON(t, r.body, `{"totalSeries":4,"metricCount":2,"topN":10,
		"metrics":[{"name":"api_latency","seriesCount":2},{"name":"requests_total","seriesCount":2}]}`)
	r = f.request(t, http.MethodGet, "/api/v1/cardinality?metric=api_latency&topN=1", tok, "")
	assertJSON(t, r.body, `{"metricName":"api_latency","seriesCount":2,"topN":1,"dimensions":[
		{"key":"customer_id","distinctValues":2,"topValues":[{"value":"c1","seriesCount":1}]},
		{"key":"region","distinctValues":2,"topValues":[{"value":"eu","seriesCount":1}]}]}`)
	expectError(t, f.request(t, http.MethodGet, "/api/v1/cardinality?metric=globex_secret", tok, ""), 404, "NOT_FOUND", "globex_secret")
	expectError(t, f.request(t, http.MethodGet, "/api/v1/cardinality?metric=1bad", tok, ""), 400, "INVALID_METRIC_NAME", "")
	expectError(t, f.request(t, http.MethodGet, "/api/v1/cardinality?topN=1001", tok, ""), 400, "INVALID_REQUEST", "topN")
	expectError(t, f.request(t, http.MethodGet, "/api/v1/cardinality", "", ""), 401, "UNAUTHORIZED", "")
}

func TestAdminEndpoints(t *testing.T) {
	st := seeded(t)
	f := newFixture(t, st, func(c *Config) {
		c.Guard = guardWith(map[string]map[limits.ID]float64{"acme": {limits.RetentionDays: 400}})
	})
	adm := token(t, "acme", "admin")
	r := f.request(t, http.MethodPost, "/api/v1/admin/retention", adm, `{"metricName":"api_latency","retentionDays":7}`)
	assertJSON(t, r.body, `{"metricName":"api_latency","retentionDays":7}`)
	f.request(t, http.MethodPost, "/api/v1/admin/retention", adm, `{"metricName":"*","retentionDays":30}`)
	r = f.request(t, http.MethodGet, "/api/v1/admin/retention", adm, "")
	assertJSON(t, r.body, `{"policies":[{"metricName":"*","retentionDays":30},{"metricName":"api_latency","retentionDays":7}],"count":2,"defaultRetentionDays":400}`)
	r = f.request(t, http.MethodGet, "/api/v1/admin/retention", token(t, "globex", "admin"), "")
	assertJSON(t, r.body, `{"policies":[],"count":0,"defaultRetentionDays":null}`)

	for body, want := range map[string]string{
		`{"metricName":"x","retentionDays":0}`:                      "INVALID_REQUEST",
		`{"metricName":"x","retentionDays":3651}`:                   "INVALID_REQUEST",
		`{"metricName":"x","retentionDays":1.5}`:                    "INVALID_REQUEST",
		`{"metricName":"x","retentionDays":"7"}`:                    "INVALID_REQUEST",
		`{"metricName":"x"}`:                                        "INVALID_REQUEST",
		`{"retentionDays":7}`:                                       "INVALID_REQUEST",
		`{"metricName":"x","retentionDays":7,"x":1}`:                "INVALID_REQUEST",
		`{"metricName":"9x","retentionDays":7}`:                     "INVALID_METRIC_NAME",
		`{"metricName":"x","retentionDays":7}{}`:                    "INVALID_REQUEST",
		`not json`:                                                  "INVALID_REQUEST",
		`{"metricName":"x","retentionDays":7,"tenant_id":"globex"}`: "INVALID_REQUEST",
	} {
		r := f.request(t, http.MethodPost, "/api/v1/admin/retention", adm, body)
		if code, _ := r.errorCode(t); r.status != 400 || code != want {
			t.Errorf("%s: %d %s, want 400 %s", body, r.status, code, want)
		}
	}

	// Delete: before 1m30s after t0 removes c1's points at t0 and t0+1m and c2's at t0+30s.
	before := time.UnixMilli(t0 + 90000).UTC().Format(time.RFC3339)
	r = f.request(t, http.MethodDelete, "/api/v1/admin/metrics/api_latency?before="+before, adm, "")
	assertJSON(t, r.body, `{"metricName":"api_latency","deletedBefore":"2026-11-27T10:01:30.000Z"}`)
	q := f.request(t, http.MethodPost, "/api/v1/query", token(t, "acme", "read"), queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"count"`))
	if !strings.Contains(string(q.body), `"value":1,"count":1`) {
		t.Errorf("after delete: %s", q.body)
	}
	// An offset written with an unescaped + still parses.
	r = f.request(t, http.MethodDelete, "/api/v1/admin/metrics/requests_total?before=2026-11-27T11:00:00+01:00", adm, "")
	assertJSON(t, r.body, `{"metricName":"requests_total","deletedBefore":"2026-11-27T10:00:00.000Z"}`)
	// globex's metric of the same name is untouched.
	q = f.request(t, http.MethodPost, "/api/v1/query", token(t, "globex", "read"), queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"count"`))
	if !strings.Contains(string(q.body), `"value":1,"count":1`) {
		t.Errorf("globex after acme's delete: %s", q.body)
	}
	expectError(t, f.request(t, http.MethodDelete, "/api/v1/admin/metrics/globex_secret?before="+before, adm, ""), 404, "NOT_FOUND", "")
	expectError(t, f.request(t, http.MethodDelete, "/api/v1/admin/metrics/api_latency", adm, ""), 400, "INVALID_REQUEST", "before is required")
	expectError(t, f.request(t, http.MethodDelete, "/api/v1/admin/metrics/api_latency?before=yesterday", adm, ""), 400, "INVALID_REQUEST", "RFC 3339")
	// admin does not imply read, nor read admin
	expectError(t, f.request(t, http.MethodDelete, "/api/v1/admin/metrics/api_latency?before="+before, token(t, "acme", "read", "write"), ""), 403, "FORBIDDEN", "admin")
	expectError(t, f.request(t, http.MethodGet, "/api/v1/metrics", adm, ""), 403, "FORBIDDEN", "read")

	// An engine without store.Admin answers 501.
	f3 := newFixture(t, plainStore{st})
	expectError(t, f3.request(t, http.MethodGet, "/api/v1/admin/retention", adm, ""), 501, "SERVICE_UNAVAILABLE", "does not support")
}

// plainStore hides the optional interfaces of a store.
type plainStore struct{ store.Store }

// Reads over query_requests_per_second and queries over max_concurrent_queries get 429 with
// the headers of the limit that applied; another tenant is not affected; /api/v1/limits is
// never throttled.
func TestReadRateLimits(t *testing.T) {
	g := guardWith(map[string]map[limits.ID]float64{"acme": {limits.QueryRequestsPerSecond: 1}})
	f := newFixture(t, seeded(t), func(c *Config) { c.Guard = g })
	tok := token(t, "acme", "read")
	for i := range 2 {
		if r := f.request(t, http.MethodGet, "/api/v1/metrics", tok, ""); r.status != 200 {
			t.Fatalf("read %d: %d %s", i, r.status, r.body)
		}
	}
	r := f.request(t, http.MethodPost, "/api/v1/query", tok, queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"avg"`))
	expectError(t, r, 429, "RATE_LIMIT_EXCEEDED", "per-tenant query rate of 1 requests/s exceeded (err-luminate-query-requests-per-second)")
	if r.header.Get("Retry-After") != "1" || r.header.Get("X-RateLimit-Limit") != "1" || r.header.Get("X-RateLimit-Remaining") != "0" ||
		r.header.Get("X-RateLimit-Reset") == "" {
		t.Errorf("headers %v", r.header)
	}
	if r := f.request(t, http.MethodGet, "/api/v1/limits", tok, ""); r.status != 200 {
		t.Errorf("limits while throttled: %d", r.status)
	}
	if r := f.request(t, http.MethodGet, "/api/v1/metrics", token(t, "globex", "read"), ""); r.status != 200 {
		t.Errorf("another tenant: %d", r.status)
	}
	if !strings.Contains(f.metricsText(t), `luminate_rate_limited_total{limit="query_requests_per_second"} 1`) {
		t.Error("rate-limit rejection not counted")
	}
}

func TestConcurrentQueryLimit(t *testing.T) {
	g := guardWith(map[string]map[limits.ID]float64{"acme": {limits.MaxConcurrentQueries: 1, limits.QueryRequestsPerSecond: 1000}})
	release := make(chan struct{})
	entered := make(chan struct{})
	st := &heldStore{Store: seeded(t), entered: entered, release: release}
	f := newFixture(t, st, func(c *Config) { c.Guard = g })
	tok := token(t, "acme", "read")
	body := queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"avg"`)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if r := f.request(t, http.MethodPost, "/api/v1/query", tok, body); r.status != 200 {
			t.Errorf("first query: %d %s", r.status, r.body)
		}
	}()
	<-entered
	r := f.request(t, http.MethodPost, "/api/v1/query", tok, body)
	expectError(t, r, 429, "RATE_LIMIT_EXCEEDED", "per-tenant concurrent query limit of 1 queries exceeded")
	if r.header.Get("X-RateLimit-Limit") != "1" || r.header.Get("Retry-After") != "1" {
		t.Errorf("headers %v", r.header)
	}
	lim := f.request(t, http.MethodGet, "/api/v1/limits", tok, "").json(t)
	if lim["usage"].(map[string]any)["concurrentQueries"] != 1.0 {
		t.Errorf("usage while a query runs: %v", lim["usage"])
	}
	close(release)
	wg.Wait()
	if r := f.request(t, http.MethodPost, "/api/v1/query", tok, body); r.status != 200 {
		t.Errorf("after the first finished: %d %s", r.status, r.body)
	}
}

// heldStore holds its first Query until release is closed.
type heldStore struct {
	store.Store
	entered, release chan struct{}
	once             sync.Once
}

func (b *heldStore) Query(ctx context.Context, q *store.Query) (*store.Result, error) {
	first := false
	b.once.Do(func() { first = true })
	if first {
		close(b.entered)
		<-b.release
	}
	return b.Store.Query(ctx, q)
}

func (f *fixture) metricsText(t *testing.T) string {
	t.Helper()
	r := f.request(t, http.MethodGet, "/metrics", "", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	return string(r.body)
}

// /metrics is public, labels routes by template, and counts requests by status.
func TestSelfMetricsEndpoint(t *testing.T) {
	m := selfmetrics.New(5)
	f := newFixture(t, seeded(t), func(c *Config) { c.Metrics = m })
	tok := token(t, "acme", "read")
	f.request(t, http.MethodGet, "/api/v1/metrics/api_latency/dimensions", tok, "")
	f.request(t, http.MethodGet, "/api/v1/metrics/requests_total/dimensions", tok, "")
	f.request(t, http.MethodGet, "/api/v1/metrics/nope/dimensions", tok, "")
	f.request(t, http.MethodGet, "/no/such/path/"+fmt.Sprint(time.Now().UnixNano()), "", "")
	f.request(t, "BREW", "/api/v1/metrics", "", "")
	text := f.metricsText(t)
	for _, want := range []string{
		`luminate_http_requests_total{method="GET",route="/api/v1/metrics/{name}/dimensions",status="200"} 2`,
		`luminate_http_requests_total{method="GET",route="/api/v1/metrics/{name}/dimensions",status="404"} 1`,
		`luminate_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`luminate_http_requests_total{method="invalid",route="unmatched",status="405"} 1`,
		`luminate_storage_query_duration_seconds_count{op="dimensions"} 3`,
		`luminate_active_series{tenant="acme"} 4`,
		`luminate_active_series{tenant="globex"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(text, "api_latency") || strings.Contains(text, "/no/such") {
		t.Error("a raw path leaked into the labels")
	}
}
