package luminatereceiver

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/writeapi"
)

// writeResponse is the body of 200, 207 and the 400 "nothing accepted" answer. For that 400 it
// also carries the error envelope, so a client that reads every non-2xx as
// {"error": {...}} and one that reads the write response shape both find what they expect.
type writeResponse struct {
	Error    *apierror.BodyError  `json:"error,omitempty"`
	Accepted int                  `json:"accepted"`
	Rejected int                  `json:"rejected"`
	Errors   []writeapi.ItemError `json:"errors"`
}

// respondWrite answers with status 200 (all accepted), 207 (some refused) or 400 (none accepted).
func respondWrite(c *fiber.Ctx, total int, errs []writeapi.ItemError) error {
	if errs == nil {
		errs = []writeapi.ItemError{} // "errors" is always present
	}
	resp := writeResponse{Accepted: total - len(errs), Rejected: len(errs), Errors: errs}
	status := http.StatusOK
	switch {
	case resp.Accepted == 0:
		status = http.StatusBadRequest
		resp.Error = noneAccepted(total, errs)
		c.Locals(extlink.LocalErrorCode, string(resp.Error.Code))
	case resp.Rejected > 0:
		status = http.StatusMultiStatus
	}
	return c.Status(status).JSON(resp)
}

// noneAccepted is the envelope of a write whose every item was refused: the items' common
// code (e.g. CARDINALITY_EXCEEDED), or INVALID_REQUEST when they differ.
func noneAccepted(total int, errs []writeapi.ItemError) *apierror.BodyError {
	code := errs[0].Code
	for _, e := range errs[1:] {
		if e.Code != code {
			code = apierror.InvalidRequest
			break
		}
	}
	return &apierror.BodyError{
		Code: code,
		Message: fmt.Sprintf("none of the %d metrics was accepted; see errors for each one (first: index %d: %s)",
			total, errs[0].Index, errs[0].Error),
	}
}

// respondError answers with the error envelope of docs/api.md. A 503 says when to retry: the
// conditions behind it (memory limiter, store unreachable, shutdown) pass in seconds, and
// clients that honour Retry-After then back off instead of hammering.
func respondError(c *fiber.Ctx, err error) error {
	status, body := apierror.ToBody(err)
	if status == http.StatusServiceUnavailable {
		c.Set(fiber.HeaderRetryAfter, "1")
	}
	// The query server's access log and request metrics read the code (a mounted handler
	// answers itself, so the server never sees the error).
	c.Locals(extlink.LocalErrorCode, string(body.Error.Code))
	return c.Status(status).JSON(body)
}

// errorHandler renders fiber's own errors (unknown path, wrong method, malformed request) in
// the envelope too, for the receiver's own listener.
func errorHandler(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if !errors.As(err, &fe) {
		return respondError(c, err)
	}
	code := apierror.InvalidRequest
	switch {
	case fe.Code == http.StatusNotFound:
		code = apierror.NotFound
	case fe.Code == http.StatusRequestEntityTooLarge:
		code = apierror.PayloadTooLarge
	case fe.Code >= 500:
		code = apierror.InternalError
	}
	return respondError(c, &apierror.Error{Code: code, Message: fe.Message, Status: fe.Code})
}
