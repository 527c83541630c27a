// Package badgerstore is the embedded storage engine: a series index in memory (rebuilt from
// small records at open) and compressed columnar sample blocks per (tenant, metric, chunk of 256
// series, hour) in Badger. docs/storage-badger.md describes the layout.
package badgerstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/seriesindex"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Options configure Open.
type Options struct {
	Dir string
	// NoSync turns off fsync on commit. Only for benchmarks that measure the engine without the
	// disk; an acknowledged write is then not crash-safe.
	NoSync bool
	// Workers scanning chunks in parallel per query; 0 means GOMAXPROCS.
	Workers int
	// NoBackgroundCompaction leaves merging blocks to explicit CompactAll calls (benchmarks
	// that measure the layout as written).
	NoBackgroundCompaction bool
	// RetentionInterval is how often the background applies retention (default 15m; the first
	// run is one minute after open). Negative: never (ApplyRetention only).
	RetentionInterval time.Duration
	Logger            *zap.Logger
}

// DefaultRetentionInterval is how often retention runs in the background.
const DefaultRetentionInterval = 15 * time.Minute

// Store is the Badger engine.
type Store struct {
	db      *badger.DB
	idx     *seriesindex.Index
	log     *zap.Logger
	workers int

	seqMu    sync.Mutex
	seq      uint64
	seqLease uint64

	compactor  *compactor
	background bool
	closeOnce  sync.Once

	limits atomic.Pointer[store.LimitsFunc]
	// dropMu is held shared by every commit and exclusively while an admin delete removes a
	// metric's records, so no commit writes blocks of a metric that is being removed.
	dropMu sync.RWMutex
	// rewriteMu serializes rewrites of existing blocks: compaction of a chunk-hour and
	// deletes. Badger runs without conflict detection, so a merge that read blocks before a
	// delete removed points from them would otherwise write those points back.
	rewriteMu sync.Mutex
	retention retentionState
	retStop   chan struct{}
	retDone   chan struct{}
}

var (
	_ store.Limited           = (*Store)(nil)
	_ store.Admin             = (*Store)(nil)
	_ store.CardinalityReader = (*Store)(nil)
)

// SetLimits implements store.Limited.
func (s *Store) SetLimits(f store.LimitsFunc) {
	if f == nil {
		s.limits.Store(nil)
		return
	}
	s.limits.Store(&f)
}

func (s *Store) limitsFunc() store.LimitsFunc {
	if f := s.limits.Load(); f != nil {
		return *f
	}
	return nil
}

var _ store.Store = (*Store)(nil)

// Open opens (or creates) the database in opts.Dir and loads the series index.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("badgerstore: Dir is required")
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	bo := badger.DefaultOptions(opts.Dir).
		WithSyncWrites(!opts.NoSync).
		WithLogger(zapLogger{log.Sugar()}).
		// Sample blocks are zstd-compressed already; keys share long prefixes, which Badger's
		// block format diff-encodes without a codec.
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithDetectConflicts(false).
		WithNumCompactors(2).
		WithMemTableSize(32 << 20).
		WithNumMemtables(3).
		WithMetricsEnabled(false).
		// merging L0 into L1 on close drops the inputs of merged blocks and keeps restarts fast
		WithCompactL0OnClose(true)
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("badgerstore: open %s: %w", opts.Dir, err)
	}
	s := &Store{db: db, idx: seriesindex.New(), log: log, workers: opts.Workers}
	if s.workers <= 0 {
		s.workers = runtime.GOMAXPROCS(0)
	}
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, err
	}
	s.compactor = newCompactor(s)
	if !opts.NoBackgroundCompaction {
		s.background = true
		go s.compactor.run()
	}
	if opts.RetentionInterval >= 0 {
		every := opts.RetentionInterval
		if every == 0 {
			every = DefaultRetentionInterval
		}
		s.retStop, s.retDone = make(chan struct{}), make(chan struct{})
		go s.retentionLoop(time.Minute, every)
	}
	return s, nil
}

