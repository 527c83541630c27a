package queryserver

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/luminate-metrics/luminate/internal/auth"
)

// protected lists one request per authenticated route.
var protected = []struct{ method, path, body string }{
	{"POST", "/api/v1/query", queryBody(`"queryType":"range","metricName":"api_latency"`)},
	{"GET", "/api/v1/metrics", ""},
	{"GET", "/api/v1/metrics/api_latency/dimensions", ""},
	{"GET", "/api/v1/metrics/api_latency/dimensions/region/values", ""},
}

func TestAuthFailures(t *testing.T) {
	f := newFixture(t, seeded(t))
	otherSecret, err := auth.Mint(strings.Repeat("x", 40), "acme", []string{"read"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := auth.Mint(secret, "acme", []string{"read"}, -5*time.Minute) // beyond the 60 s leeway
	if err != nil {
		t.Fatal(err)
	}
	noTenant, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"scopes": []string{"read"}, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, header string
		status       int
		code, msg    string
	}{
		// Messages come from internal/auth; only their key words are checked here.
		{"missing header", "", 401, "UNAUTHORIZED", "Authorization"},
		{"basic scheme", "Basic dXNlcjpwYXNz", 401, "UNAUTHORIZED", "Bearer"},
		{"bearer without token", "Bearer ", 401, "UNAUTHORIZED", "Bearer"},
		{"garbage token", "Bearer not.a.jwt", 401, "INVALID_TOKEN", ""},
		{"wrong secret", "Bearer " + otherSecret, 401, "INVALID_TOKEN", ""},
		{"expired", "Bearer " + expired, 401, "TOKEN_EXPIRED", "expired"},
		{"no tenant", "Bearer " + noTenant, 401, "INVALID_TOKEN", "tenant_id"},
		{"write scope only", "Bearer " + token(t, "acme", "write"), 403, "FORBIDDEN", `"read"`},
		{"admin does not imply read", "Bearer " + token(t, "acme", "admin"), 403, "FORBIDDEN", `"read"`},
	}
	for _, c := range cases {
		for _, p := range protected {
			t.Run(c.name+" "+p.path, func(t *testing.T) {
				r := f.request(t, p.method, p.path, "", p.body, "Authorization", c.header)
				expectError(t, r, c.status, c.code, c.msg)
			})
		}
	}
}

func TestForbiddenDetails(t *testing.T) {
	f := newFixture(t, seeded(t))
	r := f.request(t, "GET", "/api/v1/metrics", token(t, "acme", "write", "admin"), "")
	details, ok := r.json(t)["error"].(map[string]any)["details"].(map[string]any)
	if !ok {
		t.Fatalf("403 without details: %s", r.body)
	}
	want := map[string]any{"requiredScope": "read", "scopes": []any{"write", "admin"}}
	if !reflect.DeepEqual(details, want) {
		t.Errorf("details = %v; want %v", details, want)
	}
	// A token without any scope lists an empty array, not null.
	r = f.request(t, "GET", "/api/v1/metrics", token(t, "acme"), "")
	if !strings.Contains(string(r.body), `"scopes":[]`) {
		t.Errorf("scopes of a scope-less token: %s", r.body)
	}
}

func TestBearerIsCaseInsensitive(t *testing.T) {
	f := newFixture(t, seeded(t))
	r := f.request(t, "GET", "/api/v1/metrics", "", "", "Authorization", "bEaReR "+token(t, "acme", "read"))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
}

func TestPublicEndpointsNeedNoToken(t *testing.T) {
	f := newFixture(t, seeded(t))
	for _, p := range []string{"/healthz", "/readyz", "/api/v1/health"} {
		if r := f.request(t, "GET", p, "", ""); r.status != 200 {
			t.Errorf("GET %s = %d: %s", p, r.status, r.body)
		}
	}
}
