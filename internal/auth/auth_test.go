package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

type verifyCase struct {
	name string
	v    *Verifier
	tok  string
	want apierror.Code // "" means valid
}

func TestVerify(t *testing.T) {
	k := keys()
	hsOnly := newVerifier(t, Config{Secret: testSecret})
	pkOnly := newVerifier(t, Config{PublicKeys: map[string]any{"r1": &k.rsa.PublicKey, "e1": &k.ec.PublicKey}})
	pkNoKid := newVerifier(t, Config{PublicKeys: map[string]any{"": &k.rsa.PublicKey}})
	both := newVerifier(t, Config{Secret: testSecret, PublicKeys: map[string]any{"r1": &k.rsa.PublicKey}})
	audIss := newVerifier(t, Config{Secret: testSecret, Audience: "luminate", Issuer: "https://idp.example"})

	valid := hs(t, claims())
	tampered := valid[:strings.Index(valid, ".")+1] +
		strings.Split(hs(t, with(claims(), "tenant_id", "evil")), ".")[1] +
		valid[strings.LastIndex(valid, "."):]
	none := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims())
	// Key confusion: HS256 "signed" with the public key bytes that anyone can download.
	confused := sign(t, jwt.SigningMethodHS256, k.rsaPEM, "", claims())
	confusedKid := sign(t, jwt.SigningMethodHS256, k.rsaPEM, "r1", claims())

	tests := []verifyCase{
		{"HS256 valid", hsOnly, valid, ""},
		{"RS256 valid", pkOnly, sign(t, jwt.SigningMethodRS256, k.rsa, "r1", claims()), ""},
		{"ES256 valid", pkOnly, sign(t, jwt.SigningMethodES256, k.ec, "e1", claims()), ""},
		{"RS256 without kid uses the \"\" key", pkNoKid, sign(t, jwt.SigningMethodRS256, k.rsa, "", claims()), ""},
		{"HS256 and RS256 on one verifier: HS256", both, valid, ""},
		{"HS256 and RS256 on one verifier: RS256", both, sign(t, jwt.SigningMethodRS256, k.rsa, "r1", claims()), ""},

		{"alg none, HS256 verifier", hsOnly, none, apierror.InvalidToken},
		{"alg none, key verifier", pkOnly, none, apierror.InvalidToken},
		{"HS256 wrong secret", hsOnly, sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 40)), "", claims()), apierror.InvalidToken},
		{"HS256 tampered payload", hsOnly, tampered, apierror.InvalidToken},
		{"RS256 to HS256-only verifier", hsOnly, sign(t, jwt.SigningMethodRS256, k.rsa, "r1", claims()), apierror.InvalidToken},
		{"key confusion, keys-only verifier", pkOnly, confused, apierror.InvalidToken},
		{"key confusion with kid, keys-only verifier", pkOnly, confusedKid, apierror.InvalidToken},
		{"key confusion, no-kid key verifier", pkNoKid, confused, apierror.InvalidToken},
		{"key confusion, secret+keys verifier", both, confusedKid, apierror.InvalidToken},
		{"RS256 by an untrusted key", pkOnly, sign(t, jwt.SigningMethodRS256, k.rsa2, "r1", claims()), apierror.InvalidToken},
		{"ES256 by an untrusted key", pkOnly, sign(t, jwt.SigningMethodES256, k.ec2, "e1", claims()), apierror.InvalidToken},
		{"RS256 naming the EC key's kid", pkOnly, sign(t, jwt.SigningMethodRS256, k.rsa, "e1", claims()), apierror.InvalidToken},
		{"RS256 unknown kid", pkOnly, sign(t, jwt.SigningMethodRS256, k.rsa, "nope", claims()), apierror.InvalidToken},
		{"RS512 is not accepted", pkOnly, sign(t, jwt.SigningMethodRS512, k.rsa, "r1", claims()), apierror.InvalidToken},
		{"HS512 is not accepted", hsOnly, sign(t, jwt.SigningMethodHS512, []byte(testSecret), "", claims()), apierror.InvalidToken},

		{"expired 30 s ago passes (leeway 60 s)", hsOnly, hs(t, with(claims(), "exp", testNow.Add(-30*time.Second).Unix())), ""},
		{"expired 90 s ago", hsOnly, hs(t, with(claims(), "exp", testNow.Add(-90*time.Second).Unix())), apierror.TokenExpired},
		{"expired and RS256 via keys", pkOnly, sign(t, jwt.SigningMethodRS256, k.rsa, "r1", with(claims(), "exp", testNow.Add(-time.Hour).Unix())), apierror.TokenExpired},
		{"expired with a bad signature is invalid, not expired", hsOnly,
			sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("y", 40)), "", with(claims(), "exp", testNow.Add(-time.Hour).Unix())), apierror.InvalidToken},
		{"nbf 30 s ahead passes", hsOnly, hs(t, with(claims(), "nbf", testNow.Add(30*time.Second).Unix())), ""},
		{"nbf 90 s ahead", hsOnly, hs(t, with(claims(), "nbf", testNow.Add(90*time.Second).Unix())), apierror.InvalidToken},
		{"missing exp", hsOnly, hs(t, without(claims(), "exp")), apierror.InvalidToken},
		{"missing tenant_id", hsOnly, hs(t, without(claims(), "tenant_id")), apierror.InvalidToken},
		{"empty tenant_id", hsOnly, hs(t, with(claims(), "tenant_id", "")), apierror.InvalidToken},
		{"numeric tenant_id", hsOnly, hs(t, with(claims(), "tenant_id", 42)), apierror.InvalidToken},
		{"scopes not an array", hsOnly, hs(t, with(claims(), "scopes", "write")), apierror.InvalidToken},

		{"aud and iss match", audIss, hs(t, with(with(claims(), "aud", "luminate"), "iss", "https://idp.example")), ""},
		{"aud list containing ours", audIss, hs(t, with(with(claims(), "aud", []string{"x", "luminate"}), "iss", "https://idp.example")), ""},
		{"wrong aud", audIss, hs(t, with(with(claims(), "aud", "other"), "iss", "https://idp.example")), apierror.InvalidToken},
		{"missing aud when configured", audIss, hs(t, with(claims(), "iss", "https://idp.example")), apierror.InvalidToken},
		{"wrong iss", audIss, hs(t, with(with(claims(), "aud", "luminate"), "iss", "https://evil.example")), apierror.InvalidToken},
		{"aud/iss ignored when not configured", hsOnly, hs(t, with(with(claims(), "aud", "any"), "iss", "any")), ""},

		{"garbage", hsOnly, "not-a-jwt", apierror.InvalidToken},
		{"bad base64", hsOnly, "a.b.c", apierror.InvalidToken},
		{"empty", hsOnly, "", apierror.InvalidToken},
	}
	// The message explains the refusal, for the cases where one could guess wrong.
	msgs := map[string]string{
		"RS256 to HS256-only verifier":      "token signature or algorithm is not accepted (accepted: HS256)",
		"key confusion, keys-only verifier": "(accepted: RS256, ES256)",
		"expired 90 s ago":                  "token expired at 2026-11-27T09:58:30Z (clock leeway 1m0s)",
		"nbf 90 s ahead":                    "token is not valid before 2026-11-27T10:01:30Z (clock leeway 1m0s)",
		"missing exp":                       "token is missing the required exp claim",
		"missing tenant_id":                 "token has no tenant_id claim",
		"wrong aud":                         "token audience is not accepted",
		"missing aud when configured":       "token is missing the required aud claim",
		"wrong iss":                         "token issuer is not accepted",
		"garbage":                           "token is malformed",
		"expired with a bad signature is invalid, not expired": "signature",
	}
	for name := range msgs { // a typo here would silently skip a check
		if !slices.ContainsFunc(tests, func(c verifyCase) bool { return c.name == name }) {
			t.Fatalf("msgs names no test case: %q", name)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.v.Verify(tt.tok)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.TenantID != "acme" || !reflect.DeepEqual(c.Scopes, []string{"read", "write"}) {
					t.Fatalf("claims = %q %v, want acme [read write]", c.TenantID, c.Scopes)
				}
				return
			}
			checkErr(t, err, tt.want, tt.tok, string(k.rsaPEM))
			if m := msgs[tt.name]; m != "" && !strings.Contains(err.Error(), m) {
				t.Fatalf("error %q, want it to contain %q", err, m)
			}
		})
	}
}

