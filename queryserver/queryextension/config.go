package queryextension

import (
	"errors"
	"fmt"
	"net"

	"go.opentelemetry.io/collector/component"

	"github.com/luminate-metrics/luminate/internal/queryapi"
)

// Config of the luminatequery extension.
type Config struct {
	// Endpoint is the API's listen address, the single front door of api.md (default
	// 0.0.0.0:8080): query, discovery, health, and the JSON write handler a luminate receiver
	// mounts with `server: luminatequery`.
	Endpoint string `mapstructure:"endpoint"`
	// Auth is the ID of the luminateauth extension whose verifier checks tokens.
	Auth component.ID `mapstructure:"auth"`
	// Store is the ID of the luminatestore extension that owns the store.
	Store component.ID `mapstructure:"store"`
	// Query holds the query guards (max_range, max_series, default_timeout, ...).
	Query queryapi.Limits `mapstructure:"query"`
	// Limits is the ID of the luminatelimits extension: the tenants' query rate limits, the
	// limits GET /api/v1/limits reports, and the registry GET /metrics serves. Unset: no rate
	// limits, limits reported as null, and a registry of the server's own.
	Limits *component.ID `mapstructure:"limits"`
}

func createDefaultConfig() component.Config {
	return &Config{Endpoint: "0.0.0.0:8080"}
}

// Validate checks the config before anything starts.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("endpoint %q is not host:port: %w", c.Endpoint, err))
	}
	if c.Auth == (component.ID{}) {
		errs = append(errs, errors.New("auth must name the luminateauth extension (e.g. auth: luminateauth)"))
	}
	if c.Store == (component.ID{}) {
		errs = append(errs, errors.New("store must name the luminatestore extension (e.g. store: luminatestore)"))
	}
	return errors.Join(errs...)
}
