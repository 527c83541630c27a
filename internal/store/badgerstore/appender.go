package badgerstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/histblock"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/sampleblock"
	"github.com/luminate-metrics/luminate/internal/seriesindex"
	"github.com/luminate-metrics/luminate/internal/store"
)

type appender struct {
	s          *Store
	tenantName string
	tenant     *seriesindex.Tenant
	limits     *limits.Values // the tenant's limits, fetched when the first series is created

	lastName string
	lastIdx  int
	metrics  []*seriesindex.Metric
	pts      []pendingPoint
	newSIDs  map[seriesRef]struct{}
	written  []chunkHour // blocks of this commit, for the compactor
	hashBuf  []byte
}

type pendingPoint struct {
	metric int // index in appender.metrics
	sid    uint32
	t      int64
	v      float64
	start  int64
	hist   *model.Histogram // nil for a value point
}

type seriesRef struct {
	metric int
	sid    uint32
}

// Appender implements store.Store.
func (s *Store) Appender(tenant string) store.Appender {
	return &appender{s: s, tenantName: tenant, lastIdx: -1}
}

func (a *appender) Append(name string, meta model.MetricMeta, ls model.Labels, t int64, v float64) error {
	return a.AppendPoint(name, meta, ls, model.Point{T: t, V: v})
}

// AppendPoint implements store.PointAppender: values with start times, and histograms.
func (a *appender) AppendPoint(name string, meta model.MetricMeta, ls model.Labels, p model.Point) error {
	if p.T < 0 || p.T > maxStorableT {
		return apierror.New(apierror.InvalidRequest, "timestamp %d ms is outside the storable range [0, %d]", p.T, int64(maxStorableT))
	}
	if p.Hist == nil && (math.IsNaN(p.V) || math.IsInf(p.V, 0)) {
		return apierror.New(apierror.InvalidRequest, "value %v is not a finite number", p.V)
	}
	mi, err := a.metricIndex(name, meta)
	if err != nil {
		return err
	}
	m := a.metrics[mi]
	if mt := m.Meta().Type; store.IsHistogram(mt) != (p.Hist != nil) {
		return store.KindConflict(name, mt, p.Hist != nil)
	}
	var key seriesindex.Key
	key, a.hashBuf = seriesindex.HashLabels(ls, a.hashBuf)
	sid, pending, ok := m.Lookup(key)
	if !ok {
		lim := a.tenantLimits()
		sid, pending, err = m.Create(key, ls, seriesindex.Limits{
			SeriesPerMetric: lim.Int(limits.MaxSeriesPerMetric),
			SeriesPerTenant: lim.Int(limits.MaxSeriesPerTenant),
		})
		if err != nil {
			return limitError(err, a.tenantName)
		}
	}
	if pending {
		if a.newSIDs == nil {
			a.newSIDs = map[seriesRef]struct{}{}
		}
		a.newSIDs[seriesRef{mi, sid}] = struct{}{}
	}
	pp := pendingPoint{metric: mi, sid: sid, t: p.T, v: p.V, start: p.Start}
	if p.Hist != nil {
		pp.hist = p.Hist.Clone() // the caller may reuse its histogram
	}
	a.pts = append(a.pts, pp)
	return nil
}

func (a *appender) metricIndex(name string, meta model.MetricMeta) (int, error) {
	if a.lastIdx >= 0 && name == a.lastName {
		return a.lastIdx, nil
	}
	if a.tenant == nil {
		a.tenant = a.s.idx.GetOrCreateTenant(a.tenantName)
	}
	m := a.tenant.Metric(name)
	if m == nil {
		// A new metric is created only for a series that may be created: a tenant at its
		// series limit must not collect empty metrics from refused writes.
		lim := a.tenantLimits()
		if max := lim.Int(limits.MaxSeriesPerTenant); max > 0 && a.tenant.SeriesCount() >= max {
			return 0, store.CardinalityError(limits.MaxSeriesPerTenant, max, a.tenantName)
		}
		var err error
		if m, err = a.tenant.GetOrCreateMetricLimited(name, meta, lim.Int(limits.MaxMetricsPerTenant)); err != nil {
			return 0, limitError(err, a.tenantName)
		}
	}
	if old := m.Meta(); old.Unit == "" && meta.Unit != "" {
		// The first writer may not have known the unit (JSON writes carry none).
		old.Unit = meta.Unit
		m.SetMeta(old)
	}
	i := slices.Index(a.metrics, m)
	if i < 0 {
		i = len(a.metrics)
		a.metrics = append(a.metrics, m)
	}
	a.lastName, a.lastIdx = m.Name, i
	return i, nil
}

