package luminatelimitsprocessor

import (
	"errors"

	"go.opentelemetry.io/collector/component"
)

// DefaultTenantMetadataKey is the metadata key the luminateauth extension sets to the verified
// tenant.
const DefaultTenantMetadataKey = "x-luminate-tenant"

// Config of the luminatelimits processor.
type Config struct {
	// Limits is the ID of the luminatelimits extension that holds the tenants' buckets.
	Limits component.ID `mapstructure:"limits"`
	// TenantMetadataKey is where the tenant is read (client.Info.Metadata) when the request
	// context has no verified auth data (client.Info.Auth "tenant_id", which comes first).
	TenantMetadataKey string `mapstructure:"tenant_metadata_key"`

	// prevent unkeyed literal initialization
	_ struct{}
}

func createDefaultConfig() component.Config {
	return &Config{TenantMetadataKey: DefaultTenantMetadataKey}
}

// Validate reports every problem of the config.
func (c *Config) Validate() error {
	var errs []error
	if c.Limits == (component.ID{}) {
		errs = append(errs, errors.New("limits must name the luminatelimits extension (e.g. limits: luminatelimits)"))
	}
	if c.TenantMetadataKey == "" {
		errs = append(errs, errors.New("tenant_metadata_key must not be empty"))
	}
	return errors.Join(errs...)
}
