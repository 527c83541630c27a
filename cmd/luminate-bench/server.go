package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/luminate-metrics/luminate/internal/auth"
)

// stopGrace is how long a SIGTERM'd server may take to flush and close before it is killed.
const stopGrace = 30 * time.Second

// defaultMaxLimit is the server's default query.max_limit (internal/queryapi.DefaultLimits).
const defaultMaxLimit = 10_000

// spawned is a server the benchmark started: its own temp dir, loopback ports and secret.
type spawned struct {
	cmd       *exec.Cmd
	tmp       string // holds data/ and server.log
	dataDir   string
	logPath   string
	apiURL    string
	healthURL string
	otlpGRPC  string // host:port
	otlpHTTP  string // base URL
	token     string
	exited    chan struct{} // closed when the process has exited
	waitErr   error         // its exit status, once exited is closed
}

// startServer starts o.server with o.config, a fresh data dir, free loopback ports and a random
// 48-byte JWT_SECRET, and mints a read,write token for tenant "bench" with that secret.
func startServer(o *options) (*spawned, error) {
	if _, err := os.Stat(o.server); err != nil {
		return nil, fmt.Errorf("server binary: %w (build it with make build-local)", err)
	}
	for _, c := range strings.Split(o.config, ",") {
		if _, err := os.Stat(c); err != nil {
			return nil, fmt.Errorf("server config: %w", err)
		}
	}
	tmp, err := os.MkdirTemp("", "luminate-bench-")
	if err != nil {
		return nil, err
	}
	s := &spawned{tmp: tmp, dataDir: filepath.Join(tmp, "data"), logPath: filepath.Join(tmp, "server.log"), exited: make(chan struct{})}
	if err := s.start(o); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return s, nil
}

func (s *spawned) start(o *options) error {
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	key := make([]byte, 48)
	rand.Read(key) // never fails (crypto/rand panics rather than return a short read)
	secret := base64.StdEncoding.EncodeToString(key)
	if s.token, err = auth.Mint(secret, "bench", []string{auth.ScopeRead, auth.ScopeWrite}, 24*time.Hour); err != nil {
		return err
	}
	const host = "127.0.0.1"
	s.apiURL = fmt.Sprintf("http://%s:%d", host, ports[0])
	s.otlpGRPC = fmt.Sprintf("%s:%d", host, ports[1])
	s.otlpHTTP = fmt.Sprintf("http://%s:%d", host, ports[2])
	s.healthURL = fmt.Sprintf("http://%s:%d/", host, ports[3])

	var args []string
	for _, c := range strings.Split(o.config, ",") {
		args = append(args, "--config", c)
	}
	if l := o.groupLimit(); l > defaultMaxLimit {
		// the group-by-customer query asks for every customer; let the server answer that many
		args = append(args, "--set=extensions::luminatequery::query::max_limit="+strconv.Itoa(l))
	}
	log, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	defer log.Close() // the child has its own descriptor
	s.cmd = exec.Command(o.server, args...)
	// later entries win over the inherited environment (os/exec keeps the last duplicate)
	s.cmd.Env = append(os.Environ(),
		"JWT_SECRET="+secret,
		"LUMINATE_DATA_DIR="+s.dataDir,
		"LUMINATE_LISTEN_HOST="+host,
		"LUMINATE_API_PORT="+strconv.Itoa(ports[0]),
		"LUMINATE_OTLP_GRPC_PORT="+strconv.Itoa(ports[1]),
		"LUMINATE_OTLP_HTTP_PORT="+strconv.Itoa(ports[2]),
		"LUMINATE_HEALTH_PORT="+strconv.Itoa(ports[3]),
		"LUMINATE_TELEMETRY_PORT="+strconv.Itoa(ports[4]),
	)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	// If the benchmark dies without stopping the server, the kernel asks it to stop too.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", o.server, err)
	}
	go func() { s.waitErr = s.cmd.Wait(); close(s.exited) }()
	return nil
}

func (s *spawned) pid() int { return s.cmd.Process.Pid }

// waitReady waits until /readyz answers 200 (storage open) and then the collector's health check
// does (every pipeline started: the JSON write handler and the OTLP receivers are mounted only
// when the receivers start, after the extension that serves /readyz).
func (s *spawned) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for _, u := range []string{s.apiURL + "/readyz", s.healthURL} {
		for {
			resp, err := client.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
				err = fmt.Errorf("HTTP %d", resp.StatusCode)
			}
			select {
			case <-s.exited:
				return fmt.Errorf("server exited before it was ready (%v); last lines of %s:\n%s", s.waitErr, s.logPath, s.logTail(20))
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("server not ready after %s (GET %s: %v); last lines of %s:\n%s", timeout, u, err, s.logPath, s.logTail(20))
			}
		}
	}
	return nil
}

// stop sends SIGTERM and waits for a clean exit (the store flushes and closes), killing the
// server after stopGrace. It returns how long the shutdown took.
func (s *spawned) stop() (time.Duration, error) {
	t0 := time.Now()
	select {
	case <-s.exited:
		return 0, fmt.Errorf("server had already exited (%v); see %s", s.waitErr, s.logPath)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			return time.Since(t0), fmt.Errorf("server exited with %v after SIGTERM; see %s", s.waitErr, s.logPath)
		}
		return time.Since(t0), nil
	case <-time.After(stopGrace):
		s.cmd.Process.Kill()
		<-s.exited
		return time.Since(t0), fmt.Errorf("server did not exit within %s of SIGTERM and was killed; see %s", stopGrace, s.logPath)
	}
}

// cleanup removes the temp dir unless keep; the server must have exited.
func (s *spawned) cleanup(keep bool) {
	if !keep {
		os.RemoveAll(s.tmp)
	}
}

// logTail returns the last n lines of the server's log.
func (s *spawned) logTail(n int) string {
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// freePorts returns n distinct loopback ports the kernel considers free. They are released
// before the server binds them, so another process could take one in between; on a bench
// machine that window is harmless, and the server would then fail loudly at start.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port (%d of %d): %w", len(ports)+1, n, err)
		}
		ls = append(ls, l) // held open until all are chosen, so the n ports differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
