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
	if m := t.Metric(name); m != nil {
		return m
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.metrics[name]; m != nil {
		return m
	}
	m := newMetric(strings.Clone(name), t.nextID, meta)
	t.nextID++
	t.metrics[m.Name] = m
	return m
}

// LoadMetric registers a metric read from disk (durable).
func (t *Tenant) LoadMetric(name string, id uint32, meta model.MetricMeta) *Metric {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := newMetric(name, id, meta)
	m.durable = true
	t.metrics[name] = m
	t.nextID = max(t.nextID, id+1)
	return m
}

// RemoveMetric forgets a metric (after its data was deleted).
func (t *Tenant) RemoveMetric(name string) {
	t.mu.Lock()
	delete(t.metrics, name)
	t.mu.Unlock()
}
