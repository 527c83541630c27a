// Package accesslog is the one access-log format of Luminate's HTTP listeners (the query
// server and the JSON receiver's own listener in ingest pods), so the logs of every deployment
// read the same: one line per request with method, route (a template, never the raw path),
// status, latency, tenant, error code and request id; never a header, so never the token.
package accesslog

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// MaxRequestIDLen bounds a client-supplied X-Request-ID, which is echoed and logged.
const MaxRequestIDLen = 128

// SanitizeRequestID is middleware, before fiber's requestid, that drops a client-supplied
// X-Request-ID that is too long or not printable ASCII, so that requestid generates one
// instead: the id is logged, and logs must not carry arbitrary client bytes.
func SanitizeRequestID(c *fiber.Ctx) error {
	id := c.Request().Header.Peek(fiber.HeaderXRequestID)
	ok := len(id) <= MaxRequestIDLen
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
}

// Check returns the entry for a request's line, or nil when its level is disabled (then the
// caller skips building the fields). Levels: 2xx/3xx debug (a busy write endpoint would
// otherwise flood the collector's log), 4xx info, 5xx warn (the cause is logged at error where
// it is known).
func Check(log *zap.Logger, status int) *zapcore.CheckedEntry {
	level := zapcore.DebugLevel
	switch {
	case status >= 500:
		level = zapcore.WarnLevel
	case status >= 400:
		level = zapcore.InfoLevel
	}
	return log.Check(level, "http request")
}

// Line is one request's line.
type Line struct {
	Method, Route, Tenant, Code, RequestID string
	Status                                 int
	Latency                                time.Duration
}

// Write writes l to ce. Strings are cloned: fiber's point into the connection's buffers, which
// the next request reuses, and a core may keep a field past this call.
func Write(ce *zapcore.CheckedEntry, l Line) {
	ce.Write(
		zap.String("method", strings.Clone(l.Method)),
		zap.String("route", strings.Clone(l.Route)),
		zap.Int("status", l.Status),
		zap.Duration("latency", l.Latency),
		zap.String("tenant", strings.Clone(l.Tenant)),
		zap.String("code", l.Code),
		zap.String("requestId", strings.Clone(l.RequestID)),
	)
}
