// Package luminatelimitsprocessor is the processor "luminatelimits": the per-tenant rate limits
// of the OTLP path (api.md "Limits"). Placed first in the OTLP pipeline, before batch, it runs
// while the OTLP receiver waits for the pipeline's answer, so a refusal reaches the client:
// every export call takes one token of the tenant's write request bucket and one per data point
// of its points bucket, shared (through the luminatelimits extension) with the JSON write API.
//
// A refused call gets gRPC status RESOURCE_EXHAUSTED with a RetryInfo detail (the OTLP
// exporters retry it after that delay) and an ErrorInfo naming the limit; the OTLP/HTTP
// receiver turns the same status into 429 with Retry-After.
//
//	processors:
//	  luminatelimits:
//	    limits: luminatelimits               # the extension
//	    tenant_metadata_key: x-luminate-tenant
package luminatelimitsprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
)

// Type is the processor's type name in configs.
var Type = component.MustNewType("luminatelimits")

// NewFactory returns the processor factory.
func NewFactory() processor.Factory {
	return processor.NewFactory(Type, createDefaultConfig,
		processor.WithMetrics(createMetrics, component.StabilityLevelAlpha))
}

func createMetrics(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	return newProcessor(cfg.(*Config), set, next), nil
}
