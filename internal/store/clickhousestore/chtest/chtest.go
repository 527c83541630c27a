// Package chtest runs real clickhouse-server processes for tests: one shared server per test
// binary (Start), a server a test owns and may stop and restart (StartOwn), and a cluster of
// single-replica shards on loopback (StartCluster). Each server lives in a temp dir with a
// minimal config on free loopback ports and is killed when the test (or binary) ends.
//
// The config is the production recommendation of docs/storage-clickhouse.md: parts of 10 MB and
// more (merged parts) are compressed with zstd level 3, smaller ones (fresh INSERTs) with the
// default lz4 (LUMINATE_CLICKHOUSE_LZ4=1: lz4 everywhere). Compression is server-wide on 18.16
// (no per-column CODEC).
//
// When clickhouse-server is not installed a test is skipped with a loud message, except under
// CI=true, where it fails: CI must install it (apt-get install clickhouse-server).
package chtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Server is one clickhouse-server process.
type Server struct {
	Addr     string // native protocol host:port
	HTTPAddr string
	Dir      string

	tcp, http, inter int
	cluster          string // remote_servers XML, may be ""
	mu               sync.Mutex
	cmd              *exec.Cmd
	exited           chan struct{}
}

// Binary is the server executable looked up on PATH (and /usr/sbin, where Debian puts it).
func Binary() (string, bool) {
	if p, err := exec.LookPath("clickhouse-server"); err == nil {
		return p, true
	}
	for _, p := range []string{"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// Require skips (developer machine) or fails (CI=true) when the binary is missing.
func Require(t testing.TB) string {
	t.Helper()
	bin, ok := Binary()
	if ok {
		return bin
	}
	msg := "clickhouse-server is not installed: ClickHouse tests cannot run (apt-get install -y clickhouse-server)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("\n*** SKIPPED: " + msg + " ***")
	return ""
}

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
	dbSeq      atomic.Int64
)

// Start returns the server shared by every test of this binary, starting it on first use. Call
// Main from TestMain to stop it at the end (otherwise it dies with the test binary).
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Require(t)
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "chtest-")
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = newServer(dir, "")
		if sharedErr == nil {
			sharedErr = shared.start(bin)
		}
	})
	if sharedErr != nil {
		t.Fatalf("start shared clickhouse-server: %v", sharedErr)
	}
	return shared
}

// Main runs the tests and then stops the shared server.
func Main(m interface{ Run() int }) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
		os.RemoveAll(shared.Dir)
	}
	os.Exit(code)
}

// Database returns a fresh database name for one test (the schema tool creates it).
func Database(t testing.TB) string {
	return fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
}

// StartOwn starts a server for this test alone; the test may Stop and Restart it.
func StartOwn(t testing.TB) *Server {
	t.Helper()
	bin := Require(t)
	s, err := newServer(t.TempDir(), "")
	if err == nil {
		err = s.start(bin)
	}
	if err != nil {
		t.Fatalf("start clickhouse-server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartCluster starts n servers, each one shard of the cluster named name (remote_servers in
// every server's config), and returns them in shard order.
func StartCluster(t testing.TB, name string, n int) []*Server {
	t.Helper()
	bin := Require(t)
	var servers []*Server
	for range n {
		s, err := newServer(t.TempDir(), "")
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<remote_servers><%s>", name)
	for _, s := range servers {
		fmt.Fprintf(&b, "<shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>", s.tcp)
	}
	fmt.Fprintf(&b, "</%s></remote_servers>", name)
	for _, s := range servers {
		s.cluster = b.String()
		if err := s.start(bin); err != nil {
			t.Fatalf("start clickhouse-server shard: %v", err)
		}
		t.Cleanup(s.Stop)
	}
	return servers
}

func newServer(dir, cluster string) (*Server, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, tcp: ports[0], http: ports[1], inter: ports[2], cluster: cluster}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tcp))
	s.HTTPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.http))
	return s, nil
}

// freePorts asks the kernel for free loopback ports (released before the server binds them; a
// rare collision makes the server fail to start, with its log in the error).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// compression is the server's compression config: zstd level 3 (LUMINATE_CLICKHOUSE_ZSTD_LEVEL
// to compare others) for parts of 10 MB and more, unless LUMINATE_CLICKHOUSE_LZ4=1 asks for the
// server default (lz4 everywhere).
func compression() string {
	if os.Getenv("LUMINATE_CLICKHOUSE_LZ4") == "1" {
		return ""
	}
	level := 3
	if l, err := strconv.Atoi(os.Getenv("LUMINATE_CLICKHOUSE_ZSTD_LEVEL")); err == nil && l >= 1 && l <= 22 {
		level = l
	}
	return fmt.Sprintf("<compression><case><min_part_size>10000000</min_part_size><min_part_size_ratio>0</min_part_size_ratio><method>zstd</method><level>%d</level></case></compression>", level)
}

func (s *Server) writeConfig() error {
	for _, d := range []string{"data", "tmp", "user_files", "format_schemas", "log"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>0</console><log>%[1]s/log/server.log</log><errorlog>%[1]s/log/error.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <interserver_http_port>%[4]d</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>200</max_concurrent_queries>
  %[6]s
  %[5]s
</yandex>
`, s.Dir, s.tcp, s.http, s.inter, s.cluster, compression())
	users := `<?xml version="1.0"?>
<yandex>
  <profiles><default><log_queries>0</log_queries></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
	if err := os.WriteFile(filepath.Join(s.Dir, "config.xml"), []byte(config), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.Dir, "users.xml"), []byte(users), 0o644)
}

func (s *Server) start(bin string) error {
	if err := s.writeConfig(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(bin, "--config-file="+filepath.Join(s.Dir, "config.xml"))
	cmd.Dir = s.Dir
	out, err := os.OpenFile(filepath.Join(s.Dir, "log", "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	// the server dies with the test binary even when the binary is killed
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("%s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("clickhouse-server exited at startup; log:\n%s", s.logTail())
		default:
		}
		if s.ping() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return fmt.Errorf("clickhouse-server did not answer on %s within 60 s; log:\n%s", s.HTTPAddr, s.logTail())
}

func (s *Server) ping() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.HTTPAddr+"/ping", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *Server) logTail() string {
	var b strings.Builder
	for _, f := range []string{"stdout.log", "error.log"} {
		data, _ := os.ReadFile(filepath.Join(s.Dir, "log", f))
		if len(data) > 4000 {
			data = data[len(data)-4000:]
		}
		b.Write(data)
	}
	return b.String()
}

// Pid is the server process id (0 when stopped), e.g. for a benchmark to read its CPU time.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop kills the server (SIGKILL: a crash, as the fault tests want) and waits for it to exit.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Restart starts a stopped server again on the same ports and data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	bin := Require(t)
	if err := s.start(bin); err != nil {
		t.Fatalf("restart clickhouse-server: %v", err)
	}
}