func TestVerifyHeader(t *testing.T) {
	v := newVerifier(t, Config{Secret: testSecret})
	tok := hs(t, claims())
	expired := hs(t, with(claims(), "exp", testNow.Add(-time.Hour).Unix()))
	tests := []struct {
		header string
		want   apierror.Code
	}{
		{"Bearer " + tok, ""},
		{"bearer " + tok, ""},
		{"BEARER " + tok, ""},
		{"  Bearer   " + tok + "  ", ""},
		{"", apierror.Unauthorized},
		{"Basic dXNlcjpwYXNz", apierror.Unauthorized},
		{"Basic " + tok, apierror.Unauthorized},
		{"Bearer", apierror.Unauthorized},
		{"Bearer ", apierror.Unauthorized},
		{"Bearer    ", apierror.Unauthorized},
		{tok, apierror.Unauthorized},
		{"Bearer " + tok + " extra", apierror.Unauthorized},
		{"Bearer\t" + tok, apierror.Unauthorized},
		{"Bearer " + expired, apierror.TokenExpired},
		{"Bearer garbage", apierror.InvalidToken},
	}
	for _, tt := range tests {
		name := tt.header
		if len(name) > 24 {
			name = name[:24]
		}
		t.Run(name, func(t *testing.T) {
			c, err := v.VerifyHeader(tt.header)
			if tt.want == "" {
				if err != nil || c.TenantID != "acme" {
					t.Fatalf("VerifyHeader = %v, %v; want tenant acme", c, err)
				}
				return
			}
			checkErr(t, err, tt.want, tok, expired)
		})
	}
}

