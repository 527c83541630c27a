package luminateexporter

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// loadConfig resolves testdata/<file> as the collector does and unmarshals section id into a
// default Config, then validates it.
func loadConfig(t *testing.T, file string, id component.ID) (*Config, error) {
	t.Helper()
	r, err := confmap.NewResolver(confmap.ResolverSettings{
		URIs:              []string{"file:" + filepath.Join("testdata", file)},
		ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory()},
	})
	require.NoError(t, err)
	conf, err := r.Resolve(context.Background())
	require.NoError(t, err)
	sub, err := conf.Sub(id.String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		id   component.ID
		want func(*Config)
	}{
		{component.NewID(Type), func(c *Config) { c.Store = component.MustNewID("luminatequery") }},
		{component.NewIDWithName(Type, "full"), func(c *Config) {
			c.Store = component.MustNewIDWithName("luminatequery", "primary")
			c.TenantAttribute = "tenant"
			c.TenantMetadataKey = "x-tenant-id"
			c.DefaultTenant = "dev"
			lim := component.MustNewID("luminatelimits")
			c.SelfMetrics = SelfMetricsConfig{Extension: &lim, Path: "json"}
			c.Dimensions = DimensionsConfig{
				Include:       []string{"service.*", "host.name", "customer_id"},
				Exclude:       []string{"service.instance.id"}, // replaces the defaults
				IncludeScope:  true,
				MaxDimensions: 16,
			}
			c.TimeoutConfig.Timeout = 10 * time.Second
			q := c.QueueConfig.Get()
			q.NumConsumers, q.QueueSize = 2, 500
			c.BackOffConfig.InitialInterval = time.Second
			c.BackOffConfig.MaxElapsedTime = 30 * time.Second
		}},
		{component.NewIDWithName(Type, "sync"), func(c *Config) {
			c.Store = component.MustNewID("luminatequery")
			c.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
			c.BackOffConfig.Enabled = false
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			got, err := loadConfig(t, "config.yaml", tt.id)
			require.NoError(t, err)
			want := createDefaultConfig().(*Config)
			tt.want(want)
			require.Equal(t, want, got)
		})
	}
}

func TestLoadBadConfig(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"bad_no_store.yaml", []string{"store is required"}},
		{"bad_store_id.yaml", []string{"luminate query!"}},
		{"bad_tenant_attribute.yaml", []string{"tenant_attribute must not be empty"}},
		{"bad_pattern.yaml", []string{
			`dimensions.include[0]: "k8s.*.name" has a * at byte 4; only a trailing * (a prefix) is supported`,
			"dimensions.exclude[0]: empty entry",
		}},
		{"bad_max_dimensions.yaml", []string{"dimensions.max_dimensions must be 1-128, got 0"}},
		{"bad_unknown_field.yaml", []string{"dimension"}},
		{"bad_queue.yaml", []string{"queue_size"}},
		{"bad_self_metrics_path.yaml", []string{`self_metrics.path must be "otlp" or "json", got "grpc"`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := loadConfig(t, tt.file, component.NewID(Type))
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	require.Equal(t, "luminate.tenant_id", cfg.TenantAttribute)
	require.Equal(t, "x-luminate-tenant", cfg.TenantMetadataKey)
	require.Empty(t, cfg.DefaultTenant)
	require.Equal(t, 32, cfg.Dimensions.MaxDimensions)
	require.True(t, cfg.QueueConfig.HasValue(), "the sending queue is on by default")
	require.Equal(t, exporterhelper.NewDefaultQueueConfig(), *cfg.QueueConfig.Get())
	require.True(t, cfg.BackOffConfig.Enabled)
	// Without a store the default config is incomplete, as the collector reports it.
	err := cfg.Validate()
	require.Error(t, err)
	require.True(t, strings.HasPrefix(err.Error(), "store is required"), err.Error())
}