// tenantLimits returns the tenant's limits (no limits without a LimitsFunc), fetched once per
// appender: only writes that create series or metrics need them.
func (a *appender) tenantLimits() *limits.Values {
	if a.limits == nil {
		a.limits = new(limits.Values)
		if f := a.s.limitsFunc(); f != nil {
			*a.limits = f(a.tenantName)
		}
	}
	return a.limits
}

// limitError turns a refusal of the series index into the API's CARDINALITY_EXCEEDED error.
func limitError(err error, tenant string) error {
	var le *seriesindex.LimitError
	if !errors.As(err, &le) {
		return err
	}
	id := limits.MaxSeriesPerTenant
	switch le.Limit {
	case seriesindex.LimitSeriesPerMetric:
		id = limits.MaxSeriesPerMetric
	case seriesindex.LimitMetricsPerTenant:
		id = limits.MaxMetricsPerTenant
	}
	return store.CardinalityError(id, le.Max, tenant)
}

func (a *appender) Rollback() { a.pts, a.newSIDs, a.written = nil, nil, nil }

// Commit writes records that are not yet durable and one block per (metric, chunk, hour) in one
// Badger transaction (split only if Badger refuses it as too big, records first), and returns
// after the fsync.
func (a *appender) Commit(ctx context.Context) error {
	defer a.Rollback()
	if len(a.pts) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// An admin delete that drops a metric holds dropMu exclusively; a commit holds it shared,
	// so it never writes blocks of a metric whose records are being deleted.
	a.s.dropMu.RLock()
	defer a.s.dropMu.RUnlock()
	for _, m := range a.metrics {
		if m.Dropped() {
			return store.ErrMetricDeleted
		}
	}
	w := &txnWriter{db: a.s.db, txn: a.s.db.NewTransaction(true)}
	defer func() { w.txn.Discard() }()
	if err := a.writeRecords(w); err != nil {
		return err
	}
	if err := a.writeBlocks(w); err != nil {
		return err
	}
	if err := w.commit(); err != nil {
		return fmt.Errorf("badgerstore: commit %d points: %w", len(a.pts), err)
	}
	a.markDurable()
	now := time.Now()
	for _, ch := range a.written {
		a.s.compactor.noteWrite(ch, now)
	}
	return nil
}

func (a *appender) writeRecords(w *txnWriter) error {
	if !a.tenant.Durable() {
		w.set(tenantKey(a.tenant.Name), beUint32(a.tenant.ID))
	}
	for _, m := range a.metrics {
		if !m.Durable() {
			w.set(metricKey(a.tenant.ID, m.Name), encodeMetricRecord(m.ID, m.Meta()))
		}
	}
	if len(a.newSIDs) == 0 {
		return w.err
	}
	byMetric := map[int][]seriesRecord{}
	for ref := range a.newSIDs {
		byMetric[ref.metric] = append(byMetric[ref.metric], seriesRecord{sid: ref.sid, labels: a.metrics[ref.metric].Labels(ref.sid)})
	}
	seq, err := a.s.nextSeqs(len(byMetric))
	if err != nil {
		return err
	}
	for mi, recs := range byMetric {
		slices.SortFunc(recs, func(x, y seriesRecord) int { return cmp.Compare(x.sid, y.sid) })
		w.set(seriesBlockKey(a.tenant.ID, a.metrics[mi].ID, seq), encodeSeriesBlock(recs))
		seq++
	}
	return w.err
}

func (a *appender) markDurable() {
	a.tenant.MarkDurable()
	for _, m := range a.metrics {
		m.MarkDurable()
	}
	bySeries := map[int][]uint32{}
	for ref := range a.newSIDs {
		bySeries[ref.metric] = append(bySeries[ref.metric], ref.sid)
	}
	for mi, sids := range bySeries {
		a.metrics[mi].MarkSeriesDurable(sids)
	}
}

