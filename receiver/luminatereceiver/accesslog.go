package luminatereceiver

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/luminate-metrics/luminate/internal/accesslog"
	"github.com/luminate-metrics/luminate/internal/extlink"
)

// The receiver's own listener (ClickHouse ingest pods) logs one line per request in the query
// server's format (internal/accesslog); its route is the configured path, or "unmatched". A
// client X-Request-ID of at most 128 printable ASCII bytes is kept and echoed; otherwise a
// random one is made. (On the query server's port the server logs the mounted handler itself.)

func (r *jsonReceiver) useAccessLog(app *fiber.App) {
	app.Use(accesslog.SanitizeRequestID)
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
	ce := accesslog.Check(r.set.Logger, status)
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
	accesslog.Write(ce, accesslog.Line{Method: c.Method(), Route: route, Status: status, Latency: latency,
		Tenant: tenant, Code: code, RequestID: id})
}
