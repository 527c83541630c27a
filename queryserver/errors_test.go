package queryserver

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
)

// fiber's own answers (no route, wrong method, body too large) and panics all use the envelope.
func TestFiberErrorsUseTheEnvelope(t *testing.T) {
	f := newFixture(t, seeded(t), func(c *Config) { c.BodyLimit = 1024 })
	tok := token(t, "acme", "read")

	expectError(t, f.request(t, "GET", "/nope", "", ""), 404, "NOT_FOUND", "no route for GET /nope")
	expectError(t, f.request(t, "GET", "/api/v1/nope", tok, ""), 404, "NOT_FOUND", "no route for GET /api/v1/nope")

	r := f.request(t, "GET", "/api/v1/query", tok, "")
	expectError(t, r, 405, "INVALID_REQUEST", "method GET is not allowed on /api/v1/query; allowed: POST")
	if allow := r.header.Get("Allow"); allow != "POST" {
		t.Errorf("Allow = %q", allow)
	}
	r = f.request(t, "DELETE", "/api/v1/metrics", tok, "")
	expectError(t, r, 405, "INVALID_REQUEST", "method DELETE is not allowed on /api/v1/metrics")

}

// fasthttp refuses a body over the limit while reading it, before any handler; the envelope
// must still come out. app.Test reports that case as an error, so a real socket is used.
func TestBodyOverLimitUsesTheEnvelope(t *testing.T) {
	f := newFixture(t, seeded(t), func(c *Config) { c.BodyLimit = 1024 })
	addr := listen(t, f.s)
	req, err := http.NewRequest("POST", "http://"+addr+"/api/v1/query", strings.NewReader(strings.Repeat("x", 2000)))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: body}
	expectError(t, r, 413, "PAYLOAD_TOO_LARGE", "request body exceeds the limit of 1024 bytes (queryserver.body_limit)")
	if n := f.logs.FilterMessage("http request").FilterField(zap.Int("status", 413)).Len(); n != 1 {
		t.Errorf("413 access log lines: %d", n)
	}
}

// A method fiber does not know would get a plain-text 400 from fiber itself; it gets the
// envelope. Sent over a real socket, since net/http refuses to build such a request.
func TestUnknownMethodUsesTheEnvelope(t *testing.T) {
	f := newFixture(t, seeded(t))
	addr := listen(t, f.s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "BREW /api/v1/query HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: body}
	expectError(t, r, 405, "INVALID_REQUEST", "method BREW is not allowed on /api/v1/query")
}

func TestPanicBecomesInternalError(t *testing.T) {
	f := newFixture(t, seeded(t))
	if err := f.s.Mount("GET", "/boom", func(*fiber.Ctx) error { panic("kaboom") }); err != nil {
		t.Fatal(err)
	}
	r := f.request(t, "GET", "/boom", "", "")
	expectError(t, r, 500, "INTERNAL_ERROR", "internal error; the server log has details (request id")
	if strings.Contains(string(r.body), "kaboom") {
		t.Errorf("panic value leaked: %s", r.body)
	}
	if n := f.logs.FilterMessage("panic in handler").Len(); n != 1 {
		t.Errorf("panics logged: %d", n)
	}
	// The server still serves afterwards.
	if r := f.request(t, "GET", "/healthz", "", ""); r.status != 200 {
		t.Errorf("after a panic: %d", r.status)
	}
}

// An error of an unknown type from a handler is a bug: 500 INTERNAL_ERROR, cause logged only.
func TestUnknownErrorBecomesInternalError(t *testing.T) {
	f := newFixture(t, seeded(t))
	if err := f.s.Mount("GET", "/fail", func(*fiber.Ctx) error { return fmt.Errorf("secret detail") }); err != nil {
		t.Fatal(err)
	}
	r := f.request(t, "GET", "/fail", "", "")
	expectError(t, r, 500, "INTERNAL_ERROR", "internal error")
	if strings.Contains(string(r.body), "secret detail") {
		t.Errorf("cause leaked: %s", r.body)
	}
	if n := f.logs.FilterMessage("unhandled error").Len(); n != 1 {
		t.Errorf("unhandled errors logged: %d", n)
	}
}
