package queryserver

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

// pingStore injects storage faults into Ping: an error, a delay, or a hang until the deadline.
type pingStore struct {
	*memstore.Store
	err   error
	delay time.Duration
	hang  bool
}

func (p pingStore) Ping(ctx context.Context) error {
	if p.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	time.Sleep(p.delay)
	return p.err
}

func TestHealthy(t *testing.T) {
	f := newFixture(t, memstore.New())
	r := f.request(t, "GET", "/api/v1/health", "", "")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	v := r.json(t)
	if up, ok := v["uptimeSeconds"].(float64); !ok || up < 0 {
		t.Errorf("uptimeSeconds = %v", v["uptimeSeconds"])
	}
	assertJSON(t, r.body, `{"status":"healthy","version":"1.2.3-test","components":[
		{"name":"storage","status":"healthy","message":"ok","durationMs":0}]}`, "uptimeSeconds")

	if r := f.request(t, "GET", "/healthz", "", ""); r.status != 200 || string(r.body) != "ok" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("/healthz = %d %q %q", r.status, r.body, r.header.Get("Content-Type"))
	}
	if r := f.request(t, "GET", "/readyz", "", ""); r.status != 200 || string(r.body) != "ready" {
		t.Errorf("/readyz = %d %q", r.status, r.body)
	}
}

func TestUnhealthyStorage(t *testing.T) {
	cause := errors.New("dial tcp 10.0.0.7:9000: connection refused")
	cases := []struct {
		name    string
		st      pingStore
		message string
	}{
		{"ping fails", pingStore{Store: memstore.New(), err: cause}, "storage ping failed; see the server log"},
		{"ping hangs", pingStore{Store: memstore.New(), hang: true}, "storage did not answer within 100ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.st, func(cfg *Config) { cfg.HealthTimeout = 100 * time.Millisecond })
			r := f.request(t, "GET", "/api/v1/health", "", "")
			if r.status != 503 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			v := r.json(t)
			comp := v["components"].([]any)[0].(map[string]any)
			if v["status"] != "unhealthy" || comp["status"] != "unhealthy" || comp["message"] != c.message {
				t.Errorf("health = %s", r.body)
			}
			if strings.Contains(string(r.body), "10.0.0.7") {
				t.Errorf("cause leaked to an unauthenticated client: %s", r.body)
			}
			r = f.request(t, "GET", "/readyz", "", "")
			if r.status != 503 || string(r.body) != "not ready: "+c.message || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
				t.Errorf("/readyz = %d %q", r.status, r.body)
			}
			// The process itself is alive.
			if r := f.request(t, "GET", "/healthz", "", ""); r.status != 200 {
				t.Errorf("/healthz = %d", r.status)
			}
			if f.logs.FilterMessage("storage ping failed").Len() == 0 {
				t.Error("ping failure not logged")
			}
		})
	}
}

// A slow but answering storage is degraded: 200, so load balancers keep the instance.
func TestDegradedStorage(t *testing.T) {
	f := newFixture(t, pingStore{Store: memstore.New(), delay: 30 * time.Millisecond}, func(c *Config) {
		c.SlowPing = 10 * time.Millisecond
	})
	r := f.request(t, "GET", "/api/v1/health", "", "")
	v := r.json(t)
	comp := v["components"].([]any)[0].(map[string]any)
	msg, _ := comp["message"].(string)
	if r.status != 200 || v["status"] != "degraded" || comp["status"] != "degraded" || !strings.Contains(msg, "slower than 10ms") {
		t.Errorf("health = %d %s", r.status, r.body)
	}
	if ms, _ := comp["durationMs"].(float64); ms < 30 {
		t.Errorf("durationMs = %v", comp["durationMs"])
	}
	if r := f.request(t, "GET", "/readyz", "", ""); r.status != 200 {
		t.Errorf("/readyz = %d", r.status)
	}
}
