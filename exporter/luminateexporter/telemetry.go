package luminateexporter

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const scopeName = "github.com/luminate-metrics/luminate/exporter/luminateexporter"

// reason is why a point was dropped: the "reason" attribute of luminate_exporter_points_dropped.
type reason uint8

const (
	reasonInvalid         reason = iota // conversion refused it (NaN, too long a value, ...)
	reasonUnsupportedType               // histogram, exponential histogram, summary
	reasonNoTenant                      // no tenant attribute, no metadata, no default_tenant
	reasonTenantMismatch                // resource attribute and request metadata disagree
	reasonCardinality                   // the store answered CARDINALITY_EXCEEDED
	reasonRejected                      // the store refused it for another reason
	numReasons
)

var reasonNames = [numReasons]string{"invalid", "unsupported_type", "no_tenant", "tenant_mismatch", "cardinality", "rejected"}

func (r reason) String() string { return reasonNames[r] }

// telemetry holds the exporter's own counters. The attribute sets are built once: recording
// happens once per reason per push, but should not allocate either.
type telemetry struct {
	stored  metric.Int64Counter
	dropped metric.Int64Counter
	attrs   [numReasons]metric.AddOption
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	m := set.MeterProvider.Meter(scopeName)
	stored, err := m.Int64Counter("luminate_exporter_points_stored",
		metric.WithDescription("Data points committed to the store."), metric.WithUnit("{point}"))
	if err != nil {
		return nil, fmt.Errorf("luminate exporter: counter luminate_exporter_points_stored: %w", err)
	}
	dropped, err := m.Int64Counter("luminate_exporter_points_dropped",
		metric.WithDescription("Data points not stored, by reason (invalid, unsupported_type, no_tenant, tenant_mismatch, cardinality, rejected)."),
		metric.WithUnit("{point}"))
	if err != nil {
		return nil, fmt.Errorf("luminate exporter: counter luminate_exporter_points_dropped: %w", err)
	}
	t := &telemetry{stored: stored, dropped: dropped}
	for r := range numReasons {
		t.attrs[r] = metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r.String())))
	}
	return t, nil
}

// record adds one push's outcome.
func (t *telemetry) record(ctx context.Context, stored int64, dropped *[numReasons]int64) {
	if stored > 0 {
		t.stored.Add(ctx, stored)
	}
	for r, n := range dropped {
		if n > 0 {
			t.dropped.Add(ctx, n, t.attrs[r])
		}
	}
}
