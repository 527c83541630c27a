package distro_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
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
	cmd   *exec.Cmd
	api   string
	otlp  string
	ports ports
	mu    sync.Mutex
	logs  strings.Builder
	done  chan error
}

// startBinary starts the binary with configs/luminate.yaml and then the extra config URIs (e.g.
// an engine's, see engines).
func startBinary(t *testing.T, bin, dataDir string, p ports, extra ...string) *process {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	args := []string{"--config", filepath.Join(filepath.Dir(file), "..", "..", "configs", "luminate.yaml")}
	for _, e := range extra {
		args = append(args, "--config", e)
	}
	cmd := exec.Command(bin, args...)
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
	pr := &process{cmd: cmd, ports: p, api: fmt.Sprintf("http://127.0.0.1:%d", p.api),
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

// endpointFor is the OTLP host:port of a transport (grpc or http).
func (pr *process) endpointFor(transport string) string {
	if transport == "grpc" {
		return fmt.Sprintf("127.0.0.1:%d", pr.ports.grpc)
	}
	return fmt.Sprintf("127.0.0.1:%d", pr.ports.http)
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

// TestBinaryGracefulShutdown is the zero-downtime contract of a rolling update: SIGTERM in the
// middle of a steady JSON write load. The process must exit 0 within the 30 s grace period of
// the Kubernetes manifests, and after a restart on the same data dir every point that was
// acknowledged with 200 must be there - and nothing else: a stored point whose request did not
// get its 200 means the server dropped a request in flight (stored it, then closed the
// connection without answering), which a client would retry and double-count elsewhere.
func TestBinaryGracefulShutdown(t *testing.T) {
	for _, eng := range engines() {
		t.Run(eng.name, func(t *testing.T) { testGracefulShutdown(t, eng.config(t)...) })
	}
}

func testGracefulShutdown(t *testing.T, storage ...string) {
	const (
		writers   = 4
		perReq    = 100 // points per request: one per series p00..p99
		grace     = 30 * time.Second
		loadFirst = 1500 * time.Millisecond
	)
	bin := binary(t)
	dataDir := t.TempDir()
	p := freePorts(t)
	pr := startBinary(t, bin, dataDir, p, storage...)
	tok := token(t, "graceful", "read", "write")
	base := time.Now().Add(-30 * time.Minute).UnixMilli()

	type result struct {
		acked    int64 // points in requests answered 200 with every point accepted
		requests int
		statuses map[string]int // outcome -> requests, for the failure message
		// inFlight: outcomes of requests sent before SIGTERM and answered after it, the ones a
		// graceful shutdown must finish
		inFlight map[string]int
	}
	var sigAt atomic.Int64 // unix ns of the SIGTERM, 0 before
	results := make([]result, writers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := &results[w]
			res.statuses, res.inFlight = map[string]int{}, map[string]int{}
			// One keep-alive connection per writer, like a real client; its own transport so
			// that idle connections of the other writers do not interfere.
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: grace}
			defer client.CloseIdleConnections()
			metric := fmt.Sprintf("graceful_w%d", w)
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				var b strings.Builder
				b.WriteString(`{"metrics":[`)
				for i := range perReq {
					if i > 0 {
						b.WriteByte(',')
					}
					// timestamp base+k: each request writes new points of the same 100 series
					fmt.Fprintf(&b, `{"name":%q,"timestamp":%d,"value":%d,"dimensions":{"p":"p%02d"}}`, metric, base+int64(k), k, i)
				}
				b.WriteString(`]}`)
				req, _ := http.NewRequest(http.MethodPost, pr.api+"/api/v1/write", strings.NewReader(b.String()))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				res.requests++
				sent := time.Now().UnixNano()
				resp, err := client.Do(req)
				outcome := "transport error"
				if err == nil {
					outcome = fmt.Sprint(resp.StatusCode)
				}
				res.statuses[outcome]++
				if sig := sigAt.Load(); sig != 0 && sent < sig {
					res.inFlight[outcome]++
				}
				if err != nil {
					// The server is gone (connection refused) or going: keep trying briefly so
					// that the load really spans the whole shutdown, without spinning.
					time.Sleep(5 * time.Millisecond)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					var ans struct {
						Accepted int64 `json:"accepted"`
					}
					if err := json.Unmarshal(body, &ans); err != nil || ans.Accepted != perReq {
						res.statuses[fmt.Sprintf("200 with body %.80s", body)]++
						continue
					}
					res.acked += perReq
				}
			}
		}()
	}

	time.Sleep(loadFirst)
	start := time.Now()
	sigAt.Store(start.UnixNano())
	if err := pr.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var exitErr error
	select {
	case exitErr = <-pr.done:
	case <-time.After(grace):
		close(stop)
		wg.Wait()
		t.Fatalf("luminate still running %v after SIGTERM under load\n%s", grace, pr.log())
	}
	took := time.Since(start)
	// Writers keep going for a moment after the exit, so requests racing the close are counted.
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if exitErr != nil {
		t.Fatalf("luminate exited with %v after SIGTERM under load (after %v)\n%s", exitErr, took, pr.log())
	}
	t.Logf("exited 0 %v after SIGTERM", took.Round(time.Millisecond))

	pr = startBinary(t, bin, dataDir, p, storage...)
	defer pr.stop(t, grace)
	var total int64
	inFlight := 0
	for w, res := range results {
		for _, n := range res.inFlight {
			inFlight += n
		}
		metric := fmt.Sprintf("graceful_w%d", w)
		got, code := countPoints(t, pr.api, tok, metric)
		t.Logf("%s: %d requests %v (in flight at SIGTERM: %v), %d points acknowledged, %d stored",
			metric, res.requests, res.statuses, res.inFlight, res.acked, got)
		if code != http.StatusOK {
			t.Errorf("%s: count query answered %d", metric, code)
			continue
		}
		if got != res.acked {
			t.Errorf("%s: %d points acknowledged with 200 before/while SIGTERM, %d stored after restart", metric, res.acked, got)
		}
		total += res.acked
	}
	if total == 0 {
		t.Fatal("no write was acknowledged: the load did not run")
	}
	// Four writers that send back to back always have requests on the wire; without one in
	// flight at SIGTERM this test would not have tested the drain at all.
	if inFlight == 0 {
		t.Fatal("no request was in flight at SIGTERM: the test did not exercise the drain")
	}
}

// countPoints is the number of raw points of metric in the last hour (an aggregate count without
// group-by answers one group, or none for a metric without points).
func countPoints(t *testing.T, api, tok, metric string) (int64, int) {
	t.Helper()
	q := fmt.Sprintf(`{"queryType":"aggregate","metricName":%q,"timeRange":{"relative":"1h"},"aggregation":"count"}`, metric)
	code, body := post(t, api+"/api/v1/query", tok, "application/json", []byte(q))
	if code != http.StatusOK {
		return 0, code
	}
	var r queryResult
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("query answer %s: %v", body, err)
	}
	var n int64
	for _, g := range r.Results {
		n += int64(g.Value)
	}
	return n, code
}
