// Package selfmetrics holds Luminate's own metrics, served as Prometheus text by GET /metrics on
// the API port (client_golang). One Metrics is shared by the components of a process (it lives
// in the luminatelimits extension), so the JSON receiver, the OTLP limits processor, the
// exporters and the query server report into one registry:
//
//	luminate_http_requests_total{route,method,status}        every request on the API port, by route template
//	luminate_http_request_duration_seconds{route,method}     latency histogram of the same
//	luminate_points_accepted_total{path}                     points stored (path: json, otlp)
//	luminate_points_rejected_total{path,reason}              points refused, by reason
//	luminate_rate_limited_total{limit}                       requests refused by a rate limit (limit: its config key)
//	luminate_active_series{tenant}                           series per tenant: the top N tenants, the rest as "other"
//	luminate_storage_write_duration_seconds                  one commit of a write to the store
//	luminate_storage_query_duration_seconds{op}              one store call of a read (query, metrics, dimensions, values, cardinality, usage)
//
// plus the Go runtime and process collectors. Route labels are templates
// (/api/v1/metrics/{name}/dimensions) or "unmatched", never raw paths; tenants appear only in
// luminate_active_series, bounded by top_tenants. Every method is safe on a nil *Metrics (it
// does nothing), so a component configured without the extension needs no special case.
package selfmetrics

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"

	"github.com/luminate-metrics/luminate/internal/limits"
)

// Paths of the points counters.
const (
	PathJSON = "json"
	PathOTLP = "otlp"
)

// Reasons of luminate_points_rejected_total. The exporter's reasons (invalid, unsupported_type,
// no_tenant, tenant_mismatch, cardinality, rejected) plus the ones of the doors in front of it.
const (
	ReasonInvalid     = "invalid"      // refused by validation (JSON decoder, OTLP conversion)
	ReasonCardinality = "cardinality"  // a new series or metric over a cardinality limit
	ReasonRateLimited = "rate_limited" // the request was refused by points_per_second
	ReasonUnavailable = "unavailable"  // the pipeline failed (retryable); nothing was stored
)

// DefaultTopTenants bounds luminate_active_series.
const DefaultTopTenants = 20

// OtherTenants is the tenant label of the tenants beyond the top N.
const OtherTenants = "other"

// SeriesSource returns the series count of every tenant (store.CardinalityReader.SeriesByTenant).
type SeriesSource func(ctx context.Context) (map[string]int64, error)

// Metrics is the registry and its collectors.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	accepted     *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	rateLimited  *prometheus.CounterVec
	storageWrite prometheus.Histogram
	storageQuery *prometheus.HistogramVec
	series       atomic.Pointer[SeriesSource]
	topTenants   int
}

// latencyBuckets span 1 ms to 30 s (the query timeout cap).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns a registry with every collector; topTenants bounds luminate_active_series (<= 0:
// DefaultTopTenants).
func New(topTenants int) *Metrics {
	if topTenants <= 0 {
		topTenants = DefaultTopTenants
	}
	m := &Metrics{reg: prometheus.NewRegistry(), topTenants: topTenants}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "luminate_http_requests_total", Help: "Requests on the Luminate API port, by route template, method and status.",
	}, []string{"route", "method", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "luminate_http_request_duration_seconds", Help: "Latency of requests on the Luminate API port, by route template and method.",
		Buckets: latencyBuckets,
	}, []string{"route", "method"})
	m.accepted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "luminate_points_accepted_total", Help: "Data points stored, by path (json, otlp).",
	}, []string{"path"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "luminate_points_rejected_total",
		Help: "Data points refused, by path (json, otlp) and reason (invalid, cardinality, rate_limited, unavailable, unsupported_type, no_tenant, tenant_mismatch, rejected).",
	}, []string{"path", "reason"})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "luminate_rate_limited_total", Help: "Requests refused by a per-tenant rate limit, by limit (its config key).",
	}, []string{"limit"})
	m.storageWrite = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "luminate_storage_write_duration_seconds", Help: "Duration of one commit of a write to the store (durable when it returns).",
		Buckets: latencyBuckets,
	})
	m.storageQuery = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "luminate_storage_query_duration_seconds", Help: "Duration of one store call of a read request, by operation.",
		Buckets: latencyBuckets,
	}, []string{"op"})
	m.reg.MustRegister(m.requests, m.latency, m.accepted, m.rejected, m.rateLimited, m.storageWrite, m.storageQuery,
		activeSeries{m}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every limit's counter exists from the start, so a rate() over it has a zero to start from.
	for id := range limits.NumIDs {
		if id <= limits.MaxConcurrentQueries {
			m.rateLimited.WithLabelValues(id.Key())
		}
	}
	return m
}

