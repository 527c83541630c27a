package distro_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary returns the luminate binary under test: $LUMINATE_BIN (CI sets it to the ocb build),
// else a fresh `go build ./cmd/luminate` (same components, see TestBuilderConfigMatchesDistro).
func binary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("LUMINATE_BIN"); b != "" {
		return b
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	out := filepath.Join(t.TempDir(), "luminate")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/luminate")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/luminate: %v\n%s", err, b)
	}
	return out
}

// process is a running luminate binary.
type process struct {
	cmd  *exec.Cmd
	api  string
	otlp string
	mu   sync.Mutex
	logs strings.Builder
	done chan error
}

func startBinary(t *testing.T, bin, dataDir string, p ports) *process {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	cfg := filepath.Join(filepath.Dir(file), "..", "..", "configs", "luminate.yaml")
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Env = append(os.Environ(),
		"JWT_SECRET="+secret,
		"LUMINATE_DATA_DIR="+dataDir,
		"LUMINATE_LISTEN_HOST=127.0.0.1",
		fmt.Sprint("LUMINATE_API_PORT=", p.api),
		fmt.Sprint("LUMINATE_OTLP_GRPC_PORT=", p.grpc),
		fmt.Sprint("LUMINATE_OTLP_HTTP_PORT=", p.http),
		fmt.Sprint("LUMINATE_HEALTH_PORT=", p.health),
		fmt.Sprint("LUMINATE_TELEMETRY_PORT=", p.telemetry),
	)
	pr := &process{cmd: cmd, api: fmt.Sprintf("http://127.0.0.1:%d", p.api),
		otlp: fmt.Sprintf("http://127.0.0.1:%d", p.http), done: make(chan error, 1)}
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			pr.mu.Lock()
			pr.logs.WriteString(sc.Text() + "\n")
			pr.mu.Unlock()
		}
		pr.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(pr.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return pr
			}
		}
		select {
		case err := <-pr.done:
			t.Fatalf("luminate exited while starting: %v\n%s", err, pr.log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("luminate not ready after 60 s\n%s", pr.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (pr *process) log() string {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.logs.String()
}

// stop sends SIGTERM and requires a clean exit within the grace period.
func (pr *process) stop(t *testing.T, grace time.Duration) {
	t.Helper()
	if err := pr.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-pr.done:
		if err != nil {
			t.Fatalf("luminate exited with %v after SIGTERM\n%s", err, pr.log())
		}
	case <-time.After(grace):
		t.Fatalf("luminate still running %v after SIGTERM\n%s", grace, pr.log())
	}
}

// TestBinarySmoke starts the real binary with the shipped config, writes through the JSON API
// and OTLP/HTTP (JSON encoding, as curl would), queries, stops it with SIGTERM, starts it again
// and finds every acknowledged point.
func TestBinarySmoke(t *testing.T) {
	bin := binary(t)
	dataDir := t.TempDir()
	p := freePorts(t)
	pr := startBinary(t, bin, dataDir, p)
	tok := token(t, "smoke", "read", "write")
	now := time.Now().UnixMilli()

	code, body := post(t, pr.api+"/api/v1/write", tok, "application/json",
		[]byte(fmt.Sprintf(`{"metrics":[{"name":"api_latency","timestamp":%d,"value":145.5,"dimensions":{"customer_id":"cust_123"}}]}`, now)))
	if code != 200 {
		t.Fatalf("write: %d %s", code, body)
	}
	otlpJSON := fmt.Sprintf(`{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"smoke"}}]},
		"scopeMetrics":[{"metrics":[{"name":"queue_depth","gauge":{"dataPoints":[{"timeUnixNano":"%d","asDouble":3,
		"attributes":[{"key":"customer_id","value":{"stringValue":"cust_123"}}]}]}}]}]}]}`, now*1_000_000)
	if code, body := post(t, pr.otlp+"/v1/metrics", tok, "application/json", []byte(otlpJSON)); code != 200 {
		t.Fatalf("OTLP/HTTP: %d %s", code, body)
	}
	eventually(t, "both points queryable", func() bool {
		a, _ := sumByAPI(t, pr.api, tok, "api_latency")
		b, _ := sumByAPI(t, pr.api, tok, "queue_depth")
		return a == 145.5 && b == 3
	})
	pr.stop(t, 30*time.Second)

	pr = startBinary(t, bin, dataDir, p)
	a, code := sumByAPI(t, pr.api, tok, "api_latency")
	b, _ := sumByAPI(t, pr.api, tok, "queue_depth")
	if code != 200 || a != 145.5 || b != 3 {
		t.Fatalf("after restart: api_latency %v (status %d), queue_depth %v", a, code, b)
	}
	pr.stop(t, 30*time.Second)
}

// sumByAPI is the sum of a metric over the last hour for customer cust_123.
func sumByAPI(t *testing.T, api, tok, metric string) (float64, int) {
	t.Helper()
	in := &instance{api: api}
	got, code := sumBy(t, in, tok, metric, "customer_id")
	return got["cust_123"], code
}
