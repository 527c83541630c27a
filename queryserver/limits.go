package queryserver

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/queryapi"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Rate limits of reads (api.md "Limits"). Decisions:
//   - POST /api/v1/query and GET /api/v1/cardinality (the reads that scan) take a token of
//     query_requests_per_second and a slot of max_concurrent_queries for their duration;
//   - discovery (metrics, dimensions, values) takes a token of query_requests_per_second only;
//   - GET /api/v1/limits, the probes and /metrics are never rate limited, nor is admin;
//   - a refusal is 429 RATE_LIMIT_EXCEEDED with Retry-After and X-RateLimit-Limit/-Remaining/
//     -Reset of the limit that applied (for concurrency: the limit, 0, and one second ahead).

// admitQuery admits a scanning read: query rate, then a concurrency slot held until the
// handler returns.
func (s *Server) admitQuery(c *fiber.Ctx) error {
	if s.guard == nil {
		return c.Next()
	}
	done, d := s.guard.StartQuery(tenant(c))
	if d != nil {
		return s.refuseRate(c, d)
	}
	defer done()
	return c.Next()
}

// admitRead admits a discovery read: query rate only.
func (s *Server) admitRead(c *fiber.Ctx) error {
	if s.guard == nil {
		return c.Next()
	}
	if d := s.guard.AllowRead(tenant(c)); d != nil {
		return s.refuseRate(c, d)
	}
	return c.Next()
}

func (s *Server) refuseRate(c *fiber.Ctx, d *limits.Denial) error {
	s.metrics.RateLimited(d.ID)
	for _, kv := range d.Headers() {
		c.Set(kv[0], kv[1])
	}
	return d.Error()
}

// Bounds of topN on /api/v1/limits and /api/v1/cardinality.
const (
	defaultTopN = 10
	maxTopN     = 1000
)

