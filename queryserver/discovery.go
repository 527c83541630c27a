package queryserver

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/queryapi"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Limits of GET .../values?limit=N (api.md: default 100).
const (
	defaultValuesLimit = 100
	maxValuesLimit     = 10000
)

type metricJSON struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Unit        string `json:"unit"`
	SeriesCount int64  `json:"seriesCount"`
}

type metricsResponse struct {
	Metrics []metricJSON `json:"metrics"`
	Count   int          `json:"count"`
}

type dimensionsResponse struct {
	MetricName string   `json:"metricName"`
	Dimensions []string `json:"dimensions"`
	Count      int      `json:"count"`
}

type valuesResponse struct {
	MetricName   string   `json:"metricName"`
	DimensionKey string   `json:"dimensionKey"`
	Values       []string `json:"values"`
	Count        int      `json:"count"`
	Limit        int      `json:"limit"`
}

// discoveryCtx bounds a discovery call by the default query timeout: listing a tenant's
// metrics is a scan too, and must not hang a connection when storage stalls.
func (s *Server) discoveryCtx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), s.cfg.Limits.DefaultTimeout)
}

func (s *Server) discoveryTimeout() *apierror.Error {
	return apierror.New(apierror.QueryTimeout, "discovery request exceeded its timeout of %s (query.default_timeout)",
		queryapi.FormatDuration(s.cfg.Limits.DefaultTimeout))
}

// handleMetrics serves GET /api/v1/metrics. Decision: metrics are sorted by name, whatever
// order the engine returns.
func (s *Server) handleMetrics(c *fiber.Ctx) error {
	ctx, cancel := s.discoveryCtx(c)
	defer cancel()
	start := time.Now()
	ms, err := s.cfg.Store.Metrics(ctx, tenant(c))
	s.metrics.StorageQuery("metrics", time.Since(start))
	if err != nil {
		return s.storeError(c, ctx, err, "metrics listing", s.discoveryTimeout)
	}
	out := metricsResponse{Metrics: make([]metricJSON, 0, len(ms)), Count: len(ms)}
	for _, m := range ms {
		out.Metrics = append(out.Metrics, metricJSON{Name: m.Name, Type: m.Meta.Type.String(), Unit: m.Meta.Unit, SeriesCount: m.SeriesCount})
	}
	slices.SortFunc(out.Metrics, func(a, b metricJSON) int { return strings.Compare(a.Name, b.Name) })
	return c.JSON(out)
}

// handleDimensions serves GET /api/v1/metrics/{name}/dimensions.
func (s *Server) handleDimensions(c *fiber.Ctx) error {
	name, err := metricParam(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.discoveryCtx(c)
	defer cancel()
	start := time.Now()
	dims, err := s.cfg.Store.Dimensions(ctx, tenant(c), name)
	s.metrics.StorageQuery("dimensions", time.Since(start))
	if err != nil {
		return s.storeError(c, ctx, err, "dimensions listing", s.discoveryTimeout)
	}
	if dims == nil {
		dims = []string{}
	}
	return c.JSON(dimensionsResponse{MetricName: name, Dimensions: dims, Count: len(dims)})
}

// handleValues serves GET /api/v1/metrics/{name}/dimensions/{key}/values?limit=100&prefix=cu.
// Decision: a key the metric does not have answers an empty list (200), an unknown metric 404.
func (s *Server) handleValues(c *fiber.Ctx) error {
	name, err := metricParam(c)
	if err != nil {
		return err
	}
	key := strings.Clone(c.Params("key"))
	if err := model.CheckLabelName(key); err != nil {
		return apierror.New(apierror.InvalidRequest, "%v", err)
	}
	limit, err := valuesLimit(c.Query("limit"))
	if err != nil {
		return err
	}
	prefix := strings.Clone(c.Query("prefix"))
	ctx, cancel := s.discoveryCtx(c)
	defer cancel()
	start := time.Now()
	vcs, err := s.cfg.Store.DimensionValues(ctx, tenant(c), name, key, prefix, limit)
	s.metrics.StorageQuery("values", time.Since(start))
	if err != nil {
		return s.storeError(c, ctx, err, "dimension values listing", s.discoveryTimeout)
	}
	store.SortValueCounts(vcs) // most frequent first, whatever the engine did
	if len(vcs) > limit {
		vcs = vcs[:limit]
	}
	values := make([]string, len(vcs))
	for i, vc := range vcs {
		values[i] = vc.Value
	}
	return c.JSON(valuesResponse{MetricName: name, DimensionKey: key, Values: values, Count: len(values), Limit: limit})
}

// metricParam returns the validated {name} of the path. The copy matters: fiber's params point
// into the connection's buffer, which the next request reuses.
func metricParam(c *fiber.Ctx) (string, error) {
	name := strings.Clone(c.Params("name"))
	if err := model.CheckMetricName(name); err != nil {
		return "", apierror.New(apierror.InvalidMetricName, "%v", err)
	}
	return name, nil
}

func valuesLimit(s string) (int, error) {
	if s == "" {
		return defaultValuesLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxValuesLimit {
		return 0, apierror.New(apierror.InvalidRequest, "limit must be an integer from 1 to %d, got %q", maxValuesLimit, s)
	}
	return n, nil
}
