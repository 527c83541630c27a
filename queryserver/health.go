package queryserver

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/queryapi"
)

// Health statuses of api.md.
const (
	statusHealthy   = "healthy"
	statusDegraded  = "degraded"
	statusUnhealthy = "unhealthy"
)

type healthResponse struct {
	Status        string            `json:"status"`
	Version       string            `json:"version"`
	UptimeSeconds int64             `json:"uptimeSeconds"`
	Components    []componentHealth `json:"components"`
}

type componentHealth struct {
	Name       string `json:"name"`
	Status     string `json:"status"`
	Message    string `json:"message"`
	DurationMs int64  `json:"durationMs"`
}

// pingStorage pings the store with the health timeout. The message is safe to show without a
// token: the cause of a failure (which may name hosts or paths) goes to the log only.
func (s *Server) pingStorage(c *fiber.Ctx) componentHealth {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.HealthTimeout)
	defer cancel()
	start := time.Now()
	err := s.cfg.Store.Ping(ctx)
	took := time.Since(start)
	h := componentHealth{Name: "storage", Status: statusHealthy, Message: "ok", DurationMs: took.Milliseconds()}
	switch {
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded)):
		h.Status, h.Message = statusUnhealthy, "storage did not answer within "+queryapi.FormatDuration(s.cfg.HealthTimeout)
	case err != nil:
		h.Status, h.Message = statusUnhealthy, "storage ping failed; see the server log"
	case took > s.cfg.SlowPing:
		h.Status = statusDegraded
		h.Message = "storage answered in " + queryapi.FormatDuration(took.Round(time.Millisecond)) +
			", slower than " + queryapi.FormatDuration(s.cfg.SlowPing)
	}
	if err != nil {
		s.log.Warn("storage ping failed", zap.Duration("took", took), zap.Error(err))
	}
	return h
}

// handleHealth serves GET /api/v1/health. The overall status is the worst component's; only
// unhealthy answers 503 (degraded still serves traffic). Decision: the 503 body is this same
// health document, not the error envelope, so monitors read one shape.
func (s *Server) handleHealth(c *fiber.Ctx) error {
	storage := s.pingStorage(c)
	out := healthResponse{
		Status:        storage.Status,
		Version:       s.cfg.Version,
		UptimeSeconds: int64(time.Since(s.started).Seconds()),
		Components:    []componentHealth{storage},
	}
	status := fiber.StatusOK
	if out.Status == statusUnhealthy {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(out)
}

// handleHealthz serves GET /healthz: the process answers, nothing else is checked.
func (s *Server) handleHealthz(c *fiber.Ctx) error {
	return c.SendString("ok")
}

// handleReadyz serves GET /readyz: ready when storage answers a ping. Decision: plain text
// even on 503, as api.md says for the probes; a probe reads the status code only.
func (s *Server) handleReadyz(c *fiber.Ctx) error {
	if r := s.notReady.Load(); r != nil {
		return c.Status(fiber.StatusServiceUnavailable).SendString("not ready: " + *r)
	}
	if h := s.pingStorage(c); h.Status == statusUnhealthy {
		return c.Status(fiber.StatusServiceUnavailable).SendString("not ready: " + h.Message)
	}
	return c.SendString("ready")
}
