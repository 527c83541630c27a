package badgerstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/histblock"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/sampleblock"
	"github.com/luminate-metrics/luminate/internal/seriesindex"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Retention and deletes (docs/storage-badger.md, "Retention and deletes").
//
// A retention policy is the key 30 tenantID metricName (metricName "*" for the tenant's
// default; "*" is not a valid metric name, so the two cannot collide) with the days as a
// big-endian uint32. Policies are read at open and kept in memory.
//
// Deleting the points before a time T of one metric walks its chunks; in each chunk, blocks of
// hours that end at or before T are deleted whole, and the blocks of the hour that holds T are
// rewritten without the points before T (retention cutoffs are whole hours, so retention never
// rewrites). Each chunk is done under rewriteMu, the lock compaction takes, so a merge can never
// write back points a delete removed. When no block of the metric is left, its records are
// deleted and it leaves the index: its series stop counting against the cardinality limits.

type retentionState struct {
	mu       sync.RWMutex
	byTenant map[string]map[string]int // tenant -> metric or "*" -> days
}

func retentionKey(tenantID uint32, metric string) []byte {
	b := binary.BigEndian.AppendUint32([]byte{pfxRetention}, tenantID)
	return append(b, metric...)
}

func (s *Store) loadRetention() error {
	names := map[uint32]string{}
	for _, t := range s.idx.Tenants() {
		names[t.ID] = t.Name
	}
	s.retention.byTenant = map[string]map[string]int{}
	return s.db.View(func(txn *badger.Txn) error {
		return iterate(txn, []byte{pfxRetention}, func(k, v []byte) error {
			if len(k) < 6 || len(v) != 4 {
				return fmt.Errorf("retention record %x of %d bytes", k, len(v))
			}
			name, ok := names[binary.BigEndian.Uint32(k[1:])]
			if !ok {
				return fmt.Errorf("retention record %x of an unknown tenant", k)
			}
			s.setRetentionLocked(name, string(k[5:]), int(binary.BigEndian.Uint32(v)))
			return nil
		})
	})
}

func (s *Store) setRetentionLocked(tenant, metric string, days int) {
	m := s.retention.byTenant[tenant]
	if m == nil {
		m = map[string]int{}
		s.retention.byTenant[tenant] = m
	}
	m[metric] = days
}

// SetRetention implements store.Admin.
func (s *Store) SetRetention(_ context.Context, tenant string, p store.RetentionPolicy) error {
	if err := store.CheckRetentionPolicy(p); err != nil {
		return err
	}
	t := s.idx.GetOrCreateTenant(tenant)
	s.retention.mu.Lock()
	defer s.retention.mu.Unlock()
	err := s.db.Update(func(txn *badger.Txn) error {
		if !t.Durable() {
			if err := txn.Set(tenantKey(t.Name), beUint32(t.ID)); err != nil {
				return err
			}
		}
		return txn.Set(retentionKey(t.ID, p.Metric), beUint32(uint32(p.Days)))
	})
	if err != nil {
		return fmt.Errorf("badgerstore: store retention policy: %w", err)
	}
	t.MarkDurable()
	s.setRetentionLocked(tenant, p.Metric, p.Days)
	return nil
}

// RetentionPolicies implements store.Admin.
func (s *Store) RetentionPolicies(_ context.Context, tenant string) ([]store.RetentionPolicy, error) {
	s.retention.mu.RLock()
	defer s.retention.mu.RUnlock()
	out := make([]store.RetentionPolicy, 0, len(s.retention.byTenant[tenant]))
	for m, d := range s.retention.byTenant[tenant] {
		out = append(out, store.RetentionPolicy{Metric: m, Days: d})
	}
	store.SortRetentionPolicies(out)
	return out, nil
}

func (s *Store) policies(tenant string) map[string]int {
	s.retention.mu.RLock()
	defer s.retention.mu.RUnlock()
	return maps.Clone(s.retention.byTenant[tenant])
}

// DeleteBefore implements store.Admin.
func (s *Store) DeleteBefore(ctx context.Context, tenant, metric string, before int64) error {
	t := s.idx.Tenant(tenant)
	if t == nil {
		return apierror.New(apierror.NotFound, "metric %q not found", metric)
	}
	m := t.Metric(metric)
	if m == nil {
		return apierror.New(apierror.NotFound, "metric %q not found", metric)
	}
	if _, err := s.deleteBefore(ctx, t, m, before); err != nil {
		return err
	}
	_, err := s.dropIfEmpty(t, m)
	return err
}

