package store

import (
	"fmt"
	"regexp"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
)

// Kind is the queryType of api.md.
type Kind uint8

const (
	KindAggregate Kind = iota
	KindRange
	KindRate
)

func (k Kind) String() string {
	switch k {
	case KindAggregate:
		return "aggregate"
	case KindRange:
		return "range"
	case KindRate:
		return "rate"
	}
	return "unknown"
}

// AggFunc is an aggregation of api.md.
type AggFunc uint8

const (
	AggAvg AggFunc = iota
	AggSum
	AggCount
	AggMin
	AggMax
	AggLast
	AggPercentile
	AggIntegral
	AggTWA
)

// Aggregation is an AggFunc plus, for AggPercentile, the percentile in (0, 100].
type Aggregation struct {
	Func       AggFunc
	Percentile float64
}

func (a Aggregation) String() string {
	switch a.Func {
	case AggAvg:
		return "avg"
	case AggSum:
		return "sum"
	case AggCount:
		return "count"
	case AggMin:
		return "min"
	case AggMax:
		return "max"
	case AggLast:
		return "last"
	case AggIntegral:
		return "integral"
	case AggTWA:
		return "twa"
	case AggPercentile:
		return fmt.Sprintf("p%g", a.Percentile)
	}
	return "unknown"
}

// PerSeries reports whether the aggregation needs each series' points in time order
// (walks consecutive pairs) rather than a fold over raw points.
func (a Aggregation) PerSeries() bool { return a.Func == AggIntegral || a.Func == AggTWA }

// FilterOp is an operator of the filters object of api.md.
type FilterOp uint8

const (
	OpEq FilterOp = iota
	OpNe
	OpIn
	OpNin
	OpRegex
	OpNregex
	OpExists
)

// Filter is one condition on a dimension. A series without the key is treated as having the
// value "" (as in Prometheus): {"ne": "x"} and {"nin": [...]} match it, {"eq": "x"} does not.
// Regexes are RE2 and anchored at both ends (`^(?:re)$`), like PromQL label matchers.
type Filter struct {
	Key    string
	Op     FilterOp
	Values []string       // OpEq, OpNe: one value; OpIn, OpNin: the list
	Regex  *regexp.Regexp // OpRegex, OpNregex: already anchored
	Exists bool           // OpExists
}

// Match reports whether a series with the given value (present or not) passes the filter.
func (f *Filter) Match(value string, present bool) bool {
	if !present {
		value = ""
	}
	switch f.Op {
	case OpEq:
		return value == f.Values[0]
	case OpNe:
		return value != f.Values[0]
	case OpIn:
		return contains(f.Values, value)
	case OpNin:
		return !contains(f.Values, value)
	case OpRegex:
		return f.Regex.MatchString(value)
	case OpNregex:
		return !f.Regex.MatchString(value)
	case OpExists:
		return present == f.Exists
	}
	return false
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// MatchLabels reports whether labels pass every filter.
func MatchLabels(filters []Filter, ls model.Labels) bool {
	for i := range filters {
		v, ok := ls.Get(filters[i].Key)
		if !filters[i].Match(v, ok) {
			return false
		}
	}
	return true
}

// Order of groups under a limit.
type Order uint8

const (
	OrderDesc Order = iota
	OrderAsc
)

// Query is a parsed, validated request of POST /api/v1/query.
type Query struct {
	Tenant   string
	Metric   string
	Kind     Kind
	Start    int64 // Unix ms, inclusive
	End      int64 // Unix ms, inclusive
	Agg      Aggregation
	GroupBy  []string
	Filters  []Filter
	Interval int64 // bucket length in ms; 0: the whole range is one value
	Limit    int   // groups (aggregate, rate, bucketed range) or raw points (range)
	Order    Order

	// Guards; zero means unlimited. Exceeding one is QUERY_TOO_LARGE.
	MaxSeries int64
	MaxPoints int64
}

// Result of a query. Exactly one of Groups and Points is used: Points for a range query without
// interval, Groups otherwise.
type Result struct {
	Groups        []Group
	Points        []RawPoint
	SeriesScanned int64
	PointsScanned int64
}

// Group is one group of a grouped result. Key holds the values of Query.GroupBy in order ("" for
// a series without the key).
type Group struct {
	Key     []string
	Value   float64  // without interval: the aggregate (or the rate of the whole range)
	Count   int64    // raw points used
	Buckets []Bucket // with interval (and always for rate): non-empty buckets in time order
}

// Bucket is one interval of a group; T is its start, aligned to the epoch.
type Bucket struct {
	T     int64
	Value float64
	Count int64
}

// RawPoint is one point of a range query without interval.
type RawPoint struct {
	T      int64
	V      float64
	Labels model.Labels
}

// BucketStart returns the start of t's bucket for an interval (aligned to the Unix epoch; exact
// for negative times too).
func BucketStart(t, interval int64) int64 {
	if interval <= 0 {
		return t
	}
	b := t / interval * interval
	if t < 0 && b != t {
		b -= interval
	}
	return b
}

// PointAppender is implemented by appenders that keep start times and histograms (what OTLP
// sends). AppendPoint with only T and V set is Append.
type PointAppender interface {
	AppendPoint(metric string, meta model.MetricMeta, labels model.Labels, p model.Point) error
}

// IsHistogram reports whether a metric type stores histogram points.
func IsHistogram(t model.MetricType) bool {
	return t == model.TypeHistogram || t == model.TypeExpHistogram
}

// CheckHistogramQuery refuses what is not defined on a histogram metric: a raw range (a point
// is a distribution, not a value) and last, integral and twa. Every engine calls it, so all
// refuse alike.
func CheckHistogramQuery(q *Query) error {
	if q.Kind == KindRange && q.Interval == 0 {
		return apierror.New(apierror.InvalidQuery, "metric %q is a histogram: a raw range query has no single value per point; use an aggregate (count, sum, avg, min, max, pNN) or a range with interval", q.Metric)
	}
	if q.Kind == KindRate {
		return nil
	}
	switch q.Agg.Func {
	case AggLast, AggIntegral, AggTWA:
		return apierror.New(apierror.InvalidQuery, "aggregation %s is not defined for histogram metric %q; use count, sum, avg, min, max or a percentile", q.Agg, q.Metric)
	}
	return nil
}

// KindConflict is the error for a point whose kind (histogram or value) differs from its
// metric's type.
func KindConflict(metric string, have model.MetricType, histogram bool) error {
	got := "a value"
	if histogram {
		got = "a histogram"
	}
	return apierror.New(apierror.InvalidRequest, "metric %q is a %s; refusing %s point (one metric name, one kind of data)", metric, have, got)
}
