// Package seriesindex is the in-memory index of known series of the Badger engine: per tenant
// and metric, series numbered 0..n-1 in creation order, found by a 128-bit hash of their labels,
// with their dimensions stored as columns (one uint32 value id per series per key).
//
// Columns make the query side cheap: a filter is evaluated once per distinct value, then one
// array read per series; a group-by resolves a series' group with one array read. Example:
// metric api_latency with keys customer_id and endpoint; column customer_id holds value ids
// [1 1 2 2 ...] for series 0, 1, 2, 3 ... and the dictionary [cust_1 cust_2 ...].
package seriesindex

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"

	"github.com/luminate-metrics/luminate/internal/model"
)

// Key identifies a label set inside one metric: two xxhash64 with different seeds, so that a
// 64-bit collision (likely somewhere among billions of series) cannot merge two series.
type Key [2]uint64

const seed2 = 0x9E3779B97F4A7C15

// HashLabels computes the Key of sorted labels. buf is scratch space, returned grown.
func HashLabels(ls model.Labels, buf []byte) (Key, []byte) {
	buf = AppendCanonical(buf[:0], ls)
	var d xxhash.Digest
	d.ResetWithSeed(seed2)
	_, _ = d.Write(buf)
	return Key{xxhash.Sum64(buf), d.Sum64()}, buf
}

// SeriesID is the public 64-bit id of a series: xxhash64 of its metric name and canonical
// labels. The ClickHouse engine stores it; the Badger engine keeps it in the series record.
func SeriesID(metric string, ls model.Labels, buf []byte) (uint64, []byte) {
	buf = binary.AppendUvarint(buf[:0], uint64(len(metric)))
	buf = append(buf, metric...)
	buf = AppendCanonical(buf, ls)
	return xxhash.Sum64(buf), buf
}

// AppendCanonical appends the canonical encoding of sorted labels: count, then length-prefixed
// names and values. It is also the on-disk form of a series record.
func AppendCanonical(b []byte, ls model.Labels) []byte {
	b = binary.AppendUvarint(b, uint64(len(ls)))
	for _, l := range ls {
		b = binary.AppendUvarint(b, uint64(len(l.Name)))
		b = append(b, l.Name...)
		b = binary.AppendUvarint(b, uint64(len(l.Value)))
		b = append(b, l.Value...)
	}
	return b
}

// ParseCanonical decodes AppendCanonical's output.
func ParseCanonical(b []byte) (model.Labels, error) {
	ls, rest, err := ParseCanonicalPrefix(b)
	if err == nil && len(rest) != 0 {
		err = errCorrupt(len(rest))
	}
	return ls, err
}

// ParseCanonicalPrefix decodes one label set from the start of b and returns the rest.
func ParseCanonicalPrefix(b []byte) (model.Labels, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > 1024 {
		return nil, nil, errCorrupt(len(b))
	}
	b = b[k:]
	ls := make(model.Labels, n)
	for i := range ls {
		var ok bool
		if ls[i].Name, b, ok = str(b); !ok {
			return nil, nil, errCorrupt(len(b))
		}
		if ls[i].Value, b, ok = str(b); !ok {
			return nil, nil, errCorrupt(len(b))
		}
	}
	return ls, b, nil
}

func str(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

func errCorrupt(trailing int) error {
	return fmt.Errorf("seriesindex: corrupt canonical labels with %d bytes left", trailing)
}

// Index holds every tenant.
type Index struct {
	mu      sync.RWMutex
	tenants map[string]*Tenant
	nextID  uint32
}

// New returns an empty index.
func New() *Index { return &Index{tenants: map[string]*Tenant{}, nextID: 1} }

// Tenant returns the tenant, or nil.
func (x *Index) Tenant(name string) *Tenant {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.tenants[name]
}

// Tenants returns all tenants (order unspecified).
func (x *Index) Tenants() []*Tenant {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]*Tenant, 0, len(x.tenants))
	for _, t := range x.tenants {
		out = append(out, t)
	}
	return out
}

