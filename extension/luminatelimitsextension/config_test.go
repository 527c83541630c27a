package luminatelimitsextension

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/limits"
)

// loadConfig resolves testdata/<file> as the collector does and unmarshals section id into a
// default Config, then validates it.
func loadConfig(t *testing.T, file string, id component.ID) (*Config, error) {
	t.Helper()
	t.Setenv("LUMINATE_TEST_PPS", "1234")
	r, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs:              []string{"file:" + filepath.Join("testdata", file)},
		ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
	})
	if err != nil {
		t.Fatal(err)
	}
	conf, err := r.Resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sub, err := conf.Sub(id.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(t, "config.yaml", component.NewID(Type))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Limits.Defaults != limits.Defaults() || len(cfg.Limits.Overrides) != 0 || cfg.TopTenants != 20 {
		t.Errorf("empty section: %+v", cfg)
	}

	cfg, err = loadConfig(t, "config.yaml", component.NewIDWithName(Type, "full"))
	if err != nil {
		t.Fatal(err)
	}
	want := limits.Values{50, 250000, 20, 4, 500000, 100000, 0, 90}
	if cfg.Limits.Defaults != want {
		t.Errorf("defaults %v, want %v", cfg.Limits.Defaults, want)
	}
	acme := cfg.Limits.For("acme")
	if acme[limits.MaxSeriesPerTenant] != 5e6 || acme[limits.RetentionDays] != 30 || acme[limits.PointsPerSecond] != 250000 {
		t.Errorf("acme: %v (overrides keep the other defaults)", acme)
	}
	if d := cfg.Limits.For("tenant.with.dots"); d[limits.PointsPerSecond] != 1234 || d[limits.MaxSeriesPerTenant] != 500000 {
		t.Errorf("tenant.with.dots (value from the environment): %v", d)
	}
	if other := cfg.Limits.For("other"); other != want {
		t.Errorf("a tenant without override: %v", other)
	}
	if cfg.TopTenants != 5 {
		t.Errorf("top tenants %d", cfg.TopTenants)
	}
}

func TestBadConfigs(t *testing.T) {
	for file, wants := range map[string][]string{
		"bad_unknown_limit.yaml": {`unknown limit "max_series"`, "max_series_per_tenant"},
		"bad_override.yaml":      {"overrides.acme", "max_series_per_metric is -1", `unknown limit "max_concurent_queries"`},
		"bad_values.yaml": {"max_concurrent_queries is 2.5; it must be a whole number", `points_per_second: "lots" is not a number`,
			"retention_days is 4000; the largest accepted value is 3650"},
	} {
		_, err := loadConfig(t, file, component.NewID(Type))
		if err == nil {
			t.Errorf("%s: accepted", file)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", file, err, w)
			}
		}
	}
	cfg := createDefaultConfig().(*Config)
	cfg.TopTenants = 0
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "active_series_top_tenants") {
		t.Errorf("top tenants 0: %v", err)
	}
}

func TestConfigStruct(t *testing.T) {
	if err := componenttest.CheckConfigStruct(createDefaultConfig()); err != nil {
		t.Fatal(err)
	}
}

// The extension hands out one Guard and one registry, built at creation.
func TestProvides(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Limits.Overrides = map[string]limits.Override{"acme": limits.Override{}.Set(limits.MaxSeriesPerTenant, 7)}
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer ext.Shutdown(context.Background())
	lp, ok := ext.(extlink.LimitsProvider)
	if !ok {
		t.Fatalf("%T is not a LimitsProvider", ext)
	}
	g1, g2 := lp.Guard(), lp.Guard()
	if g1 == nil || g1 != g2 || lp.SelfMetrics() == nil {
		t.Fatal("no stable guard or registry")
	}
	if v := lp.Guard().Limits("acme"); v.Int(limits.MaxSeriesPerTenant) != 7 {
		t.Errorf("acme limits %v", v)
	}
}
