package luminatestoreextension

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/luminate-metrics/luminate/extension/luminatelimitsextension"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

type host struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

// With `limits`, the store starts after the limits extension and enforces its cardinality
// limits from the first write.
func TestStoreEnforcesLimits(t *testing.T) {
	lf := luminatelimitsextension.NewFactory()
	lcfg := lf.CreateDefaultConfig().(*luminatelimitsextension.Config)
	lcfg.Limits.Overrides = map[string]limits.Override{"acme": limits.Override{}.Set(limits.MaxSeriesPerMetric, 1)}
	lext, err := lf.Create(context.Background(), extensiontest.NewNopSettings(lf.Type()), lcfg)
	if err != nil {
		t.Fatal(err)
	}
	limID := component.NewID(lf.Type())
	cfg := createDefaultConfig().(*Config)
	cfg.Badger.Dir = t.TempDir()
	cfg.Limits = &limID
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := ext.(*storeExtension)
	if deps := e.Dependencies(); len(deps) != 1 || deps[0] != limID {
		t.Errorf("dependencies %v", deps)
	}
	if err := e.Start(context.Background(), componenttest.NewNopHost()); err == nil || !strings.Contains(err.Error(), "limits") {
		t.Fatalf("start without the limits extension: %v", err)
	}
	if err := e.Start(context.Background(), host{componenttest.NewNopHost(), map[component.ID]component.Component{limID: lext}}); err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown(context.Background())
	a := e.Store().Appender("acme")
	now := time.Now().UnixMilli()
	if err := a.Append("cpu", model.MetricMeta{}, model.Labels{{Name: "h", Value: "1"}}, now, 1); err != nil {
		t.Fatal(err)
	}
	err = a.Append("cpu", model.MetricMeta{}, model.Labels{{Name: "h", Value: "2"}}, now, 1)
	if !store.IsCardinalityError(err) || !strings.Contains(err.Error(), "limits.max_series_per_metric") {
		t.Errorf("second series of cpu: %v", err)
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// plainEngine is a store without the optional interfaces (as the ClickHouse engine is today).
type plainEngine struct{ store.Store }

func TestEngineWithoutLimitsWarns(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	set := extensiontest.NewNopSettings(Type)
	set.Logger = zap.New(core)
	lf := luminatelimitsextension.NewFactory()
	lext, err := lf.Create(context.Background(), extensiontest.NewNopSettings(lf.Type()), lf.CreateDefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	limID := component.NewID(lf.Type())
	cfg := createDefaultConfig().(*Config)
	cfg.Badger.Dir = t.TempDir()
	cfg.Limits = &limID
	e := &storeExtension{cfg: cfg, set: set}
	openStore = func(c Config, log *zap.Logger) (store.Store, error) {
		st, err := storageOpen(c, log)
		return plainEngine{st}, err
	}
	defer func() { openStore = storageOpen }()
	if err := e.Start(context.Background(), host{componenttest.NewNopHost(), map[component.ID]component.Component{limID: lext}}); err != nil {
		t.Fatal(err)
	}
	defer e.Shutdown(context.Background())
	if n := logs.FilterMessageSnippet("ENGINE GAP").Len(); n != 1 {
		t.Errorf("%d ENGINE GAP warnings, want 1", n)
	}
}
