package queryserver

import (
	"github.com/gofiber/fiber/v2"

	"github.com/luminate-metrics/luminate/internal/selfmetrics"
)

// handleSelfMetrics serves GET /metrics: the Prometheus text exposition of the process's own
// metrics (internal/selfmetrics). Public, as api.md says; it names no tenant beyond the top
// tenants by series count.
func (s *Server) handleSelfMetrics(c *fiber.Ctx) error {
	b, err := s.metrics.Text()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, selfmetrics.ContentType)
	return c.Send(b)
}
