package store

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/model"
)

// The interfaces below are optional: an engine implements them in addition to Store, and
// callers find them with a type assertion. Store itself stays as it is, so an engine without
// them still serves writes and queries (the storage suite reports what it skipped).

// LimitsFunc returns a tenant's limits. Engines call it on the write path only when a series
// or a metric is about to be created, and from the retention loop; it must be cheap and safe
// for concurrent use (limits.Guard.Limits is).
type LimitsFunc func(tenant string) limits.Values

// Limited is an engine that enforces the cardinality limits with exact counts from its series
// index: max_series_per_tenant, max_series_per_metric and max_metrics_per_tenant. An Append
// that would create a series or a metric over a limit returns CardinalityError; appends to
// existing series are never refused by a limit. The engine also takes retention_days from
// these limits as the tenant's default retention (see Admin).
type Limited interface {
	// SetLimits installs the limits; nil removes them. Called before the first write.
	SetLimits(LimitsFunc)
}

// CardinalityError is the error Append returns for a series or metric over a limit: code
// CARDINALITY_EXCEEDED (a permanent refusal of that point; the others of the request commit),
// the Mimir-style message naming the setting, and details for clients.
func CardinalityError(id limits.ID, limit int64, tenant string) *apierror.Error {
	return apierror.New(apierror.CardinalityExceeded, "%s", limits.ExceededMessage(id, float64(limit), tenant)).
		WithDetails(map[string]any{"limit": id.Def().JSON, "setting": id.Setting(), "value": limit})
}

// IsCardinalityError reports whether err is a refusal by a cardinality limit.
func IsCardinalityError(err error) bool {
	e, ok := apierror.As(err)
	return ok && e.Code == apierror.CardinalityExceeded
}

// MetricSeries is a metric and its series count.
type MetricSeries struct {
	Name   string
	Series int64
}

// TenantUsage is what a tenant holds: every series of every metric (series stay counted until
// their metric is deleted; see Admin.DeleteBefore), its metrics, and the metrics with the most
// series.
type TenantUsage struct {
	Series     int64
	Metrics    int64
	TopMetrics []MetricSeries // most series first, ties by name
}

// KeyCardinality is one dimension key of a metric: the number of distinct values and the
// values with the most series.
type KeyCardinality struct {
	Key      string
	Distinct int64
	Top      []ValueCount // most series first, ties by value
}

// MetricCardinality is a metric's series count and, per dimension key, its cardinality.
type MetricCardinality struct {
	Name   string
	Series int64
	Keys   []KeyCardinality // most distinct values first, ties by key
}

// CardinalityReader is an engine that answers usage and cardinality from its series index
// directly. Without it, UsageOf and MetricCardinalityOf compute the same answers from the
// discovery methods of Store (slower: every value of every key is listed).
type CardinalityReader interface {
	Usage(ctx context.Context, tenant string, topN int) (TenantUsage, error)
	MetricCardinality(ctx context.Context, tenant, metric string, topN int) (*MetricCardinality, error)
	// SeriesByTenant returns every tenant's series count (for the self-metrics).
	SeriesByTenant(ctx context.Context) (map[string]int64, error)
}

// UsageOf returns a tenant's usage, from the engine's CardinalityReader when it has one.
func UsageOf(ctx context.Context, s Store, tenant string, topN int) (TenantUsage, error) {
	if cr, ok := s.(CardinalityReader); ok {
		return cr.Usage(ctx, tenant, topN)
	}
	ms, err := s.Metrics(ctx, tenant)
	if err != nil {
		return TenantUsage{}, err
	}
	all := make([]MetricSeries, len(ms))
	u := TenantUsage{Metrics: int64(len(ms))}
	for i, m := range ms {
		all[i] = MetricSeries{Name: m.Name, Series: m.SeriesCount}
		u.Series += m.SeriesCount
	}
	u.TopMetrics = TopMetrics(all, topN)
	return u, nil
}

// TopMetrics sorts by series (descending, ties by name) and keeps topN (<= 0: all).
func TopMetrics(ms []MetricSeries, topN int) []MetricSeries {
	slices.SortFunc(ms, func(a, b MetricSeries) int {
		return cmp.Or(cmp.Compare(b.Series, a.Series), strings.Compare(a.Name, b.Name))
	})
	if topN > 0 && len(ms) > topN {
		ms = ms[:topN]
	}
	return ms
}

