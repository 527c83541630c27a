package queryserver

import (
	"strings"
	"testing"

	"go.uber.org/zap/zaptest/observer"
)

func TestAccessLog(t *testing.T) {
	f := newFixture(t, seeded(t))
	tok := token(t, "acme", "read")
	r := f.request(t, "GET", "/api/v1/metrics/api_latency/dimensions", tok, "")
	if r.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id header")
	}
	f.request(t, "GET", "/api/v1/metrics/nope/dimensions", tok, "")
	f.request(t, "GET", "/api/v1/metrics", token(t, "acme", "write"), "")
	f.request(t, "GET", "/random/path/123", "", "")

	lines := f.logs.FilterMessage("http request").All()
	if len(lines) != 4 {
		t.Fatalf("%d access log lines; want 4", len(lines))
	}
	want := []map[string]any{
		{"method": "GET", "route": "/api/v1/metrics/{name}/dimensions", "status": int64(200), "tenant": "acme", "code": ""},
		{"method": "GET", "route": "/api/v1/metrics/{name}/dimensions", "status": int64(404), "tenant": "acme", "code": "NOT_FOUND"},
		{"method": "GET", "route": "/api/v1/metrics", "status": int64(403), "tenant": "acme", "code": "FORBIDDEN"},
		{"method": "GET", "route": "unmatched", "status": int64(404), "tenant": "", "code": "NOT_FOUND"},
	}
	for i, line := range lines {
		fields := line.ContextMap()
		for k, v := range want[i] {
			if fields[k] != v {
				t.Errorf("line %d: %s = %v; want %v (all: %v)", i, k, fields[k], v, fields)
			}
		}
		if id, _ := fields["requestId"].(string); id == "" {
			t.Errorf("line %d has no request id", i)
		}
		if _, ok := fields["latency"]; !ok {
			t.Errorf("line %d has no latency", i)
		}
	}
	assertNoToken(t, f.logs, tok)
	if id := lines[0].ContextMap()["requestId"]; id != r.header.Get("X-Request-Id") {
		t.Errorf("logged request id %v, header %q", id, r.header.Get("X-Request-Id"))
	}
}

// A client's X-Request-ID is kept when it is sane and replaced when it is not, since it is logged.
func TestRequestIDFromClient(t *testing.T) {
	f := newFixture(t, seeded(t))
	if r := f.request(t, "GET", "/healthz", "", "", "X-Request-ID", "abc-123"); r.header.Get("X-Request-Id") != "abc-123" {
		t.Errorf("sane id replaced: %q", r.header.Get("X-Request-Id"))
	}
	for _, bad := range []string{strings.Repeat("a", 129), "two words"} {
		if r := f.request(t, "GET", "/healthz", "", "", "X-Request-ID", bad); r.header.Get("X-Request-Id") == bad {
			t.Errorf("id %q kept", bad)
		}
	}
}

func assertNoToken(t *testing.T, logs *observer.ObservedLogs, tok string) {
	t.Helper()
	sig := tok[strings.LastIndex(tok, ".")+1:]
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			if s, ok := v.(string); ok && (strings.Contains(s, sig) || strings.Contains(s, "Bearer")) {
				t.Errorf("log %q field %s carries the token: %s", e.Message, k, s)
			}
		}
	}
}
