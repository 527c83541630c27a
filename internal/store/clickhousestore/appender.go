package clickhousestore

import (
	"context"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/seriesindex"
	"github.com/luminate-metrics/luminate/internal/store"
)

// maxTimestampMs is the last millisecond a DateTime (UInt32 seconds) can hold.
const maxTimestampMs = (1<<32 - 1) * 1000

// appender collects one request's points. A point of a series this process already wrote costs
// a hash and a map read; a new series also keeps a copy of its labels for the series row.
type appender struct {
	s      *Store
	tenant string
	buf    []byte
	last   *metricState
	pts    []pendingPoint
	fresh  []newSeries
	freshI map[seriesRef]int32
}

type pendingPoint struct {
	ms    *metricState
	sid   uint64
	hot   *[MaxHotSlots]string // nil: take it from fresh[fresh]
	fresh int32
	t     int64
	v     float64
}

// newSeries is a series this process has not written to the series table yet.
type newSeries struct {
	ms     *metricState
	sid    uint64
	labels model.Labels
	meta   model.MetricMeta
	hot    *[MaxHotSlots]string
}

type seriesRef struct {
	ms  *metricState
	sid uint64
}

// Appender implements store.Store.
func (s *Store) Appender(tenant string) store.Appender { return &appender{s: s, tenant: tenant} }

func (a *appender) Append(metric string, meta model.MetricMeta, ls model.Labels, t int64, v float64) error {
	if t < 0 || t > maxTimestampMs {
		return apierror.New(apierror.InvalidRequest, "timestamp %d ms is outside what the ClickHouse engine stores (0 to %d, DateTime seconds)", t, int64(maxTimestampMs))
	}
	ms := a.last
	if ms == nil || ms.name != metric {
		ms = a.s.metricState(a.tenant, metric)
		a.last = ms
	}
	var sid uint64
	sid, a.buf = seriesindex.SeriesID(metric, ls, a.buf)
	if hot, ok := ms.lookup(sid); ok {
		a.pts = append(a.pts, pendingPoint{ms: ms, sid: sid, hot: hot, t: t, v: v})
		return nil
	}
	ref := seriesRef{ms, sid}
	i, ok := a.freshI[ref]
	if !ok {
		if a.freshI == nil {
			a.freshI = map[seriesRef]int32{}
		}
		i = int32(len(a.fresh))
		a.freshI[ref] = i
		a.fresh = append(a.fresh, newSeries{ms: ms, sid: sid, labels: ls.Copy(), meta: meta})
	}
	a.pts = append(a.pts, pendingPoint{ms: ms, sid: sid, fresh: i, t: t, v: v})
	return nil
}

func (a *appender) Commit(ctx context.Context) error {
	defer a.Rollback()
	if len(a.pts) == 0 {
		return nil
	}
	// new series: settle their metric's slot map, then their hot values
	var rows seriesRows
	for i := range a.fresh {
		ns := &a.fresh[i]
		if err := a.s.resolve(ctx, ns.ms, ns.meta, ns.labels); err != nil {
			return err
		}
		if hot, ok := ns.ms.lookup(ns.sid); ok {
			ns.hot = hot // another request wrote it meanwhile
			continue
		}
		ns.hot = ns.ms.hotValues(ns.labels)
		rows.add(ns, a.s.now().Unix())
	}
	b := &commitBatch{series: rows}
	for _, p := range dedupLastWins(a.pts) {
		hot := p.hot
		if hot == nil {
			hot = a.fresh[p.fresh].hot
		}
		b.samples.add(p.ms.tenant, p.ms.name, hot, p.sid, p.t, p.v, 0) // the committer sets ver
	}
	if err := a.s.com.commit(ctx, b); err != nil {
		return err
	}
	a.rememberFresh()
	return nil
}

// rememberFresh records the new series as written, grouped by metric.
func (a *appender) rememberFresh() {
	byMetric := map[*metricState][]int{}
	for i := range a.fresh {
		byMetric[a.fresh[i].ms] = append(byMetric[a.fresh[i].ms], i)
	}
	for ms, idx := range byMetric {
		sids := make([]uint64, len(idx))
		hot := make([]*[MaxHotSlots]string, len(idx))
		for j, i := range idx {
			sids[j], hot[j] = a.fresh[i].sid, a.fresh[i].hot
		}
		ms.remember(sids, hot, a.s.o.SeriesCacheSize)
	}
}

func (a *appender) Rollback() {
	a.pts, a.fresh, a.freshI, a.last = nil, nil, nil, nil
}

// dedupLastWins drops every point that a later point of the same series and timestamp in the
// same request overwrites: all rows of one commit share a version, so the read side could not
// tell them apart. Requests rarely repeat a timestamp: the input is returned as is then.
func dedupLastWins(pts []pendingPoint) []pendingPoint {
	type key struct {
		ms  *metricState
		sid uint64
		t   int64
	}
	seen := make(map[key]int, len(pts))
	dup := false
	for i, p := range pts {
		k := key{p.ms, p.sid, p.t}
		if _, ok := seen[k]; ok {
			dup = true
		}
		seen[k] = i
	}
	if !dup {
		return pts
	}
	out := pts[:0:0]
	for i, p := range pts {
		if seen[key{p.ms, p.sid, p.t}] == i {
			out = append(out, p)
		}
	}
	return out
}
