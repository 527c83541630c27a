package luminatereceiver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func nowMs() int64 { return time.Now().UnixMilli() }

func TestWriteAccepted(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, nil)
		ts := nowMs() - 1000
		a := env.write(t, fmt.Sprintf(`{"metrics":[
			{"name":"api_latency","timestamp":%d,"value":145.5,"dimensions":{"customer_id":"cust_123","endpoint":"/api/users"}},
			{"name":"queue_depth","timestamp":%d,"value":7},
			{"name":"api_latency","timestamp":%d,"value":99,"dimensions":{"customer_id":"cust_456"}}]}`, ts, ts/1000, ts+1))
		requireCounts(t, a, 200, 3, 0)
		if !strings.Contains(a.Raw, `"errors":[]`) {
			t.Fatalf(`"errors" must be present and empty: %s`, a.Raw)
		}

		all := env.sink.AllMetrics()
		if len(all) != 1 || env.sink.DataPointCount() != 3 {
			t.Fatalf("sink got %d batches, %d points", len(all), env.sink.DataPointCount())
		}
		rms := all[0].ResourceMetrics()
		if rms.Len() != 1 {
			t.Fatalf("%d resource metrics", rms.Len())
		}
		res := rms.At(0).Resource().Attributes()
		if v, _ := res.Get("luminate.tenant_id"); res.Len() != 1 || v.Str() != "acme" {
			t.Fatalf("resource attributes %v", res.AsRaw())
		}
		sms := rms.At(0).ScopeMetrics()
		if sms.Len() != 1 || sms.At(0).Scope().Name() != "luminate/json" {
			t.Fatalf("scope metrics: %d, name %q", sms.Len(), sms.At(0).Scope().Name())
		}
		ms := sms.At(0).Metrics()
		if ms.Len() != 2 || ms.At(0).Name() != "api_latency" || ms.At(1).Name() != "queue_depth" {
			t.Fatalf("metrics %d: %s, %s", ms.Len(), ms.At(0).Name(), ms.At(1).Name())
		}
		lat := ms.At(0)
		if lat.Type() != pmetric.MetricTypeGauge || lat.Gauge().DataPoints().Len() != 2 {
			t.Fatalf("api_latency: %s with %d points", lat.Type(), lat.Gauge().DataPoints().Len())
		}
		dp := lat.Gauge().DataPoints().At(0)
		wantAttrs := map[string]any{"customer_id": "cust_123", "endpoint": "/api/users"}
		if dp.Timestamp() != pcommon.Timestamp(ts*1e6) || dp.DoubleValue() != 145.5 || fmt.Sprint(dp.Attributes().AsRaw()) != fmt.Sprint(wantAttrs) {
			t.Fatalf("point 0: %d %v %v", dp.Timestamp(), dp.DoubleValue(), dp.Attributes().AsRaw())
		}
		if dp := lat.Gauge().DataPoints().At(1); dp.DoubleValue() != 99 || dp.Timestamp() != pcommon.Timestamp((ts+1)*1e6) {
			t.Fatalf("point 1: %d %v", dp.Timestamp(), dp.DoubleValue())
		}
		// Seconds are read as seconds: the queue_depth point lands on the whole second.
		if dp := ms.At(1).Gauge().DataPoints().At(0); dp.Timestamp() != pcommon.Timestamp(ts/1000*1000*1e6) || dp.Attributes().Len() != 0 {
			t.Fatalf("queue_depth point: %d %v", dp.Timestamp(), dp.Attributes().AsRaw())
		}
	})
}

