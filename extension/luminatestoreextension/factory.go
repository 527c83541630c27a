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

// Config is the storage block: `engine` and the engine's settings.
type Config struct {
	storage.Config `mapstructure:",squash"`
}

func createDefaultConfig() component.Config { return &Config{Config: storage.Default()} }

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return &storeExtension{cfg: cfg.(*Config), set: set}, nil
}