// Registry returns the registry (tests, or to add collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest counts one request on the API port.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// PointsAccepted counts stored points.
func (m *Metrics) PointsAccepted(path string, n int64) {
	if m == nil || n <= 0 {
		return
	}
	m.accepted.WithLabelValues(path).Add(float64(n))
}

// PointsRejected counts refused points.
func (m *Metrics) PointsRejected(path, reason string, n int64) {
	if m == nil || n <= 0 {
		return
	}
	m.rejected.WithLabelValues(path, reason).Add(float64(n))
}

// RateLimited counts a request refused by a rate limit.
func (m *Metrics) RateLimited(id limits.ID) {
	if m == nil {
		return
	}
	m.rateLimited.WithLabelValues(id.Key()).Inc()
}

// StorageWrite observes one commit.
func (m *Metrics) StorageWrite(d time.Duration) {
	if m == nil {
		return
	}
	m.storageWrite.Observe(d.Seconds())
}

// StorageQuery observes one store call of a read.
func (m *Metrics) StorageQuery(op string, d time.Duration) {
	if m == nil {
		return
	}
	m.storageQuery.WithLabelValues(op).Observe(d.Seconds())
}

// SetSeriesSource installs the source of luminate_active_series (the query server does, with
// its store); nil removes it.
func (m *Metrics) SetSeriesSource(f SeriesSource) {
	if m == nil {
		return
	}
	if f == nil {
		m.series.Store(nil)
		return
	}
	m.series.Store(&f)
}

// ContentType is the media type of Text.
var ContentType = string(expfmt.NewFormat(expfmt.TypeTextPlain))

// Text renders every metric in the Prometheus text format.
func (m *Metrics) Text() ([]byte, error) {
	mfs, err := m.reg.Gather()
	if err != nil && len(mfs) == 0 {
		return nil, err
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// activeSeries asks the series source at scrape time, so the numbers are the index's exact
// counts, and keeps the label set bounded: the topTenants largest tenants, the rest summed.
type activeSeries struct{ m *Metrics }

var activeSeriesDesc = prometheus.NewDesc("luminate_active_series",
	"Series stored per tenant (exact, from the series index): the tenants with the most series, the others summed as tenant=\"other\".",
	[]string{"tenant"}, nil)

func (a activeSeries) Describe(ch chan<- *prometheus.Desc) { ch <- activeSeriesDesc }

func (a activeSeries) Collect(ch chan<- prometheus.Metric) {
	src := a.m.series.Load()
	if src == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	by, err := (*src)(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(activeSeriesDesc, err)
		return
	}
	for _, tc := range TopTenants(by, a.m.topTenants) {
		ch <- prometheus.MustNewConstMetric(activeSeriesDesc, prometheus.GaugeValue, float64(tc.Series), tc.Tenant)
	}
}

// TenantSeries is one row of luminate_active_series.
type TenantSeries struct {
	Tenant string
	Series int64
}

// TopTenants returns the n tenants with the most series (ties by name) and, when there are
// more, one row "other" with the rest summed. A tenant literally named "other" is folded into
// that row too, so the label stays unambiguous.
func TopTenants(by map[string]int64, n int) []TenantSeries {
	all := make([]TenantSeries, 0, len(by))
	var other int64
	hasOther := false
	for t, s := range by {
		if t == OtherTenants {
			other += s
			hasOther = true
			continue
		}
		all = append(all, TenantSeries{t, s})
	}
	slices.SortFunc(all, func(a, b TenantSeries) int {
		return cmp.Or(cmp.Compare(b.Series, a.Series), strings.Compare(a.Tenant, b.Tenant))
	})
	if len(all) > n {
		for _, ts := range all[n:] {
			other += ts.Series
		}
		all = all[:n]
		hasOther = true
	}
	if hasOther {
		all = append(all, TenantSeries{OtherTenants, other})
	}
	return all
}
