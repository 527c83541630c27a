package memstore

import (
	"context"
	"time"

	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/store"
)

// The reference rules of retention and deletes (store.Admin), by brute force:
//
//   - DeleteBefore removes the points with t < before, exactly;
//   - retention removes the points with t < store.RetentionCutoff(now, days), days being the
//     metric's policy, else the tenant's "*" policy, else limits.retention_days;
//   - a metric left without any point by either is deleted with its series (they stop
//     counting against the limits); retention deletes only metrics it removed points from.

// SetRetention implements store.Admin.
func (s *Store) SetRetention(_ context.Context, tenant string, p store.RetentionPolicy) error {
	if err := store.CheckRetentionPolicy(p); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.retention[tenant]
	if m == nil {
		m = map[string]int{}
		s.retention[tenant] = m
	}
	m[p.Metric] = p.Days
	return nil
}

// RetentionPolicies implements store.Admin.
func (s *Store) RetentionPolicies(_ context.Context, tenant string) ([]store.RetentionPolicy, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]store.RetentionPolicy, 0, len(s.retention[tenant]))
	for m, d := range s.retention[tenant] {
		out = append(out, store.RetentionPolicy{Metric: m, Days: d})
	}
	store.SortRetentionPolicies(out)
	return out, nil
}

// DeleteBefore implements store.Admin.
func (s *Store) DeleteBefore(_ context.Context, tenant, name string, before int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.metric(tenant, name)
	if err != nil {
		return err
	}
	s.deleteLocked(tenant, name, m, before, true)
	return nil
}

// ApplyRetention implements store.Admin.
func (s *Store) ApplyRetention(_ context.Context, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tenant, ms := range s.tenants {
		def := 0
		if s.limits != nil {
			v := s.limits(tenant)
			def = int(v.Int(limits.RetentionDays))
		}
		for name, m := range ms {
			days := store.EffectiveRetention(s.retention[tenant], name, def)
			if days > 0 {
				s.deleteLocked(tenant, name, m, store.RetentionCutoff(now, days), false)
			}
		}
	}
	return nil
}

// deleteLocked removes the points before `before`; the metric goes when none is left (always
// for an explicit delete, only when points were removed for retention).
func (s *Store) deleteLocked(tenant, name string, m *metric, before int64, explicit bool) {
	removed, left := 0, 0
	for _, sr := range m.series {
		kept := sr.samples[:0]
		for _, p := range sr.samples {
			if p.T < before {
				removed++
				continue
			}
			kept = append(kept, p)
		}
		clear(sr.samples[len(kept):])
		sr.samples = kept
		left += len(kept)
	}
	if left == 0 && (explicit || removed > 0) {
		delete(s.tenants[tenant], name)
	}
}

// Usage implements store.CardinalityReader.
func (s *Store) Usage(_ context.Context, tenant string, topN int) (store.TenantUsage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var u store.TenantUsage
	all := make([]store.MetricSeries, 0, len(s.tenants[tenant]))
	for name, m := range s.tenants[tenant] {
		all = append(all, store.MetricSeries{Name: name, Series: int64(len(m.series))})
		u.Series += int64(len(m.series))
	}
	u.Metrics = int64(len(all))
	u.TopMetrics = store.TopMetrics(all, topN)
	return u, nil
}

// MetricCardinality implements store.CardinalityReader.
func (s *Store) MetricCardinality(_ context.Context, tenant, name string, topN int) (*store.MetricCardinality, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, err := s.metric(tenant, name)
	if err != nil {
		return nil, err
	}
	counts := map[string]map[string]int64{}
	for _, sr := range m.series {
		for _, l := range sr.labels {
			if counts[l.Name] == nil {
				counts[l.Name] = map[string]int64{}
			}
			counts[l.Name][l.Value]++
		}
	}
	out := &store.MetricCardinality{Name: name, Series: int64(len(m.series))}
	for k, vals := range counts {
		kc := store.KeyCardinality{Key: k, Distinct: int64(len(vals))}
		for v, n := range vals {
			kc.Top = append(kc.Top, store.ValueCount{Value: v, SeriesCount: n})
		}
		store.SortValueCounts(kc.Top)
		if topN > 0 && len(kc.Top) > topN {
			kc.Top = kc.Top[:topN]
		}
		if topN <= 0 {
			kc.Top = nil
		}
		out.Keys = append(out.Keys, kc)
	}
	store.SortKeyCardinality(out.Keys)
	return out, nil
}

// SeriesByTenant implements store.CardinalityReader.
func (s *Store) SeriesByTenant(context.Context) (map[string]int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]int64{}
	for t := range s.tenants {
		if n := s.tenantSeries(t); n > 0 {
			out[t] = n
		}
	}
	return out, nil
}