// MetricCardinalityOf returns a metric's cardinality, from the engine's CardinalityReader when
// it has one; topN (at least 1 for any top values) bounds each key's top values. An unknown
// metric is NOT_FOUND.
func MetricCardinalityOf(ctx context.Context, s Store, tenant, metric string, topN int) (*MetricCardinality, error) {
	if cr, ok := s.(CardinalityReader); ok {
		return cr.MetricCardinality(ctx, tenant, metric, topN)
	}
	ms, err := s.Metrics(ctx, tenant)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ms, func(m MetricInfo) bool { return m.Name == metric })
	if i < 0 {
		return nil, apierror.New(apierror.NotFound, "metric %q not found", metric)
	}
	out := &MetricCardinality{Name: metric, Series: ms[i].SeriesCount}
	keys, err := s.Dimensions(ctx, tenant, metric)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		vals, err := s.DimensionValues(ctx, tenant, metric, k, "", 0)
		if err != nil {
			return nil, err
		}
		kc := KeyCardinality{Key: k, Distinct: int64(len(vals))}
		vals = vals[:min(len(vals), max(topN, 0))]
		kc.Top = vals
		out.Keys = append(out.Keys, kc)
	}
	SortKeyCardinality(out.Keys)
	return out, nil
}

// SortKeyCardinality orders keys by distinct values, most first, ties by key.
func SortKeyCardinality(ks []KeyCardinality) {
	slices.SortFunc(ks, func(a, b KeyCardinality) int {
		return cmp.Or(cmp.Compare(b.Distinct, a.Distinct), strings.Compare(a.Key, b.Key))
	})
}

// AllMetrics is the metric name of a tenant-wide retention policy.
const AllMetrics = "*"

// RetentionPolicy keeps a tenant's points of Metric (or of every metric, AllMetrics) for Days.
type RetentionPolicy struct {
	Metric string
	Days   int
}

// CheckRetentionPolicy validates a policy as api.md states it.
func CheckRetentionPolicy(p RetentionPolicy) error {
	if p.Metric != AllMetrics {
		if err := model.CheckMetricName(p.Metric); err != nil {
			return apierror.New(apierror.InvalidMetricName, "metricName: %v (or \"*\" for every metric)", err)
		}
	}
	if p.Days < 1 || p.Days > limits.MaxRetentionDays {
		return apierror.New(apierror.InvalidRequest, "retentionDays is %d; it must be 1-%d", p.Days, limits.MaxRetentionDays)
	}
	return nil
}

// SortRetentionPolicies orders "*" first, then by metric name.
func SortRetentionPolicies(ps []RetentionPolicy) {
	slices.SortFunc(ps, func(a, b RetentionPolicy) int {
		if (a.Metric == AllMetrics) != (b.Metric == AllMetrics) {
			if a.Metric == AllMetrics {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Metric, b.Metric)
	})
}

// EffectiveRetention is the days a metric's points are kept: its own policy, else the
// tenant's "*" policy, else defaultDays (limits.retention_days); 0 means forever.
func EffectiveRetention(policies map[string]int, metric string, defaultDays int) int {
	if d, ok := policies[metric]; ok {
		return d
	}
	if d, ok := policies[AllMetrics]; ok {
		return d
	}
	return defaultDays
}

// RetentionCutoff is the time (Unix ms) before which retention deletes a metric's points:
// the start of the hour that holds now - days. Whole hours, so an engine can drop whole
// time partitions; a point is kept at least `days` and at most one hour longer (plus the
// interval of the retention loop).
func RetentionCutoff(now time.Time, days int) int64 {
	const hour = int64(time.Hour / time.Millisecond)
	c := now.Add(-time.Duration(days) * 24 * time.Hour).UnixMilli()
	if c <= 0 {
		return 0
	}
	return c / hour * hour
}

// Admin is an engine that stores retention policies, enforces them, and deletes data on demand.
// Every method is scoped to one tenant, except ApplyRetention, which walks every tenant.
type Admin interface {
	// SetRetention stores (or replaces) a policy durably.
	SetRetention(ctx context.Context, tenant string, p RetentionPolicy) error
	// RetentionPolicies lists the tenant's policies, "*" first, then by metric.
	RetentionPolicies(ctx context.Context, tenant string) ([]RetentionPolicy, error)
	// DeleteBefore deletes the tenant's points of metric with a timestamp before `before`
	// (Unix ms), exactly. An unknown metric is NOT_FOUND. When no point of the metric is left,
	// the metric itself is deleted: it leaves discovery and its series no longer count
	// against the cardinality limits.
	DeleteBefore(ctx context.Context, tenant, metric string, before int64) error
	// ApplyRetention deletes, for every tenant and metric with a retention, the points before
	// RetentionCutoff(now, days); a metric left without points is deleted as by DeleteBefore.
	// Engines also run it in the background.
	ApplyRetention(ctx context.Context, now time.Time) error
}

// ErrMetricDeleted is returned by Commit when an admin delete removed a metric the appender
// wrote to; the write can be retried (it then recreates the metric).
var ErrMetricDeleted = errors.New("a metric of this write was deleted while the write was in progress; retry the write")
