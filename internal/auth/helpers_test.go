package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

const testSecret = "luminate-test-secret-0123456789abcdef" // 37 bytes

// testNow is the verifiers' clock, so expiry cases are exact to the second.
var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

type testKeys struct {
	rsa    *rsa.PrivateKey
	rsa2   *rsa.PrivateKey // signs tokens no verifier trusts
	ec     *ecdsa.PrivateKey
	ec2    *ecdsa.PrivateKey
	rsaPEM []byte // PKIX PEM of rsa.Public(), the bytes a key-confusion attacker knows
}

// keys are generated once per test binary: 2048-bit RSA costs ~100 ms each.
var keys = sync.OnceValue(func() testKeys {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	r1, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	r2, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	e1, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	e2, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	der, err := x509.MarshalPKIXPublicKey(&r1.PublicKey)
	must(err)
	return testKeys{rsa: r1, rsa2: r2, ec: e1, ec2: e2,
		rsaPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
})

// claims returns valid claims for tenant acme at testNow; edit the map for a case.
func claims() jwt.MapClaims {
	return jwt.MapClaims{
		"tenant_id": "acme",
		"scopes":    []string{"read", "write"},
		"iat":       testNow.Add(-time.Minute).Unix(),
		"exp":       testNow.Add(time.Hour).Unix(),
	}
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	c[k] = v
	return c
}

func without(c jwt.MapClaims, k string) jwt.MapClaims {
	delete(c, k)
	return c
}

func sign(t *testing.T, m jwt.SigningMethod, key any, kid string, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("signing %s: %v", m.Alg(), err)
	}
	return s
}

func hs(t *testing.T, c jwt.MapClaims) string {
	return sign(t, jwt.SigningMethodHS256, []byte(testSecret), "", c)
}

func newVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// checkErr asserts err carries code and that its text leaks none of the secrets.
func checkErr(t *testing.T, err error, code apierror.Code, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var e *apierror.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %q is a %T, want *apierror.Error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code = %s (%q), want %s", e.Code, e.Message, code)
	}
	for _, s := range append(secrets, testSecret) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q leaks a token or secret", err)
		}
	}
}
