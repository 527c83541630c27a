// Package luminateexporter is the collector exporter of type "luminate": it turns OTLP metrics
// (pmetric) into Luminate series and points and writes them to the store that the query server
// extension owns (config `store`), one atomic, durable commit per tenant and push.
//
// Gauges and sums are stored; histograms, exponential histograms and summaries are counted as
// dropped (reason unsupported_type) until a later version stores them. Points the store or the
// conversion refuses come back as a permanent error wrapping *store.RejectedError, so the JSON
// receiver answers per item and exporterhelper never retries them; a failed commit is a plain
// (retryable) error. README.md documents the config and the mapping.
package luminateexporter

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Type is the exporter's component type, as written in the collector config.
var Type = component.MustNewType("luminate")

// NewFactory returns the factory of the luminate exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(Type, createDefaultConfig,
		exporter.WithMetrics(createMetrics, component.StabilityLevelAlpha))
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c := cfg.(*Config)
	e, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, e.push,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithRetry(c.BackOffConfig),
		// The exporter only reads the batch, so fan-out does not need to clone it.
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	)
}
