package luminatereceiver

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/luminate-metrics/luminate/internal/writeapi"
)

// scopeName names the instrumentation scope of JSON writes.
const scopeName = "luminate/json"

// toMetrics builds the pmetric of a write: one ResourceMetrics whose only attribute is the
// verified tenant (never anything from the body; a dimension named tenant_id stays a data-point
// attribute), one ScopeMetrics, and one Gauge per distinct metric name, in order of first
// appearance, holding that name's points in request order.
func toMetrics(items []writeapi.Item, tenantAttr, tenant string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr(tenantAttr, tenant)
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(scopeName)

	// One metric per name in order of first appearance; count its points first so every data
	// point slice is allocated once at its size. Names are interned by the decoder, so the map
	// hashes short, shared strings.
	ms := sm.Metrics()
	order := make(map[string]int, 4)
	var dps []pmetric.NumberDataPointSlice
	var counts []int
	for i := range items {
		k, ok := order[items[i].Name]
		if !ok {
			k = len(dps)
			order[items[i].Name] = k
			m := ms.AppendEmpty()
			m.SetName(items[i].Name)
			dps = append(dps, m.SetEmptyGauge().DataPoints())
			counts = append(counts, 0)
		}
		counts[k]++
	}
	for k := range dps {
		dps[k].EnsureCapacity(counts[k])
	}
	for i := range items {
		k := order[items[i].Name]
		it := &items[i]
		dp := dps[k].AppendEmpty()
		dp.SetTimestamp(pcommon.Timestamp(uint64(it.T) * 1e6))
		dp.SetDoubleValue(it.V)
		if len(it.Labels) > 0 {
			attrs := dp.Attributes()
			attrs.EnsureCapacity(len(it.Labels))
			for _, l := range it.Labels {
				attrs.PutStr(l.Name, l.Value)
			}
		}
	}
	return md
}
