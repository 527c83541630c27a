package queryserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// listen serves s on a real loopback listener until the test ends and returns its address.
func listen(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Listen(ln) }()
	t.Cleanup(func() {
		// fasthttp counts a connection that never sent a request as busy for 5 s; the Go
		// client sometimes dials a spare one. Close the client side so Shutdown is prompt.
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Listen returned %v after Shutdown", err)
		}
	})
	addr := ln.Addr().String()
	waitUp(t, addr)
	return addr
}

func waitUp(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server at %s did not come up: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func httpDo(t *testing.T, method, url string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// In the collector the query server listens before the receivers mount their handlers.
func TestMountAfterListen(t *testing.T) {
	f := newFixture(t, seeded(t))
	base := "http://" + listen(t, f.s)

	status, body, _ := httpDo(t, "POST", base+"/api/v1/write")
	if status != 404 || !strings.Contains(body, "NOT_FOUND") {
		t.Fatalf("before Mount: %d %s", status, body)
	}
	err := f.s.Mount("post", "/api/v1/write", func(c *fiber.Ctx) error {
		return c.Status(200).JSON(fiber.Map{"accepted": 1, "rejected": 0, "errors": []any{}})
	})
	if err != nil {
		t.Fatal(err)
	}
	status, body, _ = httpDo(t, "POST", base+"/api/v1/write")
	if status != 200 || body != `{"accepted":1,"errors":[],"rejected":0}` {
		t.Errorf("after Mount: %d %s", status, body)
	}
	// Same routing rules as fiber's own routes: case and a trailing slash do not matter.
	if status, _, _ = httpDo(t, "POST", base+"/API/v1/write/"); status != 200 {
		t.Errorf("POST /API/v1/write/: %d", status)
	}
	status, body, hdr := httpDo(t, "GET", base+"/api/v1/write")
	if status != 405 || !strings.Contains(body, `"code":"INVALID_REQUEST"`) || hdr.Get("Allow") != "POST" {
		t.Errorf("GET on a mounted POST route: %d %s Allow=%q", status, body, hdr.Get("Allow"))
	}
	// Errors returned by a mounted handler get the envelope too.
	if err := f.s.Mount("PUT", "/api/v1/write", func(*fiber.Ctx) error { return fiber.ErrUnauthorized }); err != nil {
		t.Fatal(err)
	}
	if status, body, _ = httpDo(t, "PUT", base+"/api/v1/write"); status != 401 || !strings.Contains(body, `"error":{`) {
		t.Errorf("error of a mounted handler: %d %s", status, body)
	}
}

func TestMountRejects(t *testing.T) {
	f := newFixture(t, seeded(t))
	h := func(c *fiber.Ctx) error { return nil }
	if err := f.s.Mount("POST", "/api/v1/write", h); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ method, path, msg string }{
		{"POST", "/api/v1/write", "already mounted"},
		{"POST", "/API/v1/write/", "already mounted"},
		{"BREW", "/x", "unknown HTTP method"},
		{"GET", "relative", "must be absolute and exact"},
		{"GET", "/api/v1/things/:id", "must be absolute and exact"},
		{"GET", "/static/*", "must be absolute and exact"},
		{"POST", "/api/v1/query", "the built-in route POST /api/v1/query serves it"},
		{"GET", "/api/v1/metrics/foo/dimensions", "the built-in route GET /api/v1/metrics/:name/dimensions serves it"},
		{"HEAD", "/healthz", "the built-in route GET /healthz serves it"},
	}
	for _, c := range cases {
		if err := f.s.Mount(c.method, c.path, h); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Mount(%s, %s) = %v; want %q", c.method, c.path, err, c.msg)
		}
	}
	if err := f.s.Mount("GET", "/nil", nil); err == nil {
		t.Error("Mount with a nil handler succeeded")
	}
	// A built-in path with another method is free: fiber would answer 405 for it otherwise.
	if err := f.s.Mount("POST", "/api/v1/metrics", h); err != nil {
		t.Errorf("Mount(POST /api/v1/metrics) = %v", err)
	}
}

// Mounts race with requests (run with -race): each mounted route answers as soon as Mount
// returns, and requests in flight never see a half-built table.
func TestMountConcurrentWithRequests(t *testing.T) {
	f := newFixture(t, seeded(t))
	base := "http://" + listen(t, f.s)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := http.Get(base + "/r/0")
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 && resp.StatusCode != 404 {
					t.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	for i := 0; i < 50; i++ {
		i := i
		err := f.s.Mount("GET", fmt.Sprintf("/r/%d", i), func(c *fiber.Ctx) error { return c.SendString(fmt.Sprint(i)) })
		if err != nil {
			t.Fatal(err)
		}
		if status, body, _ := httpDo(t, "GET", fmt.Sprintf("%s/r/%d", base, i)); status != 200 || body != fmt.Sprint(i) {
			t.Fatalf("route %d: %d %s", i, status, body)
		}
	}
	cancel()
	wg.Wait()
}

func TestListenAfterShutdown(t *testing.T) {
	f := newFixture(t, seeded(t))
	if err := f.s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.Listen(ln); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Listen after Shutdown = %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still open after Listen refused it")
	}
}
