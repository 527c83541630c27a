package luminatestoreextension

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
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

var _ extlink.StoreProvider = (*storeExtension)(nil)

// Start opens the store, so a locked directory or an unreachable server fails the collector's
// start rather than the first write.
func (e *storeExtension) Start(context.Context, component.Host) error {
	st, err := storage.Open(e.cfg.Config, e.set.Logger)
	if err != nil {
		return fmt.Errorf("luminatestore: %w", err)
	}
	e.store = st
	e.set.Logger.Info("Luminate store open", zap.String("engine", e.cfg.Engine))
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