// TestValidationThroughHTTP sends one bad item per rule of api.md next to a good one: each
// answer is 207 with the bad item's index, metric, code and a message naming the limit.
func TestValidationThroughHTTP(t *testing.T) {
	ts := nowMs()
	long := func(n int) string { return "a" + strings.Repeat("b", n-1) }
	cases := []struct {
		desc, item, code, msg string
	}{
		{"name pattern", `{"name":"api-latency","value":1}`, "INVALID_METRIC_NAME", "must match ^[a-zA-Z_][a-zA-Z0-9_.]*$"},
		{"name 257 bytes", `{"name":"` + long(257) + `","value":1}`, "INVALID_METRIC_NAME", "1-256 bytes, got 257"},
		{"name missing", `{"value":1}`, "INVALID_METRIC_NAME", `"name" is required`},
		{"key pattern", `{"name":"m","value":1,"dimensions":{"a b":"x"}}`, "INVALID_REQUEST", `dimension key "a b" must match`},
		{"key 129 bytes", `{"name":"m","value":1,"dimensions":{"` + long(129) + `":"x"}}`, "INVALID_REQUEST", "1-128 bytes, got 129"},
		{"value 1025 bytes", `{"name":"m","value":1,"dimensions":{"k":"` + long(1025) + `"}}`, "INVALID_REQUEST", "1-1024 bytes, got 1025"},
		{"value empty", `{"name":"m","value":1,"dimensions":{"k":""}}`, "INVALID_REQUEST", "1-1024 bytes, got 0"},
		{"value control char", `{"name":"m","value":1,"dimensions":{"k":"a\tb"}}`, "INVALID_REQUEST", "control character U+0009"},
		{"value bad UTF-8", "{\"name\":\"m\",\"value\":1,\"dimensions\":{\"k\":\"\xc3\x28\"}}", "INVALID_REQUEST", "not valid UTF-8"},
		{"value not a string", `{"name":"m","value":1,"dimensions":{"k":7}}`, "INVALID_REQUEST", `must be a string, got number`},
		{"33 dimensions", `{"name":"m","value":1,"dimensions":{` + dimsJSON(33) + `}}`, "INVALID_REQUEST", "has 33 keys, at most 32"},
		{"value is a string", `{"name":"m","value":"1.5"}`, "INVALID_REQUEST", `"value" must be a JSON number, got string`},
		{"value NaN", `{"name":"m","value":NaN}`, "INVALID_REQUEST", "must be a finite number"},
		{"value missing", `{"name":"m"}`, "INVALID_REQUEST", `"value" is required`},
		{"timestamp too old", fmt.Sprintf(`{"name":"m","value":1,"timestamp":%d}`, ts-8*24*3600*1000), "INVALID_REQUEST", "older than max_age (168h0m0s"},
		{"timestamp too new", fmt.Sprintf(`{"name":"m","value":1,"timestamp":%d}`, ts+2*3600*1000), "INVALID_REQUEST", "more than max_future (1h0m0s)"},
		{"timestamp bad string", `{"name":"m","value":1,"timestamp":"yesterday"}`, "INVALID_REQUEST", "is not an RFC 3339 time"},
	}
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, nil)
		for _, c := range cases {
			a := env.write(t, `{"metrics":[{"name":"good","value":1},`+c.item+`]}`)
			requireCounts(t, a, 207, 1, 1)
			e := a.Errors[0]
			if e.Index != 1 || string(e.Code) != c.code || !strings.Contains(e.Error, c.msg) {
				t.Errorf("%s: got %+v, want %s containing %q", c.desc, e, c.code, c.msg)
			}
		}
		// The boundary values themselves are accepted.
		a := env.write(t, fmt.Sprintf(`{"metrics":[
			{"name":"%s","value":1},
			{"name":"m","value":1,"dimensions":{"%s":"%s"}},
			{"name":"m","value":1,"dimensions":{%s}},
			{"name":"m","value":1,"timestamp":"%s"}]}`,
			long(256), long(128), long(1024), dimsJSON(32), time.Now().UTC().Format(time.RFC3339Nano)))
		requireCounts(t, a, 200, 4, 0)
	})
}

