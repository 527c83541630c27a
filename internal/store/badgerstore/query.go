package badgerstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/sampleblock"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Query implements store.Store: plan from the index, then workers scan candidate chunks and fold
// each series' time-ordered run into per-worker evaluators, merged at the end.
func (s *Store) Query(ctx context.Context, q *store.Query) (*store.Result, error) {
	m, err := s.metric(q.Tenant, q.Metric)
	if err != nil {
		return nil, err
	}
	p := makePlan(m, q)
	if q.MaxSeries > 0 && p.matched > q.MaxSeries {
		return nil, apierror.New(apierror.QueryTooLarge,
			"query matches %d series, more than the maximum of %d (query.max_series); add filters", p.matched, q.MaxSeries)
	}
	sc := &scan{s: s, q: q, p: p, tenantID: s.idx.Tenant(q.Tenant).ID, metricID: m.ID}
	meta := m.Meta()
	if store.IsHistogram(meta.Type) {
		return sc.queryHistograms(ctx, meta)
	}
	if q.Kind == store.KindRange && q.Interval == 0 {
		return sc.raw(ctx)
	}
	workers := make([]*evaluator, min(s.workers, max(1, len(p.chunks))))
	for i := range workers {
		if workers[i], err = newEvaluator(q, meta, len(p.keys)); err != nil {
			return nil, err
		}
	}
	err = sc.run(ctx, len(workers), func(w int, _ uint32, g int32, run []sampleblock.Point) {
		workers[w].series(g, run)
	})
	if err != nil {
		return nil, err
	}
	for _, o := range workers[1:] {
		workers[0].merge(o)
	}
	e := workers[0]
	return &store.Result{Groups: e.groups(p.keys), SeriesScanned: e.nSeries, PointsScanned: e.points}, nil
}

// scan reads the candidate chunks of one query.
type scan struct {
	s                  *Store
	q                  *store.Query
	p                  *plan
	tenantID, metricID uint32
	points             atomic.Int64 // in-range points so far, for the MaxPoints guard
}

// run calls fn(worker, series, group, run) for every matching series with value points in
// range, from `workers` goroutines; fn is never called concurrently for the same worker.
func (sc *scan) run(ctx context.Context, workers int, fn func(w int, sid uint32, g int32, run []sampleblock.Point)) error {
	scratch := make([]chunkScratch, workers)
	return sc.forChunks(ctx, workers, pfxBlock, func(w int, it *badger.Iterator, chunk uint32) error {
		cs := &scratch[w]
		cs.pts = cs.pts[:0]
		err := sc.blocks(it, pfxBlock, chunk, &cs.seek, func(v []byte) error {
			var err error
			cs.pts, cs.buf, err = sampleblock.Unmarshal(cs.pts, v, cs.buf)
			return err
		})
		if err != nil {
			return err
		}
		return sc.runs(chunk, cs, func(sid uint32, g int32, run []sampleblock.Point) { fn(w, sid, g, run) })
	})
}

// forChunks hands the candidate chunks to `workers` goroutines, each with its own iterator over
// the metric's blocks of one kind, in one read transaction (one consistent snapshot).
func (sc *scan) forChunks(ctx context.Context, workers int, pfx byte, fn func(w int, it *badger.Iterator, chunk uint32) error) error {
	txn := sc.s.db.NewTransaction(false)
	defer txn.Discard()
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			it := txn.NewIterator(badger.IteratorOptions{Prefix: blockPrefixKind(pfx, sc.tenantID, sc.metricID)})
			defer it.Close()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(sc.p.chunks) {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				if err := fn(w, it, sc.p.chunks[i]); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// blocks calls decode with the value of every block of one chunk in the query's hours.
func (sc *scan) blocks(it *badger.Iterator, pfx byte, chunk uint32, seek *[]byte, decode func(v []byte) error) error {
	first, last := bucketOf(max(sc.q.Start, 0)), bucketOf(min(sc.q.End, maxStorableT))
	prefix := binary.BigEndian.AppendUint32(blockPrefixKind(pfx, sc.tenantID, sc.metricID), chunk)
	*seek = binary.BigEndian.AppendUint32(append((*seek)[:0], prefix...), first)
	for it.Seek(*seek); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		k, err := parseBlockKey(item.Key())
		if err != nil {
			return err
		}
		if k.bucket > last {
			break
		}
		if err := item.Value(decode); err != nil {
			return fmt.Errorf("badgerstore: chunk %d hour %d seq %d: %w", chunk, k.bucket, k.seq, err)
		}
	}
	return nil
}

// runFunc receives one series' time-ordered points in range.
type runFunc func(sid uint32, g int32, run []sampleblock.Point)

type chunkScratch struct {
	pts    []sampleblock.Point
	sorted []sampleblock.Point
	buf    []byte
	seek   []byte
}

// runs hands fn each matching series' run of one chunk, in range, time-ordered and without
// duplicate timestamps, then applies the points guard (overshooting by at most one chunk).
func (sc *scan) runs(chunk uint32, cs *chunkScratch, fn runFunc) error {
	base := chunk << chunkBits
	groupOf := sc.p.groupOf
	keep := func(p sampleblock.Point) bool {
		sid := base + p.SID
		return p.T >= sc.q.Start && p.T <= sc.q.End && int(sid) < len(groupOf) && groupOf[sid] >= 0
	}
	var n int
	cs.sorted, n = regroup(cs.sorted, cs.pts, keep, func(sid uint32, run []sampleblock.Point) {
		fn(base+sid, groupOf[base+sid], run)
	})
	return sc.guardPoints(n)
}

// guardPoints adds n scanned points and enforces query.max_points.
func (sc *scan) guardPoints(n int) error {
	if tot := sc.points.Add(int64(n)); sc.q.MaxPoints > 0 && tot > sc.q.MaxPoints {
		return apierror.New(apierror.QueryTooLarge,
			"query scans more than the maximum of %d points (query.max_points); narrow the range or add filters", sc.q.MaxPoints)
	}
	return nil
}

type badgerIterator = *badger.Iterator

// raw answers a range query without interval: points with their labels, in time order.
func (sc *scan) raw(ctx context.Context) (*store.Result, error) {
	type rawPt struct {
		sid uint32
		t   int64
		v   float64
	}
	var mu sync.Mutex
	var all []rawPt
	series := int64(0)
	err := sc.run(ctx, sc.s.workers, func(_ int, sid uint32, _ int32, run []sampleblock.Point) {
		mu.Lock()
		defer mu.Unlock()
		series++
		for _, p := range run {
			all = append(all, rawPt{sid: sid, t: p.T, v: p.V})
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].t != all[j].t {
			return all[i].t < all[j].t
		}
		return model.CompareLabels(sc.p.labels(all[i].sid), sc.p.labels(all[j].sid)) < 0
	})
	if lim := sc.q.Limit; lim > 0 && len(all) > lim {
		if sc.q.Order == store.OrderAsc {
			all = all[:lim]
		} else {
			all = all[len(all)-lim:]
		}
	}
	res := &store.Result{SeriesScanned: series, PointsScanned: sc.points.Load()}
	res.Points = make([]store.RawPoint, len(all))
	for i, p := range all {
		res.Points[i] = store.RawPoint{T: p.t, V: p.v, Labels: sc.p.labels(p.sid)}
	}
	return res, nil
}
