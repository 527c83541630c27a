package luminatereceiver

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	if f.Type().String() != "luminate" {
		t.Fatalf("type %s", f.Type())
	}
	if f.MetricsStability() != component.StabilityLevelAlpha {
		t.Fatalf("stability %s", f.MetricsStability())
	}
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Endpoint = "127.0.0.1:0"
	cfg.Auth = authID
	r, err := f.CreateMetrics(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	if err != nil || r == nil {
		t.Fatalf("CreateMetrics: %v", err)
	}
	// Shutdown without Start is allowed by the component contract.
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
