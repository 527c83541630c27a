package queryserver

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/valyala/fasthttp"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/accesslog"
	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/auth"
)

// registerRoutes builds the middleware chain and the routes of api.md. Order matters: the
// request id comes first so that everything after it can log it; the access log wraps recover
// so that a panic is logged with the 500 it turned into.
func (s *Server) registerRoutes() {
	app := s.app
	app.Use(accesslog.SanitizeRequestID)
	app.Use(requestid.New(requestid.Config{
		Generator:  utils.UUIDv4, // random: the default counter-based UUID leaks request volume
		ContextKey: requestIDKey,
	}))
	app.Use(s.accessLog)
	app.Use(recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, e any) {
			s.log.Error("panic in handler", zap.Any("panic", e), zap.String("route", routeTemplate(c)),
				zap.String("requestId", requestID(c)), zap.Stack("stack"))
		},
	}))

	// Public: probes, load balancers and Prometheus call these without a token.
	s.route(fiber.MethodGet, "/healthz", s.handleHealthz)
	s.route(fiber.MethodGet, "/readyz", s.handleReadyz)
	s.route(fiber.MethodGet, "/api/v1/health", s.handleHealth)
	s.route(fiber.MethodGet, "/metrics", s.handleSelfMetrics)

	// Reads: the scope, then the tenant's rate limits (limits.go). GET /api/v1/limits is not
	// rate limited, so a throttled client can still see why.
	read := s.requireScope(auth.ScopeRead)
	s.route(fiber.MethodPost, "/api/v1/query", read, s.admitQuery, s.handleQuery)
	s.route(fiber.MethodGet, "/api/v1/metrics", read, s.admitRead, s.handleMetrics)
	s.route(fiber.MethodGet, "/api/v1/metrics/:name/dimensions", read, s.admitRead, s.handleDimensions)
	s.route(fiber.MethodGet, "/api/v1/metrics/:name/dimensions/:key/values", read, s.admitRead, s.handleValues)
	s.route(fiber.MethodGet, "/api/v1/cardinality", read, s.admitQuery, s.handleCardinality)
	s.route(fiber.MethodGet, "/api/v1/limits", read, s.handleLimits)

	// Admin: scope admin (which implies neither read nor write), always the caller's tenant.
	admin := s.requireScope(auth.ScopeAdmin)
	s.route(fiber.MethodPost, "/api/v1/admin/retention", admin, s.handleSetRetention)
	s.route(fiber.MethodGet, "/api/v1/admin/retention", admin, s.handleRetention)
	s.route(fiber.MethodDelete, "/api/v1/admin/metrics/:name", admin, s.handleDeleteMetric)

	s.registerUI() // GET /ui/* (the embedded web UI) and GET / -> /ui/

	// Last: routes mounted by other components, then fiber's 404/405.
	app.Use(s.dispatchMounted)
}

func (s *Server) route(method, path string, handlers ...fiber.Handler) {
	s.routes = append(s.routes, routeSpec{method: method, path: path})
	s.app.Add(method, path, handlers...)
}

// guardMethods answers requests with a method fiber does not know (e.g. "FOO") with the error
// envelope; fiber itself would answer them with a plain-text 400 before any handler runs.
func (s *Server) guardMethods() {
	srv := s.app.Server()
	inner := srv.Handler
	srv.Handler = func(ctx *fasthttp.RequestCtx) {
		if knownMethod(ctx.Method()) {
			inner(ctx)
			return
		}
		e := methodNotAllowed(string(ctx.Method()), string(ctx.Path()), "")
		status, body := apierror.ToBody(e)
		ctx.SetStatusCode(status)
		ctx.SetContentType(fiber.MIMEApplicationJSON)
		if b, err := s.app.Config().JSONEncoder(body); err == nil {
			ctx.SetBody(b)
		}
		s.metrics.ObserveRequest(unmatchedRoute, "invalid", status, 0)
		s.log.Info("http request", zap.String("method", "invalid"), zap.String("route", unmatchedRoute),
			zap.Int("status", status), zap.String("code", string(e.Code)))
	}
}

// knownMethod reports whether fiber routes method (fiber.DefaultMethods). A switch on
// string(b) does not allocate, which matters on the path of every request.
func knownMethod(b []byte) bool {
	switch string(b) {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete,
		fiber.MethodConnect, fiber.MethodOptions, fiber.MethodTrace, fiber.MethodPatch:
		return true
	}
	return false
}
