package luminatelimitsextension

import (
	"errors"
	"fmt"

	"github.com/luminate-metrics/luminate/internal/limits"
)

// maxTopTenants bounds active_series_top_tenants: each is a time series of /metrics.
const maxTopTenants = 1000

// Config of the luminatelimits extension.
type Config struct {
	// Limits is the `limits:` block: a value per limit of internal/limits for every tenant,
	// and `overrides` per tenant. Unset keys keep their declared defaults.
	Limits limits.Config `mapstructure:"limits"`
	// TopTenants is how many tenants luminate_active_series names; the others are summed
	// under tenant="other" (default 20).
	TopTenants int `mapstructure:"active_series_top_tenants"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate reports every problem of the config.
func (c *Config) Validate() error {
	var errs []error
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("limits: %w", err))
	}
	if c.TopTenants < 1 || c.TopTenants > maxTopTenants {
		errs = append(errs, fmt.Errorf("active_series_top_tenants must be 1-%d, got %d", maxTopTenants, c.TopTenants))
	}
	return errors.Join(errs...)
}
