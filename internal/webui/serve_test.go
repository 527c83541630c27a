package webui_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
	"github.com/luminate-metrics/luminate/internal/webui"
	"github.com/luminate-metrics/luminate/queryserver"
)

const secret = "webui-test-secret-0123456789abcdef0123" // over the 32 bytes auth requires

func newServer(t *testing.T) *queryserver.Server {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return queryserver.New(queryserver.Config{Store: memstore.New(), Verifier: v})
}

func do(t *testing.T, s *queryserver.Server, method, path string, header ...string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.App().Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestRootAndBareUIRedirect(t *testing.T) {
	s := newServer(t)
	for _, p := range []string{"/", "/ui"} {
		resp, _ := do(t, s, http.MethodGet, p)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
			t.Errorf("GET %s: %d Location %q, want 302 to /ui/", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestServesEmbeddedFiles(t *testing.T) {
	s := newServer(t)
	for path, ctype := range map[string]string{
		"/ui/":           "text/html; charset=utf-8",
		"/ui/index.html": "text/html; charset=utf-8",
		"/ui/app.js":     "text/javascript; charset=utf-8",
		"/ui/app.css":    "text/css; charset=utf-8",
	} {
		resp, body := do(t, s, http.MethodGet, path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ctype {
			t.Errorf("GET %s: %d %q, want 200 %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), ctype)
			continue
		}
		name := strings.TrimPrefix(path, "/ui/")
		if a, _ := webui.Lookup(name); body != string(a.Body) {
			t.Errorf("GET %s: body is not the embedded file", path)
		}
		for _, h := range []string{"Content-Security-Policy", "ETag", "X-Content-Type-Options"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("GET %s: no %s header", path, h)
			}
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", path, cc)
		}
	}
}

func TestRevalidationAnswers304(t *testing.T) {
	s := newServer(t)
	resp, _ := do(t, s, http.MethodGet, "/ui/app.js")
	etag := resp.Header.Get("ETag")
	resp, body := do(t, s, http.MethodGet, "/ui/app.js", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("If-None-Match %s: %d with %d bytes, want 304 without a body", etag, resp.StatusCode, len(body))
	}
}

func TestUnknownFileIsAnEnvelope404(t *testing.T) {
	s := newServer(t)
	resp, body := do(t, s, http.MethodGet, "/ui/nope.js")
	var env struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || resp.StatusCode != http.StatusNotFound || env.Error.Code != "NOT_FOUND" {
		t.Errorf("GET /ui/nope.js: %d %s, want 404 NOT_FOUND envelope", resp.StatusCode, body)
	}
}

// The UI is public (its data needs a token, the page does not), and the API is not.
func TestUIIsPublicAPIIsNot(t *testing.T) {
	s := newServer(t)
	if resp, _ := do(t, s, http.MethodGet, "/ui/"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /ui/ without a token: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, http.MethodGet, "/api/v1/metrics"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/metrics without a token: %d, want 401", resp.StatusCode)
	}
}
