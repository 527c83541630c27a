package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/auth"
)

const secret = "query-test-secret-0123456789abcdef0123"

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "query.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidate(t *testing.T) {
	t.Setenv("JWT_SECRET", secret)
	good := writeConfig(t, "endpoint: 127.0.0.1:0\nauth:\n  secret: ${env:JWT_SECRET}\nstorage:\n  engine: badger\n  badger:\n    dir: ${env:DATA_DIR:-/tmp/x}\n")
	var out bytes.Buffer
	if code := run([]string{"validate", "--config", good}, &out); code != 0 {
		t.Fatalf("valid config: exit %d: %s", code, out.String())
	}
	for name, body := range map[string]string{
		"short secret":   "auth:\n  secret: short\n",
		"no secret":      "endpoint: 127.0.0.1:0\n",
		"bad endpoint":   "endpoint: nope\nauth:\n  secret: ${env:JWT_SECRET}\n",
		"unknown engine": "auth:\n  secret: ${env:JWT_SECRET}\nstorage:\n  engine: oracle\n",
		"unknown field":  "auth:\n  secret: ${env:JWT_SECRET}\nlisten: x\n",
		"unknown limit":  "auth:\n  secret: ${env:JWT_SECRET}\nlimits:\n  max_series: 5\n",
	} {
		out.Reset()
		if code := run([]string{"validate", "--config", writeConfig(t, body)}, &out); code == 0 {
			t.Errorf("%s: validated: %s", name, out.String())
		}
		if strings.Contains(out.String(), secret) {
			t.Errorf("%s: the secret leaked into the error: %s", name, out.String())
		}
	}
	if code := run(nil, &out); code != 2 {
		t.Errorf("no --config: exit %d, want 2", code)
	}
}

// TestServeAndStop runs the real binary on Badger: it answers queries with tokens from the same
// secret and exits 0 on SIGTERM.
func TestServeAndStop(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "luminate-query")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cfg := writeConfig(t, fmt.Sprintf("endpoint: %s\nauth:\n  secret: ${env:JWT_SECRET}\nstorage:\n  engine: badger\n  badger:\n    dir: %s\n"+
		"limits:\n  overrides:\n    acme:\n      max_series_per_tenant: 7\n", addr, t.TempDir()))
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Env = append(os.Environ(), "JWT_SECRET="+secret)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	tok, _ := auth.Mint(secret, "acme", []string{"read"}, time.Hour)
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("/api/v1/metrics: %d", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving after 20 s: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The limits block reaches GET /api/v1/limits; /metrics is served.
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/limits", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"maxSeriesPerTenant":7`) {
		t.Errorf("/api/v1/limits: %d %s", resp.StatusCode, body)
	}
	if resp, err := http.Get("http://" + addr + "/metrics"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/metrics: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30 s after SIGTERM")
	}
}
