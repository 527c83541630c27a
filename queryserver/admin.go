package queryserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Admin endpoints (api.md "Admin", scope admin). Decisions:
//   - every call acts on the caller's tenant only; the tenant is never taken from the body,
//     the path or the query string;
//   - POST /api/v1/admin/retention takes exactly {"metricName", "retentionDays"} (unknown
//     fields and a non-integer retentionDays are 400 INVALID_REQUEST, a bad metricName 400
//     INVALID_METRIC_NAME), replaces any policy of that metricName, and answers 200 with the
//     stored policy; a policy may name a metric that does not exist yet;
//   - GET /api/v1/admin/retention lists the policies ("*" first, then by metric) and the
//     tenant's default (limits.retention_days, null for keep forever);
//   - DELETE /api/v1/admin/metrics/{name}?before=RFC3339 is synchronous: it answers when the
//     points are deleted; `before` is required; an unknown metric is 404; deleting every
//     point deletes the metric (it leaves discovery and its series stop counting);
//   - an engine without store.Admin answers 501 SERVICE_UNAVAILABLE.

type retentionJSON struct {
	MetricName    string `json:"metricName"`
	RetentionDays int    `json:"retentionDays"`
}

type retentionList struct {
	Policies             []retentionJSON `json:"policies"`
	Count                int             `json:"count"`
	DefaultRetentionDays *int            `json:"defaultRetentionDays"`
}

type deleteResponse struct {
	MetricName    string `json:"metricName"`
	DeletedBefore string `json:"deletedBefore"`
}

func (s *Server) admin() (store.Admin, error) {
	ad, ok := s.cfg.Store.(store.Admin)
	if !ok {
		return nil, &apierror.Error{Code: apierror.ServiceUnavailable, Status: fiber.StatusNotImplemented,
			Message: "the storage engine does not support retention policies and deletes"}
	}
	return ad, nil
}

func (s *Server) adminCtx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), s.cfg.AdminTimeout)
}

func (s *Server) adminTimeout() *apierror.Error {
	return apierror.New(apierror.QueryTimeout, "admin request exceeded %s; it may have completed in part and can be repeated", s.cfg.AdminTimeout)
}

// handleSetRetention serves POST /api/v1/admin/retention.
func (s *Server) handleSetRetention(c *fiber.Ctx) error {
	ad, err := s.admin()
	if err != nil {
		return err
	}
	p, err := parseRetention(c.Body())
	if err != nil {
		return err
	}
	ctx, cancel := s.adminCtx(c)
	defer cancel()
	if err := ad.SetRetention(ctx, tenant(c), p); err != nil {
		return s.storeError(c, ctx, err, "retention update", s.adminTimeout)
	}
	s.log.Info("retention policy set", zap.String("tenant", tenant(c)), zap.String("metric", p.Metric),
		zap.Int("days", p.Days), zap.String("requestId", requestID(c)))
	return c.JSON(retentionJSON{MetricName: p.Metric, RetentionDays: p.Days})
}

// parseRetention reads {"metricName": "x" | "*", "retentionDays": 1..3650} strictly.
func parseRetention(body []byte) (store.RetentionPolicy, error) {
	var raw struct {
		MetricName    *string          `json:"metricName"`
		RetentionDays *json.RawMessage `json:"retentionDays"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return store.RetentionPolicy{}, apierror.New(apierror.InvalidRequest,
			"body must be {\"metricName\": \"name\" or \"*\", \"retentionDays\": 1-%d}: %v", limits.MaxRetentionDays, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return store.RetentionPolicy{}, apierror.New(apierror.InvalidRequest, "body must hold one JSON object")
	}
	if raw.MetricName == nil {
		return store.RetentionPolicy{}, apierror.New(apierror.InvalidRequest, "metricName is required (a metric name, or \"*\" for every metric)")
	}
	if raw.RetentionDays == nil {
		return store.RetentionPolicy{}, apierror.New(apierror.InvalidRequest, "retentionDays is required (1-%d)", limits.MaxRetentionDays)
	}
	var days int
	if err := json.Unmarshal(*raw.RetentionDays, &days); err != nil {
		return store.RetentionPolicy{}, apierror.New(apierror.InvalidRequest, "retentionDays must be a whole number of days (1-%d), got %s",
			limits.MaxRetentionDays, string(*raw.RetentionDays))
	}
	p := store.RetentionPolicy{Metric: *raw.MetricName, Days: days}
	return p, store.CheckRetentionPolicy(p)
}

// handleRetention serves GET /api/v1/admin/retention.
func (s *Server) handleRetention(c *fiber.Ctx) error {
	ad, err := s.admin()
	if err != nil {
		return err
	}
	ctx, cancel := s.adminCtx(c)
	defer cancel()
	ps, err := ad.RetentionPolicies(ctx, tenant(c))
	if err != nil {
		return s.storeError(c, ctx, err, "retention listing", s.adminTimeout)
	}
	out := retentionList{Policies: make([]retentionJSON, len(ps)), Count: len(ps)}
	for i, p := range ps {
		out.Policies[i] = retentionJSON{MetricName: p.Metric, RetentionDays: p.Days}
	}
	if s.guard != nil {
		v := s.guard.Limits(tenant(c))
		if d := int(v.Int(limits.RetentionDays)); d > 0 {
			out.DefaultRetentionDays = &d
		}
	}
	return c.JSON(out)
}

// handleDeleteMetric serves DELETE /api/v1/admin/metrics/{name}?before=RFC3339.
func (s *Server) handleDeleteMetric(c *fiber.Ctx) error {
	ad, err := s.admin()
	if err != nil {
		return err
	}
	name, err := metricParam(c)
	if err != nil {
		return err
	}
	raw := strings.TrimSpace(c.Query("before"))
	if raw == "" {
		return apierror.New(apierror.InvalidRequest, "before is required: an RFC 3339 time; points older than it are deleted")
	}
	before, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil && strings.Contains(raw, " ") {
		// An unescaped "+01:00" offset arrives as " 01:00" (a + in a query string is a space).
		before, err = time.Parse(time.RFC3339Nano, strings.ReplaceAll(raw, " ", "+"))
	}
	if err != nil {
		return apierror.New(apierror.InvalidRequest, "before %q is not an RFC 3339 time (e.g. 2026-11-27T10:00:00Z)", raw)
	}
	ctx, cancel := s.adminCtx(c)
	defer cancel()
	start := time.Now()
	if err := ad.DeleteBefore(ctx, tenant(c), name, before.UnixMilli()); err != nil {
		return s.storeError(c, ctx, err, "delete", s.adminTimeout)
	}
	s.log.Info("metric points deleted", zap.String("tenant", tenant(c)), zap.String("metric", name),
		zap.Time("before", before), zap.Duration("took", time.Since(start)), zap.String("requestId", requestID(c)))
	return c.JSON(deleteResponse{MetricName: name, DeletedBefore: before.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")})
}
