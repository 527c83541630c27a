package distro_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// telemetrygenVersion is the newest telemetrygen the module proxy serves (collector-notes.md).
const telemetrygenVersion = "v0.161.0"

// telemetrygen returns the telemetrygen binary: $TELEMETRYGEN, else bin/tools/telemetrygen
// (make telemetrygen), else it installs it there with go install.
func telemetrygen(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TELEMETRYGEN"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	tools := filepath.Join(filepath.Dir(file), "..", "..", "bin", "tools")
	bin := filepath.Join(tools, "telemetrygen")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "install", "github.com/open-telemetry/opentelemetry-collector-contrib/cmd/telemetrygen@"+telemetrygenVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+tools)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install telemetrygen@%s: %v\n%s", telemetrygenVersion, err, out)
	}
	return bin
}

// recorder sits between telemetrygen and Luminate on both OTLP transports: it forwards every
// request unchanged (with the client's Authorization) and remembers each data point as
// (metric, attributes, millisecond). Luminate keeps one point per series and millisecond (the
// later write wins), and telemetrygen may stamp two points of one series in the same
// millisecond, so the recording is what says how many points must be queryable.
type recorder struct {
	mu        sync.Mutex
	generated map[string]int                 // data points per metric
	distinct  map[string]map[string]struct{} // per metric: series+ms
}

func newRecorder() *recorder {
	return &recorder{generated: map[string]int{}, distinct: map[string]map[string]struct{}{}}
}

func (r *recorder) record(md pmetric.Metrics) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		sms := rms.At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				m := ms.At(k)
				each(m, func(attrs string, ts uint64) {
					r.generated[m.Name()]++
					if r.distinct[m.Name()] == nil {
						r.distinct[m.Name()] = map[string]struct{}{}
					}
					r.distinct[m.Name()][fmt.Sprint(attrs, "@", ts/1e6)] = struct{}{}
				})
			}
		}
	}
}

// each calls fn with the attributes and timestamp of every data point of m.
func each(m pmetric.Metric, fn func(attrs string, ts uint64)) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		for _, dp := range m.Gauge().DataPoints().All() {
			fn(fmt.Sprint(dp.Attributes().AsRaw()), uint64(dp.Timestamp()))
		}
	case pmetric.MetricTypeSum:
		for _, dp := range m.Sum().DataPoints().All() {
			fn(fmt.Sprint(dp.Attributes().AsRaw()), uint64(dp.Timestamp()))
		}
	case pmetric.MetricTypeHistogram:
		for _, dp := range m.Histogram().DataPoints().All() {
			fn(fmt.Sprint(dp.Attributes().AsRaw()), uint64(dp.Timestamp()))
		}
	case pmetric.MetricTypeExponentialHistogram:
		for _, dp := range m.ExponentialHistogram().DataPoints().All() {
			fn(fmt.Sprint(dp.Attributes().AsRaw()), uint64(dp.Timestamp()))
		}
	}
}

// grpcProxy records and forwards OTLP/gRPC exports to Luminate.
type grpcProxy struct {
	pmetricotlp.UnimplementedGRPCServer
	rec *recorder
	to  pmetricotlp.GRPCClient
}

func (p *grpcProxy) Export(ctx context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	p.rec.record(req.Metrics())
	md, _ := metadata.FromIncomingContext(ctx)
	out := metadata.NewOutgoingContext(ctx, metadata.Pairs("authorization", strings.Join(md.Get("authorization"), "")))
	return p.to.Export(out, req)
}

func startProxies(t *testing.T, pr *process, rec *recorder) (grpcAddr, httpAddr string) {
	t.Helper()
	conn, err := grpc.NewClient(pr.endpointFor("grpc"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pmetricotlp.RegisterGRPCServer(srv, &grpcProxy{rec: rec, to: pmetricotlp.NewGRPCClient(conn)})
	go func() { _ = srv.Serve(gln) }()
	t.Cleanup(srv.Stop)

	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := pr.otlp + "/v1/metrics"
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := pmetricotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err == nil {
			rec.record(req.Metrics())
		}
		fwd, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		fwd.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(fwd)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})}
	go func() { _ = hs.Serve(hln) }()
	t.Cleanup(func() { hs.Close() })
	return gln.Addr().String(), hln.Addr().String()
}

