package queryextension

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/queryserver"
)

type queryExtension struct {
	cfg     *Config
	set     extension.Settings
	server  *queryserver.Server
	serveCh chan error
}

var (
	_ extlink.Mounter                       = (*queryExtension)(nil)
	_ extensioncapabilities.Dependent       = (*queryExtension)(nil)
	_ extensioncapabilities.PipelineWatcher = (*queryExtension)(nil)
)

// Dependencies makes the collector start the auth and store extensions first and stop them
// after this one (without it, extensions start in an unspecified order).
func (e *queryExtension) Dependencies() []component.ID {
	deps := []component.ID{e.cfg.Auth, e.cfg.Store}
	if e.cfg.Limits != nil {
		deps = append(deps, *e.cfg.Limits)
	}
	return deps
}

func newExtension(cfg *Config, set extension.Settings) *queryExtension {
	return &queryExtension{cfg: cfg, set: set}
}

// Start binds the port synchronously, so a busy port fails the collector's start instead of a
// later log line.
func (e *queryExtension) Start(_ context.Context, host component.Host) error {
	vp, err := extlink.Find[extlink.VerifierProvider](host, e.cfg.Auth)
	if err != nil {
		return fmt.Errorf("luminatequery: %w", err)
	}
	sp, err := extlink.Find[extlink.StoreProvider](host, e.cfg.Store)
	if err != nil {
		return fmt.Errorf("luminatequery: %w", err)
	}
	if sp.Store() == nil {
		return fmt.Errorf("luminatequery: extension %s has no open store (is it started?)", e.cfg.Store)
	}
	var lp extlink.LimitsProvider
	if e.cfg.Limits != nil {
		if lp, err = extlink.Find[extlink.LimitsProvider](host, *e.cfg.Limits); err != nil {
			return fmt.Errorf("luminatequery: limits: %w", err)
		}
	}
	ln, err := net.Listen("tcp", e.cfg.Endpoint)
	if err != nil {
		return fmt.Errorf("luminatequery: listen on %s: %w", e.cfg.Endpoint, err)
	}
	qc := queryserver.Config{
		Store:    sp.Store(),
		Verifier: vp.Verifier(),
		Limits:   e.cfg.Query,
		Version:  e.set.BuildInfo.Version,
		Logger:   e.set.Logger,
	}
	if lp != nil {
		qc.Guard, qc.Metrics = lp.Guard(), lp.SelfMetrics()
	}
	e.server = queryserver.New(qc)
	// not ready until every pipeline has started (Ready below)
	e.server.SetNotReady("the collector's pipelines are starting")
	e.serveCh = make(chan error, 1)
	go func() { e.serveCh <- e.server.Listen(ln) }()
	e.set.Logger.Info("Luminate API listening", zap.String("endpoint", ln.Addr().String()))
	return nil
}

// Ready implements extensioncapabilities.PipelineWatcher: every pipeline has started, so the
// JSON write handler and the OTLP receivers are up and /readyz may say so.
func (e *queryExtension) Ready() error {
	if e.server != nil {
		e.server.SetReady()
	}
	return nil
}

// NotReady implements extensioncapabilities.PipelineWatcher: the collector is shutting down,
// so load balancers stop sending new requests while the in-flight ones finish.
func (e *queryExtension) NotReady() error {
	if e.server != nil {
		e.server.SetNotReady("shutting down")
	}
	return nil
}

// Shutdown stops the server: no new connections, in-flight requests finish until ctx ends.
func (e *queryExtension) Shutdown(ctx context.Context) error {
	if e.server == nil {
		return nil
	}
	err := e.server.Shutdown(ctx)
	if serr := <-e.serveCh; serr != nil && !errors.Is(serr, queryserver.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// Mount implements extlink.Mounter.
func (e *queryExtension) Mount(method, path string, h fiber.Handler) error {
	if e.server == nil {
		return errors.New("luminatequery: not started")
	}
	return e.server.Mount(method, path, h)
}
