package clickhousestore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

func isNotFound(err error) bool {
	ae, ok := apierror.As(err)
	return ok && ae.Code == apierror.NotFound
}

// metricState is what this process knows about one (tenant, metric) on the write side: the slot
// map it writes with, whether it wrote the metric's metadata row, and the metric's kind (value
// or histogram points). The series it wrote are in the series cache (seriescache.go).
type metricState struct {
	tenant, name string

	mu       sync.Mutex // held while resolving with the database
	resolved bool
	slots    []string // keys stored in d1..d3, in slot order
	metaRow  model.MetricMeta

	// kind is kindUnknown until the metric's type is known: read from the database, or taken
	// from the first point when the database has no row for the metric yet.
	kind atomic.Int32

	// drop is set when a drop of the metric detached this state (forget.go)
	drop atomic.Pointer[dropVerdict]
}

const (
	kindUnknown int32 = iota
	kindValue
	kindHistogram
)

func kindOf(t model.MetricType) int32 {
	if store.IsHistogram(t) {
		return kindHistogram
	}
	return kindValue
}

type tenantMetric struct{ tenant, metric string }

// metricState returns the state of (tenant, name), creating an unresolved one. While a drop
// decides on the metric it waits for the verdict (forget.go): a state created meanwhile could
// write the metric's metadata just before the drop deletes it.
func (s *Store) metricState(tenant, name string) *metricState {
	k := tenantMetric{tenant, name}
	for {
		s.msMu.RLock()
		ms := s.states[k]
		s.msMu.RUnlock()
		if ms != nil {
			return ms
		}
		s.msMu.Lock()
		if ms = s.states[k]; ms != nil {
			s.msMu.Unlock()
			return ms
		}
		if v := s.pending[k]; v != nil {
			s.msMu.Unlock()
			<-v.done
			continue
		}
		ms = &metricState{tenant: strings.Clone(tenant), name: strings.Clone(name)}
		s.states[k] = ms
		s.msMu.Unlock()
		return ms
	}
}

// deletedUnder reports whether a drop deleted the metric of this state; wait: wait for a
// pending verdict (bounded by ctx).
func (ms *metricState) deletedUnder(ctx context.Context, wait bool) (bool, error) {
	v := ms.drop.Load()
	if v == nil {
		return false, nil
	}
	if !wait {
		_, deleted := v.settled()
		return deleted, nil
	}
	select {
	case <-v.done:
		return v.deleted, nil
	case <-ctx.Done():
		return false, fmt.Errorf("clickhouse: metric %q is being deleted and the request ended before it was decided (the points may be stored): %w", ms.name, ctx.Err())
	}
}

func (ms *metricState) isResolved() bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.resolved
}

// slotList returns the slot map the metric is written with (resolved).
func (ms *metricState) slotList() []string {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return ms.slots
}

// hotValues picks the slot values out of sorted labels ("" for a missing key).
func hotValues(slots []string, ls model.Labels) [MaxHotSlots]string {
	var d [MaxHotSlots]string
	for i, k := range slots {
		d[i], _ = ls.Get(k)
	}
	return d
}

// knownKind returns the metric's kind, asking the database the first time this process writes
// the metric. A metric without a row yet takes the kind of meta (its first point); a failed
// read answers kindUnknown, and Commit settles the kind (resolve) before anything is stored.
func (s *Store) knownKind(ms *metricState, meta model.MetricMeta) int32 {
	if k := ms.kind.Load(); k != kindUnknown {
		return k
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.o.DialTimeout)
	defer cancel()
	m, err := s.metricMeta(ctx, ms.tenant, ms.name)
	switch {
	case err == nil:
		ms.kind.CompareAndSwap(kindUnknown, kindOf(m.Type))
	case isNotFound(err):
		ms.kind.CompareAndSwap(kindUnknown, kindOf(meta.Type))
	default:
		s.o.Logger.Warn("clickhouse: reading a metric's type failed; checked at commit", zap.String("metric", ms.name), zap.Error(err))
		return kindUnknown
	}
	return ms.kind.Load()
}

// resolve makes the state usable for writes: it settles the slot map and writes the metric's
// metadata row once per process (again when a unit arrives later, as the Badger engine keeps
// the first unit seen). first is the labels of a point of the metric, used when the metric has
// no slot map yet.
func (s *Store) resolve(ctx context.Context, ms *metricState, meta model.MetricMeta, first model.Labels) error {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if !ms.resolved {
		slots, err := s.settleSlots(ctx, ms.tenant, ms.name, first)
		if err != nil {
			return err
		}
		if err := s.writeMetricRow(ctx, ms, meta); err != nil {
			return err
		}
		// the first row written wins: read back which one that is (another process may have
		// written the metric first, with the other kind)
		stored, err := s.metricMeta(ctx, ms.tenant, ms.name)
		if err != nil {
			return fmt.Errorf("clickhouse: read back metadata of metric %q: %w", ms.name, err)
		}
		ms.kind.Store(kindOf(stored.Type))
		ms.slots, ms.metaRow, ms.resolved = slots, meta, true
		return nil
	}
	if ms.metaRow.Unit == "" && meta.Unit != "" {
		m := ms.metaRow
		m.Unit = meta.Unit
		if err := s.writeMetricRow(ctx, ms, m); err != nil {
			return err
		}
		ms.metaRow = m
	}
	return nil
}

