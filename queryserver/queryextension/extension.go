package queryextension

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/storage"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/queryserver"
)

type queryExtension struct {
	cfg     *Config
	set     extension.Settings
	store   store.Store
	server  *queryserver.Server
	serveCh chan error
}

var (
	_ extlink.StoreProvider = (*queryExtension)(nil)
	_ extlink.Mounter       = (*queryExtension)(nil)
)

func newExtension(cfg *Config, set extension.Settings) *queryExtension {
	return &queryExtension{cfg: cfg, set: set}
}

// Start opens the store and binds the port synchronously, so a busy port or a locked database
// fails the collector's start instead of a later log line.
func (e *queryExtension) Start(_ context.Context, host component.Host) error {
	var authID component.ID
	if err := authID.UnmarshalText([]byte(e.cfg.Auth)); err != nil {
		return err
	}
	vp, err := extlink.Find[extlink.VerifierProvider](host, authID)
	if err != nil {
		return fmt.Errorf("luminatequery: %w", err)
	}
	ln, err := net.Listen("tcp", e.cfg.Endpoint)
	if err != nil {
		return fmt.Errorf("luminatequery: listen on %s: %w", e.cfg.Endpoint, err)
	}
	st, err := storage.Open(e.cfg.Storage, e.set.Logger)
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("luminatequery: %w", err)
	}
	e.store = st
	e.server = queryserver.New(queryserver.Config{
		Store:    st,
		Verifier: vp.Verifier(),
		Limits:   e.cfg.Query,
		Version:  e.set.BuildInfo.Version,
		Logger:   e.set.Logger,
	})
	e.serveCh = make(chan error, 1)
	go func() { e.serveCh <- e.server.Listen(ln) }()
	e.set.Logger.Info("Luminate API listening", zap.String("endpoint", ln.Addr().String()),
		zap.String("storage", e.cfg.Storage.Engine))
	return nil
}

// Shutdown stops the server, then closes the store. Extensions shut down after the pipelines,
// so every exporter has flushed into the store before it closes.
func (e *queryExtension) Shutdown(ctx context.Context) error {
	var errs []error
	if e.server != nil {
		errs = append(errs, e.server.Shutdown(ctx))
		if err := <-e.serveCh; err != nil && !errors.Is(err, queryserver.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if e.store != nil {
		errs = append(errs, e.store.Close())
	}
	return errors.Join(errs...)
}

// Store implements extlink.StoreProvider.
func (e *queryExtension) Store() store.Store { return e.store }

// Mount implements extlink.Mounter.
func (e *queryExtension) Mount(method, path string, h fiber.Handler) error {
	if e.server == nil {
		return errors.New("luminatequery: not started")
	}
	return e.server.Mount(method, path, h)
}
