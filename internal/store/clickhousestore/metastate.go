package clickhousestore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/luminate-metrics/luminate/internal/model"
)

// metricState is what this process knows about one (tenant, metric) on the write side: the slot
// map it writes with, whether it wrote the metric's metadata row, and which series ids it has
// already written to the series table (with their hot values, so a known series' point costs
// one map read).
type metricState struct {
	tenant, name string

	mu       sync.Mutex // held while resolving with the database
	resolved bool
	slots    []string // keys stored in d1..d3, in slot order
	metaRow  model.MetricMeta

	kmu   sync.RWMutex
	known map[uint64]*[MaxHotSlots]string
}

type tenantMetric struct{ tenant, metric string }

// metricState returns the state of (tenant, name), creating an unresolved one.
func (s *Store) metricState(tenant, name string) *metricState {
	k := tenantMetric{tenant, name}
	s.msMu.RLock()
	ms := s.states[k]
	s.msMu.RUnlock()
	if ms != nil {
		return ms
	}
	s.msMu.Lock()
	defer s.msMu.Unlock()
	if ms = s.states[k]; ms == nil {
		ms = &metricState{tenant: strings.Clone(tenant), name: strings.Clone(name), known: map[uint64]*[MaxHotSlots]string{}}
		s.states[k] = ms
	}
	return ms
}

// lookup returns the hot values of a series this process already wrote.
func (ms *metricState) lookup(sid uint64) (*[MaxHotSlots]string, bool) {
	ms.kmu.RLock()
	d, ok := ms.known[sid]
	ms.kmu.RUnlock()
	return d, ok
}

// remember marks series as written. Past limit entries the cache starts over: forgetting only
// means writing a series row again, which the ReplacingMergeTree absorbs.
func (ms *metricState) remember(sids []uint64, hot []*[MaxHotSlots]string, limit int) {
	ms.kmu.Lock()
	if len(ms.known)+len(sids) > limit {
		ms.known = make(map[uint64]*[MaxHotSlots]string, len(sids))
	}
	for i, sid := range sids {
		ms.known[sid] = hot[i]
	}
	ms.kmu.Unlock()
}

// hotValues picks the slot values out of sorted labels ("" for a missing key).
func (ms *metricState) hotValues(ls model.Labels) *[MaxHotSlots]string {
	var d [MaxHotSlots]string
	for i, k := range ms.slots {
		d[i], _ = ls.Get(k)
	}
	return &d
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
	type row struct {
		slots []string
		c     int64
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.slots, &r.c); err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// equal creation times (two processes in the same millisecond): order by the keys so that
	// every process prefers the same map
	slices.SortStableFunc(rs, func(a, b row) int {
		if a.c != b.c {
			return cmp.Compare(a.c, b.c)
		}
		return slices.Compare(a.slots, b.slots)
	})
	out := make([][]string, len(rs))
	for i, r := range rs {
		out[i] = r.slots
	}
	return out, nil
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
