package badgerstore

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/histblock"
	"github.com/luminate-metrics/luminate/internal/sampleblock"
)

// The compactor rewrites the blocks of one (tenant, metric, chunk, hour) into a single block
// once that hour is done. Writes in scrape order leave one small block per request, each holding
// one point per series; merged, every series becomes one run whose timestamps and values are
// delta-encoded (a counter's per-point cost drops from ~2 to ~1 byte), and a scan reads one key
// instead of dozens.
//
// A chunk-hour is compacted when it holds >= 2 blocks and either its hour ended more than
// closedGrace ago, or it has >= idleMinBlocks blocks and no write for idleAfter. The merge runs
// in one Badger transaction: the merged block takes the key (and so the sequence number) of the
// newest input, the inputs are deleted, and a reader sees either all inputs or the merged block.

const (
	compactEvery  = 30 * time.Second
	closedGrace   = 2 * time.Minute
	idleAfter     = 5 * time.Minute
	idleMinBlocks = 4
)

type chunkHour struct {
	pfx                           byte // pfxBlock or pfxHistBlock
	tenant, metric, chunk, bucket uint32
}

type dirtyState struct {
	blocks    int
	lastWrite time.Time
}

type compactor struct {
	s     *Store
	mu    sync.Mutex
	dirty map[chunkHour]*dirtyState
	stop  chan struct{}
	done  chan struct{}

	runs, blocksIn, bytesIn, bytesOut atomic.Int64
}

// CompactionStats reports the compactor's work since open.
type CompactionStats struct {
	Compactions, BlocksIn, BytesIn, BytesOut int64
}

func newCompactor(s *Store) *compactor {
	return &compactor{s: s, dirty: map[chunkHour]*dirtyState{}, stop: make(chan struct{}), done: make(chan struct{})}
}

// noteWrite records a committed block.
func (c *compactor) noteWrite(ch chunkHour, now time.Time) {
	c.mu.Lock()
	d := c.dirty[ch]
	if d == nil {
		d = &dirtyState{}
		c.dirty[ch] = d
	}
	d.blocks++
	d.lastWrite = now
	c.mu.Unlock()
}

// run scans the existing block keys once (so a restart finds leftover work), then compacts every
// compactEvery until stopped.
func (c *compactor) run() {
	defer close(c.done)
	if err := c.scanExisting(); err != nil {
		c.s.log.Warn("compactor: scan of existing blocks failed", zap.Error(err))
	}
	t := time.NewTicker(compactEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			c.compactDue(time.Now())
		}
	}
}

func (c *compactor) close() {
	close(c.stop)
	<-c.done
}

func (c *compactor) scanExisting() error {
	counts := map[chunkHour]int{}
	err := c.s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Seek([]byte{pfxBlock}); it.Valid() && it.Item().Key()[0] <= pfxHistBlock; it.Next() {
			select {
			case <-c.stop:
				return nil
			default:
			}
			k := it.Item().Key()
			if len(k) != blockKeyLen {
				continue
			}
			counts[chunkHourOf(k)]++
		}
		return nil
	})
	c.mu.Lock()
	for ch, n := range counts {
		if d := c.dirty[ch]; d != nil {
			d.blocks = n // the keys are the truth; noteWrite may have counted some already
		} else if n > 1 {
			c.dirty[ch] = &dirtyState{blocks: n}
		}
	}
	c.mu.Unlock()
	return err
}

func chunkHourOf(k []byte) chunkHour {
	return chunkHour{
		pfx:    k[0],
		tenant: binary.BigEndian.Uint32(k[1:]), metric: binary.BigEndian.Uint32(k[5:]),
		chunk: binary.BigEndian.Uint32(k[9:]), bucket: binary.BigEndian.Uint32(k[13:]),
	}
}

// compactDue compacts every chunk-hour that is due at now.
func (c *compactor) compactDue(now time.Time) int {
	n := 0
	for _, ch := range c.due(now) {
		select {
		case <-c.stop:
			return n
		default:
		}
		if err := c.compact(ch); err != nil {
			c.s.log.Warn("compactor: merge failed; will retry", zap.Uint32("chunk", ch.chunk), zap.Uint32("hour", ch.bucket), zap.Error(err))
			continue
		}
		n++
	}
	return n
}

func (c *compactor) due(now time.Time) []chunkHour {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []chunkHour
	for ch, d := range c.dirty {
		if d.blocks < 2 {
			delete(c.dirty, ch)
			continue
		}
		hourEnd := time.UnixMilli(int64(ch.bucket+1) * bucketMs)
		closed := now.Sub(hourEnd) > closedGrace
		idle := d.blocks >= idleMinBlocks && now.Sub(d.lastWrite) > idleAfter
		if closed || idle {
			out = append(out, ch)
		}
	}
	return out
}

// compact merges the blocks of one chunk-hour in one transaction.
func (c *compactor) compact(ch chunkHour) error {
	var in int
	c.s.rewriteMu.Lock()
	defer c.s.rewriteMu.Unlock()
	err := c.s.db.Update(func(txn *badger.Txn) error {
		var err error
		in, err = c.mergeIn(txn, ch)
		return err
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	if d := c.dirty[ch]; d != nil {
		d.blocks -= in - 1 // writes that landed meanwhile stay counted
		if d.blocks <= 1 {
			delete(c.dirty, ch)
		}
	}
	c.mu.Unlock()
	return nil
}

func (c *compactor) mergeIn(txn *badger.Txn, ch chunkHour) (int, error) {
	prefix := appendBlockKeyKind(nil, ch.pfx, ch.tenant, ch.metric, ch.chunk, ch.bucket, 0)[:blockKeyLen-8]
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	var keys [][]byte
	var pts []sampleblock.Point
	var hpts []histblock.Point
	var buf []byte
	bytesIn := 0
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		keys = append(keys, item.KeyCopy(nil))
		err := item.Value(func(v []byte) error {
			bytesIn += len(v)
			var err error
			if ch.pfx == pfxHistBlock {
				hpts, err = histblock.Unmarshal(hpts, v)
			} else {
				pts, buf, err = sampleblock.Unmarshal(pts, v, buf)
			}
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("chunk %d hour %d: %w", ch.chunk, ch.bucket, err)
		}
	}
	if len(keys) < 2 {
		return len(keys), nil
	}
	var val []byte
	if ch.pfx == pfxHistBlock {
		merged := make([]histblock.Point, 0, len(hpts))
		regroupHist(nil, hpts, func(*histblock.Point) bool { return true }, func(_ uint32, run []histblock.Point) {
			merged = append(merged, run...)
		})
		val = histblock.Marshal(nil, merged)
	} else {
		merged := make([]sampleblock.Point, 0, len(pts))
		regroup(nil, pts, func(sampleblock.Point) bool { return true }, func(_ uint32, run []sampleblock.Point) {
			merged = append(merged, run...)
		})
		val, _ = sampleblock.Marshal(nil, merged, buf)
	}
	last := keys[len(keys)-1]
	if err := txn.Set(last, val); err != nil {
		return 0, err
	}
	for _, k := range keys[:len(keys)-1] {
		if err := txn.Delete(k); err != nil {
			return 0, err
		}
	}
	c.runs.Add(1)
	c.blocksIn.Add(int64(len(keys)))
	c.bytesIn.Add(int64(bytesIn))
	c.bytesOut.Add(int64(len(val)))
	return len(keys), nil
}

// CompactAll merges every chunk-hour that has more than one block, due or not (tests and
// benchmarks use it to measure the settled layout). It returns how many were merged.
func (s *Store) CompactAll() (int, error) {
	c := s.compactor
	if err := c.scanExisting(); err != nil {
		return 0, err
	}
	c.mu.Lock()
	var all []chunkHour
	for ch, d := range c.dirty {
		if d.blocks > 1 {
			all = append(all, ch)
		}
	}
	c.mu.Unlock()
	for _, ch := range all {
		if err := c.compact(ch); err != nil {
			return 0, err
		}
	}
	return len(all), nil
}

// CompactionStats reports the compactor's work since open.
func (s *Store) CompactionStats() CompactionStats {
	c := s.compactor
	return CompactionStats{Compactions: c.runs.Load(), BlocksIn: c.blocksIn.Load(), BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load()}
}

// Settle asks Badger to compact its LSM tree into one level, which drops the deleted inputs of
// merged blocks (Badger keeps deleted versions until a compaction reaches them). For tools and
// benchmarks that measure the settled size; the background does this lazily.
func (s *Store) Settle() error {
	return s.db.Flatten(2)
}
