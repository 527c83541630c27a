package queryserver

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

const secret = "test-secret-0123456789abcdef-0123456789" // over the 32 bytes auth requires

// t0 is 2026-11-27T10:00:00Z in Unix ms; test data sits in the hour after it.
const t0 = int64(1795773600000)

// fixture is a server over a store, with a log observer to inspect what was logged.
type fixture struct {
	s    *Server
	logs *observer.ObservedLogs
}

func newFixture(t *testing.T, st store.Store, edit ...func(*Config)) *fixture {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	cfg := Config{Store: st, Verifier: v, Version: "1.2.3-test", Logger: zap.New(core)}
	for _, e := range edit {
		e(&cfg)
	}
	return &fixture{s: New(cfg), logs: logs}
}

func token(t *testing.T, tenant string, scopes ...string) string {
	t.Helper()
	tok, err := auth.Mint(secret, tenant, scopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// response is what a test looks at: status, headers and the body.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

// errorCode asserts the error envelope and returns its code and message.
func (r response) errorCode(t *testing.T) (string, string) {
	t.Helper()
	v := r.json(t)
	e, ok := v["error"].(map[string]any)
	if !ok || len(v) != 1 {
		t.Fatalf("status %d body is not the error envelope: %s", r.status, r.body)
	}
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if code == "" || msg == "" {
		t.Fatalf("envelope without code or message: %s", r.body)
	}
	return code, msg
}

// request sends one request through app.Test (a real fasthttp connection in memory).
func (f *fixture) request(t *testing.T, method, path, bearer string, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return f.send(t, req)
}

func (f *fixture) send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := f.s.App().Test(req, 10000)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// expectError asserts status, envelope code and that the message contains msg.
func expectError(t *testing.T, r response, status int, code, msg string) {
	t.Helper()
	gotCode, gotMsg := r.errorCode(t)
	if r.status != status || gotCode != code || !strings.Contains(gotMsg, msg) {
		t.Errorf("got %d %s %q\nwant %d %s containing %q", r.status, gotCode, gotMsg, status, code, msg)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type = %q", ct)
	}
}

// assertJSON compares a body with a golden document structurally; fields named in ignore are
// removed from the top level of both first (e.g. executionTimeMs).
func assertJSON(t *testing.T, got []byte, want string, ignore ...string) {
	t.Helper()
	var g, w map[string]any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("golden is not JSON: %v\n%s", err, want)
	}
	for _, k := range ignore {
		if _, ok := g[k]; !ok {
			t.Errorf("response has no %q: %s", k, got)
		}
		delete(g, k)
		delete(w, k)
	}
	if !reflect.DeepEqual(g, w) {
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		t.Errorf("response\n got %s\nwant %s", gb, wb)
	}
}

// point is one write of the test data.
type point struct {
	metric string
	meta   model.MetricMeta
	labels map[string]string
	t      int64
	v      float64
}

var counter = model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true}

func write(t *testing.T, st store.Store, tenant string, pts []point) {
	t.Helper()
	app := st.Appender(tenant)
	for _, p := range pts {
		if err := app.Append(p.metric, p.meta, model.FromMap(p.labels), p.t, p.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// seeded returns a memstore with the data most tests query:
//
//	acme   api_latency   customer_id=c1 region=us: 10, 20, 30 at t0, t0+1m, t0+2m
//	acme   api_latency   customer_id=c2 region=eu: 100 at t0+30s
//	acme   requests_total (counter) host=h1: 0, 60, 120 at t0, t0+1m, t0+2m
//	                                host=h2: 0, 30 at t0, t0+1m
//	globex api_latency   customer_id=g1: 5 at t0
//	globex globex_secret  tenant_id=acme: 1 at t0   (a dimension named tenant_id is just data)
func seeded(t *testing.T) *memstore.Store {
	st := memstore.New()
	lat := model.MetricMeta{Type: model.TypeGauge, Unit: "ms"}
	c1 := map[string]string{"customer_id": "c1", "region": "us"}
	c2 := map[string]string{"customer_id": "c2", "region": "eu"}
	write(t, st, "acme", []point{
		{"api_latency", lat, c1, t0, 10},
		{"api_latency", lat, c1, t0 + 60000, 20},
		{"api_latency", lat, c1, t0 + 120000, 30},
		{"api_latency", lat, c2, t0 + 30000, 100},
		{"requests_total", counter, map[string]string{"host": "h1"}, t0, 0},
		{"requests_total", counter, map[string]string{"host": "h1"}, t0 + 60000, 60},
		{"requests_total", counter, map[string]string{"host": "h1"}, t0 + 120000, 120},
		{"requests_total", counter, map[string]string{"host": "h2"}, t0, 0},
		{"requests_total", counter, map[string]string{"host": "h2"}, t0 + 60000, 30},
	})
	write(t, st, "globex", []point{
		{"api_latency", lat, map[string]string{"customer_id": "g1"}, t0, 5},
		{"globex_secret", model.MetricMeta{}, map[string]string{"tenant_id": "acme"}, t0, 1},
	})
	return st
}

// queryBody builds a query over the hour of the test data.
func queryBody(fields string) string {
	return `{"timeRange":{"start":1795773600000,"end":1795777200000},` + fields + `}`
}

// gzipped compresses s.
func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// errField is the zap field of zap.Error(err), to filter observed logs.
func errField(err error) zap.Field { return zap.Error(err) }