func (s *Store) writeMetricRow(ctx context.Context, ms *metricState, meta model.MetricMeta) error {
	err := insertRow(ctx, s.conn, s.t.metrics, "tenant, metric, type, unit, temporality, monotonic, first_seen_ms",
		ms.tenant, ms.name, meta.Type.String(), meta.Unit, temporalityName(meta.Temporality), boolByte(meta.Monotonic), s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("clickhouse: write metadata of metric %q: %w", ms.name, err)
	}
	return nil
}

// settleSlots returns the slot map this process writes (tenant, metric) with. Maps are never
// edited: a new choice is a new row of slot_maps, so rows written under any map stay readable.
// Configured keys win; otherwise the metric's preferred existing map (the oldest); otherwise the
// first MaxHotSlots keys of the first point, recorded and read back so that concurrent first
// writers in other processes converge on the oldest map.
func (s *Store) settleSlots(ctx context.Context, tenant, metric string, first model.Labels) ([]string, error) {
	maps, err := s.slotMaps(ctx, tenant, metric)
	if err != nil {
		return nil, err
	}
	if want, ok := s.o.HotDimensions[metric]; ok {
		if !slices.ContainsFunc(maps, func(m []string) bool { return slices.Equal(m, want) }) {
			if err := s.insertSlotMap(ctx, tenant, metric, want); err != nil {
				return nil, err
			}
		}
		return want, nil
	}
	if len(maps) > 0 {
		return maps[0], nil
	}
	var keys []string
	for _, l := range first {
		if len(keys) == MaxHotSlots {
			break
		}
		keys = append(keys, strings.Clone(l.Name))
	}
	if err := s.insertSlotMap(ctx, tenant, metric, keys); err != nil {
		return nil, err
	}
	if maps, err = s.slotMaps(ctx, tenant, metric); err != nil {
		return nil, err
	}
	if len(maps) == 0 {
		return nil, fmt.Errorf("clickhouse: slot map of metric %q not readable after insert", metric)
	}
	return maps[0], nil
}

func (s *Store) insertSlotMap(ctx context.Context, tenant, metric string, keys []string) error {
	if err := insertRow(ctx, s.conn, s.t.slotMaps, "tenant, metric, slots, created_ms", tenant, metric, keys, s.now().UnixMilli()); err != nil {
		return fmt.Errorf("clickhouse: record slot map %v of metric %q: %w", keys, metric, err)
	}
	return nil
}

// slotMaps returns every slot map of a metric, the preferred (oldest) first.
func (s *Store) slotMaps(ctx context.Context, tenant, metric string) ([][]string, error) {
	rows, err := s.conn.Query(ctx, fmt.Sprintf("SELECT slots, min(created_ms) AS c FROM %s WHERE tenant = %s AND metric = %s GROUP BY slots ORDER BY c",
		s.t.slotMaps, quote(tenant), quote(metric)))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read slot maps of metric %q: %w", metric, err)
	}
	defer rows.Close()
	var rs []slotMapRow
	for rows.Next() {
		var r slotMapRow
		if err := rows.Scan(&r.slots, &r.c); err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return sortSlotMaps(rs), nil
}

// slotMapRow is one slot map of a metric and its first creation time.
type slotMapRow struct {
	slots []string
	c     int64
}

// sortSlotMaps orders a metric's slot maps by creation, as every process must see them.
func sortSlotMaps(rs []slotMapRow) [][]string {
	// equal creation times (two processes in the same millisecond): order by the keys so that
	// every process prefers the same map
	slices.SortStableFunc(rs, func(a, b slotMapRow) int {
		if a.c != b.c {
			return cmp.Compare(a.c, b.c)
		}
		return slices.Compare(a.slots, b.slots)
	})
	out := make([][]string, len(rs))
	for i, r := range rs {
		out[i] = r.slots
	}
	return out
}

func temporalityName(t model.Temporality) string {
	switch t {
	case model.TemporalityCumulative:
		return "cumulative"
	case model.TemporalityDelta:
		return "delta"
	}
	return ""
}

func parseTemporality(s string) model.Temporality {
	switch s {
	case "cumulative":
		return model.TemporalityCumulative
	case "delta":
		return model.TemporalityDelta
	}
	return model.TemporalityUnspecified
}
