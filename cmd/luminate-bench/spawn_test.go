package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/luminate-metrics/luminate/internal/auth"
)

// fakeServerEnv turns the test binary into a fake server process (see TestMain).
const fakeServerEnv = "LUMINATE_BENCH_FAKE_SERVER"

// TestMain doubles as the server of the spawn-mode tests: started by the benchmark with
// LUMINATE_BENCH_FAKE_SERVER=1 in its environment, the test binary serves the fake Luminate on
// the LUMINATE_* ports it was given, checks tokens against its JWT_SECRET, appends write bodies
// under LUMINATE_DATA_DIR and exits on SIGTERM, as bin/luminate does. With "crash" it fails at
// start. This exercises spawn mode (environment, ports, token, stop, disk) without the collector.
func TestMain(m *testing.M) {
	switch os.Getenv(fakeServerEnv) {
	case "1":
		if err := serveFakeProcess(); err != nil {
			fmt.Fprintln(os.Stderr, "fake server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	case "crash":
		fmt.Fprintln(os.Stderr, "boom: storage is on fire")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func serveFakeProcess() error {
	if len(os.Args) != 3 || os.Args[1] != "--config" {
		return fmt.Errorf("arguments %q, want --config FILE", os.Args[1:])
	}
	v, err := auth.NewVerifier(auth.Config{Secret: os.Getenv("JWT_SECRET")})
	if err != nil {
		return err
	}
	f := newFake()
	f.authorized = func(h string) bool {
		c, err := v.VerifyHeader(h)
		return err == nil && c.TenantID == "bench" && c.HasScope(auth.ScopeRead) && c.HasScope(auth.ScopeWrite)
	}
	dir := os.Getenv("LUMINATE_DATA_DIR")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	wal, err := os.Create(filepath.Join(dir, "000001.wal"))
	if err != nil {
		return err
	}
	defer wal.Close()
	f.wal = wal

	host := os.Getenv("LUMINATE_LISTEN_HOST")
	listen := func(env string) (net.Listener, error) {
		return net.Listen("tcp", net.JoinHostPort(host, os.Getenv(env)))
	}
	health := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"status":"Server available"}`) })
	var servers []*http.Server
	for env, h := range map[string]http.Handler{"LUMINATE_API_PORT": f.apiHandler(), "LUMINATE_OTLP_HTTP_PORT": f.otlpHandler(), "LUMINATE_HEALTH_PORT": health} {
		l, err := listen(env)
		if err != nil {
			return fmt.Errorf("%s: %w", env, err)
		}
		s := &http.Server{Handler: h}
		servers = append(servers, s)
		go s.Serve(l)
	}
	l, err := listen("LUMINATE_OTLP_GRPC_PORT")
	if err != nil {
		return err
	}
	gs := f.grpcServer()
	go gs.Serve(l)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	<-stop
	gs.GracefulStop()
	for _, s := range servers {
		s.Shutdown(context.Background())
	}
	f.pending.Wait()
	return wal.Sync()
}

func configFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "luminate.yaml")
	if err := os.WriteFile(p, []byte("# the fake server does not read it\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSpawnModeWithFakeServer(t *testing.T) {
	t.Setenv(fakeServerEnv, "1")
	cfg := configFile(t)
	for _, mode := range []string{modeJSON, modeOTLPGRPC} {
		t.Run(mode, func(t *testing.T) {
			code, r, stderr := runBench(t, "--server", os.Args[0], "--config", cfg, "--mode", mode,
				"--customers", "20", "--points", "3", "--query-runs", "2")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			checkSane(t, r, 20, 3)
			if r.ServerCPUSeconds == nil || r.RSSBytes <= 0 || r.HWMBytes < r.RSSBytes || r.ShutdownSeconds <= 0 || r.ShutdownSeconds > 10 {
				t.Fatalf("server CPU %v, RSS %d, HWM %d, shutdown %.2f s: want all measured", r.ServerCPUSeconds, r.RSSBytes, r.HWMBytes, r.ShutdownSeconds)
			}
			if mode == modeJSON && (r.DiskBytes <= 0 || r.BytesPerPoint <= 0 || r.DiskApparentBytes <= 0) {
				t.Fatalf("disk %d bytes (%d apparent), %.2f bytes/point: the fake wrote the bodies there", r.DiskBytes, r.DiskApparentBytes, r.BytesPerPoint)
			}
			if !strings.Contains(r.Server, "spawned") || r.Workload.Tenant != "bench" {
				t.Fatalf("server %q tenant %q", r.Server, r.Workload.Tenant)
			}
		})
	}
}

func TestSpawnModeServerThatDies(t *testing.T) {
	t.Setenv(fakeServerEnv, "crash")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the kept log goes here and is removed with the test
	code, _, stderr := runBench(t, "--server", os.Args[0], "--config", configFile(t), "--customers", "1", "--points", "1")
	if code != 1 || !strings.Contains(stderr, "exited before it was ready") || !strings.Contains(stderr, "boom: storage is on fire") {
		t.Fatalf("exit %d, stderr:\n%s\nwant exit 1 with the server's last log lines", code, stderr)
	}
	logs, _ := filepath.Glob(filepath.Join(tmp, "luminate-bench-*", "server.log"))
	if len(logs) != 1 || !strings.Contains(stderr, "kept "+filepath.Dir(logs[0])) {
		t.Fatalf("server logs kept: %v; stderr:\n%s\nwant the temp dir kept and named", logs, stderr)
	}
}

func TestSpawnModeMissingBinary(t *testing.T) {
	code, _, stderr := runBench(t, "--server", filepath.Join(t.TempDir(), "nope"), "--customers", "1", "--points", "1")
	if code != 1 || !strings.Contains(stderr, "make build-local") {
		t.Fatalf("exit %d, stderr %q: want a hint to build the server", code, stderr)
	}
}
