package luminateexporter

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	if f.Type().String() != "luminate" {
		t.Fatalf("type %q", f.Type())
	}
	if got := f.MetricsStability(); got != component.StabilityLevelAlpha {
		t.Fatalf("stability %v", got)
	}
	exp, err := f.CreateMetrics(context.Background(), exportertest.NewNopSettings(Type), syncConfig())
	if err != nil {
		t.Fatal(err)
	}
	if exp.Capabilities().MutatesData {
		t.Fatal("the exporter only reads data; MutatesData makes fan-out clone every batch")
	}
}

// notAStore is an extension that does not implement extlink.StoreProvider.
type notAStore struct {
	component.StartFunc
	component.ShutdownFunc
}

func TestStartNeedsStore(t *testing.T) {
	tests := []struct {
		name string
		host component.Host
		want string
	}{
		{"missing", componenttest.NewNopHost(), `extension "luminatequery" is not configured (add it to service.extensions)`},
		{"wrong type", testHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{storeID: &notAStore{}}},
			`(extlink.StoreProvider, e.g. luminatequery): extension "luminatequery" is a *luminateexporter.notAStore`},
		{"not open", hostWith(nil), `extension "luminatequery" has no open store`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := NewFactory().CreateMetrics(context.Background(), exportertest.NewNopSettings(Type), syncConfig())
			if err != nil {
				t.Fatal(err)
			}
			err = exp.Start(context.Background(), tt.host)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "luminate exporter: ") {
				t.Fatalf("Start: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	t.Run("found", func(t *testing.T) {
		startEnv(t, memstore.New(), nil)
	})
}

// TestQueuedPipeline runs the default config (sending queue on): the push happens on a queue
// consumer and the points still land in the store.
func TestQueuedPipeline(t *testing.T) {
	st := memstore.New()
	cfg := createDefaultConfig().(*Config)
	cfg.Store = storeID
	exp, err := NewFactory().CreateMetrics(context.Background(), exportertest.NewNopSettings(Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), hostWith(st)); err != nil {
		t.Fatal(err)
	}
	md, _, ms := newMetrics("acme")
	point(gauge(ms, "queued"), 0, 7)
	if err := exp.ConsumeMetrics(context.Background(), md); err != nil {
		t.Fatal(err)
	}
	// Shutdown drains the queue.
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := single(t, query(t, st, "acme", "queued", store.KindAggregate, agg(store.AggLast), 0, 10)); got != 7 {
		t.Fatalf("last = %v, want 7", got)
	}
}
