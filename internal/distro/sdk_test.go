package distro_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// TestOpenTelemetrySDK records known values with the OpenTelemetry Go SDK, exports them through
// otlpmetricgrpc and otlpmetrichttp into the in-process collector (shipped config, JWT auth),
// and checks sums, rates, gauges and percentiles through the query API.
func TestOpenTelemetrySDK(t *testing.T) {
	in := startCollector(t, t.TempDir(), freePorts(t))
	defer in.stop(t)
	for _, transport := range []string{"grpc", "http"} {
		t.Run(transport, func(t *testing.T) {
			tenant := "sdk-" + transport
			tok := token(t, tenant, "read", "write")
			rangeStart := time.Now().Add(-time.Second)
			exp := sdkExporter(t, in, transport, tok)
			mp := sdkmetric.NewMeterProvider(
				sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))),
				sdkmetric.WithView(sdkmetric.NewView(
					sdkmetric.Instrument{Name: "rpc.latency"},
					sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}},
				)),
			)
			defer mp.Shutdown(context.Background())
			recordAndCheck(t, in, tok, mp, rangeStart)
		})
	}
}

func sdkExporter(t *testing.T, in *instance, transport, tok string) sdkmetric.Exporter {
	t.Helper()
	hdr := map[string]string{"Authorization": "Bearer " + tok}
	var exp sdkmetric.Exporter
	var err error
	if transport == "grpc" {
		exp, err = otlpmetricgrpc.New(context.Background(), otlpmetricgrpc.WithEndpoint(in.otlpGRPC),
			otlpmetricgrpc.WithInsecure(), otlpmetricgrpc.WithHeaders(hdr))
	} else {
		exp, err = otlpmetrichttp.New(context.Background(), otlpmetrichttp.WithEndpointURL(in.otlpHTTP+"/v1/metrics"),
			otlpmetrichttp.WithHeaders(hdr))
	}
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

func recordAndCheck(t *testing.T, in *instance, tok string, mp *sdkmetric.MeterProvider, rangeStart time.Time) {
	ctx := context.Background()
	m := mp.Meter("checkout")
	orders, _ := m.Int64Counter("orders", metric.WithUnit("1"))
	queue, _ := m.Float64UpDownCounter("queue.depth")
	temp, _ := m.Int64Gauge("temperature")
	latency, _ := m.Float64Histogram("http.latency", metric.WithUnit("ms"),
		metric.WithExplicitBucketBoundaries(10, 20, 30, 40, 50, 60, 70, 80, 90, 100))
	rpc, _ := m.Float64Histogram("rpc.latency", metric.WithUnit("ms"))
	eu := metric.WithAttributes(attribute.String("region", "eu"))
	us := metric.WithAttributes(attribute.String("region", "us"))

	var rpcValues []float64
	for i := 1; i <= 10; i++ {
		orders.Add(ctx, int64(i), eu) // 55 in eu
	}
	orders.Add(ctx, 7, us)
	queue.Add(ctx, 5)
	queue.Add(ctx, -2)
	temp.Record(ctx, 30)
	temp.Record(ctx, 21)
	for v := 1; v <= 100; v++ {
		latency.Record(ctx, float64(v))
		x := 100 + float64(v)*0.97 // 100.97 .. 197: a narrow range, so the SDK keeps a fine scale
		rpc.Record(ctx, x)
		rpcValues = append(rpcValues, x)
	}
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatalf("first export: %v", err)
	}
	time.Sleep(20 * time.Millisecond) // the second point must carry a later millisecond
	orders.Add(ctx, 45, eu)           // cumulative eu: 55 -> 100
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatalf("second export: %v", err)
	}
	end := time.Now()
	q := func(body string) []map[string]any {
		t.Helper()
		return apiQuery(t, in, tok, body)
	}
	rng := fmt.Sprintf(`"timeRange":{"start":%d,"end":%d}`, rangeStart.UnixMilli(), end.UnixMilli())

	eventually(t, "the SDK's points are queryable", func() bool {
		r := apiQueryLoose(in, tok, `{"queryType":"aggregate","metricName":"orders","aggregation":"last","groupBy":["region"],`+rng+`}`)
		return len(r) == 2
	})
	last := map[string]float64{}
	for _, g := range q(`{"queryType":"aggregate","metricName":"orders","aggregation":"last","groupBy":["region"],` + rng + `}`) {
		last[g["groupKey"].(map[string]any)["region"].(string)] = g["value"].(float64)
	}
	if last["eu"] != 100 || last["us"] != 7 {
		t.Errorf("counter last by region: %v, want eu 100, us 7", last)
	}
	// rate: the eu increase between the two exports (45) over the range; us has one point
	rate := q(`{"queryType":"rate","metricName":"orders",` + rng + `}`)
	wantRate := 45 / (float64(end.UnixMilli()-rangeStart.UnixMilli()) / 1000)
	if got := rate[0]["rate"].(float64); math.Abs(got-wantRate) > 1e-9 {
		t.Errorf("counter rate %v, want %v", got, wantRate)
	}
	if v := value(t, q(`{"queryType":"aggregate","metricName":"queue.depth","aggregation":"last",`+rng+`}`)); v != 3 {
		t.Errorf("up-down counter last %v, want 3", v)
	}
	if v := value(t, q(`{"queryType":"aggregate","metricName":"temperature","aggregation":"last",`+rng+`}`)); v != 21 {
		t.Errorf("gauge last %v, want 21", v)
	}
	// explicit histogram, 1..100 in buckets of 10: exact at bucket edges, within a bucket else
	for p, want := range map[string]float64{"p50": 50, "p95": 95, "p99": 99} {
		got := value(t, q(`{"queryType":"aggregate","metricName":"http.latency","aggregation":"`+p+`",`+rng+`}`))
		if math.Abs(got-want) > 10 {
			t.Errorf("histogram %s = %v, want %v within one bucket (10)", p, got, want)
		}
	}
	if n := value(t, q(`{"queryType":"aggregate","metricName":"http.latency","aggregation":"count",`+rng+`}`)); n != 100 {
		t.Errorf("histogram count %v, want 100 (two cumulative exports, one series)", n)
	}
	// exponential histogram: within 1% of the exact nearest-rank value
	slices.Sort(rpcValues)
	for _, p := range []float64{50, 90, 95, 99} {
		exact := rpcValues[int(math.Ceil(p/100*float64(len(rpcValues))))-1]
		got := value(t, q(fmt.Sprintf(`{"queryType":"aggregate","metricName":"rpc.latency","aggregation":"p%g",%s}`, p, rng)))
		if rel := math.Abs(got-exact) / exact; rel > 0.01 {
			t.Errorf("exponential p%g = %v, exact %v: %.2f%% off, want <= 1%%", p, got, exact, rel*100)
		}
	}
	meta := apiMetrics(t, in, tok)
	for name, typ := range map[string]string{"orders": "counter", "queue.depth": "updowncounter", "temperature": "gauge", "http.latency": "histogram", "rpc.latency": "exphistogram"} {
		if meta[name] != typ {
			t.Errorf("discovery type of %s = %q, want %q", name, meta[name], typ)
		}
	}
}