// ApplyRetention implements store.Admin.
func (s *Store) ApplyRetention(ctx context.Context, now time.Time) error {
	lf := s.limitsFunc()
	for _, t := range s.idx.Tenants() {
		def := 0
		if lf != nil {
			v := lf(t.Name)
			def = int(v.Int(limits.RetentionDays))
		}
		pol := s.policies(t.Name)
		for _, m := range t.Metrics() {
			days := store.EffectiveRetention(pol, m.Name, def)
			if days <= 0 {
				continue
			}
			deleted, err := s.deleteBefore(ctx, t, m, store.RetentionCutoff(now, days))
			if err != nil {
				return err
			}
			if deleted > 0 {
				// Only a metric that lost blocks here is dropped when empty: one whose first
				// write is still in flight has no blocks yet and must stay.
				if _, err := s.dropIfEmpty(t, m); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// retentionLoop applies retention after `first`, then every `every`, until Close.
func (s *Store) retentionLoop(first, every time.Duration) {
	defer close(s.retDone)
	timer := time.NewTimer(first)
	defer timer.Stop()
	for {
		select {
		case <-s.retStop:
			return
		case <-timer.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-s.retStop:
				cancel()
			case <-ctx.Done():
			}
		}()
		start := time.Now()
		if err := s.ApplyRetention(ctx, start); err != nil && ctx.Err() == nil {
			s.log.Warn("retention failed; will retry", zap.Error(err))
		} else {
			s.log.Debug("retention applied", zap.Duration("took", time.Since(start)))
		}
		cancel()
		timer.Reset(every)
	}
}

// deleteBefore deletes the metric's points before `before` (Unix ms) and returns how many
// blocks it deleted or rewrote.
func (s *Store) deleteBefore(ctx context.Context, t *seriesindex.Tenant, m *seriesindex.Metric, before int64) (int, error) {
	if before <= 0 {
		return 0, nil
	}
	before = min(before, maxStorableT+1)
	n := m.Len()
	if n == 0 {
		return 0, nil
	}
	// A metric holds one kind of block (Append refuses to mix values and histograms).
	pfx := byte(pfxBlock)
	if store.IsHistogram(m.Meta().Type) {
		pfx = pfxHistBlock
	}
	total := 0
	for chunk := uint32(0); chunk <= uint32(n-1)>>chunkBits; chunk++ {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		k, err := s.deleteInChunk(pfx, t.ID, m.ID, chunk, before)
		total += k
		if err != nil {
			return total, fmt.Errorf("badgerstore: delete %s chunk %d: %w", m.Name, chunk, err)
		}
	}
	return total, nil
}

// deleteInChunk deletes the chunk's blocks of hours that end at or before `before`, and rewrites
// those of the hour that holds it without the points before it.
func (s *Store) deleteInChunk(pfx byte, tenantID, metricID, chunk uint32, before int64) (int, error) {
	edge := uint32(before / bucketMs) // the hour that holds `before`: points from its start stay
	partial := before%bucketMs != 0
	prefix := binary.BigEndian.AppendUint32(blockPrefixKind(pfx, tenantID, metricID), chunk)

	s.rewriteMu.Lock()
	defer s.rewriteMu.Unlock()
	rtxn := s.db.NewTransaction(false)
	defer rtxn.Discard()
	it := rtxn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var w *txnWriter // made at the first change: most chunks of a retention run have none
	defer func() {
		if w != nil {
			w.txn.Discard()
		}
	}()
	write := func() *txnWriter {
		if w == nil {
			w = &txnWriter{db: s.db, txn: s.db.NewTransaction(true)}
		}
		return w
	}
	n := 0
	var pts []sampleblock.Point
	var hpts []histblock.Point
	var buf, scratch []byte
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k, err := parseBlockKey(item.Key())
		if err != nil {
			return n, err
		}
		if k.bucket > edge || (k.bucket == edge && !partial) {
			break
		}
		key := item.KeyCopy(nil)
		if k.bucket < edge {
			write().delete(key)
			n++
			continue
		}
		// The hour that holds `before`: keep the points from `before` on.
		var val []byte
		err = item.Value(func(v []byte) error {
			if pfx == pfxHistBlock {
				var err error
				if hpts, err = histblock.Unmarshal(hpts[:0], v); err != nil {
					return err
				}
				all := len(hpts)
				kept := slices.DeleteFunc(hpts, func(p histblock.Point) bool { return p.T < before })
				if len(kept) == all {
					return errUnchanged
				}
				if len(kept) > 0 {
					val = histblock.Marshal(nil, kept)
				}
				return nil
			}
			var err error
			if pts, buf, err = sampleblock.Unmarshal(pts[:0], v, buf); err != nil {
				return err
			}
			all := len(pts)
			kept := slices.DeleteFunc(pts, func(p sampleblock.Point) bool { return p.T < before })
			if len(kept) == all {
				return errUnchanged
			}
			if len(kept) > 0 {
				val, scratch = sampleblock.Marshal(nil, kept, scratch)
			}
			return nil
		})
		switch {
		case err == errUnchanged:
			continue
		case err != nil:
			return n, err
		case val == nil:
			write().delete(key)
		default:
			write().set(key, val)
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	return n, w.commit()
}

// errUnchanged: a block of the edge hour holds no point before the cutoff.
var errUnchanged = fmt.Errorf("block unchanged")

// hasBlocks reports whether any block of the metric exists.
func (s *Store) hasBlocks(tenantID, metricID uint32) (bool, error) {
	found := false
	err := s.db.View(func(txn *badger.Txn) error {
		for _, pfx := range []byte{pfxBlock, pfxHistBlock} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: blockPrefixKind(pfx, tenantID, metricID)})
			it.Rewind()
			found = found || it.Valid()
			it.Close()
		}
		return nil
	})
	return found, err
}

// dropIfEmpty deletes the records of a metric without blocks and removes it from the index.
// It holds dropMu exclusively, so no commit is between its check and its delete.
func (s *Store) dropIfEmpty(t *seriesindex.Tenant, m *seriesindex.Metric) (bool, error) {
	s.dropMu.Lock()
	defer s.dropMu.Unlock()
	if m.Dropped() {
		return true, nil
	}
	has, err := s.hasBlocks(t.ID, m.ID)
	if err != nil || has {
		return false, err
	}
	w := &txnWriter{db: s.db, txn: s.db.NewTransaction(true)}
	defer func() { w.txn.Discard() }()
	err = s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: blockPrefixKind(pfxSeries, t.ID, m.ID)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			w.delete(it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	w.delete(metricKey(t.ID, m.Name))
	if err := w.commit(); err != nil {
		return false, fmt.Errorf("badgerstore: delete records of metric %s: %w", m.Name, err)
	}
	t.DropMetric(m)
	s.log.Info("metric deleted: no points left", zap.String("tenant", t.Name), zap.String("metric", m.Name))
	return true, nil
}
