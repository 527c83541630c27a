package luminateauthextension

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/luminate-metrics/luminate/internal/auth"
)

// Config configures the luminateauth extension. Example:
//
//	extensions:
//	  luminateauth:
//	    secret: ${env:JWT_SECRET}
//	    previous_secret: ${env:JWT_SECRET_PREVIOUS:-}  # optional, during a rotation
//	    public_keys_file: /etc/luminate/jwks.json   # optional RS256/ES256 keys
//	    audience: luminate                          # optional, checked when set
//	    required_scope: write                       # OTLP needs write (api.md)
//	    metadata_key: x-luminate-tenant
type Config struct {
	// Secret is the HS256 key; at least 32 bytes. configopaque keeps it out of logs and
	// `otelcol print-config`.
	Secret configopaque.String `mapstructure:"secret"`
	// PreviousSecret also verifies HS256 tokens while a new Secret rolls out (docs/deploy.md,
	// "Rotating the JWT secret"); empty outside a rotation.
	PreviousSecret configopaque.String `mapstructure:"previous_secret"`
	// PublicKeysFile is a PEM or JWKS file of RS256/ES256 keys (auth.LoadPublicKeys).
	PublicKeysFile string `mapstructure:"public_keys_file"`
	Audience       string `mapstructure:"audience"`
	Issuer         string `mapstructure:"issuer"`
	// Leeway is the clock skew tolerated on exp and nbf; 0 means none.
	Leeway time.Duration `mapstructure:"leeway"`
	// RequiredScope is the scope every request authenticated by this extension must carry.
	RequiredScope string `mapstructure:"required_scope"`
	// MetadataKey is the client.Metadata key set to the verified tenant, so that
	// batchprocessor's metadata_keys (which drops client.Info.Auth) keeps the tenant apart.
	MetadataKey string `mapstructure:"metadata_key"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks what can be checked without reading files; the keys file is loaded when
// the extension is created, so a bad file still fails startup.
func (c *Config) Validate() error {
	var errs []error
	if c.Secret == "" && c.PublicKeysFile == "" {
		errs = append(errs, errors.New("neither secret nor public_keys_file is set; set secret: ${env:JWT_SECRET}"))
	}
	if n := len(c.Secret); n > 0 && n < auth.MinSecretLen {
		errs = append(errs, fmt.Errorf("secret: JWT_SECRET is %d bytes, at least %d are required", n, auth.MinSecretLen))
	}
	if n := len(c.PreviousSecret); n > 0 && (n < auth.MinSecretLen || c.Secret == "") {
		errs = append(errs, fmt.Errorf("previous_secret: JWT_SECRET_PREVIOUS is %d bytes and needs secret set; at least %d bytes are required", n, auth.MinSecretLen))
	}
	if c.Leeway < 0 {
		errs = append(errs, fmt.Errorf("leeway is %s, it must not be negative", c.Leeway))
	}
	if !auth.IsKnownScope(c.RequiredScope) {
		errs = append(errs, fmt.Errorf("required_scope %q is not one of %v", c.RequiredScope, auth.KnownScopes))
	}
	if c.MetadataKey == "" {
		errs = append(errs, errors.New("metadata_key must not be empty"))
	}
	return errors.Join(errs...)
}

// verifierConfig turns c into auth.Config, loading the keys file.
func (c *Config) verifierConfig() (auth.Config, error) {
	ac := auth.Config{
		Secret:         string(c.Secret),
		PreviousSecret: string(c.PreviousSecret),
		Audience:       c.Audience,
		Issuer:         c.Issuer,
		Leeway:         c.Leeway,
	}
	if c.Leeway == 0 {
		ac.Leeway = -1 // auth.Config reads 0 as "default"; here the user asked for none
	}
	if c.PublicKeysFile != "" {
		keys, err := auth.LoadPublicKeys(c.PublicKeysFile)
		if err != nil {
			return auth.Config{}, err
		}
		ac.PublicKeys = keys
	}
	return ac, nil
}

// NewVerifier builds the verifier c describes; the standalone query server (cmd/luminate-query)
// shares this config block so both check tokens the same way.
func (c *Config) NewVerifier() (*auth.Verifier, error) {
	ac, err := c.verifierConfig()
	if err != nil {
		return nil, err
	}
	return auth.NewVerifier(ac)
}

// DefaultConfig is the extension's default configuration.
func DefaultConfig() *Config { return createDefaultConfig().(*Config) }
