package luminateexporter

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
)

// Defaults of Config.
const (
	DefaultTenantAttribute   = "luminate.tenant_id"
	DefaultTenantMetadataKey = "x-luminate-tenant"
	DefaultMaxDimensions     = model.MaxLabels
	// maxDimensionsCeiling bounds max_dimensions: every point's dimensions are sorted and hashed
	// whole, and a series key with more than 128 dimensions is a misconfiguration (an include
	// list that forgot to exclude per-request attributes), not a query dimension set.
	maxDimensionsCeiling = 128
)

// DefaultExclude lists the attributes that are dropped unless dimensions.exclude is set.
// They change on every process restart or deploy (pid, SDK version) and would start new series
// each time, or they are long strings nobody groups by (command lines, paths). service.*,
// deployment.environment(.name), host.name and k8s.* are kept.
func DefaultExclude() []string {
	return []string{
		"process.pid",
		"process.parent_pid",
		"process.command",
		"process.command_line",
		"process.command_args",
		"process.executable.path",
		"process.runtime.description",
		"telemetry.*",
	}
}

// Config of the luminate exporter:
//
//	exporters:
//	  luminate:
//	    store: luminatequery               # required
//	    tenant_attribute: luminate.tenant_id
//	    tenant_metadata_key: x-luminate-tenant
//	    default_tenant: ""
//	    dimensions:
//	      include: []                      # empty: every attribute
//	      exclude: [process.pid, telemetry.*, ...]
//	      include_scope: false
//	      max_dimensions: 32
//	    self_metrics: {extension: luminatelimits, path: otlp}
//	    timeout: 5s
//	    sending_queue: {enabled: true, num_consumers: 10, queue_size: 1000}
//	    retry_on_failure: {enabled: true, initial_interval: 5s, max_elapsed_time: 300s}
type Config struct {
	// Store is the ID of the extension that owns the process's open store and implements
	// extlink.StoreProvider; in the distribution that is the query server, `luminatequery`.
	// Looked up in Start, so a missing extension fails the collector's start.
	Store component.ID `mapstructure:"store"`
	// TenantAttribute is the resource attribute that carries the tenant (stamped by the
	// resource processor from the verified token, or by the JSON receiver). It is never stored
	// as a dimension. A data-point attribute of the same name is ordinary user data.
	TenantAttribute string `mapstructure:"tenant_attribute"`
	// TenantMetadataKey is the request metadata key (client.Info.Metadata) that the auth
	// extension overwrites with the verified tenant. When present and different from the
	// resource attribute, the resource's points are refused (tenant_mismatch): a pipeline
	// without the stamping processor must not write under a client-chosen tenant. Without the
	// resource attribute, the metadata value is the tenant. Empty turns the check off.
	TenantMetadataKey string `mapstructure:"tenant_metadata_key"`
	// DefaultTenant is used only when a resource has neither the attribute nor metadata
	// (deployments without auth). Empty (the default): such points are refused (no_tenant).
	DefaultTenant string `mapstructure:"default_tenant"`
	// Dimensions selects which attributes become dimensions.
	Dimensions DimensionsConfig `mapstructure:"dimensions"`

	// SelfMetrics, when its extension is set, counts the exporter's points (stored, and
	// refused by reason) and the duration of its commits in the self-metrics that GET /metrics
	// serves, under the given path label. The OTel counters of the collector's own telemetry
	// (luminate_exporter_points_stored/_dropped) are kept either way.
	SelfMetrics SelfMetricsConfig `mapstructure:"self_metrics"`

	// TimeoutConfig bounds one push (conversion plus commit); default 5s.
	TimeoutConfig exporterhelper.TimeoutConfig `mapstructure:",squash"`
	// QueueConfig is exporterhelper's sending queue (on by default: 1000 requests, 10
	// consumers). Turn it off for the JSON write pipeline, whose answer must wait for the store.
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	// BackOffConfig retries failed commits (storage errors); refused points are never retried.
	BackOffConfig configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// SelfMetricsConfig links the exporter to the registry of GET /metrics.
type SelfMetricsConfig struct {
	// Extension is the ID of the luminatelimits extension (extlink.LimitsProvider); unset:
	// nothing is reported there.
	Extension *component.ID `mapstructure:"extension"`
	// Path is the path label of the points counters: "otlp" (default) or "json".
	Path string `mapstructure:"path"`
}

// DimensionsConfig selects the attributes (resource and data point) that become dimensions.
// Entries are exact attribute names, or prefixes when they end in `*` ("k8s.*"). Matching uses
// the attribute name as sent, before characters outside [a-zA-Z0-9_.] are replaced.
type DimensionsConfig struct {
	// Include, when not empty, keeps only attributes that match an entry.
	Include []string `mapstructure:"include"`
	// Exclude drops attributes that match an entry; it wins over Include. Setting it replaces
	// DefaultExclude (list the defaults again to extend them).
	Exclude []string `mapstructure:"exclude"`
	// IncludeScope adds the instrumentation scope as otel.scope.name and otel.scope.version
	// (when not empty). Include/Exclude do not apply to these two.
	IncludeScope bool `mapstructure:"include_scope"`
	// MaxDimensions is the most dimensions a point may have after filtering (default 32, as
	// the JSON write API). A point with more is refused (reason invalid), never truncated: a
	// silently truncated dimension set would merge distinct series.
	MaxDimensions int `mapstructure:"max_dimensions"`
}

func createDefaultConfig() component.Config {
	return &Config{
		TenantAttribute:   DefaultTenantAttribute,
		TenantMetadataKey: DefaultTenantMetadataKey,
		Dimensions: DimensionsConfig{
			Exclude:       DefaultExclude(),
			MaxDimensions: DefaultMaxDimensions,
		},
		SelfMetrics:   SelfMetricsConfig{Path: selfmetrics.PathOTLP},
		TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:   configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		BackOffConfig: configretry.NewDefaultBackOffConfig(),
	}
}

// Validate reports every problem of the config at once. exporterhelper's own sections
// (timeout, sending_queue, retry_on_failure) are validated by their types.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Store == (component.ID{}) {
		errs = append(errs, errors.New("store is required: the ID of the extension that owns the store (e.g. store: luminatequery)"))
	}
	if cfg.TenantAttribute == "" {
		errs = append(errs, errors.New("tenant_attribute must not be empty"))
	}
	errs = append(errs, cfg.Dimensions.validate())
	if p := cfg.SelfMetrics.Path; p != selfmetrics.PathOTLP && p != selfmetrics.PathJSON {
		errs = append(errs, fmt.Errorf("self_metrics.path must be %q or %q, got %q", selfmetrics.PathOTLP, selfmetrics.PathJSON, p))
	}
	return errors.Join(errs...)
}

func (d *DimensionsConfig) validate() error {
	var errs []error
	for _, l := range []struct {
		name    string
		entries []string
	}{{"include", d.Include}, {"exclude", d.Exclude}} {
		for i, e := range l.entries {
			if err := validPattern(e); err != nil {
				errs = append(errs, fmt.Errorf("dimensions.%s[%d]: %w", l.name, i, err))
			}
		}
	}
	if d.MaxDimensions < 1 || d.MaxDimensions > maxDimensionsCeiling {
		errs = append(errs, fmt.Errorf("dimensions.max_dimensions must be 1-%d, got %d", maxDimensionsCeiling, d.MaxDimensions))
	}
	return errors.Join(errs...)
}

func validPattern(p string) error {
	if p == "" {
		return errors.New("empty entry")
	}
	if i := strings.IndexByte(p, '*'); i >= 0 && i != len(p)-1 {
		return fmt.Errorf("%q has a * at byte %d; only a trailing * (a prefix) is supported", p, i)
	}
	return nil
}