// GetOrCreateTenant returns the tenant, creating it (not durable) when new.
func (x *Index) GetOrCreateTenant(name string) *Tenant {
	if t := x.Tenant(name); t != nil {
		return t
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if t := x.tenants[name]; t != nil {
		return t
	}
	t := newTenant(strings.Clone(name), x.nextID)
	x.nextID++
	x.tenants[t.Name] = t
	return t
}

// LoadTenant registers a tenant read from disk (durable).
func (x *Index) LoadTenant(name string, id uint32) *Tenant {
	x.mu.Lock()
	defer x.mu.Unlock()
	t := newTenant(name, id)
	t.durable = true
	x.tenants[name] = t
	x.nextID = max(x.nextID, id+1)
	return t
}

// Tenant holds one tenant's metrics.
type Tenant struct {
	Name    string
	ID      uint32
	mu      sync.RWMutex
	metrics map[string]*Metric
	nextID  uint32
	durable bool
	// series counts the tenant's series over all its metrics, exactly: Create reserves a
	// count before it adds a series (so concurrent creates in different metrics cannot pass
	// max_series_per_tenant together), Load adds, DropMetric subtracts.
	series atomic.Int64
}

// SeriesCount is the number of series of the tenant, over all its metrics.
func (t *Tenant) SeriesCount() int64 { return t.series.Load() }

// MetricCount is the number of metrics of the tenant.
func (t *Tenant) MetricCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.metrics)
}

// reserveSeries counts one more series unless the tenant already has max (max <= 0: no limit).
func (t *Tenant) reserveSeries(max int64) bool {
	for {
		n := t.series.Load()
		if max > 0 && n >= max {
			return false
		}
		if t.series.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func newTenant(name string, id uint32) *Tenant {
	return &Tenant{Name: name, ID: id, metrics: map[string]*Metric{}, nextID: 1}
}

// Durable reports whether the tenant's record is on disk.
func (t *Tenant) Durable() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.durable
}

// MarkDurable records that the tenant's record is on disk.
func (t *Tenant) MarkDurable() {
	t.mu.Lock()
	t.durable = true
	t.mu.Unlock()
}

// Metric returns the metric, or nil.
func (t *Tenant) Metric(name string) *Metric {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.metrics[name]
}

// Metrics returns the tenant's metrics sorted by name.
func (t *Tenant) Metrics() []*Metric {
	t.mu.RLock()
	out := make([]*Metric, 0, len(t.metrics))
	for _, m := range t.metrics {
		out = append(out, m)
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// GetOrCreateMetric returns the metric, creating it (not durable) when new.
func (t *Tenant) GetOrCreateMetric(name string, meta model.MetricMeta) *Metric {
	m, _ := t.GetOrCreateMetricLimited(name, meta, 0)
	return m
}

// GetOrCreateMetricLimited is GetOrCreateMetric that refuses to create the tenant's metric
// number maxMetrics+1 (maxMetrics <= 0: no limit), with a *LimitError. The count and the
// creation happen under the tenant's lock, so the limit is exact under concurrent writers.
func (t *Tenant) GetOrCreateMetricLimited(name string, meta model.MetricMeta, maxMetrics int64) (*Metric, error) {
	if m := t.Metric(name); m != nil {
		return m, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.metrics[name]; m != nil {
		return m, nil
	}
	if maxMetrics > 0 && int64(len(t.metrics)) >= maxMetrics {
		return nil, &LimitError{Limit: LimitMetricsPerTenant, Max: maxMetrics}
	}
	m := newMetric(strings.Clone(name), t.nextID, meta)
	m.tenant = t
	t.nextID++
	t.metrics[m.Name] = m
	return m, nil
}

// LoadMetric registers a metric read from disk (durable).
func (t *Tenant) LoadMetric(name string, id uint32, meta model.MetricMeta) *Metric {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := newMetric(name, id, meta)
	m.tenant = t
	m.durable = true
	t.metrics[name] = m
	t.nextID = max(t.nextID, id+1)
	return m
}

// DropMetric forgets a metric whose data and records were deleted: it is marked dropped (so an
// appender still holding it can tell), leaves the tenant's map, and its series no longer count.
// A later write of the name creates a new metric with a new id.
func (t *Tenant) DropMetric(m *Metric) {
	t.mu.Lock()
	if t.metrics[m.Name] == m {
		delete(t.metrics, m.Name)
	}
	t.mu.Unlock()
	m.mu.Lock()
	if !m.dropped {
		m.dropped = true
		t.series.Add(-int64(len(m.byKey)))
	}
	m.mu.Unlock()
}

// Which limit a LimitError reports.
const (
	LimitSeriesPerTenant = iota
	LimitSeriesPerMetric
	LimitMetricsPerTenant
)

// LimitError is a series or metric that a limit refused to create.
type LimitError struct {
	Limit int // LimitSeriesPerTenant, LimitSeriesPerMetric or LimitMetricsPerTenant
	Max   int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("seriesindex: limit %d of %d reached", e.Limit, e.Max)
}
