package luminatereceiver

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luminate-metrics/luminate/extension/luminatelimitsextension"
	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/limits"
)

var limitsID = component.MustNewID("luminatelimits")

// withLimits starts a limits extension with per-tenant overrides and returns a cfgFn that
// links the receiver to it, and the extension.
func withLimits(t *testing.T, over map[string]map[limits.ID]float64) (func(*Config), extlink.LimitsProvider, component.Component) {
	t.Helper()
	f := luminatelimitsextension.NewFactory()
	cfg := f.CreateDefaultConfig().(*luminatelimitsextension.Config)
	cfg.Limits.Overrides = map[string]limits.Override{}
	for tenant, m := range over {
		var o limits.Override
		for id, x := range m {
			o = o.Set(id, x)
		}
		cfg.Limits.Overrides[tenant] = o
	}
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	id := limitsID
	return func(c *Config) { c.Limits = &id }, ext.(extlink.LimitsProvider), ext
}

// batchOf returns a write body of n valid points.
func batchOf(n int) string {
	var b strings.Builder
	b.WriteString(`{"metrics":[`)
	now := time.Now().UnixMilli()
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":"cpu","timestamp":%d,"value":%d,"dimensions":{"i":"%d"}}`, now, i, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

func (e *testEnv) writeAs(t *testing.T, tenant, body string) answer {
	t.Helper()
	return e.do(t, req{auth: "Bearer " + token(t, tenant, "write"), body: bytes.NewReader([]byte(body))})
}

func requireRateLimited(t *testing.T, a answer, setting string) {
	t.Helper()
	requireEnvelope(t, a, 429, "RATE_LIMIT_EXCEEDED")
	if !strings.Contains(a.Error.Message, "err-luminate-"+strings.ReplaceAll(setting, "_", "-")) || !strings.Contains(a.Error.Message, "limits."+setting) {
		t.Errorf("message %q does not name %s", a.Error.Message, setting)
	}
	for _, h := range []string{"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if _, err := strconv.ParseInt(a.Header.Get(h), 10, 64); err != nil {
			t.Errorf("header %s = %q", h, a.Header.Get(h))
		}
	}
	if ra, _ := strconv.Atoi(a.Header.Get("Retry-After")); ra < 1 {
		t.Errorf("Retry-After %d", ra)
	}
}

// A tenant over its points/s gets 429 with the headers of that limit, while another tenant
// writing at the same time is not affected; nothing of the refused write reaches the pipeline.
func TestPointsRateLimit(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		cfgFn, lp, ext := withLimits(t, map[string]map[limits.ID]float64{"slow": {limits.PointsPerSecond: 100}})
		env := startEnvWith(t, m, ext, cfgFn)
		requireCounts(t, env.writeAs(t, "slow", batchOf(200)), 200, 200, 0) // the burst
		var wg sync.WaitGroup
		var other answer
		wg.Add(1)
		go func() {
			defer wg.Done()
			other = env.writeAs(t, "fast", batchOf(5000))
		}()
		a := env.writeAs(t, "slow", batchOf(150)) // 1.5 s of refill away
		wg.Wait()
		requireRateLimited(t, a, "points_per_second")
		if a.Header.Get("X-RateLimit-Limit") != "100" {
			t.Errorf("X-RateLimit-Limit %q, want the configured 100", a.Header.Get("X-RateLimit-Limit"))
		}
		requireCounts(t, other, 200, 5000, 0)
		if n := env.sink.DataPointCount(); n != 5200 {
			t.Errorf("%d points reached the pipeline, want 5200", n)
		}
		text, _ := lp.SelfMetrics().Text()
		for _, want := range []string{`luminate_rate_limited_total{limit="points_per_second"} 1`,
			`luminate_points_rejected_total{path="json",reason="rate_limited"} 150`} {
			if !strings.Contains(string(text), want) {
				t.Errorf("self-metrics lack %s", want)
			}
		}
	})
}

// Write requests/s is checked before the body is read.
func TestWriteRequestRateLimit(t *testing.T) {
	cfgFn, _, ext := withLimits(t, map[string]map[limits.ID]float64{"chatty": {limits.WriteRequestsPerSecond: 1}})
	env := startEnvWith(t, ownEndpoint, ext, cfgFn)
	for range 2 {
		requireCounts(t, env.writeAs(t, "chatty", batchOf(1)), 200, 1, 0)
	}
	// The body is not even valid JSON: the limit applies first.
	a := env.writeAs(t, "chatty", "{not json")
	requireRateLimited(t, a, "write_requests_per_second")
	// Invalid items count as rejected, by reason invalid.
	requireCounts(t, env.writeAs(t, "other", `{"metrics":[{"name":"1bad","value":1}]}`), 400, 0, 1)
}

// startEnvWith is startEnv with the limits extension in the host.
func startEnvWith(t *testing.T, m mode, limitsExt component.Component, cfgFn func(*Config)) *testEnv {
	t.Helper()
	hostExtra = map[component.ID]component.Component{limitsID: limitsExt}
	t.Cleanup(func() { hostExtra = nil })
	return startEnv(t, m, nil, cfgFn)
}

// The own listener logs one line per request with tenant, code and request id, never the
// token; a client's X-Request-ID is echoed.
func TestOwnListenerAccessLog(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	envLogger = zap.New(core)
	t.Cleanup(func() { envLogger = nil })
	cfgFn, _, ext := withLimits(t, map[string]map[limits.ID]float64{"chatty": {limits.WriteRequestsPerSecond: 0.5}})
	env := startEnvWith(t, ownEndpoint, ext, cfgFn)
	tok := token(t, "chatty", "write")
	ok := env.do(t, req{auth: "Bearer " + tok, body: strings.NewReader(batchOf(1)), headers: map[string]string{"X-Request-ID": "req-123"}})
	if ok.Status != 200 || ok.Header.Get("X-Request-ID") != "req-123" {
		t.Fatalf("%d %v", ok.Status, ok.Header)
	}
	env.do(t, req{auth: "Bearer " + tok, body: strings.NewReader(batchOf(1))})
	env.do(t, req{auth: "Bearer " + tok, body: strings.NewReader(batchOf(1))}) // over 0.5/s with burst 1
	env.do(t, req{auth: "Bearer nope", body: strings.NewReader(batchOf(1))})
	lines := logs.FilterMessage("http request").All()
	if len(lines) != 4 {
		t.Fatalf("%d access log lines", len(lines))
	}
	want := []struct {
		status              int64
		tenant, code, reqID string
		level               zapcore.Level
	}{
		{200, "chatty", "", "req-123", zapcore.DebugLevel},
		{429, "chatty", "RATE_LIMIT_EXCEEDED", "", zapcore.InfoLevel},
		{429, "chatty", "RATE_LIMIT_EXCEEDED", "", zapcore.InfoLevel},
		{401, "", "INVALID_TOKEN", "", zapcore.InfoLevel},
	}
	for i, l := range lines {
		f := l.ContextMap()
		if f["status"] != want[i].status || f["tenant"] != want[i].tenant || f["code"] != want[i].code || f["route"] != "/api/v1/write" ||
			l.Level != want[i].level || f["requestId"] == "" || (want[i].reqID != "" && f["requestId"] != want[i].reqID) {
			t.Errorf("line %d: %v %v", i, l.Level, f)
		}
	}
	for _, l := range logs.All() {
		if strings.Contains(fmt.Sprint(l.ContextMap()), tok) || strings.Contains(l.Message, tok) {
			t.Errorf("a token was logged: %v", l)
		}
	}
}
