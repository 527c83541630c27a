// Package luminatelimitsextension is the extension "luminatelimits": it owns the state that
// guards tenants from each other inside one process (internal/limits.Guard: every tenant's
// limits, its token buckets for write requests, points and query requests, and its running
// queries) and the self-metrics registry that GET /metrics serves (internal/selfmetrics).
//
// The JSON receiver, the luminatelimits processor (OTLP), the query server and the store
// extension name it in their configs (`limits: luminatelimits`) and find it through
// extlink.LimitsProvider, so a tenant has one bucket whichever door its data comes through,
// and the store enforces the same cardinality limits the API reports.
//
//	extensions:
//	  luminatelimits:
//	    limits:
//	      points_per_second: 1000000
//	      max_series_per_tenant: 2000000
//	      overrides:
//	        acme: {max_series_per_tenant: 5000000, retention_days: 30}
//	    active_series_top_tenants: 20
package luminatelimitsextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
)

// Type is the extension's type name in configs.
var Type = component.MustNewType("luminatelimits")

// NewFactory returns the extension factory.
func NewFactory() extension.Factory {
	return extension.NewFactory(Type, createDefaultConfig, create, component.StabilityLevelAlpha)
}

func createDefaultConfig() component.Config {
	return &Config{Limits: limits.DefaultConfig(), TopTenants: selfmetrics.DefaultTopTenants}
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newExtension(cfg.(*Config), set), nil
}
