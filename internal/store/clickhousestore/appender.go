package clickhousestore

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/seriesindex"
	"github.com/luminate-metrics/luminate/internal/store"
)

// maxTimestampMs is the last millisecond a DateTime (UInt32 seconds) can hold.
const maxTimestampMs = (1<<32 - 1) * 1000

// appender collects one request's points. Append hashes the labels to the series id and keeps
// their canonical encoding (a few dozen bytes in one arena); Commit looks every series up in the
// series cache at once, shard by shard, which lets the memory reads of a large commit overlap
// instead of waiting for each other behind one lock per point (the lookup is a cache miss at 1M
// series). Only the labels of series whose row is not stored yet are decoded, for their row.
type appender struct {
	s      *Store
	tenant string
	buf    []byte
	cache  *seriesCache // the writer epoch of this commit (fixed at the first point)
	metric []appMetric  // metrics of this commit; points refer to them by index
	last   int          // index of the metric of the previous point
	pts    []pendingPoint
	ptsBox *[]pendingPoint // pts' pool entry
	hists  []*model.Histogram
	arena  []byte // canonical label encodings of the points, back to back

	lw appLimits // cardinality limits (applimits.go)
}

type appMetric struct {
	ms   *metricState
	mc   *metricCache
	meta model.MetricMeta // of the first point: what resolve records for a new metric
}

// pendingPoint is one appended point. It holds no pointers (the histogram, if any, is
// hists[hist]; the labels are arena[lab:lab+labLen]), so a large commit costs the garbage
// collector nothing to scan.
type pendingPoint struct {
	sid    uint64
	t      int64
	start  int64
	v      float64
	lab    uint32
	labLen uint32
	hot    [MaxHotSlots]uint32 // interned hot values, when the series row is stored
	fresh  int32               // index into the commit's new series, or -1 when hot is set
	hist   int32               // index into hists, or -1 for a value point
	metric uint16
	// rewrite: the series already had a point at or after t in this writer epoch, so this
	// point may overwrite a stored one (recorded in the rewrites table)
	rewrite bool
}

// newSeries is a series whose row this epoch has not stored yet.
type newSeries struct {
	metric uint16
	sid    uint64
	labels model.Labels // strings point into the arena
	hot    [MaxHotSlots]string
	hotIDs [MaxHotSlots]uint32
}

type seriesRef struct {
	metric uint16
	sid    uint64
}

// Appender implements store.Store.
func (s *Store) Appender(tenant string) store.Appender {
	return &appender{s: s, tenant: tenant, last: -1}
}

var _ store.PointAppender = (*appender)(nil)

func (a *appender) Append(metric string, meta model.MetricMeta, ls model.Labels, t int64, v float64) error {
	return a.AppendPoint(metric, meta, ls, model.Point{T: t, V: v})
}

// AppendPoint implements store.PointAppender: values with start times, and histograms.
func (a *appender) AppendPoint(metric string, meta model.MetricMeta, ls model.Labels, p model.Point) error {
	if p.T < 0 || p.T > maxTimestampMs {
		return apierror.New(apierror.InvalidRequest, "timestamp %d ms is outside what the ClickHouse engine stores (0 to %d, DateTime seconds)", p.T, int64(maxTimestampMs))
	}
	var sid uint64
	sid, a.buf = seriesindex.SeriesID(metric, ls, a.buf)
	// limits first: a refused point must not leave its metric in the commit (it would be
	// created without a series)
	isNew, err := a.admit(metric, sid)
	if err != nil {
		return err
	}
	mi, err := a.metricIndex(metric, meta)
	if err != nil {
		a.unadmit(isNew)
		return err
	}
	// one metric name, one kind of data (as every engine): checked against the metric's type as
	// stored, or against its first point when it is new
	if k := a.s.knownKind(a.metric[mi].ms, meta); k != kindUnknown && (k == kindHistogram) != (p.Hist != nil) {
		a.unadmit(isNew)
		return store.KindConflict(metric, kindType(k, meta), p.Hist != nil)
	}
	// buf is uvarint(len(metric)), metric, canonical labels: keep the labels
	_, k := binary.Uvarint(a.buf)
	lab := a.buf[k+len(metric):]
	if a.pts == nil {
		// sized like the previous commit: growing both by doubling was a tenth of the garbage
		a.ptsBox = ptsPool.Get().(*[]pendingPoint)
		a.pts = (*a.ptsBox)[:0]
		a.arena = make([]byte, 0, arenaHint.Load())
	}
	pp := pendingPoint{sid: sid, t: p.T, start: p.Start, v: p.V, lab: uint32(len(a.arena)), labLen: uint32(len(lab)), fresh: -1, hist: -1, metric: uint16(mi)}
	a.arena = append(a.arena, lab...)
	if p.Hist != nil {
		pp.hist = int32(len(a.hists))
		a.hists = append(a.hists, p.Hist.Clone()) // the caller may reuse its histogram
	}
	a.pts = append(a.pts, pp)
	return nil
}