func TestExpiredMessageNamesTimeAndLeeway(t *testing.T) {
	v := newVerifier(t, Config{Secret: testSecret})
	_, err := v.Verify(hs(t, with(claims(), "exp", testNow.Add(-90*time.Second).Unix())))
	want := "TOKEN_EXPIRED: token expired at 2026-11-27T09:58:30Z (clock leeway 1m0s); mint a new one"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want it to contain %q", err, want)
	}
}

func TestNegativeLeewayMeansNone(t *testing.T) {
	v := newVerifier(t, Config{Secret: testSecret, Leeway: -1})
	_, err := v.Verify(hs(t, with(claims(), "exp", testNow.Add(-time.Second).Unix())))
	checkErr(t, err, apierror.TokenExpired)
}

func TestRequire(t *testing.T) {
	tests := []struct {
		scopes []string
		need   string
		ok     bool
	}{
		{[]string{"read", "write"}, ScopeWrite, true},
		{[]string{"read"}, ScopeWrite, false},
		{[]string{"admin"}, ScopeRead, false}, // admin does not imply read
		{[]string{"admin"}, ScopeAdmin, true},
		{nil, ScopeRead, false},
	}
	for _, tt := range tests {
		err := Require(&Claims{TenantID: "acme", Scopes: tt.scopes}, tt.need)
		if tt.ok {
			if err != nil {
				t.Errorf("Require(%v, %s) = %v", tt.scopes, tt.need, err)
			}
			continue
		}
		checkErr(t, err, apierror.Forbidden)
		e, _ := apierror.As(err)
		wantScopes := tt.scopes
		if wantScopes == nil {
			wantScopes = []string{} // JSON [] rather than null
		}
		want := map[string]any{"requiredScope": tt.need, "scopes": wantScopes}
		if !reflect.DeepEqual(e.Details, want) {
			t.Errorf("details = %#v, want %#v", e.Details, want)
		}
		if e.HTTPStatus() != 403 {
			t.Errorf("status = %d, want 403", e.HTTPStatus())
		}
	}
}

func TestNewVerifierRefusesBadConfig(t *testing.T) {
	r1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"nothing", Config{}, "JWT_SECRET is not set"},
		{"short secret", Config{Secret: "twelve-bytes"}, "JWT_SECRET is 12 bytes, at least 32 are required"},
		{"31 bytes", Config{Secret: strings.Repeat("s", 31)}, "JWT_SECRET is 31 bytes"},
		{"short previous secret", Config{Secret: testSecret, PreviousSecret: "old"}, "JWT_SECRET_PREVIOUS is 3 bytes"},
		{"previous secret alone", Config{PreviousSecret: testSecret, PublicKeys: map[string]any{"k": &keys().rsa.PublicKey}}, "needs JWT_SECRET set"},
		{"RSA 1024", Config{PublicKeys: map[string]any{"k": &r1024.PublicKey}}, "RSA key is 1024 bits, at least 2048 are required"},
		{"P-384", Config{PublicKeys: map[string]any{"k": &p384.PublicKey}}, "curve P-384"},
		{"ed25519", Config{PublicKeys: map[string]any{"k": edPub}}, "key type ed25519.PublicKey is not supported"},
		{"private key", Config{PublicKeys: map[string]any{"k": keys().rsa}}, "key type *rsa.PrivateKey is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewVerifier(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewVerifier error = %v, want it to contain %q", err, tt.want)
			}
			if tt.cfg.Secret != "" && strings.Contains(err.Error(), tt.cfg.Secret) {
				t.Fatalf("error %q leaks the secret", err)
			}
		})
	}
}

