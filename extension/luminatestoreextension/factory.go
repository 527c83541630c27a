// Package luminatestoreextension is the extension "luminatestore": it opens the process's one
// store (Badger allows one opener per directory; ClickHouse needs one connection pool) at Start
// and closes it at Shutdown, after every pipeline has flushed into it. The exporters and the
// query server reach it through extlink.StoreProvider, named by its ID in their configs.
package luminatestoreextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/luminate-metrics/luminate/internal/storage"
)

// Type is the extension's type name in configs.
var Type = component.MustNewType("luminatestore")

// NewFactory returns the extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type, createDefaultConfig, create, component.StabilityLevelBeta)
}

// Config is the storage block: `engine` and the engine's settings, and optionally the limits
// extension whose cardinality limits and default retention the store enforces.
type Config struct {
	storage.Config `mapstructure:",squash"`
	// Limits is the ID of the luminatelimits extension. When set, the store enforces its
	// max_series_per_tenant, max_series_per_metric and max_metrics_per_tenant (exact counts
	// from the series index) and its retention_days; an engine that cannot (no
	// store.Limited) logs an ENGINE GAP warning at start.
	Limits *component.ID `mapstructure:"limits"`
}

func createDefaultConfig() component.Config { return &Config{Config: storage.Default()} }

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return &storeExtension{cfg: cfg.(*Config), set: set}, nil
}
