package badgerstore

import (
	"context"

	"github.com/luminate-metrics/luminate/internal/store"
)

// Usage implements store.CardinalityReader from the in-memory index: exact counts, no read.
func (s *Store) Usage(_ context.Context, tenant string, topN int) (store.TenantUsage, error) {
	t := s.idx.Tenant(tenant)
	if t == nil {
		return store.TenantUsage{}, nil
	}
	ms := t.Metrics()
	all := make([]store.MetricSeries, len(ms))
	for i, m := range ms {
		all[i] = store.MetricSeries{Name: m.Name, Series: m.Count()}
	}
	return store.TenantUsage{Series: t.SeriesCount(), Metrics: int64(len(ms)), TopMetrics: store.TopMetrics(all, topN)}, nil
}

// MetricCardinality implements store.CardinalityReader: one pass over each key's dictionary
// (seriesindex.Metric.Cardinality), so the answer at 1M series takes milliseconds.
func (s *Store) MetricCardinality(_ context.Context, tenant, metric string, topN int) (*store.MetricCardinality, error) {
	m, err := s.metric(tenant, metric)
	if err != nil {
		return nil, err
	}
	stats := m.Cardinality(topN)
	out := &store.MetricCardinality{Name: m.Name, Series: m.Count(), Keys: make([]store.KeyCardinality, len(stats))}
	for i, ks := range stats {
		top := make([]store.ValueCount, len(ks.Top))
		for j, v := range ks.Top {
			top[j] = store.ValueCount{Value: v.Value, SeriesCount: v.Count}
		}
		out.Keys[i] = store.KeyCardinality{Key: ks.Key, Distinct: ks.Distinct, Top: top}
	}
	store.SortKeyCardinality(out.Keys)
	return out, nil
}

// SeriesByTenant implements store.CardinalityReader.
func (s *Store) SeriesByTenant(context.Context) (map[string]int64, error) {
	ts := s.idx.Tenants()
	out := make(map[string]int64, len(ts))
	for _, t := range ts {
		if n := t.SeriesCount(); n > 0 {
			out[t.Name] = n
		}
	}
	return out, nil
}
