package distro_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/distro"
)

const secret = "e2e-secret-0123456789abcdef0123456789"

// instance is one in-process collector running configs/luminate.yaml, the config `make run`
// uses, with ports and data dir from the environment.
type instance struct {
	col                     *otelcol.Collector
	done                    chan error
	api, otlpHTTP, otlpGRPC string
	dataDir                 string
}

type ports struct{ api, grpc, http, health, telemetry int }

func freePorts(t *testing.T) ports {
	t.Helper()
	var ps [5]int
	for i := range ps {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ps[i] = ln.Addr().(*net.TCPAddr).Port
		defer ln.Close()
	}
	return ports{ps[0], ps[1], ps[2], ps[3], ps[4]}
}

func startCollector(t *testing.T, dataDir string, p ports) *instance {
	t.Helper()
	return startCollectorWith(t, dataDir, p)
}

// startCollectorWith starts configs/luminate.yaml with extra config URIs merged over it, e.g.
// "yaml:extensions::luminatelimits::limits::points_per_second: 10".
func startCollectorWith(t *testing.T, dataDir string, p ports, extra ...string) *instance {
	t.Helper()
	t.Setenv("JWT_SECRET", secret)
	t.Setenv("LUMINATE_DATA_DIR", dataDir)
	t.Setenv("LUMINATE_LISTEN_HOST", "127.0.0.1")
	t.Setenv("LUMINATE_API_PORT", fmt.Sprint(p.api))
	t.Setenv("LUMINATE_OTLP_GRPC_PORT", fmt.Sprint(p.grpc))
	t.Setenv("LUMINATE_OTLP_HTTP_PORT", fmt.Sprint(p.http))
	t.Setenv("LUMINATE_HEALTH_PORT", fmt.Sprint(p.health))
	t.Setenv("LUMINATE_TELEMETRY_PORT", fmt.Sprint(p.telemetry))
	_, file, _, _ := runtime.Caller(0)
	cfgPath := filepath.Join(filepath.Dir(file), "..", "..", "configs", "luminate.yaml")
	set := distro.Settings()
	set.ConfigProviderSettings = otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
		URIs:              append([]string{"file:" + cfgPath}, extra...),
		ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory(), yamlprovider.NewFactory()},
	}}
	col, err := otelcol.NewCollector(set)
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{col: col, done: make(chan error, 1), dataDir: dataDir,
		api: fmt.Sprintf("http://127.0.0.1:%d", p.api), otlpHTTP: fmt.Sprintf("http://127.0.0.1:%d", p.http),
		otlpGRPC: fmt.Sprintf("127.0.0.1:%d", p.grpc)}
	go func() { in.done <- col.Run(context.Background()) }()
	deadline := time.Now().Add(30 * time.Second)
	for col.GetState() != otelcol.StateRunning {
		select {
		case err := <-in.done:
			t.Fatalf("collector stopped while starting: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("collector did not start in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return in
}

func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.col.Shutdown()
	select {
	case err := <-in.done:
		if err != nil {
			t.Fatalf("collector run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("collector did not stop in 30 s")
	}
}

func token(t *testing.T, tenant string, scopes ...string) string {
	t.Helper()
	tok, err := auth.Mint(secret, tenant, scopes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func post(t *testing.T, url, tok, contentType string, body []byte, hdr ...string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type queryResult struct {
	Results []struct {
		GroupKey map[string]string `json:"groupKey"`
		Value    float64           `json:"value"`
		Count    int64             `json:"count"`
	} `json:"results"`
	PointsScanned int64 `json:"pointsScanned"`
}

// sumBy runs an aggregate sum of metric over the last hour grouped by key.
func sumBy(t *testing.T, in *instance, tok, metric, key string) (map[string]float64, int) {
	t.Helper()
	q := fmt.Sprintf(`{"queryType":"aggregate","metricName":%q,"timeRange":{"relative":"1h"},"aggregation":"sum","groupBy":[%q]}`, metric, key)
	code, body := post(t, in.api+"/api/v1/query", tok, "application/json", []byte(q))
	if code != 200 {
		return nil, code
	}
	var r queryResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("query answer %s: %v", body, err)
	}
	out := map[string]float64{}
	for _, g := range r.Results {
		out[g.GroupKey[key]] = g.Value
	}
	return out, code
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true after 15 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func otlpRequest(metric string, now time.Time, values map[string]float64, spoofTenant string) pmetricotlp.ExportRequest {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "checkout")
	if spoofTenant != "" {
		rm.Resource().Attributes().PutStr("luminate.tenant_id", spoofTenant)
	}
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(metric)
	m.SetUnit("1")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	for customer, v := range values {
		dp := sum.DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
		dp.SetDoubleValue(v)
		dp.Attributes().PutStr("customer_id", customer)
	}
	return pmetricotlp.NewExportRequestFromMetrics(md)
}

// TestCollectorEndToEnd runs the shipped config in process: JSON writes and OTLP over gRPC and
// HTTP go in, the query API answers on the same port, tenants stay apart, spoofed tenants are
// overwritten, and everything acknowledged survives a restart.
func TestCollectorEndToEnd(t *testing.T) {
	dataDir := t.TempDir()
	p := freePorts(t)
	in := startCollector(t, dataDir, p)
	acme, globex := token(t, "acme", "read", "write"), token(t, "globex", "read", "write")
	now := time.Now()

	// JSON write, acknowledged only once stored: the query right after must see it.
	body := fmt.Sprintf(`{"metrics":[
		{"name":"api_latency","timestamp":%d,"value":100,"dimensions":{"customer_id":"c1","endpoint":"/a"}},
		{"name":"api_latency","timestamp":%d,"value":50,"dimensions":{"customer_id":"c2","endpoint":"/a","tenant_id":"globex"}},
		{"name":"bad name!","timestamp":%d,"value":1}]}`, now.UnixMilli(), now.UnixMilli(), now.UnixMilli())
	code, resp := post(t, in.api+"/api/v1/write", acme, "application/json", []byte(body))
	if code != 207 || !strings.Contains(string(resp), `"accepted":2`) || !strings.Contains(string(resp), "INVALID_METRIC_NAME") {
		t.Fatalf("JSON write: %d %s", code, resp)
	}
	got, code := sumBy(t, in, acme, "api_latency", "customer_id")
	if code != 200 || got["c1"] != 100 || got["c2"] != 50 {
		t.Fatalf("query after JSON write: %d %v", code, got)
	}

	// OTLP gRPC, with a spoofed resource attribute and header for another tenant.
	conn, err := grpc.NewClient(in.otlpGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+acme, "x-luminate-tenant", "globex")
	if _, err := pmetricotlp.NewGRPCClient(conn).Export(ctx, otlpRequest("orders_total", now, map[string]float64{"c1": 7, "c3": 9}, "globex")); err != nil {
		t.Fatalf("OTLP gRPC export: %v", err)
	}
	// OTLP HTTP protobuf
	req := otlpRequest("orders_total", now.Add(time.Second), map[string]float64{"c4": 11}, "")
	pb, _ := req.MarshalProto()
	if code, resp := post(t, in.otlpHTTP+"/v1/metrics", acme, "application/x-protobuf", pb, "X-Luminate-Tenant", "globex"); code != 200 {
		t.Fatalf("OTLP HTTP export: %d %s", code, resp)
	}
	eventually(t, "OTLP points queryable for acme", func() bool {
		got, _ := sumBy(t, in, acme, "orders_total", "customer_id")
		return got["c1"] == 7 && got["c3"] == 9 && got["c4"] == 11
	})
	// OTLP without a token is refused
	if _, err := pmetricotlp.NewGRPCClient(conn).Export(context.Background(), otlpRequest("orders_total", now, map[string]float64{"x": 1}, "")); err == nil {
		t.Fatal("OTLP gRPC without a token was accepted")
	}

	// globex sees none of it, whatever acme's data claimed
	if _, code := sumBy(t, in, globex, "orders_total", "customer_id"); code != 404 {
		t.Fatalf("globex queried acme's orders_total: status %d", code)
	}
	if _, code := sumBy(t, in, globex, "api_latency", "customer_id"); code != 404 {
		t.Fatalf("globex queried acme's api_latency: status %d", code)
	}
	code, resp = getJSON(t, in.api+"/api/v1/metrics", globex)
	if code != 200 || strings.Contains(string(resp), "api_latency") || strings.Contains(string(resp), "orders_total") {
		t.Fatalf("globex discovery: %d %s", code, resp)
	}

	// restart on the same directory: every acknowledged point is still there
	in.stop(t)
	in = startCollector(t, dataDir, p)
	defer in.stop(t)
	got, _ = sumBy(t, in, acme, "api_latency", "customer_id")
	if got["c1"] != 100 || got["c2"] != 50 {
		t.Fatalf("after restart api_latency: %v", got)
	}
	got, _ = sumBy(t, in, acme, "orders_total", "customer_id")
	if got["c1"] != 7 || got["c3"] != 9 || got["c4"] != 11 {
		t.Fatalf("after restart orders_total: %v", got)
	}
}

func getJSON(t *testing.T, url, tok string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
