package queryserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/queryapi"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Config configures a Server. Store and Verifier are required; zero values elsewhere take the
// defaults named on each field.
type Config struct {
	Store    store.Store
	Verifier *auth.Verifier
	Limits   queryapi.Limits // zero fields: queryapi.DefaultLimits
	Version  string          // reported by /api/v1/health
	Logger   *zap.Logger     // nil: no logging

	// Guard holds the tenants' rate limits (query requests/s, concurrent queries) and the
	// limits GET /api/v1/limits reports; nil: no rate limits, and limits reported as null.
	Guard *limits.Guard
	// Metrics is the registry GET /metrics serves, shared with the other components of the
	// process; nil: the server makes its own.
	Metrics *selfmetrics.Metrics
	// AdminTimeout bounds an admin request (a delete of much data takes a while; default 10m).
	AdminTimeout time.Duration

	// BodyLimit is the largest request body read from the wire (setting
	// queryserver.body_limit, default 10 MiB). The mounted write handler accepts 10 MiB bodies,
	// so it must not be lower than the write API's limit; queries have their own, smaller
	// query.max_body_bytes.
	BodyLimit int
	// HealthTimeout bounds the storage ping of /api/v1/health and /readyz (default 2s).
	HealthTimeout time.Duration
	// SlowPing: a ping that succeeds but takes longer reports storage as degraded (default 1s).
	SlowPing time.Duration
	// ReadTimeout bounds reading one request, headers and body (default 60s), against clients
	// that trickle bytes; IdleTimeout closes idle keep-alive connections (default 120s).
	ReadTimeout time.Duration
	IdleTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultBodyLimit     = 10 << 20
	DefaultHealthTimeout = 2 * time.Second
	DefaultSlowPing      = time.Second
	DefaultReadTimeout   = 60 * time.Second
	DefaultIdleTimeout   = 120 * time.Second
	DefaultAdminTimeout  = 10 * time.Minute
)

// Validate reports a configuration New cannot run with.
func (cfg *Config) Validate() error {
	if cfg.Store == nil {
		return errors.New("queryserver: no store configured")
	}
	if cfg.Verifier == nil {
		return errors.New("queryserver: no token verifier configured (set JWT_SECRET)")
	}
	return nil
}

func (cfg *Config) withDefaults() Config {
	c := *cfg
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	c.Limits = c.Limits.WithDefaults()
	orDefault(&c.BodyLimit, DefaultBodyLimit)
	orDefault(&c.HealthTimeout, DefaultHealthTimeout)
	orDefault(&c.SlowPing, DefaultSlowPing)
	orDefault(&c.ReadTimeout, DefaultReadTimeout)
	orDefault(&c.IdleTimeout, DefaultIdleTimeout)
	orDefault(&c.AdminTimeout, DefaultAdminTimeout)
	if c.Metrics == nil {
		c.Metrics = selfmetrics.New(0)
	}
	return c
}

func orDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Server is the fiber app with Luminate's routes. It is safe for concurrent use; Mount may be
// called before or after Listen.
type Server struct {
	cfg     Config
	app     *fiber.App
	log     *zap.Logger
	metrics *selfmetrics.Metrics
	guard   *limits.Guard
	started time.Time
	routes  []routeSpec // built-in routes, for Mount's conflict check
	mounts  mountTable

	lnMu   sync.Mutex
	ln     net.Listener
	closed bool

	// notReady, when set, is why /readyz answers 503 whatever the storage (SetNotReady)
	notReady atomic.Pointer[string]
}

// SetNotReady makes /readyz answer 503 with the reason until SetReady: the collector's
// extension uses it while the pipelines start (the JSON write handler and OTLP receivers are
// not up yet, nor the collector's SIGTERM handling) and once shutdown has begun.
func (s *Server) SetNotReady(reason string) { s.notReady.Store(&reason) }

// SetReady undoes SetNotReady.
func (s *Server) SetReady() { s.notReady.Store(nil) }

// New builds the server and registers its routes. cfg must pass Validate: New panics
// otherwise, as with any other programming error.
func New(cfg Config) *Server {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	c := cfg.withDefaults()
	s := &Server{cfg: c, log: c.Logger, started: time.Now(), metrics: c.Metrics, guard: c.Guard}
	if cr, ok := c.Store.(store.CardinalityReader); ok {
		s.metrics.SetSeriesSource(cr.SeriesByTenant)
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "luminate",
		BodyLimit:             c.BodyLimit,
		ReadTimeout:           c.ReadTimeout,
		IdleTimeout:           c.IdleTimeout,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
	})
	s.guardMethods()
	s.registerRoutes()
	return s
}

// App returns the fiber app, e.g. for app.Test in tests.
func (s *Server) App() *fiber.App { return s.app }

// ErrServerClosed is returned by Listen after Shutdown.
var ErrServerClosed = errors.New("queryserver: server closed")

// Listen serves on ln until Shutdown; it returns nil after a Shutdown.
func (s *Server) Listen(ln net.Listener) error {
	s.lnMu.Lock()
	if s.closed {
		s.lnMu.Unlock()
		_ = ln.Close()
		return ErrServerClosed
	}
	s.ln = ln
	s.lnMu.Unlock()
	err := s.app.Listener(ln)
	s.lnMu.Lock()
	closed := s.closed
	s.lnMu.Unlock()
	if closed {
		return nil // the listener was closed by Shutdown, which is not a failure
	}
	return err
}

// Shutdown stops accepting connections and waits for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.lnMu.Lock()
	s.closed = true
	ln := s.ln
	s.lnMu.Unlock()
	err := s.app.ShutdownWithContext(ctx)
	if ln != nil {
		// Listen may have been between registering ln and fasthttp's Serve when fasthttp shut
		// down; closing ln makes that Serve return instead of serving forever.
		_ = ln.Close()
	}
	if err != nil {
		return fmt.Errorf("queryserver: shutdown: %w", err)
	}
	return nil
}
