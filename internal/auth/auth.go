// Package auth verifies and mints the JWTs of api.md: HS256 with a shared secret (optionally
// RS256/ES256 public keys), a required tenant_id and exp, scopes, 60 s leeway. It maps every
// failure to the 401/403 codes of the contract. Tokens and secrets never appear in errors.
package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// Scopes of api.md.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
	ScopeAdmin = "admin"
)

// MinSecretLen is the shortest HS256 secret Luminate accepts (api.md: refuse to start below).
const MinSecretLen = 32

// MinRSABits is the smallest RSA modulus accepted for RS256 (NIST SP 800-131A: 2048).
const MinRSABits = 2048

// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
const DefaultLeeway = 60 * time.Second

// Claims are the verified claims Luminate uses.
type Claims struct {
	TenantID string   `json:"tenant_id"`
	Scopes   []string `json:"scopes,omitempty"`
	jwt.RegisteredClaims
}

// KnownScopes are the scopes a token may carry, in the order api.md lists them.
var KnownScopes = []string{ScopeRead, ScopeWrite, ScopeAdmin}

// IsKnownScope reports whether s is one of KnownScopes.
func IsKnownScope(s string) bool { return slices.Contains(KnownScopes, s) }

// HasScope reports whether the token carries scope s. Scopes do not imply each other.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }

// Config configures a Verifier.
type Config struct {
	// Secret is the HS256 key (JWT_SECRET). Empty disables HS256 (then PublicKeys must be set).
	Secret string
	// PreviousSecret (JWT_SECRET_PREVIOUS) also verifies HS256 tokens during a secret rotation,
	// so that tokens signed with the old secret keep working while the new one rolls out.
	// Tokens are only ever minted with Secret.
	PreviousSecret string
	// PublicKeys verify RS256/ES256 tokens (see LoadPublicKeys), by key id; "" is the key for
	// tokens without a kid. Values are *rsa.PublicKey (RS256) or P-256 *ecdsa.PublicKey (ES256).
	PublicKeys map[string]any
	Audience   string // checked when set
	Issuer     string // checked when set
	// Leeway is the tolerated clock skew. 0 means DefaultLeeway; a negative value means none
	// (so a config that explicitly asks for no leeway can say so).
	Leeway time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Verifier checks bearer tokens. It is safe for concurrent use.
type Verifier struct {
	cfg     Config
	parser  *jwt.Parser
	methods []string
}

// NewVerifier validates cfg and returns a Verifier.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Secret == "" && len(cfg.PublicKeys) == 0 {
		return nil, errors.New("auth: JWT_SECRET is not set (and no public keys are configured)")
	}
	if cfg.Secret != "" && len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: JWT_SECRET is %d bytes, at least %d are required", len(cfg.Secret), MinSecretLen)
	}
	if cfg.PreviousSecret != "" && (cfg.Secret == "" || len(cfg.PreviousSecret) < MinSecretLen) {
		return nil, fmt.Errorf("auth: JWT_SECRET_PREVIOUS is %d bytes and needs JWT_SECRET set; at least %d bytes are required", len(cfg.PreviousSecret), MinSecretLen)
	}
	cfg.PublicKeys = maps.Clone(cfg.PublicKeys) // the caller may reuse its map; we are read concurrently
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = DefaultLeeway
	case cfg.Leeway < 0:
		cfg.Leeway = 0
	}
	// Accept exactly the algorithms we hold keys for. This is what defeats key confusion: with
	// only public keys configured, HS256 is not in the list, so a token "signed" with the
	// public key's bytes as an HMAC secret is refused before any key is looked up.
	var methods []string
	if cfg.Secret != "" {
		methods = append(methods, "HS256")
	}
	var hasRSA, hasEC bool
	for kid, k := range cfg.PublicKeys {
		switch alg, err := algForKey(k); {
		case err != nil:
			return nil, fmt.Errorf("auth: public key %q: %w", kid, err)
		case alg == "RS256":
			hasRSA = true
		default:
			hasEC = true
		}
	}
	if hasRSA {
		methods = append(methods, "RS256")
	}
	if hasEC {
		methods = append(methods, "ES256")
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.Leeway),
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(cfg.Now))
	}
	return &Verifier{cfg: cfg, parser: jwt.NewParser(opts...), methods: methods}, nil
}

// Methods returns the signing algorithms this Verifier accepts (HS256, RS256, ES256).
func (v *Verifier) Methods() []string { return slices.Clone(v.methods) }

// algForKey returns the JWT algorithm a public key verifies, or an error for key types
// Luminate does not accept.
func algForKey(k any) (string, error) {
	switch k := k.(type) {
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return "", errors.New("RSA key is empty")
		}
		if bits := k.N.BitLen(); bits < MinRSABits {
			return "", fmt.Errorf("RSA key is %d bits, at least %d are required", bits, MinRSABits)
		}
		return "RS256", nil
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return "", errors.New("EC key is empty")
		}
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("EC key is on curve %s; only P-256 (ES256) is supported", k.Curve.Params().Name)
		}
		return "ES256", nil
	}
	return "", fmt.Errorf("key type %T is not supported (want an RSA or EC P-256 public key)", k)
}

// BearerToken extracts the token of an Authorization header ("Bearer" is case-insensitive).
func BearerToken(header string) (string, error) {
	if header == "" {
		return "", apierror.New(apierror.Unauthorized, "missing Authorization header; send Authorization: Bearer <JWT>")
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	tok = strings.TrimSpace(tok)
	// A JWT never contains whitespace; "Bearer a b" is a malformed header, not a bad token.
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" || strings.ContainsAny(tok, " \t") {
		return "", apierror.New(apierror.Unauthorized, "malformed Authorization header; expected Bearer <JWT>")
	}
	return tok, nil
}

