package queryserver

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/queryapi"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

// Every query type end to end through HTTP, against the reference engine and the seeded data
// (see seeded). executionTimeMs is checked to exist and then ignored.
func TestQueryShapes(t *testing.T) {
	f := newFixture(t, seeded(t))
	tok := token(t, "acme", "read")
	const (
		m0 = `"2026-11-27T10:00:00.000Z"`
		m1 = `"2026-11-27T10:01:00.000Z"`
		m2 = `"2026-11-27T10:02:00.000Z"`
	)
	cases := []struct{ name, body, want string }{
		{
			name: "aggregate grouped, top groups first",
			body: queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"avg","groupBy":["customer_id"]`),
			want: `{"queryType":"aggregate","results":[
				{"groupKey":{"customer_id":"c2"},"value":100,"count":1},
				{"groupKey":{"customer_id":"c1"},"value":20,"count":3}],
				"seriesScanned":2,"pointsScanned":4}`,
		},
		{
			name: "aggregate limit 1 asc",
			body: queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"p50","groupBy":["customer_id"],"limit":1,"order":"asc"`),
			want: `{"queryType":"aggregate","results":[{"groupKey":{"customer_id":"c1"},"value":20,"count":3}],
				"seriesScanned":2,"pointsScanned":4}`,
		},
		{
			name: "aggregate with interval",
			body: queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"max","interval":"1m"`),
			want: `{"queryType":"aggregate","results":[{"groupKey":{},"points":[
				{"timestamp":` + m0 + `,"value":100,"count":2},
				{"timestamp":` + m1 + `,"value":20,"count":1},
				{"timestamp":` + m2 + `,"value":30,"count":1}]}],
				"seriesScanned":2,"pointsScanned":4}`,
		},
		{
			name: "raw range, filtered, first points by time",
			body: queryBody(`"queryType":"range","metricName":"api_latency","filters":{"customer_id":"c1"},"limit":2,"order":"asc"`),
			want: `{"queryType":"range","results":[
				{"timestamp":` + m0 + `,"value":10,"dimensions":{"customer_id":"c1","region":"us"}},
				{"timestamp":` + m1 + `,"value":20,"dimensions":{"customer_id":"c1","region":"us"}}],
				"seriesScanned":1,"pointsScanned":3}`,
		},
		{
			name: "raw range, operator filters",
			body: queryBody(`"queryType":"range","metricName":"api_latency","filters":{"region":{"nin":["us"]},"customer_id":{"regex":"c[0-9]"}}`),
			want: `{"queryType":"range","results":[
				{"timestamp":"2026-11-27T10:00:30.000Z","value":100,"dimensions":{"customer_id":"c2","region":"eu"}}],
				"seriesScanned":1,"pointsScanned":1}`,
		},
		{
			name: "bucketed range defaults to avg",
			body: queryBody(`"queryType":"range","metricName":"api_latency","interval":"1m","groupBy":["region"]`),
			want: `{"queryType":"range","results":[
				{"groupKey":{"region":"eu"},"points":[{"timestamp":` + m0 + `,"value":100,"count":1}]},
				{"groupKey":{"region":"us"},"points":[
					{"timestamp":` + m0 + `,"value":10,"count":1},
					{"timestamp":` + m1 + `,"value":20,"count":1},
					{"timestamp":` + m2 + `,"value":30,"count":1}]}],
				"seriesScanned":2,"pointsScanned":4}`,
		},
		{
			name: "rate without groupBy is a flat list of all series summed",
			body: queryBody(`"queryType":"rate","metricName":"requests_total","interval":"1m"`),
			want: `{"queryType":"rate","results":[
				{"timestamp":` + m0 + `,"rate":0},
				{"timestamp":` + m1 + `,"rate":1.5},
				{"timestamp":` + m2 + `,"rate":1}],
				"seriesScanned":2,"pointsScanned":5}`,
		},
		{
			name: "rate with groupBy",
			body: queryBody(`"queryType":"rate","metricName":"requests_total","interval":"1m","groupBy":["host"]`),
			want: `{"queryType":"rate","results":[
				{"groupKey":{"host":"h1"},"points":[{"timestamp":` + m0 + `,"rate":0},{"timestamp":` + m1 + `,"rate":1},{"timestamp":` + m2 + `,"rate":1}]},
				{"groupKey":{"host":"h2"},"points":[{"timestamp":` + m0 + `,"rate":0},{"timestamp":` + m1 + `,"rate":0.5}]}],
				"seriesScanned":2,"pointsScanned":5}`,
		},
		{
			name: "rate without interval: one bucket at the range start",
			body: queryBody(`"queryType":"rate","metricName":"requests_total"`),
			want: `{"queryType":"rate","results":[{"timestamp":` + m0 + `,"rate":0.041666666666666664}],
				"seriesScanned":2,"pointsScanned":5}`,
		},
		{
			name: "nothing matches: results is an empty list",
			body: queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"sum","filters":{"customer_id":"nobody"}`),
			want: `{"queryType":"aggregate","results":[],"seriesScanned":0,"pointsScanned":0}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.request(t, "POST", "/api/v1/query", tok, c.body)
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			assertJSON(t, r.body, c.want, "executionTimeMs")
		})
	}
}

func TestQueryGzipBody(t *testing.T) {
	f := newFixture(t, seeded(t))
	body := queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"count"`)
	r := f.request(t, "POST", "/api/v1/query", token(t, "acme", "read"), gzipped(t, body), "Content-Encoding", "gzip")
	if r.status != 200 || !strings.Contains(string(r.body), `"value":4,"count":4`) {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func TestQueryErrors(t *testing.T) {
	f := newFixture(t, seeded(t), func(c *Config) { c.Limits = queryapi.Limits{MaxSeries: 1, MaxBodyBytes: 4096} })
	tok := token(t, "acme", "read")
	bomb := gzipped(t, `{"queryType":"range","metricName":"m","filters":{"a":"`+strings.Repeat("a", 100000)+`"}}`)
	cases := []struct {
		name, body string
		headers    []string
		status     int
		code, msg  string
	}{
		{"empty body", "", nil, 400, "INVALID_QUERY", "request body is empty"},
		{"not JSON", "queryType=range", nil, 400, "INVALID_QUERY", "is not valid JSON"},
		{"invalid field", queryBody(`"queryType":"sum","metricName":"api_latency"`), nil, 400, "INVALID_QUERY", `queryType: unknown value "sum"`},
		{"invalid metric name", queryBody(`"queryType":"range","metricName":"9lives"`), nil, 400, "INVALID_METRIC_NAME", "9lives"},
		{"range too long", `{"queryType":"range","metricName":"api_latency","timeRange":{"relative":"90d"}}`, nil, 422, "QUERY_TOO_LARGE", "time range of 90d exceeds the maximum of 31d (query.max_range)"},
		{"store guard passes through", queryBody(`"queryType":"range","metricName":"api_latency"`), nil, 422, "QUERY_TOO_LARGE", "(query.max_series)"},
		{"unknown metric", queryBody(`"queryType":"range","metricName":"nope"`), nil, 404, "NOT_FOUND", `"nope"`},
		{"body over query.max_body_bytes", `{"x":"` + strings.Repeat("a", 5000) + `"}`, nil, 413, "PAYLOAD_TOO_LARGE", "(query.max_body_bytes)"},
		{"gzip bomb", bomb, []string{"Content-Encoding", "gzip"}, 413, "PAYLOAD_TOO_LARGE", "decompressed query body exceeds the maximum of 4096 bytes (query.max_body_bytes)"},
		{"bad gzip", "not gzip", []string{"Content-Encoding", "gzip"}, 400, "INVALID_REQUEST", "not valid gzip"},
		{"unsupported encoding", "x", []string{"Content-Encoding", "br"}, 415, "INVALID_REQUEST", `Content-Encoding "br" is not supported`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.request(t, "POST", "/api/v1/query", tok, c.body, c.headers...)
			expectError(t, r, c.status, c.code, c.msg)
		})
	}
}

