package luminatestoreextension

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

func start(t *testing.T, dir string) (*storeExtension, error) {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Badger.Dir = dir
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ext.(*storeExtension), ext.Start(context.Background(), componenttest.NewNopHost())
}

// The extension opens the store at Start, a second opener of the directory fails to start, and
// Shutdown releases it with the data on disk.
func TestOpenShareClose(t *testing.T) {
	dir := t.TempDir()
	e, err := start(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	var sp extlink.StoreProvider = e
	a := sp.Store().Appender("acme")
	if err := a.Append("cpu", model.MetricMeta{}, nil, time.Now().UnixMilli(), 2); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e2, err := start(t, dir); err == nil {
		e2.Shutdown(context.Background())
		t.Fatal("a second store on the same directory started")
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	e3, err := start(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e3.Shutdown(context.Background())
	ms, err := e3.Store().Metrics(context.Background(), "acme")
	if err != nil || len(ms) != 1 || ms[0].Name != "cpu" {
		t.Fatalf("after reopen: %v %v", ms, err)
	}
	var _ store.Store = e3.Store()
}

func TestConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := createDefaultConfig().(*Config)
	if err := cm.Unmarshal(cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil || cfg.Badger.Dir != "/var/lib/luminate" {
		t.Fatalf("config %+v: %v", cfg, err)
	}
	bad := createDefaultConfig().(*Config)
	bad.Engine = "postgres"
	if err := bad.Validate(); err == nil {
		t.Fatal("unknown engine validated")
	}
}
