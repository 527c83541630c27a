// Package memstore is a brute-force, in-memory implementation of store.Store. It is the
// reference that defines the query semantics of api.md in the most direct code possible: the
// storage semantics suite (storetest) compares every real engine against it, and handler tests
// use it where no disk is wanted. It also defines, by brute force, the cardinality limits,
// retention and deletes (admin.go). It is not meant for production: no durability.
package memstore

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Store is the reference engine.
type Store struct {
	mu        sync.RWMutex
	tenants   map[string]map[string]*metric // tenant -> metric name -> metric
	limits    store.LimitsFunc
	retention map[string]map[string]int // tenant -> metric or "*" -> days
}

type metric struct {
	meta   model.MetricMeta
	series map[string]*series // canonical labels -> series
}

type series struct {
	labels  model.Labels
	samples []model.Point // in write order; duplicates resolved at read time (last write wins)
}

// New returns an empty store.
func New() *Store {
	return &Store{tenants: map[string]map[string]*metric{}, retention: map[string]map[string]int{}}
}

var (
	_ store.Store             = (*Store)(nil)
	_ store.Limited           = (*Store)(nil)
	_ store.Admin             = (*Store)(nil)
	_ store.CardinalityReader = (*Store)(nil)
)

// SetLimits implements store.Limited.
func (s *Store) SetLimits(f store.LimitsFunc) {
	s.mu.Lock()
	s.limits = f
	s.mu.Unlock()
}

type pending struct {
	metric string
	meta   model.MetricMeta
	labels model.Labels
	key    string
	p      model.Point
}

type appender struct {
	s   *Store
	ten string
	buf []pending
}

// Appender implements store.Store.
func (s *Store) Appender(tenant string) store.Appender { return &appender{s: s, ten: tenant} }

func (a *appender) Append(name string, meta model.MetricMeta, ls model.Labels, t int64, v float64) error {
	return a.AppendPoint(name, meta, ls, model.Point{T: t, V: v})
}

// AppendPoint implements store.PointAppender. Like the Badger engine, it creates the series
// (and the metric) at once, so the cardinality limits count exactly, under one lock; the point
// itself becomes visible at Commit.
func (a *appender) AppendPoint(name string, meta model.MetricMeta, ls model.Labels, p model.Point) error {
	ls = ls.Copy()
	key := canonical(ls)
	if err := a.s.createSeries(a.ten, name, meta, ls, key, p.Hist != nil); err != nil {
		return err
	}
	if p.Hist != nil {
		p.Hist = p.Hist.Clone()
	}
	a.buf = append(a.buf, pending{metric: strings.Clone(name), meta: meta, labels: ls, key: key, p: p})
	return nil
}

// createSeries finds or creates the series, enforcing the kind of the metric and the limits.
func (s *Store) createSeries(tenant, name string, meta model.MetricMeta, ls model.Labels, key string, hist bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.tenants[tenant]
	m := ms[name]
	if m != nil {
		if store.IsHistogram(m.meta.Type) != hist {
			return store.KindConflict(name, m.meta.Type, hist)
		}
		if m.series[key] != nil {
			return nil
		}
	}
	var lim limits.Values
	if s.limits != nil {
		lim = s.limits(tenant)
	}
	// The order of the checks is the Badger engine's: for a new metric the tenant's series,
	// then its metrics; for a new series the metric's series, then the tenant's.
	if m == nil {
		if max := lim.Int(limits.MaxSeriesPerTenant); max > 0 && s.tenantSeries(tenant) >= max {
			return store.CardinalityError(limits.MaxSeriesPerTenant, max, tenant)
		}
		if max := lim.Int(limits.MaxMetricsPerTenant); max > 0 && int64(len(ms)) >= max {
			return store.CardinalityError(limits.MaxMetricsPerTenant, max, tenant)
		}
		if ms == nil {
			ms = map[string]*metric{}
			s.tenants[tenant] = ms
		}
		m = &metric{meta: meta, series: map[string]*series{}}
		ms[strings.Clone(name)] = m
	}
	if max := lim.Int(limits.MaxSeriesPerMetric); max > 0 && int64(len(m.series)) >= max {
		return store.CardinalityError(limits.MaxSeriesPerMetric, max, tenant)
	}
	if max := lim.Int(limits.MaxSeriesPerTenant); max > 0 && s.tenantSeries(tenant) >= max {
		return store.CardinalityError(limits.MaxSeriesPerTenant, max, tenant)
	}
	m.series[key] = &series{labels: ls}
	return nil
}

func (s *Store) tenantSeries(tenant string) int64 {
	var n int64
	for _, m := range s.tenants[tenant] {
		n += int64(len(m.series))
	}
	return n
}

func (a *appender) Commit(context.Context) error {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	ms := a.s.tenants[a.ten]
	if ms == nil {
		ms = map[string]*metric{}
		a.s.tenants[a.ten] = ms
	}
	for _, p := range a.buf {
		m := ms[p.metric]
		if m == nil {
			// deleted by an admin delete since Append
			m = &metric{meta: p.meta, series: map[string]*series{}}
			ms[p.metric] = m
		}
		sr := m.series[p.key]
		if sr == nil {
			sr = &series{labels: p.labels}
			m.series[p.key] = sr
		}
		sr.samples = append(sr.samples, p.p)
	}
	a.buf = nil
	return nil
}

func (a *appender) Rollback() { a.buf = nil }

func canonical(ls model.Labels) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Name)
		b.WriteByte(0)
		b.WriteString(l.Value)
		b.WriteByte(0)
	}
	return b.String()
}

// Metrics implements store.Store.
func (s *Store) Metrics(_ context.Context, tenant string) ([]store.MetricInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.MetricInfo
	for name, m := range s.tenants[tenant] {
		out = append(out, store.MetricInfo{Name: name, Meta: m.meta, SeriesCount: int64(len(m.series))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (s *Store) metric(tenant, name string) (*metric, error) {
	m := s.tenants[tenant][name]
	if m == nil {
		return nil, apierror.New(apierror.NotFound, "metric %q not found", name)
	}
	return m, nil
}

// Dimensions implements store.Store.
func (s *Store) Dimensions(_ context.Context, tenant, name string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, err := s.metric(tenant, name)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, sr := range m.series {
		for _, l := range sr.labels {
			seen[l.Name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// DimensionValues implements store.Store.
func (s *Store) DimensionValues(_ context.Context, tenant, name, key, prefix string, limit int) ([]store.ValueCount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, err := s.metric(tenant, name)
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, sr := range m.series {
		if v, ok := sr.labels.Get(key); ok && strings.HasPrefix(v, prefix) {
			counts[v]++
		}
	}
	out := make([]store.ValueCount, 0, len(counts))
	for v, c := range counts {
		out = append(out, store.ValueCount{Value: v, SeriesCount: c})
	}
	store.SortValueCounts(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Ping implements store.Store.
func (s *Store) Ping(context.Context) error { return nil }

// Close implements store.Store.
func (s *Store) Close() error { return nil }
