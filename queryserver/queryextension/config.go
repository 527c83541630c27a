package queryextension

import (
	"errors"
	"fmt"
	"net"

	"go.opentelemetry.io/collector/component"

	"github.com/luminate-metrics/luminate/internal/queryapi"
	"github.com/luminate-metrics/luminate/internal/storage"
)

// Config of the luminatequery extension.
type Config struct {
	// Endpoint is the API's listen address, the single front door of api.md (default
	// 0.0.0.0:8080): query, discovery, health, and the JSON write handler a luminate receiver
	// mounts with `server: luminatequery`.
	Endpoint string `mapstructure:"endpoint"`
	// Auth is the component ID of the luminateauth extension whose verifier checks tokens.
	Auth string `mapstructure:"auth"`
	// Storage opens the process's one store; exporters reach it with `store: luminatequery`.
	Storage storage.Config `mapstructure:"storage"`
	// Query holds the query guards (max_range, max_series, default_timeout, ...).
	Query queryapi.Limits `mapstructure:"query"`
}

func createDefaultConfig() component.Config {
	return &Config{Endpoint: "0.0.0.0:8080", Storage: storage.Default()}
}

// Validate checks the config before anything starts.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Endpoint); err != nil {
		return fmt.Errorf("endpoint %q is not host:port: %w", c.Endpoint, err)
	}
	if c.Auth == "" {
		return errors.New("auth must name the luminateauth extension (e.g. auth: luminateauth)")
	}
	var id component.ID
	if err := id.UnmarshalText([]byte(c.Auth)); err != nil {
		return fmt.Errorf("auth %q is not a component ID: %w", c.Auth, err)
	}
	return c.Storage.Validate()
}
