package luminatestoreextension

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/storage"
	"github.com/luminate-metrics/luminate/internal/store"
)

type storeExtension struct {
	cfg   *Config
	set   extension.Settings
	store store.Store
}

// openStore opens the configured engine (a variable so a test can stand in an engine without
// the optional interfaces).
var openStore = storageOpen

func storageOpen(c Config, log *zap.Logger) (store.Store, error) { return storage.Open(c.Config, log) }

var (
	_ extlink.StoreProvider           = (*storeExtension)(nil)
	_ extensioncapabilities.Dependent = (*storeExtension)(nil)
)

// Dependencies makes the collector start the limits extension first (when configured).
func (e *storeExtension) Dependencies() []component.ID {
	if e.cfg.Limits == nil {
		return nil
	}
	return []component.ID{*e.cfg.Limits}
}

// Start opens the store, so a locked directory or an unreachable server fails the collector's
// start rather than the first write, and installs the tenant limits before any write.
func (e *storeExtension) Start(_ context.Context, host component.Host) error {
	var lp extlink.LimitsProvider
	if e.cfg.Limits != nil {
		var err error
		if lp, err = extlink.Find[extlink.LimitsProvider](host, *e.cfg.Limits); err != nil {
			return fmt.Errorf("luminatestore: limits: %w", err)
		}
	}
	st, err := openStore(*e.cfg, e.set.Logger)
	if err != nil {
		return fmt.Errorf("luminatestore: %w", err)
	}
	enforced := false
	if lp != nil {
		if l, ok := st.(store.Limited); ok {
			l.SetLimits(lp.Guard().Limits)
			enforced = true
		} else {
			// The same config serves both engines (make run STORAGE=clickhouse overlays only the
			// engine), so an engine without limits must still start; it says so loudly.
			e.set.Logger.Warn("ENGINE GAP: this storage engine does not enforce the cardinality limits (max_series_per_tenant, max_series_per_metric, max_metrics_per_tenant) nor retention_days (it does not implement store.Limited); rate limits still apply",
				zap.String("engine", e.cfg.Engine))
		}
	}
	e.store = st
	e.set.Logger.Info("Luminate store open", zap.String("engine", e.cfg.Engine), zap.Bool("cardinality_limits", enforced))
	return nil
}

// Shutdown closes the store. The collector stops pipelines before extensions, and the query
// server declares a dependency on this extension, so nothing uses the store any more.
func (e *storeExtension) Shutdown(context.Context) error {
	if e.store == nil {
		return nil
	}
	return e.store.Close()
}

// Store implements extlink.StoreProvider.
func (e *storeExtension) Store() store.Store { return e.store }