// blockingStore is the one fake: its Query waits for the context to end, like a scan that
// takes longer than the request's timeout.
type blockingStore struct{ *memstore.Store }

func (blockingStore) Query(ctx context.Context, _ *store.Query) (*store.Result, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (blockingStore) Metrics(ctx context.Context, _ string) ([]store.MetricInfo, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestQueryTimeout(t *testing.T) {
	f := newFixture(t, blockingStore{seeded(t)}, func(c *Config) {
		c.Limits = queryapi.Limits{DefaultTimeout: 50 * time.Millisecond}
	})
	tok := token(t, "acme", "read")
	start := time.Now()
	r := f.request(t, "POST", "/api/v1/query", tok, queryBody(`"queryType":"range","metricName":"api_latency","timeout":"80ms"`))
	expectError(t, r, 504, "QUERY_TIMEOUT", "query exceeded its timeout of 80ms; narrow the range or raise timeout (max 30s, query.max_timeout)")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("timeout answered after %v", took)
	}
	// Discovery calls are bounded by the default timeout.
	r = f.request(t, "GET", "/api/v1/metrics", tok, "")
	expectError(t, r, 504, "QUERY_TIMEOUT", "discovery request exceeded its timeout of 50ms (query.default_timeout)")
}

// failingStore injects a storage failure whose text must reach the log but not the client.
type failingStore struct{ *memstore.Store }

var errDisk = errors.New("read /var/lib/luminate/000123.vlog: input/output error")

func (failingStore) Query(context.Context, *store.Query) (*store.Result, error) { return nil, errDisk }

func (failingStore) Dimensions(context.Context, string, string) ([]string, error) {
	return nil, errDisk
}

func TestStorageError(t *testing.T) {
	f := newFixture(t, failingStore{seeded(t)})
	tok := token(t, "acme", "read")
	for _, p := range []struct{ method, path, body string }{
		{"POST", "/api/v1/query", queryBody(`"queryType":"range","metricName":"api_latency"`)},
		{"GET", "/api/v1/metrics/api_latency/dimensions", ""},
	} {
		r := f.request(t, p.method, p.path, tok, p.body)
		expectError(t, r, 500, "STORAGE_ERROR", "the server log has details (request id")
		if strings.Contains(string(r.body), "vlog") {
			t.Errorf("storage cause leaked to the client: %s", r.body)
		}
	}
	logged := f.logs.FilterMessage("storage error").FilterField(errField(errDisk)).Len()
	if logged != 2 {
		t.Errorf("storage errors logged with their cause: %d; want 2", logged)
	}
	assertNoToken(t, f.logs, tok)
}
