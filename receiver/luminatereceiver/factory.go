// Package luminatereceiver is the collector receiver of type "luminate": the JSON write API of
// docs/api.md (POST /api/v1/write). It verifies the bearer token, decodes and validates the
// body (internal/writeapi), turns the accepted points into one gauge per metric name under a
// resource that carries the verified tenant, and hands them synchronously to the next consumer.
// It answers only after the pipeline returns, so 200/207 means the points are stored.
//
// It serves on the query server's port (config `server`, the single front door) or on a
// listener of its own (config `endpoint`, the ClickHouse ingest pods).
package luminatereceiver

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

var componentType = component.MustNewType("luminate")

// NewFactory returns the factory of the luminate receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(componentType, createDefaultConfig,
		receiver.WithMetrics(createMetrics, component.StabilityLevelAlpha))
}

func createMetrics(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	return newReceiver(set, cfg.(*Config), next)
}
