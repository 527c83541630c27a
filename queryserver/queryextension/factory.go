// Package queryextension runs the query server inside the collector as the extension
// "luminatequery": it serves the API on the front-door port over the store of the luminatestore
// extension, and lets the JSON receiver Mount its write handler there (internal/extlink), so
// one base URL serves write and query.
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
