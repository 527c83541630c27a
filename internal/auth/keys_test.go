package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func pkixPEM(t *testing.T, pub any, headers map[string]string) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: headers, Bytes: der})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(t *testing.T, kid string, k *ecdsa.PublicKey) map[string]any {
	t.Helper()
	raw, err := k.Bytes() // 0x04 || X (32) || Y (32)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"kty": "EC", "crv": "P-256", "kid": kid, "x": b64(raw[1:33]), "y": b64(raw[33:])}
}

func jwks(t *testing.T, ks ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": ks})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLoadPublicKeysPEM(t *testing.T) {
	k := keys()
	// Two kinds of block in one file, each named by a kid header.
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Headers: map[string]string{"kid": "r1"},
		Bytes: x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey)})
	file := append(pkcs1, pkixPEM(t, &k.ec.PublicKey, map[string]string{"kid": "e1"})...)
	got, err := LoadPublicKeys(writeFile(t, "keys.pem", file))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !k.rsa.PublicKey.Equal(got["r1"]) || !k.ec.PublicKey.Equal(got["e1"]) {
		t.Fatalf("keys = %v", got)
	}

	// A single block without kid lands under "" and verifies tokens without kid.
	got, err = LoadPublicKeys(writeFile(t, "one.pem", k.rsaPEM))
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, Config{PublicKeys: got})
	if _, err := v.Verify(sign(t, jwt.SigningMethodRS256, k.rsa, "", claims())); err != nil {
		t.Fatalf("Verify with PEM key: %v", err)
	}
}

func TestLoadPublicKeysJWKS(t *testing.T) {
	k := keys()
	enc := rsaJWK("enc", &k.rsa2.PublicKey)
	enc["use"] = "enc"
	padded := rsaJWK("padded", &k.rsa2.PublicKey)
	padded["n"] = base64.URLEncoding.EncodeToString(k.rsa2.PublicKey.N.Bytes())
	got, err := LoadPublicKeys(writeFile(t, "jwks.json",
		jwks(t, rsaJWK("r1", &k.rsa.PublicKey), ecJWK(t, "e1", &k.ec.PublicKey), enc, padded)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !k.rsa.PublicKey.Equal(got["r1"]) || !k.ec.PublicKey.Equal(got["e1"]) ||
		!k.rsa2.PublicKey.Equal(got["padded"]) {
		t.Fatalf("keys = %v", got)
	}
	v := newVerifier(t, Config{PublicKeys: got})
	for _, tok := range []string{
		sign(t, jwt.SigningMethodRS256, k.rsa, "r1", claims()),
		sign(t, jwt.SigningMethodES256, k.ec, "e1", claims()),
	} {
		if _, err := v.Verify(tok); err != nil {
			t.Fatalf("Verify with JWKS key: %v", err)
		}
	}
	// A key marked "use": "enc" is not a verification key.
	if _, err := v.Verify(sign(t, jwt.SigningMethodRS256, k.rsa2, "enc", claims())); err == nil {
		t.Fatal("a token naming an encryption key verified")
	}
}

func TestLoadPublicKeysErrors(t *testing.T) {
	k := keys()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(k.ec)
	if err != nil {
		t.Fatal(err)
	}
	offCurve := ecJWK(t, "bad", &k.ec.PublicKey)
	offCurve["y"] = b64(make([]byte, 32))
	withD := ecJWK(t, "d", &k.ec.PublicKey)
	withD["d"] = "AAAA"
	badE := rsaJWK("e", &k.rsa.PublicKey)
	badE["e"] = b64(big.NewInt(1).Bytes())
	rs512 := rsaJWK("rs512", &k.rsa.PublicKey)
	rs512["alg"] = "RS512"
	noKid1, noKid2 := rsaJWK("", &k.rsa.PublicKey), ecJWK(t, "", &k.ec.PublicKey)
	badB64 := rsaJWK("b", &k.rsa.PublicKey)
	badB64["n"] = "!!!"

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no PEM block found"},
		{"garbage", []byte("hello"), "no PEM block found"},
		{"two PEM keys without kid", append(append([]byte{}, k.rsaPEM...), pkixPEM(t, &k.ec.PublicKey, nil)...), "more than one key has no kid"},
		{"duplicate PEM kid", append(pkixPEM(t, &k.rsa.PublicKey, map[string]string{"kid": "a"}), pkixPEM(t, &k.ec.PublicKey, map[string]string{"kid": "a"})...), `kid "a" is used twice`},
		{"private key PEM", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), "this is a private key"},
		{"P-384 PEM", pkixPEM(t, &p384.PublicKey, nil), "curve P-384"},
		{"corrupt PEM body", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("junk")}), "PEM block 1 (PUBLIC KEY)"},
		{"bad JSON", []byte(`{"keys": [`), "not valid JWKS JSON"},
		{"no keys", []byte(`{"keys": []}`), "no signing key among the 0 keys"},
		{"EC point off curve", jwks(t, offCurve), "invalid P-256 point"},
		{"JWK private key", jwks(t, withD), "this is a private key"},
		{"RSA exponent 1", jwks(t, badE), "RSA exponent 1 is not an odd number >= 3"},
		{"RS512 JWK", jwks(t, rs512), "alg RS512 is not supported"},
		{"OKP", []byte(`{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}]}`), `kty "OKP" is not supported`},
		{"EC P-384 JWK", []byte(`{"keys": [{"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"}]}`), `curve "P-384" is not supported`},
		{"short EC coordinate", []byte(`{"keys": [{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}]}`), "32 bytes each, got x=3 y=3"},
		{"missing n", []byte(`{"keys": [{"kty": "RSA", "e": "AQAB"}]}`), `member "n" is missing`},
		{"bad base64", jwks(t, badB64), `member "n" is not base64url`},
		{"two JWKs without kid", jwks(t, noKid1, noKid2), "more than one key has no kid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "keys", tt.data)
			_, err := LoadPublicKeys(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadPublicKeys error = %v, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
		})
	}
	if _, err := LoadPublicKeys(filepath.Join(t.TempDir(), "missing.pem")); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Fatalf("missing file: error = %v", err)
	}
}
