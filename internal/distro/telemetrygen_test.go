package distro_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestTelemetrygen sends metrics of several types with telemetrygen over OTLP gRPC and HTTP to
// the real binary and requires every generated point to be stored and queryable.
func TestTelemetrygen(t *testing.T) {
	tg := telemetrygen(t)
	pr := startBinary(t, binary(t), t.TempDir(), freePorts(t))
	defer pr.stop(t, 30*time.Second)
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
		// one worker at 50/s: after the first two (see below), each point gets its own
		// millisecond, so none is a rewrite of another
		args := []string{"metrics", "--otlp-endpoint", pr.endpointFor(r.transport), "--otlp-insecure",
			"--otlp-header", fmt.Sprintf("Authorization=\"Bearer %s\"", tok),
			"--workers", "1", "--rate", "50", "--metrics", fmt.Sprint(perRun),
			"--metric-type", r.typ, "--otlp-metric-name", r.name,
			"--telemetry-attributes", fmt.Sprintf("transport=%q", r.transport)}
		if r.transport == "http" {
			args = append(args, "--otlp-http")
		}
		out, err := exec.Command(tg, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("telemetrygen %s: %v\n%s", r.name, err, out)
		}
	}
	// Every generated point reaches the store: the exporter's own counter (self-metrics) counts
	// each committed point.
	want := int64(len(runs) * perRun)
	deadline := time.Now().Add(15 * time.Second)
	stored := exporterStored(t, pr)
	for stored != want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		stored = exporterStored(t, pr)
	}
	if stored != want {
		t.Fatalf("luminate_exporter_points_stored = %d, telemetrygen generated %d", stored, want)
	}
	// And every one is queryable, save one per run: telemetrygen stamps a point before its rate
	// limiter waits and the limiter lets the first wait through at once, so its first two
	// points carry the same millisecond and, being the same series, are one point by the
	// storage contract (the later write wins).
	for _, r := range runs {
		q := fmt.Sprintf(`{"queryType":"aggregate","metricName":%q,"aggregation":"count","timeRange":{"start":%d,"end":%d}}`,
			r.name, start.UnixMilli(), time.Now().Add(time.Minute).UnixMilli())
		if got := pointCount(in(pr), tok, q); got != perRun-1 {
			t.Errorf("%s: %d points queryable, want %d (telemetrygen generated %d)", r.name, got, perRun-1, perRun)
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
	b, _ := json.Marshal(rs[0]["count"])
	var n int64
	_ = json.Unmarshal(b, &n)
	return n
}
