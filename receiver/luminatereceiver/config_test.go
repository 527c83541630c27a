package luminatereceiver

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

// loadConfig unmarshals the config of id from a testdata file over the defaults.
func loadConfig(t *testing.T, file string, id component.ID) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := cm.Sub(id.String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := createDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	server := component.MustNewID("luminatequery")
	cases := []struct {
		id   component.ID
		want *Config
	}{
		{component.NewID(componentType), &Config{
			Server: &server, Path: "/api/v1/write", Auth: component.MustNewID("luminateauth"),
			MaxBatch: 10000, MaxBodyBytes: 10 << 20, MaxAge: 168 * time.Hour, MaxFuture: time.Hour,
			TenantAttribute: "luminate.tenant_id",
		}},
		{component.NewIDWithName(componentType, "ingest"), &Config{
			Endpoint: "0.0.0.0:8080", Path: "/write", Auth: component.MustNewIDWithName("luminateauth", "primary"),
			MaxBatch: 20000, MaxBodyBytes: 20 << 20, MaxAge: 24 * time.Hour, MaxFuture: 5 * time.Minute,
			TenantAttribute: "tenant",
		}},
	}
	for _, c := range cases {
		t.Run(c.id.String(), func(t *testing.T) {
			cfg, err := loadConfig(t, "config.yaml", c.id)
			if err != nil {
				t.Fatal(err)
			}
			if (cfg.Server == nil) != (c.want.Server == nil) || (cfg.Server != nil && *cfg.Server != *c.want.Server) {
				t.Fatalf("server %v, want %v", cfg.Server, c.want.Server)
			}
			cfg.Server, c.want.Server = nil, nil
			if *cfg != *c.want {
				t.Fatalf("got  %+v\nwant %+v", *cfg, *c.want)
			}
		})
	}
}

func TestBadConfigs(t *testing.T) {
	id := component.NewID(componentType)
	cases := map[string][]string{
		"bad_both.yaml":      {"server (luminatequery) and endpoint (127.0.0.1:8080) are exclusive"},
		"bad_neither.yaml":   {"set either server"},
		"bad_no_auth.yaml":   {"auth is required"},
		"bad_endpoint.yaml":  {`endpoint "8080" is not host:port`, `path "api/v1/write" must start with /`},
		"bad_server_id.yaml": {"query server"},
		"bad_limits.yaml": {
			"max_batch must be at least 1, got 0",
			"max_body_bytes must be 1-1073741824, got 2147483648",
			"max_age must be positive, got 0s",
			"max_future must not be negative, got -1m0s",
			"tenant_attribute must not be empty",
		},
	}
	for file, wants := range cases {
		t.Run(file, func(t *testing.T) {
			_, err := loadConfig(t, file, id)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig()
	if err := componenttest.CheckConfigStruct(cfg); err != nil {
		t.Fatal(err)
	}
	// The default needs a server or an endpoint and an auth extension: both are deployment
	// choices, so the default alone is invalid and says what to set.
	err := confmap.Validate(cfg)
	if err == nil || !strings.Contains(err.Error(), "set either server") || !strings.Contains(err.Error(), "auth is required") {
		t.Fatalf("default config: %v", err)
	}
}
