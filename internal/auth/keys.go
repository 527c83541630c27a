package auth

// Public keys for RS256/ES256 are read with the standard library only (encoding/pem,
// crypto/x509, encoding/json, math/big): a JOSE library would add a dependency for two key
// formats that take a page to parse, and this way every check below is visible.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
)

// LoadPublicKeys reads RS256/ES256 verification keys from path, for Config.PublicKeys.
//
// The file is either PEM or a JWKS JSON document:
//
//   - PEM: one or more "PUBLIC KEY" (PKIX, RSA or EC P-256), "RSA PUBLIC KEY" (PKCS #1) or
//     "CERTIFICATE" blocks. A block's optional "kid" header names its key id: the line
//     "kid: 2026-11" right after "-----BEGIN PUBLIC KEY-----", then a blank line.
//   - JWKS: {"keys": [{"kty": "RSA", "kid": "a", "n": "...", "e": "AQAB"},
//     {"kty": "EC", "crv": "P-256", "kid": "b", "x": "...", "y": "..."}]}.
//     Keys with "use": "enc" are skipped (they never sign).
//
// A key without a kid is stored under "" and verifies tokens without a kid header; two such
// keys are an error, since a token could not say which one it means. Private keys, other
// curves and RSA keys shorter than MinRSABits are refused rather than ignored, so a wrong file
// fails at startup instead of at the first request.
func LoadPublicKeys(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: public keys: %w", err)
	}
	var keys map[string]any
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '{' {
		keys, err = parseJWKS(trimmed)
	} else {
		keys, err = parsePEMKeys(data)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: public keys file %s: %w", path, err)
	}
	return keys, nil
}

// addKey stores k under kid, refusing duplicates and unusable keys.
func addKey(keys map[string]any, kid string, k any, where string) error {
	if _, err := algForKey(k); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if _, dup := keys[kid]; dup {
		if kid == "" {
			return fmt.Errorf("%s: more than one key has no kid; give each a kid so tokens can name theirs", where)
		}
		return fmt.Errorf("%s: kid %q is used twice", where, kid)
	}
	keys[kid] = k
	return nil
}

func parsePEMKeys(data []byte) (map[string]any, error) {
	keys := map[string]any{}
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		where := fmt.Sprintf("PEM block %d (%s)", n, block.Type)
		k, err := parsePEMBlock(block)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if err := addKey(keys, strings.TrimSpace(block.Headers["kid"]), k, where); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM block found, and the file is not JWKS JSON (which starts with '{')")
	}
	return keys, nil
}

func parsePEMBlock(b *pem.Block) (any, error) {
	switch b.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(b.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(b.Bytes)
	case "CERTIFICATE":
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		return c.PublicKey, nil
	}
	if strings.Contains(b.Type, "PRIVATE KEY") {
		// Refuse loudly: a private key on a verifier host is a leak waiting to happen.
		return nil, errors.New("this is a private key; give the verifier only the public key (openssl pkey -pubout)")
	}
	return nil, errors.New("unsupported block type; want PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE")
}

// jwk holds the members of RFC 7517/7518 keys that Luminate reads.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

func parseJWKS(data []byte) (map[string]any, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not valid JWKS JSON: %w", err)
	}
	keys := map[string]any{}
	for i, j := range set.Keys {
		where := fmt.Sprintf("JWKS key %d (kid %q)", i, j.Kid)
		if j.Use == "enc" {
			continue
		}
		if j.D != "" {
			return nil, fmt.Errorf("%s: this is a private key (it has \"d\"); publish only the public members", where)
		}
		k, err := parseJWK(j)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if err := addKey(keys, j.Kid, k, where); err != nil {
			return nil, err
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no signing key among the %d keys of the JWKS", len(set.Keys))
	}
	return keys, nil
}

func parseJWK(j jwk) (any, error) {
	switch j.Kty {
	case "RSA":
		if j.Alg != "" && j.Alg != "RS256" {
			return nil, fmt.Errorf("alg %s is not supported for RSA keys (only RS256)", j.Alg)
		}
		n, err := b64Int("n", j.N)
		if err != nil {
			return nil, err
		}
		e, err := b64Int("e", j.E)
		if err != nil {
			return nil, err
		}
		// Real exponents are 3 or 65537; the bound keeps the int conversion exact.
		if e.BitLen() > 31 {
			return nil, fmt.Errorf("RSA exponent has %d bits, at most 31 are accepted (usual: 65537)", e.BitLen())
		}
		if e.Int64() < 3 || e.Bit(0) == 0 {
			return nil, fmt.Errorf("RSA exponent %d is not an odd number >= 3 (usual: 65537)", e.Int64())
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		if j.Crv != "P-256" {
			return nil, fmt.Errorf("curve %q is not supported (only P-256, for ES256)", j.Crv)
		}
		if j.Alg != "" && j.Alg != "ES256" {
			return nil, fmt.Errorf("alg %s is not supported for P-256 keys (only ES256)", j.Alg)
		}
		x, err := b64Bytes("x", j.X)
		if err != nil {
			return nil, err
		}
		y, err := b64Bytes("y", j.Y)
		if err != nil {
			return nil, err
		}
		if len(x) != 32 || len(y) != 32 {
			return nil, fmt.Errorf("P-256 coordinates must be 32 bytes each, got x=%d y=%d", len(x), len(y))
		}
		// ParseUncompressedPublicKey checks the point is on the curve, which a bare
		// ecdsa.PublicKey{X, Y} literal would not (invalid-curve attacks).
		k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("invalid P-256 point: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("kty %q is not supported (want RSA or EC)", j.Kty)
}

// b64Bytes decodes a base64url member; JWKS says unpadded, some tools pad anyway.
func b64Bytes(name, s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("member %q is missing", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("member %q is not base64url: %w", name, err)
	}
	return b, nil
}

func b64Int(name, s string) (*big.Int, error) {
	b, err := b64Bytes(name, s)
	if err != nil {
		return nil, err
	}
	return new(big.Int).SetBytes(b), nil
}
