package luminateexporter

import (
	"fmt"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/luminate-metrics/luminate/internal/model"
)

// quantileKey is the dimension that tells a summary's quantile series apart (as Prometheus).
const quantileKey = "quantile"

// histograms stores explicit-bucket histogram points natively.
func (c *converter) histograms(name, problem string, meta model.MetricMeta, dps pmetric.HistogramDataPointSlice, tb *tenantBatch) {
	for i := range dps.Len() {
		dp := dps.At(i)
		if dp.Flags().NoRecordedValue() {
			continue
		}
		h := &model.Histogram{
			Count: dp.Count(), Sum: dp.Sum(), HasSum: dp.HasSum(),
			Min: dp.Min(), HasMin: dp.HasMin(), Max: dp.Max(), HasMax: dp.HasMax(),
			Bounds: dp.ExplicitBounds().AsRaw(), Counts: dp.BucketCounts().AsRaw(),
		}
		if len(h.Counts) == 0 && len(h.Bounds) == 0 {
			h.Counts = []uint64{h.Count} // count and sum only: one bucket holds everything
		}
		c.dims(dp.Attributes())
		c.appendOne(tb, name, problem, meta, c.histPoint(meta, dp.Timestamp(), dp.StartTimestamp(), h))
	}
}

// expHistograms stores exponential histogram points natively.
func (c *converter) expHistograms(name, problem string, meta model.MetricMeta, dps pmetric.ExponentialHistogramDataPointSlice, tb *tenantBatch) {
	for i := range dps.Len() {
		dp := dps.At(i)
		if dp.Flags().NoRecordedValue() {
			continue
		}
		h := &model.Histogram{
			Exp: true, Scale: dp.Scale(), ZeroCount: dp.ZeroCount(), ZeroThreshold: dp.ZeroThreshold(),
			Count: dp.Count(), Sum: dp.Sum(), HasSum: dp.HasSum(),
			Min: dp.Min(), HasMin: dp.HasMin(), Max: dp.Max(), HasMax: dp.HasMax(),
			PosOffset: dp.Positive().Offset(), Pos: dp.Positive().BucketCounts().AsRaw(),
			NegOffset: dp.Negative().Offset(), Neg: dp.Negative().BucketCounts().AsRaw(),
		}
		c.dims(dp.Attributes())
		c.appendOne(tb, name, problem, meta, c.histPoint(meta, dp.Timestamp(), dp.StartTimestamp(), h))
	}
}

func (c *converter) histPoint(meta model.MetricMeta, t, start pcommon.Timestamp, h *model.Histogram) model.Point {
	p := model.Point{T: int64(t / 1e6), Hist: h}
	if meta.Temporality == model.TemporalityCumulative {
		p.Start = int64(start / 1e6)
	}
	return p
}

// summaries store each quantile as a point of the series with a quantile dimension (metric type
// summary), plus <name>_sum and <name>_count as cumulative counters, as Prometheus exposes them.
func (c *converter) summaries(name, problem, unit string, dps pmetric.SummaryDataPointSlice, tb *tenantBatch) {
	qmeta := model.MetricMeta{Type: model.TypeSummary, Unit: unit}
	sumMeta := model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true, Unit: unit}
	countMeta := model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true}
	for i := range dps.Len() {
		dp := dps.At(i)
		if dp.Flags().NoRecordedValue() {
			continue
		}
		c.dims(dp.Attributes())
		base := model.Point{T: int64(dp.Timestamp() / 1e6), Start: int64(dp.StartTimestamp() / 1e6)}
		p := base
		p.V = dp.Sum()
		c.appendOne(tb, name+"_sum", problem, sumMeta, p)
		p.V = float64(dp.Count())
		c.appendOne(tb, name+"_count", problem, countMeta, p)
		qs := dp.QuantileValues()
		withoutQ := c.out
		for j := range qs.Len() {
			q := qs.At(j)
			c.out = merge(c.qdims[:0], withoutQ, model.Labels{{Name: quantileKey, Value: strconv.FormatFloat(q.Quantile(), 'g', -1, 64)}})
			c.qdims = c.out
			p := model.Point{T: base.T, V: q.Value()}
			c.appendOne(tb, name, problem, qmeta, p)
		}
		c.out = withoutQ
	}
}

// checkHistogram returns why h cannot be stored, or "".
func checkHistogram(h *model.Histogram) string {
	if h.HasSum && (math.IsNaN(h.Sum) || math.IsInf(h.Sum, 0)) {
		return fmt.Sprintf("histogram sum %v is not a finite number", h.Sum)
	}
	if (h.HasMin && !finite(h.Min)) || (h.HasMax && !finite(h.Max)) {
		return "histogram min or max is not a finite number"
	}
	if h.Exp {
		if h.Scale < -10 || h.Scale > 20 {
			return fmt.Sprintf("exponential histogram scale %d is outside [-10, 20]", h.Scale)
		}
		if len(h.Pos)+len(h.Neg) > 1<<14 {
			return fmt.Sprintf("exponential histogram has %d buckets, at most %d are stored", len(h.Pos)+len(h.Neg), 1<<14)
		}
		return ""
	}
	if len(h.Counts) != len(h.Bounds)+1 {
		return fmt.Sprintf("histogram has %d bucket counts for %d explicit bounds; want %d", len(h.Counts), len(h.Bounds), len(h.Bounds)+1)
	}
	for i, b := range h.Bounds {
		if !finite(b) || (i > 0 && b <= h.Bounds[i-1]) {
			return fmt.Sprintf("histogram bound %d (%v) is not finite and strictly increasing", i, b)
		}
	}
	return ""
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