func TestMethodsFollowKeys(t *testing.T) {
	k := keys()
	tests := []struct {
		cfg  Config
		want []string
	}{
		{Config{Secret: testSecret}, []string{"HS256"}},
		{Config{PublicKeys: map[string]any{"a": &k.rsa.PublicKey}}, []string{"RS256"}},
		{Config{PublicKeys: map[string]any{"a": &k.ec.PublicKey}}, []string{"ES256"}},
		{Config{Secret: testSecret, PublicKeys: map[string]any{"a": &k.rsa.PublicKey, "b": &k.ec.PublicKey}}, []string{"HS256", "RS256", "ES256"}},
	}
	for _, tt := range tests {
		if got := newVerifier(t, tt.cfg).Methods(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Methods() = %v, want %v", got, tt.want)
		}
	}
}

func TestMintRoundTrip(t *testing.T) {
	tok, err := Mint(testSecret, "acme", []string{"read"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(Config{Secret: testSecret}) // real clock
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.VerifyHeader("Bearer " + tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.TenantID != "acme" || !c.HasScope(ScopeRead) || c.HasScope(ScopeWrite) {
		t.Fatalf("claims = %+v", c)
	}
	if d := time.Until(c.ExpiresAt.Time); d < 59*time.Minute || d > time.Hour {
		t.Fatalf("exp in %s, want ~1h", d)
	}
}

func TestSignRefuses(t *testing.T) {
	exp := jwt.NewNumericDate(testNow)
	tests := []struct {
		name   string
		secret string
		c      Claims
		want   string
	}{
		{"short secret", "short", Claims{TenantID: "a", RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: exp}}, "JWT_SECRET is 5 bytes"},
		{"no tenant", testSecret, Claims{RegisteredClaims: jwt.RegisteredClaims{ExpiresAt: exp}}, "tenant is required"},
		{"no exp", testSecret, Claims{TenantID: "a"}, "exp is required"},
	}
	for _, tt := range tests {
		if _, err := Sign(tt.secret, tt.c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Sign error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestIsKnownScope(t *testing.T) {
	for _, s := range []string{"read", "write", "admin"} {
		if !IsKnownScope(s) {
			t.Errorf("IsKnownScope(%q) = false", s)
		}
	}
	for _, s := range []string{"", "Read", "delete", "write "} {
		if IsKnownScope(s) {
			t.Errorf("IsKnownScope(%q) = true", s)
		}
	}
}

// TestPreviousSecret: during a rotation tokens of the new and of the previous secret verify,
// a token of any other secret is refused as before, and without the previous secret its
// tokens are refused.
func TestPreviousSecret(t *testing.T) {
	const newSecret = "luminate-new-secret-0123456789abcdef0123"
	rotating := newVerifier(t, Config{Secret: newSecret, PreviousSecret: testSecret})
	for name, key := range map[string]string{"new": newSecret, "previous": testSecret} {
		c, err := rotating.Verify(sign(t, jwt.SigningMethodHS256, []byte(key), "", claims()))
		if err != nil || c.TenantID != "acme" {
			t.Errorf("token of the %s secret: %+v %v", name, c, err)
		}
	}
	other := sign(t, jwt.SigningMethodHS256, []byte("some-other-secret-0123456789abcdef0123"), "", claims())
	_, err := rotating.Verify(other)
	checkErr(t, err, apierror.InvalidToken, newSecret, other)
	_, err = newVerifier(t, Config{Secret: newSecret}).Verify(hs(t, claims()))
	checkErr(t, err, apierror.InvalidToken, newSecret)
}
