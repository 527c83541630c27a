package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"

	"github.com/luminate-metrics/luminate/extension/luminateauthextension"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/queryapi"
	"github.com/luminate-metrics/luminate/internal/storage"
)

// Config of the standalone query server. The auth, storage and query blocks are the ones the
// collector's luminateauth, luminatestore and luminatequery extensions take.
type Config struct {
	Endpoint        string                       `mapstructure:"endpoint"`
	ShutdownTimeout time.Duration                `mapstructure:"shutdown_timeout"`
	Auth            luminateauthextension.Config `mapstructure:"auth"`
	Storage         storage.Config               `mapstructure:"storage"`
	Query           queryapi.Limits              `mapstructure:"query"`
	// Limits is the `limits:` block of the luminatelimits extension: the query rate limits
	// (per process), what GET /api/v1/limits reports, and the default retention.
	Limits limits.Config `mapstructure:"limits"`
}

func defaultConfig() *Config {
	return &Config{
		Endpoint:        "0.0.0.0:8080",
		ShutdownTimeout: 25 * time.Second,
		Auth:            *luminateauthextension.DefaultConfig(),
		Storage:         storage.Default(),
		Limits:          limits.DefaultConfig(),
	}
}

// loadConfig reads path, resolving ${env:VAR} (and ${env:VAR:-default}) like the collector.
func loadConfig(ctx context.Context, path string) (*Config, error) {
	res, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs:              []string{"file:" + path},
		ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		DefaultScheme:     "env",
	})
	if err != nil {
		return nil, err
	}
	conf, err := res.Resolve(ctx)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	cfg := defaultConfig()
	if err := conf.Unmarshal(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Validate reports every problem of the config.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Endpoint); err != nil {
		errs = append(errs, fmt.Errorf("endpoint %q is not host:port: %w", c.Endpoint, err))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown_timeout %s must be positive", c.ShutdownTimeout))
	}
	if err := c.Auth.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("auth: %w", err))
	}
	if err := c.Storage.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("storage: %w", err))
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("limits: %w", err))
	}
	return errors.Join(errs...)
}
