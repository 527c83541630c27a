// Package queryextension runs the query server inside the collector as the extension
// "luminatequery": it opens the process's one store (Badger allows one opener per directory),
// serves the API on the front-door port, and shares both with the other components through
// internal/extlink (exporters write to Store(), the JSON receiver Mounts its handler).
package queryextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
)

// Type is the extension's type name in configs.
var Type = component.MustNewType("luminatequery")

// NewFactory returns the extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type, createDefaultConfig, create, component.StabilityLevelBeta)
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newExtension(cfg.(*Config), set), nil
}