func topNParam(c *fiber.Ctx) (int, error) {
	v := c.Query("topN")
	if v == "" {
		return defaultTopN, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxTopN {
		return 0, apierror.New(apierror.InvalidRequest, "topN must be an integer from 1 to %d, got %q", maxTopN, v)
	}
	return n, nil
}

// limitsResponse is GET /api/v1/limits. limits holds every limit of internal/limits by its
// API name, null when there is none; usage what the tenant holds and consumes now.
type limitsResponse struct {
	Tenant string         `json:"tenant"`
	Limits map[string]any `json:"limits"`
	Usage  usageJSON      `json:"usage"`
	TopN   int            `json:"topN"`
}

type usageJSON struct {
	ActiveSeries           int64            `json:"activeSeries"`
	Metrics                int64            `json:"metrics"`
	SeriesPerMetric        map[string]int64 `json:"seriesPerMetric"`
	WriteRequestsPerSecond float64          `json:"writeRequestsPerSecond"`
	PointsPerSecond        float64          `json:"pointsPerSecond"`
	QueryRequestsPerSecond float64          `json:"queryRequestsPerSecond"`
	ConcurrentQueries      int64            `json:"concurrentQueries"`
}

// handleLimits serves GET /api/v1/limits?topN=10: the caller's effective limits, and its usage:
// series and metrics (exact, from the store), series of its topN largest metrics, and the
// request and point rates this process admitted over the last 10 seconds.
func (s *Server) handleLimits(c *fiber.Ctx) error {
	topN, err := topNParam(c)
	if err != nil {
		return err
	}
	ten := tenant(c)
	ctx, cancel := s.discoveryCtx(c)
	defer cancel()
	start := time.Now()
	u, err := store.UsageOf(ctx, s.cfg.Store, ten, topN)
	s.metrics.StorageQuery("usage", time.Since(start))
	if err != nil {
		return s.storeError(c, ctx, err, "usage", s.discoveryTimeout)
	}
	out := limitsResponse{Tenant: ten, Limits: map[string]any{}, TopN: topN, Usage: usageJSON{
		ActiveSeries: u.Series, Metrics: u.Metrics, SeriesPerMetric: make(map[string]int64, len(u.TopMetrics)),
	}}
	for _, m := range u.TopMetrics {
		out.Usage.SeriesPerMetric[m.Name] = m.Series
	}
	var v limits.Values
	if s.guard != nil {
		v = s.guard.Limits(ten)
		r := s.guard.Usage(ten)
		out.Usage.WriteRequestsPerSecond = round3(r.WriteRequestsPerSecond)
		out.Usage.PointsPerSecond = round3(r.PointsPerSecond)
		out.Usage.QueryRequestsPerSecond = round3(r.QueryRequestsPerSecond)
		out.Usage.ConcurrentQueries = r.ConcurrentQueries
	}
	for id := range limits.NumIDs {
		if x := v[id]; x > 0 {
			out.Limits[id.Def().JSON] = x
		} else {
			out.Limits[id.Def().JSON] = nil
		}
	}
	return c.JSON(out)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// cardinality answers of GET /api/v1/cardinality.
type cardinalityOverview struct {
	TotalSeries int64              `json:"totalSeries"`
	MetricCount int64              `json:"metricCount"`
	Metrics     []metricSeriesJSON `json:"metrics"`
	TopN        int                `json:"topN"`
}

type metricSeriesJSON struct {
	Name        string `json:"name"`
	SeriesCount int64  `json:"seriesCount"`
}

type cardinalityMetric struct {
	MetricName  string            `json:"metricName"`
	SeriesCount int64             `json:"seriesCount"`
	Dimensions  []dimensionCardJS `json:"dimensions"`
	TopN        int               `json:"topN"`
}

type dimensionCardJS struct {
	Key            string          `json:"key"`
	DistinctValues int64           `json:"distinctValues"`
	TopValues      []valueCardJSON `json:"topValues"`
}

type valueCardJSON struct {
	Value       string `json:"value"`
	SeriesCount int64  `json:"seriesCount"`
}

// handleCardinality serves GET /api/v1/cardinality?metric=NAME&topN=10. Without metric: the
// tenant's series and metric counts and its topN metrics by series. With metric: its series
// and, per dimension key (most distinct values first), the distinct values and the topN values
// by series count. Counts are exact, from the store's series index.
func (s *Server) handleCardinality(c *fiber.Ctx) error {
	topN, err := topNParam(c)
	if err != nil {
		return err
	}
	ten := tenant(c)
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.Limits.DefaultTimeout)
	defer cancel()
	metric := c.Query("metric")
	if metric == "" {
		start := time.Now()
		u, err := store.UsageOf(ctx, s.cfg.Store, ten, topN)
		s.metrics.StorageQuery("cardinality", time.Since(start))
		if err != nil {
			return s.storeError(c, ctx, err, "cardinality", s.cardinalityTimeout)
		}
		out := cardinalityOverview{TotalSeries: u.Series, MetricCount: u.Metrics, TopN: topN, Metrics: make([]metricSeriesJSON, len(u.TopMetrics))}
		for i, m := range u.TopMetrics {
			out.Metrics[i] = metricSeriesJSON{Name: m.Name, SeriesCount: m.Series}
		}
		return c.JSON(out)
	}
	metric = strings.Clone(metric) // fiber's query values live in the connection's buffer
	if err := model.CheckMetricName(metric); err != nil {
		return apierror.New(apierror.InvalidMetricName, "metric: %v", err)
	}
	start := time.Now()
	mc, err := store.MetricCardinalityOf(ctx, s.cfg.Store, ten, metric, topN)
	s.metrics.StorageQuery("cardinality", time.Since(start))
	if err != nil {
		return s.storeError(c, ctx, err, "cardinality", s.cardinalityTimeout)
	}
	out := cardinalityMetric{MetricName: mc.Name, SeriesCount: mc.Series, TopN: topN, Dimensions: make([]dimensionCardJS, len(mc.Keys))}
	for i, k := range mc.Keys {
		d := dimensionCardJS{Key: k.Key, DistinctValues: k.Distinct, TopValues: make([]valueCardJSON, len(k.Top))}
		for j, v := range k.Top {
			d.TopValues[j] = valueCardJSON{Value: v.Value, SeriesCount: v.SeriesCount}
		}
		out.Dimensions[i] = d
	}
	return c.JSON(out)
}

func (s *Server) cardinalityTimeout() *apierror.Error {
	return apierror.New(apierror.QueryTimeout, "cardinality request exceeded its timeout of %s (query.default_timeout)",
		queryapi.FormatDuration(s.cfg.Limits.DefaultTimeout))
}
