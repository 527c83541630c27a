package luminatereceiver

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/luminate-metrics/luminate/internal/auth"
)

func TestAuth(t *testing.T) {
	expired, err := auth.Mint(testSecret, "acme", []string{"write"}, -2*time.Minute) // past the 60 s leeway
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := auth.Mint("another-secret-0123456789abcdef-xyz", "acme", []string{"write"}, time.Hour)
	noTenant, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"scopes": []string{"write"}, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(testSecret))

	cases := []struct {
		desc, header string
		status       int
		code         string
	}{
		{"no header", "", 401, "UNAUTHORIZED"},
		{"not bearer", "Basic dXNlcjpwYXNz", 401, "UNAUTHORIZED"},
		{"bearer without token", "Bearer ", 401, "UNAUTHORIZED"},
		{"expired", "Bearer " + expired, 401, "TOKEN_EXPIRED"},
		{"tampered tenant", "Bearer " + retenant(t, token(t, "acme", "write"), "globex"), 401, "INVALID_TOKEN"},
		{"other secret", "Bearer " + otherKey, 401, "INVALID_TOKEN"},
		{"garbage", "Bearer not.a.jwt", 401, "INVALID_TOKEN"},
		{"no tenant_id", "Bearer " + noTenant, 401, "INVALID_TOKEN"},
		{"read-only", "Bearer " + token(t, "acme", "read"), 403, "FORBIDDEN"},
		{"admin only", "Bearer " + token(t, "acme", "admin"), 403, "FORBIDDEN"},
	}
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, nil, nil)
		for _, c := range cases {
			a := env.do(t, req{auth: c.header, body: strings.NewReader(oneItem)})
			if a.Status != c.status || a.Error == nil || a.Error.Code != c.code {
				t.Errorf("%s: got %d %s, want %d %s", c.desc, a.Status, a.Raw, c.status, c.code)
			}
		}
		// 403 names the scope it needs and the scopes the token has.
		a := env.do(t, req{auth: "Bearer " + token(t, "acme", "read"), body: strings.NewReader(oneItem)})
		if d := a.Error.Details; d["requiredScope"] != "write" || len(d["scopes"].([]any)) != 1 || d["scopes"].([]any)[0] != "read" {
			t.Fatalf("403 details %v", d)
		}
		// "Bearer" is case-insensitive.
		requireCounts(t, env.do(t, req{auth: "bearer " + token(t, "acme", "write"), body: strings.NewReader(oneItem)}), 200, 1, 0)
		if env.sink.DataPointCount() != 1 {
			t.Fatalf("sink has %d points, only the last request is authorized", env.sink.DataPointCount())
		}
	})
}

// retenant rewrites the tenant_id of a signed token and keeps the old signature.
func retenant(t *testing.T, tok, tenant string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	payload = []byte(strings.Replace(string(payload), `"tenant_id":"acme"`, `"tenant_id":"`+tenant+`"`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}