func (a *appender) writeBlocks(w *txnWriter) error {
	pts := a.pts
	slices.SortStableFunc(pts, func(x, y pendingPoint) int {
		return cmp.Or(
			cmp.Compare(x.metric, y.metric), // a metric has one kind: values or histograms
			cmp.Compare(x.sid>>chunkBits, y.sid>>chunkBits),
			cmp.Compare(bucketOf(x.t), bucketOf(y.t)),
			cmp.Compare(x.sid, y.sid),
			cmp.Compare(x.t, y.t))
	})
	pts = dedupe(pts)
	nBlocks := 0
	for i := range pts {
		if i == 0 || !sameBlock(pts[i-1], pts[i]) {
			nBlocks++
		}
	}
	seq, err := a.s.nextSeqs(nBlocks)
	if err != nil {
		return err
	}
	var block []sampleblock.Point
	var scratch []byte
	for i := 0; i < len(pts); {
		j := i + 1
		for j < len(pts) && sameBlock(pts[i], pts[j]) {
			j++
		}
		p := pts[i]
		ch := chunkHour{pfx: pfxBlock, tenant: a.tenant.ID, metric: a.metrics[p.metric].ID, chunk: p.sid >> chunkBits, bucket: bucketOf(p.t)}
		var val []byte
		if p.hist != nil {
			ch.pfx = pfxHistBlock
			hb := make([]histblock.Point, 0, j-i)
			for _, p := range pts[i:j] {
				hb = append(hb, histblock.Point{SID: p.sid & (chunkSize - 1), T: p.t, Start: p.start, H: p.hist})
			}
			val = histblock.Marshal(nil, hb)
		} else {
			block = block[:0]
			for _, p := range pts[i:j] {
				block = append(block, sampleblock.Point{SID: p.sid & (chunkSize - 1), T: p.t, V: p.v, Start: p.start})
			}
			val, scratch = sampleblock.Marshal(nil, block, scratch)
		}
		a.written = append(a.written, ch)
		key := appendBlockKeyKind(make([]byte, 0, blockKeyLen), ch.pfx, ch.tenant, ch.metric, ch.chunk, ch.bucket, seq)
		seq++
		w.set(key, val)
		i = j
	}
	return w.err
}

// dedupe keeps the last written of points with the same series and timestamp (the sort is stable,
// so the last of a run of equals is the latest Append).
func dedupe(pts []pendingPoint) []pendingPoint {
	out := pts[:0]
	for i, p := range pts {
		if i+1 < len(pts) && pts[i+1].metric == p.metric && pts[i+1].sid == p.sid && pts[i+1].t == p.t {
			continue
		}
		out = append(out, p)
	}
	return out
}

func sameBlock(x, y pendingPoint) bool {
	return x.metric == y.metric && x.sid>>chunkBits == y.sid>>chunkBits && bucketOf(x.t) == bucketOf(y.t)
}

// txnWriter sets keys in a transaction, committing and starting a new one when Badger says the
// transaction is too big. Order is kept, so records always land before the blocks that need them.
type txnWriter struct {
	db  *badger.DB
	txn *badger.Txn
	err error
}

func (w *txnWriter) set(k, v []byte) {
	if w.err != nil {
		return
	}
	err := w.txn.Set(k, v)
	if errors.Is(err, badger.ErrTxnTooBig) {
		if err = w.txn.Commit(); err == nil {
			w.txn = w.db.NewTransaction(true)
			err = w.txn.Set(k, v)
		}
	}
	w.err = err
}

// delete deletes a key, splitting the transaction like set.
func (w *txnWriter) delete(k []byte) {
	if w.err != nil {
		return
	}
	err := w.txn.Delete(k)
	if errors.Is(err, badger.ErrTxnTooBig) {
		if err = w.txn.Commit(); err == nil {
			w.txn = w.db.NewTransaction(true)
			err = w.txn.Delete(k)
		}
	}
	w.err = err
}

func (w *txnWriter) commit() error {
	if w.err != nil {
		return w.err
	}
	return w.txn.Commit()
}

func beUint32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }
