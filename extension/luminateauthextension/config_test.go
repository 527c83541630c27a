package luminateauthextension

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
)

const testSecret = "luminate-extension-test-secret-0123456789" // 41 bytes

// loadConfig resolves testdata/<file> the way the collector does (file + env providers, so
// ${env:JWT_SECRET} expands) and unmarshals the section id into a default Config.
func loadConfig(t *testing.T, file string, id component.ID) (*Config, error) {
	t.Helper()
	t.Setenv("JWT_SECRET", testSecret)
	r, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs:              []string{"file:" + filepath.Join("testdata", file)},
		ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		DefaultScheme:     "env",
	})
	require.NoError(t, err)
	conf, err := r.Resolve(context.Background())
	require.NoError(t, err)
	sub, err := conf.Sub(id.String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		id   component.ID
		want func(*Config)
	}{
		{component.NewID(Type), func(c *Config) { c.Secret = testSecret }},
		{component.NewIDWithName(Type, "full"), func(c *Config) {
			c.Secret = testSecret
			c.PublicKeysFile = "testdata/does-not-need-to-exist.pem"
			c.Audience = "luminate"
			c.Issuer = "https://idp.example"
			c.Leeway = 5 * time.Second
			c.RequiredScope = "admin"
			c.MetadataKey = "X-Tenant"
		}},
		{component.NewIDWithName(Type, "keysonly"), func(c *Config) { c.PublicKeysFile = "/etc/luminate/jwks.json" }},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			got, err := loadConfig(t, "config.yaml", tt.id)
			require.NoError(t, err)
			want := createDefaultConfig().(*Config)
			tt.want(want)
			require.Equal(t, want, got)
		})
	}
}

func TestLoadBadConfig(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"bad_short_secret.yaml", "JWT_SECRET is 12 bytes, at least 32 are required"},
		{"bad_no_key.yaml", "neither secret nor public_keys_file is set"},
		{"bad_scope.yaml", `required_scope "delete" is not one of [read write admin]`},
		{"bad_leeway.yaml", "leeway is -1s, it must not be negative"},
		{"bad_metadata_key.yaml", "metadata_key must not be empty"},
		{"bad_unknown_field.yaml", "tenant_claim"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := loadConfig(t, tt.file, component.NewID(Type))
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), testSecret)
		})
	}
}

func TestConfigStructAndDefaults(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(createDefaultConfig()))
	c := createDefaultConfig().(*Config)
	require.Equal(t, 60*time.Second, c.Leeway)
	require.Equal(t, "write", c.RequiredScope)
	require.Equal(t, "x-luminate-tenant", c.MetadataKey)
	// The default config has no key at all: the collector must refuse to start with it.
	require.ErrorContains(t, c.Validate(), "neither secret nor public_keys_file")
}

func TestSecretIsRedacted(t *testing.T) {
	c := createDefaultConfig().(*Config)
	c.Secret = testSecret
	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", *c), fmt.Sprint(c.Secret)} {
		require.False(t, strings.Contains(s, testSecret), "secret printed: %s", s)
	}
}
