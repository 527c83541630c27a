package luminatereceiver

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/luminate-metrics/luminate/internal/extlink"
)

// The receiver's own listener (ClickHouse ingest pods) logs one line per request in the query
// server's format, so the logs of both deployments read the same: method, route (the
// configured path, or "unmatched"), status, latency, tenant, code and requestId; never a
// header, so never the token. Levels: 2xx debug, 4xx info, 5xx warn. A client X-Request-ID of
// at most 128 printable ASCII bytes is kept and echoed; otherwise a random one is made. (On the
// query server's port the server logs the mounted handler itself.)

const maxRequestIDLen = 128

func (r *jsonReceiver) useAccessLog(app *fiber.App) {
	app.Use(func(c *fiber.Ctx) error {
		id := c.Request().Header.Peek(fiber.HeaderXRequestID)
		ok := len(id) <= maxRequestIDLen
		for _, b := range id {
			if b < 0x21 || b > 0x7e {
				ok = false
				break
			}
		}
		if !ok {
			c.Request().Header.Del(fiber.HeaderXRequestID)
		}
		return c.Next()
	})
	app.Use(requestid.New(requestid.Config{Generator: utils.UUIDv4}))
	app.Use(func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			if herr := errorHandler(c, err); herr != nil {
				return herr
			}
		}
		r.logAccess(c, time.Since(start))
		return nil
	})
}

func (r *jsonReceiver) logAccess(c *fiber.Ctx, latency time.Duration) {
	status := c.Response().StatusCode()
	level := zapcore.DebugLevel
	switch {
	case status >= 500:
		level = zapcore.WarnLevel
	case status >= 400:
		level = zapcore.InfoLevel
	}
	ce := r.set.Logger.Check(level, "http request")
	if ce == nil {
		return
	}
	route := "unmatched"
	if c.Route() != nil && c.Route().Path == r.cfg.Path {
		route = r.cfg.Path
	}
	tenant, _ := c.Locals(extlink.LocalTenant).(string)
	code, _ := c.Locals(extlink.LocalErrorCode).(string)
	id, _ := c.Locals("requestid").(string)
	// Clones: fiber's strings point into the connection's buffers, which the next request
	// reuses, and a core may keep a field past this call.
	ce.Write(
		zap.String("method", strings.Clone(c.Method())),
		zap.String("route", route),
		zap.Int("status", status),
		zap.Duration("latency", latency),
		zap.String("tenant", tenant),
		zap.String("code", code),
		zap.String("requestId", strings.Clone(id)),
	)
}