// kindType names the stored kind in a KindConflict error.
func kindType(k int32, meta model.MetricMeta) model.MetricType {
	if (k == kindHistogram) == store.IsHistogram(meta.Type) {
		return meta.Type
	}
	if k == kindHistogram {
		return model.TypeHistogram
	}
	return model.TypeGauge
}

// metricIndex returns the index of the metric in a.metric, adding it (and fixing the writer
// epoch at the first point). There are at most 65536 metrics per commit.
func (a *appender) metricIndex(name string, meta model.MetricMeta) (int, error) {
	if a.last >= 0 && a.metric[a.last].ms.name == name {
		return a.last, nil
	}
	for i := range a.metric {
		if a.metric[i].ms.name == name {
			a.last = i
			return i, nil
		}
	}
	if len(a.metric) == 1<<16 {
		return 0, apierror.New(apierror.InvalidRequest, "more than %d metric names in one write", 1<<16)
	}
	// the state first: it may wait for a drop, which starts a new epoch
	ms := a.s.metricState(a.tenant, name)
	if a.cache == nil {
		a.cache = a.s.currentCache()
	}
	a.metric = append(a.metric, appMetric{ms: ms, mc: a.cache.metric(ms), meta: meta})
	a.last = len(a.metric) - 1
	return a.last, nil
}

// labels decodes a point's canonical labels; the strings point into the arena.
func (a *appender) labels(p *pendingPoint) model.Labels {
	b := a.arena[p.lab : p.lab+p.labLen]
	n, k := binary.Uvarint(b)
	b = b[k:]
	ls := make(model.Labels, n)
	next := func() string {
		l, k := binary.Uvarint(b)
		s := b[k : k+int(l)]
		b = b[k+int(l):]
		if len(s) == 0 {
			return ""
		}
		return unsafe.String(&s[0], len(s))
	}
	for i := range ls {
		ls[i].Name = next()
		ls[i].Value = next()
	}
	return ls
}

func (a *appender) Commit(ctx context.Context) error {
	defer a.Rollback()
	if len(a.pts) == 0 {
		return nil
	}
	// a metric deleted since Append: nothing is stored, the retry writes it again
	if err := a.checkDeleted(ctx, false); err != nil {
		return err
	}
	fresh, rewrites := a.lookup()
	a.countReserved(fresh)
	// metrics first written by this process: slot map, metadata row, kind as stored
	for i := range a.metric {
		am := &a.metric[i]
		if !am.ms.isResolved() {
			var first model.Labels
			for j := range fresh {
				if int(fresh[j].metric) == i {
					first = fresh[j].labels
					break
				}
			}
			if err := a.s.resolve(ctx, am.ms, am.meta, first); err != nil {
				return err
			}
		}
	}
	for i := range a.pts {
		p := &a.pts[i]
		if k := a.metric[p.metric].ms.kind.Load(); (k == kindHistogram) != (p.hist >= 0) {
			// the metric was created with the other kind meanwhile (by another process, or while
			// the database was unreachable at Append); a retry refuses the point at Append
			am := &a.metric[p.metric]
			return fmt.Errorf("clickhouse: nothing stored: %w", store.KindConflict(am.ms.name, kindType(k, am.meta), p.hist >= 0))
		}
	}
	b := getBatch()
	defer putBatch(b) // the committer copies the rows
	now := a.s.now().Unix()
	slotsOf := make([]string, len(a.metric)) // per metric: its slot map as the series table stores it
	var keys []string                        // the previous series' keys, shared while they repeat
	for i := range fresh {
		ns := &fresh[i]
		am := &a.metric[ns.metric]
		// a unit that arrives after the metric's first point fills an empty one
		if err := a.s.resolve(ctx, am.ms, am.meta, ns.labels); err != nil {
			return err
		}
		slots := am.ms.slotList()
		if slotsOf[ns.metric] == "" {
			slotsOf[ns.metric] = joinSlots(slots)
		}
		ns.hot = hotValues(slots, ns.labels)
		ns.hotIDs = am.mc.intern(&ns.hot)
		keys = b.series.add(am.ms.tenant, am.ms.name, ns.sid, &ns.hot, slots, slotsOf[ns.metric], ns.labels, keys, now)
	}
	tables := make([][]string, len(a.metric))
	for i := range a.metric {
		tables[i] = a.metric[i].mc.strings()
	}
	pts := a.pts
	if rewrites {
		pts = dedupLastWins(pts)
	}
	b.samples.grow(len(pts) - len(a.hists))
	for _, p := range pts {
		am := &a.metric[p.metric]
		var hot [MaxHotSlots]string
		if p.fresh >= 0 {
			hot = fresh[p.fresh].hot
		} else {
			vals := tables[p.metric]
			hot = [MaxHotSlots]string{vals[p.hot[0]], vals[p.hot[1]], vals[p.hot[2]]}
		}
		if p.hist >= 0 {
			b.hists.add(am.ms.tenant, am.ms.name, &hot, p.sid, p.t, p.start, a.hists[p.hist])
			continue
		}
		b.samples.add(am.ms.tenant, am.ms.name, &hot, p.sid, p.t, p.start, p.v)
		if p.rewrite {
			b.rewrites.add(am.ms.tenant, am.ms.name, p.sid, p.t)
		}
	}
	if err := a.s.com.commit(ctx, a.cache, b); err != nil {
		return err
	}
	// a drop of a metric of this commit may have checked for points before they were stored
	if err := a.checkDeleted(ctx, true); err != nil {
		return err
	}
	a.lw.admitted = nil // stored: they count
	// the new series' rows are stored: later points of them skip the labels
	byMetric := make([]struct {
		sids []uint64
		hot  [][MaxHotSlots]uint32
	}, len(a.metric))
	for i := range fresh {
		ns := &fresh[i]
		m := &byMetric[ns.metric]
		m.sids = append(m.sids, ns.sid)
		m.hot = append(m.hot, ns.hotIDs)
	}
	for i := range byMetric {
		if len(byMetric[i].sids) > 0 {
			a.metric[i].mc.setHot(byMetric[i].sids, byMetric[i].hot)
		}
	}
	return nil
}