func (s *Store) init() error {
	start := time.Now()
	if err := s.checkFormat(); err != nil {
		return err
	}
	if err := s.load(); err != nil {
		return err
	}
	if err := s.loadRetention(); err != nil {
		return err
	}
	if err := s.initSeq(); err != nil {
		return err
	}
	s.log.Info("badger store opened", zap.Int("tenants", len(s.idx.Tenants())), zap.Duration("load", time.Since(start)))
	return nil
}

func (s *Store) checkFormat() error {
	want := []byte{formatVersion, chunkBits}
	want = binary.BigEndian.AppendUint32(want, bucketMs)
	return s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(metaKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return txn.Set(metaKey, want)
		}
		if err != nil {
			return err
		}
		got, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if string(got) != string(want) {
			return fmt.Errorf("badgerstore: data format %x is not the format %x this binary writes", got, want)
		}
		return nil
	})
}

// load rebuilds the in-memory index from the tenant, metric and series records.
func (s *Store) load() error {
	return s.db.View(func(txn *badger.Txn) error {
		byID := map[uint32]*seriesindex.Tenant{}
		metrics := map[[2]uint32]*seriesindex.Metric{}
		err := iterate(txn, []byte{pfxTenant}, func(k, v []byte) error {
			if len(v) != 4 {
				return fmt.Errorf("tenant record of %d bytes", len(v))
			}
			t := s.idx.LoadTenant(string(k[1:]), binary.BigEndian.Uint32(v))
			byID[t.ID] = t
			return nil
		})
		if err != nil {
			return err
		}
		err = iterate(txn, []byte{pfxMetric}, func(k, v []byte) error {
			t := byID[binary.BigEndian.Uint32(k[1:])]
			id, meta, err := decodeMetricRecord(v)
			if t == nil || err != nil {
				return fmt.Errorf("metric record %q: tenant known=%v: %v", k, t != nil, err)
			}
			metrics[[2]uint32{t.ID, id}] = t.LoadMetric(string(k[5:]), id, meta)
			return nil
		})
		if err != nil {
			return err
		}
		var buf []byte
		return iterate(txn, []byte{pfxSeries}, func(k, v []byte) error {
			if len(k) != 17 {
				return fmt.Errorf("series block key of %d bytes", len(k))
			}
			m := metrics[[2]uint32{binary.BigEndian.Uint32(k[1:]), binary.BigEndian.Uint32(k[5:])}]
			if m == nil {
				return fmt.Errorf("series block %x of an unknown metric", k)
			}
			return decodeSeriesBlock(v, func(sid uint32, ls model.Labels) {
				var key seriesindex.Key
				key, buf = seriesindex.HashLabels(ls, buf)
				m.Load(key, sid, ls)
			})
		})
	})
}

func iterate(txn *badger.Txn, prefix []byte, fn func(k, v []byte) error) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		err := item.Value(func(v []byte) error { return fn(item.Key(), v) })
		if err != nil {
			return fmt.Errorf("badgerstore: load: %w", err)
		}
	}
	return nil
}

func encodeMetricRecord(id uint32, meta model.MetricMeta) []byte {
	b := binary.BigEndian.AppendUint32(nil, id)
	mono := byte(0)
	if meta.Monotonic {
		mono = 1
	}
	b = append(b, byte(meta.Type), byte(meta.Temporality), mono)
	return append(b, meta.Unit...)
}

func decodeMetricRecord(v []byte) (uint32, model.MetricMeta, error) {
	if len(v) < 7 {
		return 0, model.MetricMeta{}, fmt.Errorf("metric record of %d bytes, want >= 7", len(v))
	}
	meta := model.MetricMeta{
		Type:        model.MetricType(v[4]),
		Temporality: model.Temporality(v[5]),
		Monotonic:   v[6] == 1,
		Unit:        string(v[7:]),
	}
	return binary.BigEndian.Uint32(v), meta, nil
}

