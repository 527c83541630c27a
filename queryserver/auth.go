package queryserver

import (
	"github.com/gofiber/fiber/v2"

	"github.com/luminate-metrics/luminate/internal/auth"
)

// requireScope verifies the bearer token and the scope before the handler runs. The claims are
// stored even when the scope is missing, so the access log names the tenant of a 403.
func (s *Server) requireScope(scope string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		claims, err := s.cfg.Verifier.VerifyHeader(c.Get(fiber.HeaderAuthorization))
		if err != nil {
			return err
		}
		c.Locals(localClaims, claims)
		if err := auth.Require(claims, scope); err != nil {
			return err
		}
		return c.Next()
	}
}

// tenant is the verified tenant of the request; only call it behind requireScope. The tenant
// comes from the token alone, never from the body, path or query string.
func tenant(c *fiber.Ctx) string {
	return c.Locals(localClaims).(*auth.Claims).TenantID
}