// VerifyHeader verifies an Authorization header value.
func (v *Verifier) VerifyHeader(header string) (*Claims, error) {
	tok, err := BearerToken(header)
	if err != nil {
		return nil, err
	}
	return v.Verify(tok)
}

// Verify checks a raw token. Errors are *apierror.Error with TOKEN_EXPIRED or INVALID_TOKEN;
// their messages never quote the token.
func (v *Verifier) Verify(raw string) (*Claims, error) {
	claims := &Claims{}
	_, err := v.parser.ParseWithClaims(raw, claims, v.key)
	if err != nil {
		return nil, v.classify(err, claims)
	}
	if claims.TenantID == "" {
		return nil, apierror.New(apierror.InvalidToken, "token has no tenant_id claim")
	}
	return claims, nil
}

// key picks the verification key. The parser has already refused algorithms outside
// v.methods; the type checks here are a second line against key confusion (an RSA key must
// never be handed to the HMAC verifier, whose "key" would then be attacker-known bytes).
func (v *Verifier) key(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	switch alg {
	case "HS256":
		if v.cfg.Secret == "" {
			return nil, errors.New("HS256 is not configured")
		}
		if v.cfg.PreviousSecret != "" {
			// the parser tries each key: the current secret first
			return jwt.VerificationKeySet{Keys: []jwt.VerificationKey{[]byte(v.cfg.Secret), []byte(v.cfg.PreviousSecret)}}, nil
		}
		return []byte(v.cfg.Secret), nil
	case "RS256", "ES256":
		kid, _ := t.Header["kid"].(string)
		k, ok := v.cfg.PublicKeys[kid]
		if !ok {
			return nil, fmt.Errorf("no public key for kid %q", kid)
		}
		if want, err := algForKey(k); err != nil || want != alg {
			return nil, fmt.Errorf("key %q does not verify %s", kid, alg)
		}
		return k, nil
	}
	return nil, fmt.Errorf("algorithm %s is not accepted", alg)
}

// classify maps a jwt error to the contract's codes. The fixed messages never include jwt's
// own text, which may quote token content. The claims are only read for expiry times, which
// the parser decodes only after the signature verified (jwt/v5 checks the signature before
// the claims), so they are not attacker-chosen.
func (v *Verifier) classify(err error, c *Claims) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		msg := "token has expired"
		if c.ExpiresAt != nil {
			msg = fmt.Sprintf("token expired at %s (clock leeway %s); mint a new one",
				c.ExpiresAt.UTC().Format(time.RFC3339), v.cfg.Leeway)
		}
		return apierror.New(apierror.TokenExpired, "%s", msg)
	case errors.Is(err, jwt.ErrTokenMalformed):
		return apierror.New(apierror.InvalidToken, "token is malformed")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return apierror.New(apierror.InvalidToken, "token signature or algorithm is not accepted (accepted: %s)",
			strings.Join(v.methods, ", "))
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return apierror.New(apierror.InvalidToken, "token is missing the required %s claim", v.missingClaim(c))
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		msg := "token is not valid yet"
		if c.NotBefore != nil {
			msg = fmt.Sprintf("token is not valid before %s (clock leeway %s)",
				c.NotBefore.UTC().Format(time.RFC3339), v.cfg.Leeway)
		}
		return apierror.New(apierror.InvalidToken, "%s", msg)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return apierror.New(apierror.InvalidToken, "token audience is not accepted")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return apierror.New(apierror.InvalidToken, "token issuer is not accepted")
	}
	return apierror.New(apierror.InvalidToken, "token is invalid")
}

// missingClaim names the registered claim the parser found missing: exp always, aud and iss
// when configured (jwt/v5 makes a configured audience or issuer required).
func (v *Verifier) missingClaim(c *Claims) string {
	var missing []string
	if c.ExpiresAt == nil {
		missing = append(missing, "exp")
	}
	if v.cfg.Audience != "" && len(c.Audience) == 0 {
		missing = append(missing, "aud")
	}
	if v.cfg.Issuer != "" && c.Issuer == "" {
		missing = append(missing, "iss")
	}
	if len(missing) == 0 {
		return "exp/aud/iss"
	}
	return strings.Join(missing, ", ")
}

// Require returns a 403 FORBIDDEN error when claims lack scope, else nil.
func Require(c *Claims, scope string) error {
	if c.HasScope(scope) {
		return nil
	}
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return apierror.New(apierror.Forbidden, "token lacks the %q scope", scope).
		WithDetails(map[string]any{"requiredScope": scope, "scopes": scopes})
}

// Mint signs an HS256 token for tenant with scopes, valid for ttl from now.
func Mint(secret, tenant string, scopes []string, ttl time.Duration) (string, error) {
	now := time.Now()
	return Sign(secret, Claims{
		TenantID: tenant,
		Scopes:   scopes,
		RegisteredClaims: jwt.RegisteredClaims{
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	})
}

// Sign signs c with HS256. It refuses what a Verifier would refuse anyway (short secret, no
// tenant_id, no exp), so a minted token is never dead on arrival for those reasons.
func Sign(secret string, c Claims) (string, error) {
	if len(secret) < MinSecretLen {
		return "", fmt.Errorf("auth: JWT_SECRET is %d bytes, at least %d are required", len(secret), MinSecretLen)
	}
	if c.TenantID == "" {
		return "", errors.New("auth: tenant is required")
	}
	if c.ExpiresAt == nil {
		return "", errors.New("auth: exp is required")
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
}
