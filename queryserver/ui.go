package queryserver

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/webui"
)

// uiCSP allows the UI's own script, styles and API calls and nothing else: no inline script,
// no third-party origin, no framing. The UI renders every API string as text, and this is the
// second line of defence should that ever slip.
const uiCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// registerUI serves the embedded web UI (internal/webui, sources in ui/) at /ui/, and sends /
// there. The UI is public static files: the data it shows comes from the API, with the token
// the user pastes into it.
func (s *Server) registerUI() {
	s.route(fiber.MethodGet, "/", redirectToUI)
	s.route(fiber.MethodGet, "/ui/*", handleUI)
}

func redirectToUI(c *fiber.Ctx) error {
	return c.Redirect("/ui/", fiber.StatusFound)
}

// handleUI serves one embedded file. Decision: every file is revalidated (no-cache plus a
// content ETag), so a new binary's UI is picked up at once and an unchanged one costs a 304.
func handleUI(c *fiber.Ctx) error {
	if c.Path() == "/ui" {
		// The page loads its files by absolute path, but a canonical URL keeps links and
		// bookmarks uniform.
		return redirectToUI(c)
	}
	a, ok := webui.Lookup(c.Params("*"))
	if !ok {
		return apierror.New(apierror.NotFound, "no file %s in the web UI; open /ui/", c.Path())
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderETag, a.ETag)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderContentSecurityPolicy, uiCSP)
	if inm := string(c.Request().Header.Peek(fiber.HeaderIfNoneMatch)); inm == "*" || strings.Contains(inm, a.ETag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	return c.Send(a.Body)
}
