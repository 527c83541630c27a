package luminateexporter

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Dimension names of the instrumentation scope (dimensions.include_scope).
const (
	scopeNameKey    = "otel.scope.name"
	scopeVersionKey = "otel.scope.version"
)

// converter turns one push (pmetric.Metrics) into Append calls, one appender per tenant, and
// keeps what the push's outcome needs: points appended, points dropped by reason, and the
// rejections that go back in a *store.RejectedError. Converters are pooled; reset clears the
// per-push state and keeps the buffers.
type converter struct {
	e  *luminateExporter
	lb labelBuilder

	tenants    []tenantBatch
	dropped    [numReasons]int64
	rejections []store.Rejection
	refusals   [numReasons]refusal // resources refused for their tenant

	res, base, scope, pt, out, qdims model.Labels
}

// tenantBatch is the appender of one tenant in this push.
type tenantBatch struct {
	tenant   string
	app      store.Appender
	appended int64
}

// refusal summarizes the resources refused for one tenant reason: the first message and counts.
type refusal struct {
	resources, points int64
	first             string
}

func newConverter(e *luminateExporter) *converter {
	return &converter{e: e, lb: labelBuilder{filter: &e.filter}}
}

func (c *converter) reset() {
	// Drop references to appenders and to the batch's strings, so a pooled converter does not
	// keep the last batch alive.
	for _, ls := range []model.Labels{c.res, c.base, c.scope, c.pt, c.out, c.qdims, c.lb.renamed} {
		clear(ls[:cap(ls)])
	}
	clear(c.tenants)
	c.tenants = c.tenants[:0]
	c.dropped = [numReasons]int64{}
	c.rejections = nil // handed out in the error; never reused
	c.refusals = [numReasons]refusal{}
}

// convert appends every point of md. Only Commit (in the exporter) makes them durable.
func (c *converter) convert(md pmetric.Metrics, rt requestTenant) {
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		rm := rms.At(i)
		tenant, r, msg := c.e.tenantOf(rm.Resource(), rt)
		if msg != "" {
			n := countPoints(rm)
			c.dropped[r] += n
			f := &c.refusals[r]
			if f.resources == 0 {
				f.first = msg
			}
			f.resources++
			f.points += n
			continue
		}
		c.resource(rm, c.batch(tenant))
	}
}

// batch returns the appender of tenant; a push usually has one tenant (the batch processor
// partitions by the tenant metadata key), so a linear search beats a map.
func (c *converter) batch(tenant string) *tenantBatch {
	for i := range c.tenants {
		if c.tenants[i].tenant == tenant {
			return &c.tenants[i]
		}
	}
	c.tenants = append(c.tenants, tenantBatch{tenant: tenant, app: c.e.store.Appender(tenant)})
	return &c.tenants[len(c.tenants)-1]
}

// resource converts one ResourceMetrics. Resource and scope dimensions are built once here,
// not per point; each point only sorts its own attributes and merges.
func (c *converter) resource(rm pmetric.ResourceMetrics, tb *tenantBatch) {
	c.res = c.lb.appendAttrs(c.res[:0], rm.Resource().Attributes(), c.e.cfg.TenantAttribute, false)
	sms := rm.ScopeMetrics()
	for i := range sms.Len() {
		sm := sms.At(i)
		c.base = c.scopeDims(c.base[:0], sm.Scope())
		ms := sm.Metrics()
		for j := range ms.Len() {
			c.metric(ms.At(j), tb)
		}
	}
}

// scopeDims appends the resource dimensions plus, with include_scope, the scope's name and
// version (which win over resource attributes of the same name).
func (c *converter) scopeDims(dst model.Labels, sc pcommon.InstrumentationScope) model.Labels {
	if !c.e.cfg.Dimensions.IncludeScope {
		return append(dst, c.res...)
	}
	c.scope = c.scope[:0]
	if n := sc.Name(); n != "" {
		c.scope = append(c.scope, model.Label{Name: scopeNameKey, Value: n})
	}
	if v := sc.Version(); v != "" {
		c.scope = append(c.scope, model.Label{Name: scopeVersionKey, Value: v})
	}
	return merge(dst, c.res, c.scope)
}

