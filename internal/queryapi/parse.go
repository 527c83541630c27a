package queryapi

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Request is a parsed POST /api/v1/query: the query for the store and how long it may run.
type Request struct {
	Query   *store.Query
	Timeout time.Duration
}

var topFields = []string{
	"queryType", "metricName", "timeRange", "aggregation", "groupBy",
	"filters", "interval", "limit", "order", "timeout",
}

var kinds = map[string]store.Kind{
	"aggregate": store.KindAggregate, "range": store.KindRange, "rate": store.KindRate,
}

// Parse validates a query body for tenant, at time now, under lim (zero fields: defaults).
// Every error is an *apierror.Error: INVALID_QUERY or INVALID_METRIC_NAME (400) for malformed
// input, QUERY_TOO_LARGE (422) for input over a limit, PAYLOAD_TOO_LARGE (413) for the body.
//
// Example: {"queryType": "aggregate", "metricName": "api_latency", "timeRange": {"relative":
// "24h"}, "aggregation": "p95", "groupBy": ["customer_id"], "limit": 10} asks for the ten
// customers with the highest p95 latency over the last day.
func Parse(body []byte, tenant string, now time.Time, lim Limits) (*Request, error) {
	lim = lim.WithDefaults()
	if len(body) > lim.MaxBodyBytes {
		return nil, apierror.New(apierror.PayloadTooLarge,
			"query body of %d bytes exceeds the maximum of %d (query.max_body_bytes)", len(body), lim.MaxBodyBytes)
	}
	if kind(body) == 0 {
		return nil, apierror.New(apierror.InvalidQuery, "request body is empty; send a JSON query object")
	}
	m, err := object(body, "request body")
	if err != nil {
		return nil, err
	}
	if err := checkKnown(m, "request body", topFields); err != nil {
		return nil, err
	}
	p := parser{m: m, lim: lim, q: &store.Query{Tenant: tenant, MaxSeries: lim.MaxSeries, MaxPoints: lim.MaxPoints}}
	steps := []func() error{
		p.kind, p.metric, func() error { return p.timeRange(now.UnixMilli()) },
		p.aggregation, p.interval, p.groupBy, p.filters, p.limit, p.order, p.timeout,
		p.size, // last: a malformed query is a 400 even when it is also too large
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return &Request{Query: p.q, Timeout: p.to}, nil
}

// parser holds the decoded members while the steps fill q.
type parser struct {
	m   map[string]json.RawMessage
	lim Limits
	q   *store.Query
	to  time.Duration
	agg *store.Aggregation // nil: not given
}

func (p *parser) kind() error {
	raw, ok := p.m["queryType"]
	if !ok {
		return invalid("queryType", "is required; use aggregate, range or rate")
	}
	s, err := str(raw, "queryType")
	if err != nil {
		return err
	}
	k, ok := kinds[s]
	if !ok {
		return invalid("queryType", "unknown value %q; use aggregate, range or rate", s)
	}
	p.q.Kind = k
	return nil
}

func (p *parser) metric() error {
	raw, ok := p.m["metricName"]
	if !ok {
		return invalid("metricName", "is required")
	}
	s, err := str(raw, "metricName")
	if err != nil {
		return err
	}
	if err := model.CheckMetricName(s); err != nil {
		return apierror.New(apierror.InvalidMetricName, "metricName: %v", err)
	}
	p.q.Metric = s
	return nil
}

func (p *parser) timeRange(nowMs int64) error {
	raw, ok := p.m["timeRange"]
	var err error
	p.q.Start, p.q.End, err = parseTimeRange(raw, ok, nowMs, p.lim)
	return err
}

func (p *parser) aggregation() error {
	raw, ok := p.m["aggregation"]
	if !ok {
		if p.q.Kind == store.KindAggregate {
			return invalid("aggregation", "is required for queryType aggregate; %s", aggHelp)
		}
		return nil
	}
	s, err := str(raw, "aggregation")
	if err != nil {
		return err
	}
	a, err := ParseAggregation(s)
	if err != nil {
		return invalid("aggregation", "%v", err)
	}
	p.agg = &a
	return nil
}

func (p *parser) interval() error {
	raw, ok := p.m["interval"]
	if ok {
		d, err := p.duration(raw, "interval")
		if err != nil {
			return err
		}
		if d < p.lim.MinInterval {
			return invalid("interval", "%s is shorter than the minimum of %s (query.min_interval)", FormatDuration(d), FormatDuration(p.lim.MinInterval))
		}
		if d%time.Millisecond != 0 {
			return invalid("interval", "%s is not a whole number of milliseconds", d)
		}
		p.q.Interval = d.Milliseconds()
	}
	// The aggregation is kept only where it shapes the answer (see doc.go).
	switch {
	case p.q.Kind == store.KindAggregate:
		p.q.Agg = *p.agg
	case p.q.Kind == store.KindRange && p.q.Interval > 0 && p.agg != nil:
		p.q.Agg = *p.agg
	case p.q.Kind == store.KindRange && p.q.Interval > 0:
		p.q.Agg = store.Aggregation{Func: store.AggAvg} // api.md: default avg
	}
	return nil
}

func (p *parser) groupBy() error {
	raw, ok := p.m["groupBy"]
	if !ok {
		return nil
	}
	keys, err := strList(raw, "groupBy")
	if err != nil {
		return err
	}
	for i, k := range keys {
		if err := model.CheckLabelName(k); err != nil {
			return invalid("groupBy", "item %d: %v", i, err)
		}
		for _, prev := range keys[:i] {
			if prev == k {
				return invalid("groupBy", "%q is listed twice", k)
			}
		}
	}
	if len(keys) > p.lim.MaxGroupBy {
		return tooLarge("groupBy has %d keys, more than the maximum of %d (query.max_group_by)", len(keys), p.lim.MaxGroupBy)
	}
	// A raw range query returns every point with its dimensions; grouping does not apply.
	if p.q.Kind == store.KindRange && p.q.Interval == 0 {
		return nil
	}
	if len(keys) > 0 {
		p.q.GroupBy = keys
	}
	return nil
}

func (p *parser) filters() error {
	raw, ok := p.m["filters"]
	if !ok {
		return nil
	}
	fs, err := parseFilters(raw, p.lim)
	if len(fs) > 0 {
		p.q.Filters = fs
	}
	return err
}

func (p *parser) limit() error {
	p.q.Limit = p.lim.DefaultLimit
	raw, ok := p.m["limit"]
	if !ok {
		return nil
	}
	n, err := integer(raw, "limit")
	if err != nil {
		return err
	}
	if n < 1 {
		return invalid("limit", "must be at least 1, got %d", n)
	}
	if n > int64(p.lim.MaxLimit) {
		return tooLarge("limit %d exceeds the maximum of %d (query.max_limit)", n, p.lim.MaxLimit)
	}
	p.q.Limit = int(n)
	return nil
}

func (p *parser) order() error {
	raw, ok := p.m["order"]
	if !ok {
		return nil // OrderDesc, the zero value
	}
	s, err := str(raw, "order")
	if err != nil {
		return err
	}
	switch s {
	case "desc":
		p.q.Order = store.OrderDesc
	case "asc":
		p.q.Order = store.OrderAsc
	default:
		return invalid("order", "unknown value %q; use desc or asc", s)
	}
	return nil
}

func (p *parser) timeout() error {
	p.to = p.lim.DefaultTimeout
	raw, ok := p.m["timeout"]
	if !ok {
		return nil
	}
	d, err := p.duration(raw, "timeout")
	if err != nil {
		return err
	}
	if d < time.Millisecond {
		return invalid("timeout", "must be at least 1ms, got %s", d)
	}
	// api.md: "capped at 30 s" - a larger timeout is lowered, not refused.
	p.to = min(d, p.lim.MaxTimeout)
	return nil
}

// size applies the guards that make a valid query too large to answer.
func (p *parser) size() error {
	q := p.q
	lengthMs := q.End - q.Start // in ms: 9999 years in ns would overflow a time.Duration
	if lengthMs > p.lim.MaxRange.Milliseconds() {
		return tooLarge("time range of %s exceeds the maximum of %s (query.max_range)", formatMs(lengthMs), FormatDuration(p.lim.MaxRange))
	}
	if q.Interval > 0 {
		buckets := (store.BucketStart(q.End, q.Interval)-store.BucketStart(q.Start, q.Interval))/q.Interval + 1
		if buckets > p.lim.MaxBuckets {
			iv := time.Duration(q.Interval) * time.Millisecond
			return tooLarge("time range of %s at interval %s spans %d buckets, more than the maximum of %d (query.max_buckets); use a larger interval or a shorter range",
				formatMs(lengthMs), FormatDuration(iv), buckets, p.lim.MaxBuckets)
		}
	}
	return nil
}

func (p *parser) duration(raw json.RawMessage, field string) (time.Duration, error) {
	s, err := str(raw, field)
	if err != nil {
		return 0, err
	}
	d, err := ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, invalid(field, "%v; use Go durations plus d and w, e.g. \"30s\", \"1m\", \"1d\"", err)
	}
	return d, nil
}