func value(t *testing.T, rs []map[string]any) float64 {
	t.Helper()
	if len(rs) != 1 {
		t.Fatalf("want one result, got %v", rs)
	}
	v, ok := rs[0]["value"].(float64)
	if !ok {
		t.Fatalf("result without a numeric value: %v", rs[0])
	}
	return v
}

// apiQuery posts a query and returns its results; any non-200 fails the test.
func apiQuery(t *testing.T, in *instance, tok, body string) []map[string]any {
	t.Helper()
	code, b := post(t, in.api+"/api/v1/query", tok, "application/json", []byte(body))
	if code != 200 {
		t.Fatalf("query %s: %d %s", body, code, b)
	}
	var r struct {
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r.Results
}

// apiQueryLoose is apiQuery for polling: any failure reads as no results.
func apiQueryLoose(in *instance, tok, body string) []map[string]any {
	req, _ := http.NewRequest(http.MethodPost, in.api+"/api/v1/query", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var r struct {
		Results []map[string]any `json:"results"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&r) != nil {
		return nil
	}
	return r.Results
}

func apiMetrics(t *testing.T, in *instance, tok string) map[string]string {
	t.Helper()
	code, b := getJSON(t, in.api+"/api/v1/metrics", tok)
	if code != 200 {
		t.Fatalf("/api/v1/metrics: %d %s", code, b)
	}
	var r struct {
		Metrics []struct{ Name, Type string } `json:"metrics"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range r.Metrics {
		out[m.Name] = m.Type
	}
	return out
}