func (c *converter) metric(m pmetric.Metric, tb *tenantBatch) {
	name := sanitize(m.Name())
	problem := ""
	if err := model.CheckMetricName(name); err != nil {
		problem = err.Error()
	}
	meta := model.MetricMeta{Unit: m.Unit()}
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		meta.Type = model.TypeGauge
		c.numbers(name, problem, meta, m.Gauge().DataPoints(), tb)
	case pmetric.MetricTypeSum:
		s := m.Sum()
		meta.Type, meta.Monotonic = model.TypeUpDownCounter, s.IsMonotonic()
		if meta.Monotonic {
			meta.Type = model.TypeCounter
		}
		meta.Temporality = temporality(s.AggregationTemporality())
		c.numbers(name, problem, meta, s.DataPoints(), tb)
	case pmetric.MetricTypeHistogram:
		h := m.Histogram()
		meta.Type, meta.Temporality = model.TypeHistogram, temporality(h.AggregationTemporality())
		c.histograms(name, problem, meta, h.DataPoints(), tb)
	case pmetric.MetricTypeExponentialHistogram:
		h := m.ExponentialHistogram()
		meta.Type, meta.Temporality = model.TypeExpHistogram, temporality(h.AggregationTemporality())
		c.expHistograms(name, problem, meta, h.DataPoints(), tb)
	case pmetric.MetricTypeSummary:
		c.summaries(name, problem, meta.Unit, m.Summary().DataPoints(), tb)
	default: // MetricTypeEmpty carries no points
	}
}

func temporality(t pmetric.AggregationTemporality) model.Temporality {
	switch t {
	case pmetric.AggregationTemporalityCumulative:
		return model.TemporalityCumulative
	case pmetric.AggregationTemporalityDelta:
		return model.TemporalityDelta
	}
	return model.TemporalityUnspecified
}

func (c *converter) numbers(name, problem string, meta model.MetricMeta, dps pmetric.NumberDataPointSlice, tb *tenantBatch) {
	for i := range dps.Len() {
		c.point(name, problem, meta, dps.At(i), tb)
	}
}

// point appends one number data point; problem is a metric-level reason to refuse it (a bad
// name). Cumulative sums carry their start time: a new start time is a reset.
func (c *converter) point(name, problem string, meta model.MetricMeta, dp pmetric.NumberDataPoint, tb *tenantBatch) {
	if dp.Flags().NoRecordedValue() {
		return // a staleness marker, not a value
	}
	c.dims(dp.Attributes())
	p := model.Point{T: int64(dp.Timestamp() / 1e6)}
	if meta.Temporality == model.TemporalityCumulative {
		p.Start = int64(dp.StartTimestamp() / 1e6)
	}
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeInt:
		p.V = float64(dp.IntValue())
	case pmetric.NumberDataPointValueTypeDouble:
		p.V = dp.DoubleValue()
	default:
		if problem == "" {
			problem = "data point has no value"
		}
	}
	c.appendOne(tb, name, problem, meta, p)
}

// dims builds c.out: the resource and scope dimensions merged with a data point's attributes.
func (c *converter) dims(attrs pcommon.Map) {
	c.lb.arena = c.lb.arena[:0]
	c.pt = c.lb.appendAttrs(c.pt[:0], attrs, "", true)
	c.out = merge(c.out[:0], c.base, c.pt)
}

