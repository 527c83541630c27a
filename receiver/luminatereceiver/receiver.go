package luminatereceiver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
	"github.com/luminate-metrics/luminate/internal/writeapi"
)

// Timeouts of the receiver's own listener. ReadTimeout also bounds reading a streamed body, so
// a client that trickles bytes cannot hold a connection: 10 MiB in a minute needs 175 KB/s.
const (
	readTimeout = time.Minute
	idleTimeout = 2 * time.Minute
)

type jsonReceiver struct {
	cfg    *Config
	set    receiver.Settings
	next   consumer.Metrics
	obs    *receiverhelper.ObsReport
	limits writeapi.Limits

	// verifier is set in Start, before the handler is mounted or served.
	verifier *auth.Verifier
	// guard and metrics are set in Start when limits is configured (else nil: no limits).
	guard   *limits.Guard
	metrics *selfmetrics.Metrics
	// stopped makes the handler refuse writes after Shutdown: a handler mounted on the query
	// server cannot be unmounted, and the pipeline behind it is gone.
	stopped atomic.Bool

	// own listener (Endpoint mode)
	app  *fiber.App
	ln   net.Listener
	done chan struct{}
	once sync.Once
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Metrics) (*jsonReceiver, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &jsonReceiver{cfg: cfg, set: set, next: next, obs: obs, limits: cfg.limits()}, nil
}

// Start finds the auth extension, then mounts the handler on the front-door extension or binds
// the receiver's own listener. The listener is bound here, synchronously, so a port conflict
// fails Start instead of being logged later.
func (r *jsonReceiver) Start(_ context.Context, host component.Host) error {
	vp, err := extlink.Find[extlink.VerifierProvider](host, r.cfg.Auth)
	if err != nil {
		return fmt.Errorf("luminate receiver: auth: %w", err)
	}
	if r.verifier = vp.Verifier(); r.verifier == nil {
		return fmt.Errorf("luminate receiver: auth extension %q has no token verifier", r.cfg.Auth)
	}
	if r.cfg.Limits != nil {
		lp, err := extlink.Find[extlink.LimitsProvider](host, *r.cfg.Limits)
		if err != nil {
			return fmt.Errorf("luminate receiver: limits: %w", err)
		}
		r.guard, r.metrics = lp.Guard(), lp.SelfMetrics()
	}

	if r.cfg.Server != nil {
		m, err := extlink.Find[extlink.Mounter](host, *r.cfg.Server)
		if err != nil {
			return fmt.Errorf("luminate receiver: server: %w", err)
		}
		if err := m.Mount(fiber.MethodPost, r.cfg.Path, r.handle); err != nil {
			return fmt.Errorf("luminate receiver: mounting POST %s on %q: %w", r.cfg.Path, *r.cfg.Server, err)
		}
		r.set.Logger.Info("JSON write API mounted", zap.String("server", r.cfg.Server.String()), zap.String("path", r.cfg.Path))
		return nil
	}

	ln, err := net.Listen("tcp", r.cfg.Endpoint)
	if err != nil {
		return fmt.Errorf("luminate receiver: listening on %s: %w", r.cfg.Endpoint, err)
	}
	r.ln = ln
	r.app = fiber.New(fiber.Config{
		DisableStartupMessage: true,
		// Stream the body into the decoder, which enforces max_body_bytes while it reads
		// (raw and decompressed) and answers 413 in the envelope. fasthttp then only prefetches
		// a few KiB; BodyLimit matches max_body_bytes so no other limit applies first.
		StreamRequestBody: true,
		BodyLimit:         int(r.cfg.MaxBodyBytes),
		ReadTimeout:       readTimeout,
		IdleTimeout:       idleTimeout,
		ErrorHandler:      errorHandler,
	})
	r.useAccessLog(r.app)
	r.app.Post(r.cfg.Path, r.handle)
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		if err := r.app.Listener(ln); err != nil && !(r.stopped.Load() && errors.Is(err, net.ErrClosed)) {
			r.set.Logger.Error("JSON write API listener stopped", zap.Error(err))
		}
	}()
	r.set.Logger.Info("JSON write API listening", zap.String("endpoint", ln.Addr().String()), zap.String("path", r.cfg.Path))
	return nil
}

// Shutdown stops the own listener, letting requests in flight finish until ctx ends. A handler
// mounted on the front door stays mounted (fiber cannot remove a route) but answers 503.
func (r *jsonReceiver) Shutdown(ctx context.Context) error {
	r.stopped.Store(true)
	if r.app == nil {
		return nil
	}
	var err error
	r.once.Do(func() {
		err = r.app.ShutdownWithContext(ctx)
		// Serve may not have registered the listener yet; closing it makes Serve return either way.
		_ = r.ln.Close()
		select {
		case <-r.done:
		case <-ctx.Done():
			err = errors.Join(err, ctx.Err())
		}
	})
	return err
}

// addr is the bound address of the own listener (tests).
func (r *jsonReceiver) addr() string {
	if r.ln == nil {
		return ""
	}
	return r.ln.Addr().String()
}