// checkDeleted returns store.ErrMetricDeleted when a drop deleted a metric of this commit; wait:
// wait for drops still deciding.
func (a *appender) checkDeleted(ctx context.Context, wait bool) error {
	for i := range a.metric {
		deleted, err := a.metric[i].ms.deletedUnder(ctx, wait)
		if err != nil {
			return err
		}
		if deleted {
			return store.ErrMetricDeleted
		}
	}
	return nil
}

// lookup records every point in the series cache, one shard lock at a time, and sets each
// point's hot values (series with a stored row), or its new series (decoded labels), and its
// rewrite flag. Points keep their order within a series, so of two points of one series and
// timestamp in this commit the later is the rewrite. rewrites reports whether any point is one.
func (a *appender) lookup() (fresh []newSeries, rewrites bool) {
	// counting sort of the point indexes by (metric, shard), stable
	nb := len(a.metric) * cacheShards
	start := make([]int32, nb+1)
	for i := range a.pts {
		start[int(a.pts[i].metric)*cacheShards+int(a.pts[i].sid%cacheShards)+1]++
	}
	for b := 1; b <= nb; b++ {
		start[b] += start[b-1]
	}
	order := make([]int32, len(a.pts))
	next := append([]int32(nil), start[:nb]...)
	for i := range a.pts {
		b := int(a.pts[i].metric)*cacheShards + int(a.pts[i].sid%cacheShards)
		order[next[b]] = int32(i)
		next[b]++
	}
	var freshI map[seriesRef]int32
	for b := range nb {
		if start[b] == start[b+1] {
			continue
		}
		mc := a.metric[b/cacheShards].mc
		mc.lockShard(b % cacheShards)
		added := 0
		for _, i := range order[start[b]:start[b+1]] {
			p := &a.pts[i]
			before, known := mc.touchLocked(p.sid, p.t)
			if !known {
				added++
			}
			p.rewrite = known && p.t <= before.maxT
			rewrites = rewrites || p.rewrite
			if known && before.flags&entryStored != 0 {
				p.hot = before.hot
				continue
			}
			ref := seriesRef{p.metric, p.sid}
			f, ok := freshI[ref]
			if !ok {
				if freshI == nil {
					freshI = map[seriesRef]int32{}
				}
				f = int32(len(fresh))
				freshI[ref] = f
				fresh = append(fresh, newSeries{metric: p.metric, sid: p.sid, labels: a.labels(p)})
			}
			p.fresh = f
		}
		mc.unlockShard(b % cacheShards)
		mc.owner.entries.Add(int64(added))
	}
	return fresh, rewrites
}

func (a *appender) Rollback() {
	a.rollbackLimits()
	if a.ptsBox != nil && cap(a.pts) <= 1<<20 {
		*a.ptsBox = a.pts[:0] // nothing refers to the points after Commit (rows hold copies)
		ptsPool.Put(a.ptsBox)
		arenaHint.Store(int64(len(a.arena)))
	}
	a.ptsBox, a.pts, a.hists, a.metric, a.last, a.cache, a.arena = nil, nil, nil, nil, -1, nil, nil
}

var (
	ptsPool   = sync.Pool{New: func() any { return new([]pendingPoint) }}
	arenaHint atomic.Int64
)

// dedupLastWins drops every point that a later point of the same series and timestamp in the
// same request overwrites: all rows of one commit share a version, so the read side could not
// tell them apart. Only commits with a possible rewrite can repeat a timestamp.
func dedupLastWins(pts []pendingPoint) []pendingPoint {
	type key struct {
		metric uint16
		sid    uint64
		t      int64
	}
	seen := make(map[key]int, len(pts))
	dup := false
	for i, p := range pts {
		k := key{p.metric, p.sid, p.t}
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
		if seen[key{p.metric, p.sid, p.t}] == i {
			out = append(out, p)
		}
	}
	return out
}