// appendOne checks p and hands it to the tenant's appender with c.out as its dimensions.
func (c *converter) appendOne(tb *tenantBatch, name, problem string, meta model.MetricMeta, p model.Point) {
	if problem == "" {
		problem = c.check(p)
	}
	if problem != "" {
		c.reject(name, p.T, apierror.InvalidRequest, problem, reasonInvalid)
		return
	}
	var err error
	switch pa, ok := tb.app.(store.PointAppender); {
	case ok && (p.Hist != nil || p.Start != 0):
		err = pa.AppendPoint(name, meta, c.out, p)
	case p.Hist != nil:
		// an engine that cannot store histograms: counted and warned, never silent
		c.dropped[reasonUnsupportedType]++
		c.e.warnUnsupported(name, meta.Type.String())
		return
	default:
		err = tb.app.Append(name, meta, c.out, p.T, p.V)
	}
	if err != nil {
		code, msg, r := apierror.InvalidRequest, err.Error(), reasonRejected
		if ae, ok := apierror.As(err); ok {
			code, msg = ae.Code, ae.Message
			if code == apierror.CardinalityExceeded {
				r = reasonCardinality
			}
		}
		c.reject(name, p.T, code, msg, r)
		return
	}
	tb.appended++
}

// check validates what the store cannot: limits of api.md on the merged dimensions, and the
// value and timestamp. It returns "" or a message; it runs per point, so the loop only compares
// lengths and formats a message on the failure path alone.
func (c *converter) check(p model.Point) string {
	if p.Hist != nil {
		if msg := checkHistogram(p.Hist); msg != "" {
			return msg
		}
	} else if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
		return fmt.Sprintf("value %v is not a finite number", p.V)
	}
	if p.T <= 0 {
		return "data point has no timestamp (time_unix_nano is 0)"
	}
	if limit := c.e.cfg.Dimensions.MaxDimensions; len(c.out) > limit {
		return fmt.Sprintf("%d dimensions after include/exclude, at most %d are allowed (raise dimensions.max_dimensions or exclude attributes)", len(c.out), limit)
	}
	for _, l := range c.out {
		if len(l.Name) > model.MaxLabelNameLen {
			return fmt.Sprintf("dimension key %q... is %d bytes, at most %d are allowed", l.Name[:32], len(l.Name), model.MaxLabelNameLen)
		}
		if len(l.Value) > model.MaxLabelValueLen {
			return fmt.Sprintf("value of dimension %q is %d bytes, at most %d are allowed", l.Name, len(l.Value), model.MaxLabelValueLen)
		}
	}
	return ""
}

// reject records a refused point. c.out is reused, so the slice is copied; of the strings only
// those in the arena are, since the rest (pdata strings, sanitized names) never change. During
// a cardinality storm every point of a batch may land here, and cloning 1 KiB resource values
// per point would multiply the garbage.
func (c *converter) reject(name string, t int64, code apierror.Code, msg string, r reason) {
	c.dropped[r]++
	ls := slices.Clone(c.out)
	for i := range ls {
		if c.lb.inArena(ls[i].Value) {
			ls[i].Value = strings.Clone(ls[i].Value)
		}
	}
	c.rejections = append(c.rejections, store.Rejection{Metric: name, Labels: ls, T: t, Code: code, Message: msg})
}

// countPoints counts every data point of a resource, of any type.
func countPoints(rm pmetric.ResourceMetrics) int64 {
	var n int
	sms := rm.ScopeMetrics()
	for i := range sms.Len() {
		ms := sms.At(i).Metrics()
		for j := range ms.Len() {
			switch m := ms.At(j); m.Type() {
			case pmetric.MetricTypeGauge:
				n += m.Gauge().DataPoints().Len()
			case pmetric.MetricTypeSum:
				n += m.Sum().DataPoints().Len()
			case pmetric.MetricTypeHistogram:
				n += m.Histogram().DataPoints().Len()
			case pmetric.MetricTypeExponentialHistogram:
				n += m.ExponentialHistogram().DataPoints().Len()
			case pmetric.MetricTypeSummary:
				n += m.Summary().DataPoints().Len()
			}
		}
	}
	return int64(n)
}