// initSeq reserves a range of block sequence numbers that no earlier run can have used.
func (s *Store) initSeq() error {
	return s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(seqLeaseKey)
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
			s.seq = 1
		case err != nil:
			return err
		default:
			err = item.Value(func(v []byte) error {
				if len(v) != 8 {
					return fmt.Errorf("badgerstore: seq lease of %d bytes", len(v))
				}
				s.seq = binary.BigEndian.Uint64(v)
				return nil
			})
			if err != nil {
				return err
			}
		}
		s.seqLease = s.seq + seqLeaseStep
		return txn.Set(seqLeaseKey, binary.BigEndian.AppendUint64(nil, s.seqLease))
	})
}

// nextSeqs returns the first of n consecutive unused sequence numbers, extending the persisted
// lease first when it would be passed.
func (s *Store) nextSeqs(n int) (uint64, error) {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	if s.seq+uint64(n) > s.seqLease {
		lease := s.seq + uint64(n) + seqLeaseStep
		err := s.db.Update(func(txn *badger.Txn) error {
			return txn.Set(seqLeaseKey, binary.BigEndian.AppendUint64(nil, lease))
		})
		if err != nil {
			return 0, fmt.Errorf("badgerstore: extend sequence lease: %w", err)
		}
		s.seqLease = lease
	}
	first := s.seq
	s.seq += uint64(n)
	return first, nil
}

// Ping implements store.Store.
func (s *Store) Ping(context.Context) error {
	if s.db.IsClosed() {
		return errors.New("badger database is closed")
	}
	return nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.retStop != nil {
			close(s.retStop)
			<-s.retDone
		}
		if s.background {
			s.compactor.close()
		}
		err = s.db.Close()
	})
	return err
}

func (s *Store) metric(tenant, name string) (*seriesindex.Metric, error) {
	if t := s.idx.Tenant(tenant); t != nil {
		if m := t.Metric(name); m != nil {
			return m, nil
		}
	}
	return nil, apierror.New(apierror.NotFound, "metric %q not found", name)
}

// Metrics implements store.Store.
func (s *Store) Metrics(_ context.Context, tenant string) ([]store.MetricInfo, error) {
	t := s.idx.Tenant(tenant)
	if t == nil {
		return nil, nil
	}
	ms := t.Metrics()
	out := make([]store.MetricInfo, 0, len(ms))
	for _, m := range ms {
		out = append(out, store.MetricInfo{Name: m.Name, Meta: m.Meta(), SeriesCount: m.Count()})
	}
	return out, nil
}

// Dimensions implements store.Store.
func (s *Store) Dimensions(_ context.Context, tenant, name string) ([]string, error) {
	m, err := s.metric(tenant, name)
	if err != nil {
		return nil, err
	}
	return m.Keys(), nil
}

// DimensionValues implements store.Store.
func (s *Store) DimensionValues(_ context.Context, tenant, name, key, prefix string, limit int) ([]store.ValueCount, error) {
	m, err := s.metric(tenant, name)
	if err != nil {
		return nil, err
	}
	vals := m.Values(key, prefix)
	out := make([]store.ValueCount, len(vals))
	for i, v := range vals {
		out[i] = store.ValueCount{Value: v.Value, SeriesCount: v.Count}
	}
	store.SortValueCounts(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// zapLogger adapts zap to Badger's logger; Badger's INFO chatter goes to debug.
type zapLogger struct{ s *zap.SugaredLogger }

func (l zapLogger) Errorf(f string, a ...any)   { l.s.Errorf(f, a...) }
func (l zapLogger) Warningf(f string, a ...any) { l.s.Warnf(f, a...) }
func (l zapLogger) Infof(f string, a ...any)    { l.s.Debugf(f, a...) }
func (l zapLogger) Debugf(f string, a ...any)   { l.s.Debugf(f, a...) }
