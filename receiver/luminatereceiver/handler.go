package luminatereceiver

import (
	"bytes"
	"errors"
	"io"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/extlink"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/selfmetrics"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/writeapi"
)

// format is the obsreport "format" label of this receiver's points.
const format = "luminate_json"

// handle serves POST /api/v1/write: token, scope, body, pipeline, answer.
func (r *jsonReceiver) handle(c *fiber.Ctx) error {
	if r.stopped.Load() {
		return r.refuse(c, apierror.New(apierror.ServiceUnavailable, "the luminate receiver is shutting down; retry against another instance"))
	}
	claims, err := r.verifier.VerifyHeader(c.Get(fiber.HeaderAuthorization))
	if err != nil {
		return r.refuse(c, err)
	}
	c.Locals(extlink.LocalTenant, claims.TenantID)
	if err := auth.Require(claims, auth.ScopeWrite); err != nil {
		return r.refuse(c, err)
	}
	// Rate limits, api.md: requests/s before the body is read, points/s after it is decoded.
	if r.guard != nil {
		if d := r.guard.AllowWriteRequest(claims.TenantID); d != nil {
			r.metrics.RateLimited(d.ID)
			return r.refuse(c, rateLimited(c, d))
		}
	}

	batch, err := writeapi.Decode(requestBody(c), c.Get(fiber.HeaderContentEncoding), r.limits, time.Now())
	if err != nil {
		return r.refuse(c, err)
	}
	r.metrics.PointsRejected(selfmetrics.PathJSON, selfmetrics.ReasonInvalid, int64(len(batch.Errors)))
	if len(batch.Items) == 0 {
		return respondWrite(c, batch.Total, batch.Errors)
	}
	if r.guard != nil {
		if d := r.guard.AllowPoints(claims.TenantID, len(batch.Items)); d != nil {
			r.metrics.RateLimited(d.ID)
			r.metrics.PointsRejected(selfmetrics.PathJSON, selfmetrics.ReasonRateLimited, int64(len(batch.Items)))
			return respondError(c, rateLimited(c, d))
		}
	}

	md := toMetrics(batch.Items, r.cfg.TenantAttribute, claims.TenantID)
	// The verified identity also travels in client.Info, as the OTLP receiver's auth does, so a
	// processor that stamps the tenant from_context (auth.tenant_id) agrees with the resource.
	ctx := client.NewContext(c.UserContext(), client.Info{
		Addr: c.Context().RemoteAddr(),
		Auth: authData{claims: claims},
	})
	ctx = r.obs.StartMetricsOp(ctx)
	// Synchronous: the pipeline behind this receiver has no queue and the exporter stores
	// durably before it returns, so a nil error means the points are stored.
	err = r.next.ConsumeMetrics(ctx, md)

	var rejected *store.RejectedError
	switch {
	case err == nil:
		r.obs.EndMetricsOp(ctx, format, len(batch.Items), nil)
		return respondWrite(c, batch.Total, batch.Errors)
	case errors.As(err, &rejected):
		// The store kept some points and refused others (e.g. over a cardinality limit).
		errs, refused := applyRejections(batch, rejected.Rejections, r.set.Logger)
		r.obs.EndMetricsOp(ctx, format, len(batch.Items)-refused, nil)
		r.obs.EndMetricsOp(r.obs.StartMetricsOp(ctx), format, refused, err)
		return respondWrite(c, batch.Total, errs)
	default:
		r.obs.EndMetricsOp(ctx, format, len(batch.Items), err)
		r.metrics.PointsRejected(selfmetrics.PathJSON, selfmetrics.ReasonUnavailable, int64(len(batch.Items)))
		return respondError(c, pipelineError(err))
	}
}

// rateLimited sets the headers of the limit that applied (Retry-After, X-RateLimit-Limit,
// -Remaining, -Reset) and returns the 429 error.
func rateLimited(c *fiber.Ctx, d *limits.Denial) error {
	for _, kv := range d.Headers() {
		c.Set(kv[0], kv[1])
	}
	return d.Error()
}

// drainLimit is how much of an unread streamed body is read and dropped before an error
// answer, as net/http does: a client still sending a body that is a little too large then reads
// the answer instead of a connection reset. Bigger bodies are cut off.
const drainLimit = 256 << 10

// refuse answers an error before the body was (fully) read. The connection is closed: with a
// streamed body, unread bytes would otherwise be parsed as the next request.
func (r *jsonReceiver) refuse(c *fiber.Ctx, err error) error {
	if s := c.Context().RequestBodyStream(); s != nil {
		_, _ = io.CopyN(io.Discard, s, drainLimit)
	}
	c.Context().SetConnectionClose()
	return respondError(c, err)
}

// requestBody returns the raw request body as a reader. With StreamRequestBody (the own
// listener) it is the connection itself, so the decoder's limit cuts off an oversized or
// endless body; a front door that buffers bodies hands over its buffer. Never fiber's
// c.Body(): it decompresses gzip without any limit.
func requestBody(c *fiber.Ctx) io.Reader {
	if s := c.Context().RequestBodyStream(); s != nil {
		return s
	}
	return bytes.NewReader(c.Request().Body())
}

// pipelineError maps a pipeline failure to the answer: 503 when retrying can succeed (the
// memory limiter refusing, a store briefly unreachable), 500 when it cannot. Neither claims
// that any point was stored.
func pipelineError(err error) *apierror.Error {
	if consumererror.IsPermanent(err) {
		return apierror.New(apierror.StorageError, "the write was not stored: %v", err)
	}
	return apierror.New(apierror.ServiceUnavailable, "the write was not stored, retry it later: %v", err)
}

// authData exposes the verified claims to the pipeline as client.Info.Auth.
type authData struct{ claims *auth.Claims }

func (a authData) GetAttribute(name string) any {
	switch name {
	case "tenant_id":
		return a.claims.TenantID
	case "scopes":
		return a.claims.Scopes
	case "subject":
		return a.claims.Subject
	}
	return nil
}

func (authData) GetAttributeNames() []string { return []string{"tenant_id", "scopes", "subject"} }
