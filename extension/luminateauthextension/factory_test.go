package luminateauthextension

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	require.Equal(t, "luminateauth", f.Type().String())

	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Secret = testSecret
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, ext.Shutdown(context.Background()))
}

// Creation fails (so the collector does not start) when the verifier cannot be built, even
// if Validate was skipped, e.g. by a program that builds the config itself.
func TestCreateFailsEarly(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not a key"), 0o600))
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"short secret", func(c *Config) { c.Secret = "twelve-bytes" }, "JWT_SECRET is 12 bytes, at least 32 are required"},
		{"no key", func(*Config) {}, "JWT_SECRET is not set"},
		{"short previous secret", func(c *Config) {
			c.Secret = "luminate-test-secret-0123456789abcdef"
			c.PreviousSecret = "old"
		}, "JWT_SECRET_PREVIOUS is 3 bytes"},
		{"missing keys file", func(c *Config) { c.PublicKeysFile = filepath.Join(dir, "missing.pem") }, "missing.pem"},
		{"bad keys file", func(c *Config) { c.PublicKeysFile = garbage }, "no PEM block found"},
	}
	f := NewFactory()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := f.CreateDefaultConfig().(*Config)
			tt.edit(cfg)
			_, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestCreateWithPublicKeysFile(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "keys.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600))

	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.PublicKeysFile = path
	require.NoError(t, cfg.Validate())
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.Equal(t, []string{"ES256"}, ext.(*authenticator).Verifier().Methods())
}