func dimsJSON(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"k%02d":"v"`, i)
	}
	return strings.Join(parts, ",")
}

func TestPartialWrite207(t *testing.T) {
	env := startEnv(t, ownEndpoint, nil, nil)
	a := env.write(t, `{"metrics":[
		{"name":"ok","value":1},
		{"name":"9bad","value":1},
		{"name":"ok","value":2},
		{"name":"ok","value":"x"}]}`)
	requireCounts(t, a, 207, 2, 2)
	want := `{"accepted":2,"rejected":2,"errors":[` +
		`{"index":1,"metric":"9bad","code":"INVALID_METRIC_NAME","error":"metric name \"9bad\" must match ^[a-zA-Z_][a-zA-Z0-9_.]*$"},` +
		`{"index":3,"metric":"ok","code":"INVALID_REQUEST","error":"\"value\" must be a JSON number, got string"}]}`
	if a.Raw != want {
		t.Fatalf("207 body\n got %s\nwant %s", a.Raw, want)
	}
	if a.Error != nil {
		t.Fatalf("207 carries an error envelope: %s", a.Raw)
	}
	if env.sink.DataPointCount() != 2 {
		t.Fatalf("sink got %d points", env.sink.DataPointCount())
	}
}

// TestNoneAccepted400: when every item is refused the answer is 400 and carries both the
// envelope (every non-2xx has one) and the per-item errors; nothing reaches the pipeline.
func TestNoneAccepted400(t *testing.T) {
	env := startEnv(t, ownEndpoint, nil, nil)
	a := env.write(t, `{"metrics":[{"name":"1x","value":1},{"name":"2x","value":1}]}`)
	requireCounts(t, a, 400, 0, 2)
	requireEnvelope(t, a, 400, "INVALID_METRIC_NAME")
	if !strings.Contains(a.Error.Message, "none of the 2 metrics was accepted") {
		t.Fatalf("message %q", a.Error.Message)
	}
	a = env.write(t, `{"metrics":[{"name":"1x","value":1},{"name":"m","value":"1"}]}`)
	requireCounts(t, a, 400, 0, 2)
	requireEnvelope(t, a, 400, "INVALID_REQUEST")
	if len(env.sink.AllMetrics()) != 0 {
		t.Fatal("refused items reached the pipeline")
	}
}

func TestRequestErrorsThroughHTTP(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, func(c *Config) { c.MaxBatch = 2 })
		for body, msg := range map[string]string{
			`not json`:       "not valid JSON",
			`{"metrics":[]}`: `"metrics" is empty`,
			`{}`:             `no "metrics" array`,
			``:               "request body is empty",
			`{"metrics":[{"name":"a","value":1},{"name":"b","value":1},{"name":"c","value":1}]}`: "batch has 3 metrics, more than max_batch (2)",
		} {
			a := env.write(t, body)
			requireEnvelope(t, a, 400, "INVALID_REQUEST")
			if !strings.Contains(a.Error.Message, msg) || a.Accepted != nil {
				t.Fatalf("body %q: %s", body, a.Raw)
			}
		}
		if len(env.sink.AllMetrics()) != 0 {
			t.Fatal("a refused request reached the pipeline")
		}
	})
}

// TestTenantFromToken: the resource tenant is the token's; dimensions named like the tenant
// attribute stay data-point attributes and change nothing.
func TestTenantFromToken(t *testing.T) {
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, nil)
		body := `{"metrics":[{"name":"m","value":1,"dimensions":{"tenant_id":"evil","luminate.tenant_id":"evil2"}}]}`
		for _, tenant := range []string{"acme", "globex"} {
			a := env.do(t, req{auth: "Bearer " + token(t, tenant, "write", "read"), body: strings.NewReader(body)})
			requireCounts(t, a, 200, 1, 0)
		}
		all := env.sink.AllMetrics()
		if len(all) != 2 {
			t.Fatalf("%d batches", len(all))
		}
		for i, tenant := range []string{"acme", "globex"} {
			rm := all[i].ResourceMetrics().At(0)
			res := rm.Resource().Attributes()
			if v, _ := res.Get("luminate.tenant_id"); res.Len() != 1 || v.Str() != tenant {
				t.Fatalf("batch %d resource %v, want tenant %s", i, res.AsRaw(), tenant)
			}
			attrs := rm.ScopeMetrics().At(0).Metrics().At(0).Gauge().DataPoints().At(0).Attributes().AsRaw()
			if attrs["tenant_id"] != "evil" || attrs["luminate.tenant_id"] != "evil2" || len(attrs) != 2 {
				t.Fatalf("batch %d point attributes %v", i, attrs)
			}
		}
		// The identity also travels in client.Info for processors that stamp from_context.
		info := client.FromContext(env.sink.Contexts()[0])
		if info.Auth == nil || info.Auth.GetAttribute("tenant_id") != "acme" || info.Addr == nil {
			t.Fatalf("client.Info %+v", info)
		}
	})
}

func TestTenantAttributeConfigurable(t *testing.T) {
	env := startEnv(t, ownEndpoint, nil, func(c *Config) { c.TenantAttribute = "tenant" })
	requireCounts(t, env.write(t, `{"metrics":[{"name":"m","value":1}]}`), 200, 1, 0)
	res := env.sink.AllMetrics()[0].ResourceMetrics().At(0).Resource().Attributes()
	if v, ok := res.Get("tenant"); !ok || v.Str() != "acme" || res.Len() != 1 {
		t.Fatalf("resource %v", res.AsRaw())
	}
}

func TestMissingTimestampIsNow(t *testing.T) {
	env := startEnv(t, ownEndpoint, nil, nil)
	before := time.Now()
	requireCounts(t, env.write(t, `{"metrics":[{"name":"m","value":1}]}`), 200, 1, 0)
	after := time.Now()
	got := env.sink.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Gauge().DataPoints().At(0).Timestamp().AsTime()
	if got.Before(before.Truncate(time.Millisecond)) || got.After(after) {
		t.Fatalf("timestamp %v not in [%v, %v]", got, before, after)
	}
}
