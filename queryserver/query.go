package queryserver

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/queryapi"
)

// handleQuery serves POST /api/v1/query: parse, run against the store under the request's
// timeout, encode.
func (s *Server) handleQuery(c *fiber.Ctx) error {
	body, err := s.queryBody(c)
	if err != nil {
		return err
	}
	req, err := queryapi.Parse(body, tenant(c), time.Now(), s.cfg.Limits)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), req.Timeout)
	defer cancel()
	start := time.Now()
	res, err := s.cfg.Store.Query(ctx, req.Query)
	elapsed := time.Since(start)
	s.metrics.StorageQuery("query", elapsed)
	if err != nil {
		return s.storeError(c, ctx, err, "query", func() *apierror.Error {
			return apierror.New(apierror.QueryTimeout, "query exceeded its timeout of %s; narrow the range or raise timeout (max %s, query.max_timeout)",
				queryapi.FormatDuration(req.Timeout), queryapi.FormatDuration(s.cfg.Limits.MaxTimeout))
		})
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(queryapi.AppendResponse(make([]byte, 0, 4096), req.Query, res, elapsed))
}

// queryBody returns the request body, gunzipped when Content-Encoding says so. fiber's
// c.Body() would gunzip too, but without a bound: a small gzip bomb would expand in memory.
// Decision: Content-Type is not checked (curl -d sends a form type with a JSON body).
func (s *Server) queryBody(c *fiber.Ctx) ([]byte, error) {
	raw := c.Request().Body()
	enc := strings.ToLower(strings.TrimSpace(string(c.Request().Header.ContentEncoding())))
	switch enc {
	case "", "identity":
		return raw, nil
	case "gzip", "x-gzip":
	default:
		return nil, withStatus(apierror.New(apierror.InvalidRequest,
			"Content-Encoding %q is not supported; send the query uncompressed or gzip", enc), fiber.StatusUnsupportedMediaType)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, apierror.New(apierror.InvalidRequest, "request body is not valid gzip: %v", err)
	}
	maxBody := s.cfg.Limits.MaxBodyBytes
	body, err := io.ReadAll(io.LimitReader(zr, int64(maxBody)+1))
	if err != nil {
		return nil, apierror.New(apierror.InvalidRequest, "request body is not valid gzip: %v", err)
	}
	if len(body) > maxBody {
		return nil, apierror.New(apierror.PayloadTooLarge,
			"decompressed query body exceeds the maximum of %d bytes (query.max_body_bytes)", maxBody)
	}
	return body, nil
}

// storeError maps an error of a store call. Errors meant for the client pass through; a missed
// deadline is the caller's timeout error; anything else is a storage failure, logged with its
// cause and answered without it (it may name hosts or files).
func (s *Server) storeError(c *fiber.Ctx, ctx context.Context, err error, op string, timeout func() *apierror.Error) error {
	if e, ok := apierror.As(err); ok {
		return e
	}
	// A driver may report a missed deadline as its own error (an i/o timeout) rather than
	// wrapping context.DeadlineExceeded, so the context is asked too.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return timeout()
	}
	s.log.Error("storage error", zap.String("op", op), zap.String("tenant", tenant(c)),
		zap.String("route", routeTemplate(c)), zap.String("requestId", requestID(c)), zap.Error(err))
	return apierror.New(apierror.StorageError, "storage failed to answer the %s; the server log has details (request id %q)", op, requestID(c))
}
