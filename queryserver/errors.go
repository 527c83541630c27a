package queryserver

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// handleError is the app's ErrorHandler and the access log's: it renders every error as the
// envelope of api.md, {"error": {"code", "message", "details"}}, including fiber's own 404, 405
// and 413 and recovered panics, so that clients parse one shape for every failure.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	e := s.toAPIError(c, err)
	c.Locals(localCode, string(e.Code))
	status, body := apierror.ToBody(e)
	if err := c.Status(status).JSON(body); err != nil {
		return err
	}
	if _, inChain := c.Locals(localStart).(int64); !inChain {
		// fasthttp-level errors (body over the limit, header too large) never reach the
		// middleware chain; log them here so that every answered request is logged once.
		s.logAccess(c, 0)
	}
	return nil
}

// toAPIError maps any error to an *apierror.Error. Errors that are neither ours nor fiber's are
// bugs: the client gets INTERNAL_ERROR with the request id, the log gets the cause.
func (s *Server) toAPIError(c *fiber.Ctx, err error) *apierror.Error {
	if e, ok := apierror.As(err); ok {
		return e
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return s.fromFiber(c, fe)
	}
	s.log.Error("unhandled error", zap.Error(err), zap.String("route", routeTemplate(c)), zap.String("requestId", requestID(c)))
	return apierror.New(apierror.InternalError, "internal error; the server log has details (request id %q)", requestID(c))
}

func (s *Server) fromFiber(c *fiber.Ctx, fe *fiber.Error) *apierror.Error {
	switch fe.Code {
	case fiber.StatusNotFound:
		return apierror.New(apierror.NotFound, "no route for %s %s; see docs/api.md for the API", c.Method(), c.Path())
	case fiber.StatusMethodNotAllowed:
		return methodNotAllowed(c.Method(), c.Path(), string(c.Response().Header.Peek(fiber.HeaderAllow)))
	case fiber.StatusRequestEntityTooLarge:
		return apierror.New(apierror.PayloadTooLarge, "request body exceeds the limit of %d bytes (queryserver.body_limit)", s.cfg.BodyLimit)
	case fiber.StatusRequestTimeout:
		return withStatus(apierror.New(apierror.InvalidRequest, "request was not received within %s (queryserver.read_timeout)", s.cfg.ReadTimeout), fe.Code)
	case fiber.StatusServiceUnavailable:
		return apierror.New(apierror.ServiceUnavailable, "%s", fe.Message)
	}
	if fe.Code >= 500 {
		s.log.Error("server error", zap.Int("status", fe.Code), zap.String("message", fe.Message))
		return withStatus(apierror.New(apierror.InternalError, "%s", http.StatusText(fe.Code)), fe.Code)
	}
	// Other 4xx (400 malformed request, 431 headers too large ...) keep their status.
	return withStatus(apierror.New(apierror.InvalidRequest, "%s", fe.Message), fe.Code)
}

// methodNotAllowed is 405: api.md has no code of its own for it, so INVALID_REQUEST with the
// status overridden, and the allowed methods in the message (and the Allow header).
func methodNotAllowed(method, path, allow string) *apierror.Error {
	msg := "method " + method + " is not allowed on " + path
	if allow != "" {
		msg += "; allowed: " + allow
	}
	return withStatus(&apierror.Error{Code: apierror.InvalidRequest, Message: msg}, fiber.StatusMethodNotAllowed)
}

func withStatus(e *apierror.Error, status int) *apierror.Error {
	if status != e.Code.Status() {
		e.Status = status
	}
	return e
}
