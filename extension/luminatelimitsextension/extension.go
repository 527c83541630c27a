package luminatelimitsextension

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
)

type limitsExtension struct {
	component.ShutdownFunc
	cfg     *Config
	set     extension.Settings
	guard   *limits.Guard
	metrics *selfmetrics.Metrics
}

var _ extlink.LimitsProvider = (*limitsExtension)(nil)

// newExtension builds the state at creation, so it exists whatever order components start in.
func newExtension(cfg *Config, set extension.Settings) *limitsExtension {
	return &limitsExtension{
		cfg:     cfg,
		set:     set,
		guard:   limits.NewGuard(cfg.Limits, nil),
		metrics: selfmetrics.New(cfg.TopTenants),
	}
}

// Start logs the effective defaults once, so an operator can see what applies.
func (e *limitsExtension) Start(context.Context, component.Host) error {
	fields := make([]zap.Field, 0, limits.NumIDs+1)
	for id := range limits.NumIDs {
		fields = append(fields, zap.Float64(id.Key(), e.cfg.Limits.Defaults[id]))
	}
	fields = append(fields, zap.Int("tenant_overrides", len(e.cfg.Limits.Overrides)))
	e.set.Logger.Info("Luminate tenant limits ready (0 = no limit)", fields...)
	return nil
}

// Guard implements extlink.LimitsProvider.
func (e *limitsExtension) Guard() *limits.Guard { return e.guard }

// SelfMetrics implements extlink.LimitsProvider.
func (e *limitsExtension) SelfMetrics() *selfmetrics.Metrics { return e.metrics }