// TestTelemetrygen sends metrics of every type telemetrygen makes over OTLP gRPC and HTTP to the
// real binary and requires every generated point to be stored and queryable.
func TestTelemetrygen(t *testing.T) {
	tg := telemetrygen(t)
	pr := startBinary(t, binary(t), t.TempDir(), freePorts(t))
	defer pr.stop(t, 30*time.Second)
	rec := newRecorder()
	grpcAddr, httpAddr := startProxies(t, pr, rec)
	tok := token(t, "telemetrygen", "read", "write")
	const perRun = 150
	start := time.Now().Add(-time.Second)
	runs := []struct{ name, transport, typ string }{
		{"gen_grpc_sum", "grpc", "Sum"},
		{"gen_http_gauge", "http", "Gauge"},
		{"gen_grpc_histogram", "grpc", "Histogram"},
		{"gen_http_exphistogram", "http", "ExponentialHistogram"},
	}
	for _, r := range runs {
		endpoint := grpcAddr
		if r.transport == "http" {
			endpoint = httpAddr
		}
		args := []string{"metrics", "--otlp-endpoint", endpoint, "--otlp-insecure",
			"--otlp-header", fmt.Sprintf("Authorization=\"Bearer %s\"", tok),
			"--workers", "2", "--rate", "200", "--metrics", fmt.Sprint(perRun),
			"--metric-type", r.typ, "--otlp-metric-name", r.name,
			"--telemetry-attributes", fmt.Sprintf("transport=%q", r.transport)}
		if r.transport == "http" {
			args = append(args, "--otlp-http")
		}
		if out, err := exec.Command(tg, args...).CombinedOutput(); err != nil {
			t.Fatalf("telemetrygen %s: %v\n%s", r.name, err, out)
		}
	}
	// Every generated point reaches the store: the exporter's own counter (self-metrics) counts
	// each committed point.
	want := int64(0)
	for _, r := range runs {
		if got := rec.generated[r.name]; got != 2*perRun {
			t.Fatalf("%s: the proxy saw %d points, telemetrygen makes %d", r.name, got, 2*perRun)
		}
		want += int64(rec.generated[r.name])
	}
	deadline := time.Now().Add(15 * time.Second)
	stored := exporterStored(t, pr)
	for stored != want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		stored = exporterStored(t, pr)
	}
	if stored != want {
		t.Fatalf("luminate_exporter_points_stored = %d, telemetrygen generated %d", stored, want)
	}
	// Every one is queryable: one per series and millisecond, as recorded.
	for _, r := range runs {
		q := fmt.Sprintf(`{"queryType":"aggregate","metricName":%q,"aggregation":"count","timeRange":{"start":%d,"end":%d}}`,
			r.name, start.UnixMilli(), time.Now().Add(time.Minute).UnixMilli())
		if got, want := pointCount(in(pr), tok, q), int64(len(rec.distinct[r.name])); got != want {
			t.Errorf("%s: %d points queryable, want %d (%d generated, %d distinct series+millisecond)", r.name, got, want, rec.generated[r.name], want)
		}
	}
}

// exporterStored reads luminate_exporter_points_stored from the collector's self-metrics.
func exporterStored(t *testing.T, pr *process) int64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", pr.ports.telemetry))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "luminate_exporter_points_stored "); ok {
			n, _ := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return int64(n)
		}
	}
	return 0
}

func in(pr *process) *instance { return &instance{api: pr.api} }

// pointCount is the raw points behind a one-group aggregate (the result's count field).
func pointCount(in *instance, tok, body string) int64 {
	rs := apiQueryLoose(in, tok, body)
	if len(rs) != 1 {
		return -1
	}
	n, _ := rs[0]["count"].(float64)
	return int64(n)
}
