package clickhousestore

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// seriesCache is what this process remembers about the series it writes, for one writer epoch:
// per series the latest timestamp it handed to the database (to notice rewrites) and whether the
// series row is stored (so it is written once), plus its hot values as interned ids. Entries hold
// no pointers, so the garbage collector never scans the (large) maps.
//
// Every row this process writes carries the epoch's writer id. Within one epoch the cache knows
// every point written, so a point at or before its series' latest timestamp is the only way a
// duplicate (series, timestamp) can arise, and it is recorded in the rewrites table. Past
// SeriesCacheSize entries the cache starts over with a new writer id: rows of the old and new
// epoch are then told apart by writer, and queries over both de-duplicate by scanning
// (scan.go).
type seriesCache struct {
	writer  uint64
	limit   int64
	entries atomic.Int64

	mu      sync.RWMutex
	metrics map[*metricState]*metricCache
}

func newSeriesCache(limit int) *seriesCache {
	var b [8]byte
	_, _ = rand.Read(b[:])
	w := binary.LittleEndian.Uint64(b[:])
	if w == 0 { // 0 is the writer of rows stored before writer ids existed
		w = 1
	}
	return &seriesCache{writer: w, limit: int64(limit), metrics: map[*metricState]*metricCache{}}
}

// full reports whether the epoch holds more series than it may.
func (c *seriesCache) full() bool { return c.entries.Load() > c.limit }

func (c *seriesCache) metric(ms *metricState) *metricCache {
	c.mu.RLock()
	mc := c.metrics[ms]
	c.mu.RUnlock()
	if mc != nil {
		return mc
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if mc = c.metrics[ms]; mc == nil {
		mc = &metricCache{owner: c, ids: map[string]uint32{"": 0}, vals: []string{""}}
		c.metrics[ms] = mc
	}
	return mc
}

// cacheShards shards a metric's series by the low bits of their id; within a shard the table
// is keyed by the remaining bits, which are unique there.
const (
	cacheShardBits = 5
	cacheShards    = 1 << cacheShardBits
)

// metricCache holds one (tenant, metric)'s series of an epoch, sharded by series id so that
// concurrent appenders rarely wait for each other.
type metricCache struct {
	owner  *seriesCache
	shards [cacheShards]struct {
		mu sync.Mutex
		t  entryTable
		_  [24]byte // keep shards on separate cache lines
	}

	// interned hot values: id 0 is ""
	imu  sync.RWMutex
	ids  map[string]uint32
	vals []string
}

type seriesEntry struct {
	sid   uint64
	maxT  int64               // latest timestamp handed to the database
	hot   [MaxHotSlots]uint32 // interned hot values, valid when flags&entryHot
	flags uint8
}

const (
	entryUsed   = 1 << iota // the slot holds a series
	entryHot                // hot holds the series' hot values
	entryStored             // the series row is stored
)

// entryTable is an open-addressing hash table of entries keyed by series id (already a hash:
// its low bits pick the slot), probed linearly. An entry is 32 bytes and holds no pointer: one
// lookup touches one cache line, where a Go map plus a slice of entries touched three (the
// lookup of every point was 16% of the ingest profile at 1M series).
type entryTable struct {
	slots []seriesEntry // len is a power of two
	n     int
}

// find returns the slot of sid, or the empty slot where it belongs.
func (t *entryTable) find(sid uint64) *seriesEntry {
	mask := uint64(len(t.slots) - 1)
	for i := sid & mask; ; i = (i + 1) & mask {
		e := &t.slots[i]
		if e.flags&entryUsed == 0 || e.sid == sid {
			return e
		}
	}
}

// insert claims slot e (returned by find) for sid, growing the table past 70% load.
func (t *entryTable) insert(e *seriesEntry, sid uint64, maxT int64) {
	*e = seriesEntry{sid: sid, maxT: maxT, flags: entryUsed}
	t.n++
	if t.n*10 >= len(t.slots)*7 {
		old := t.slots
		t.slots = make([]seriesEntry, 2*len(old))
		for i := range old {
			if old[i].flags&entryUsed != 0 {
				*t.find(old[i].sid) = old[i]
			}
		}
	}
}

func (mc *metricCache) lockShard(i int)   { mc.shards[i].mu.Lock() }
func (mc *metricCache) unlockShard(i int) { mc.shards[i].mu.Unlock() }

// touchLocked records a point of series sid at t and returns the entry as it was before (ok
// false when the series is new to this epoch: the caller counts it in owner.entries). The caller
// holds the lock of sid's shard.
func (mc *metricCache) touchLocked(sid uint64, t int64) (before seriesEntry, ok bool) {
	sh := &mc.shards[sid%cacheShards]
	if sh.t.slots == nil {
		sh.t.slots = make([]seriesEntry, 64)
	}
	key := sid >> cacheShardBits
	e := sh.t.find(key)
	if e.flags&entryUsed == 0 {
		sh.t.insert(e, key, t)
		return before, false
	}
	before = *e
	if t > e.maxT {
		e.maxT = t
	}
	return before, true
}

// touch is touchLocked with the lock.
func (mc *metricCache) touch(sid uint64, t int64) (seriesEntry, bool) {
	mc.lockShard(int(sid % cacheShards))
	defer mc.unlockShard(int(sid % cacheShards))
	before, ok := mc.touchLocked(sid, t)
	if !ok {
		mc.owner.entries.Add(1)
	}
	return before, ok
}

// setHot records the hot values (interned ids) of stored series, whose rows are now stored.
func (mc *metricCache) setHot(sids []uint64, hot [][MaxHotSlots]uint32) {
	for i, sid := range sids {
		sh := &mc.shards[sid%cacheShards]
		sh.mu.Lock()
		if e := sh.t.find(sid >> cacheShardBits); e.flags&entryUsed != 0 {
			e.hot = hot[i]
			e.flags |= entryHot | entryStored
		}
		sh.mu.Unlock()
	}
}

// intern returns the ids of hot values, adding new ones.
func (mc *metricCache) intern(vals *[MaxHotSlots]string) [MaxHotSlots]uint32 {
	var out [MaxHotSlots]uint32
	missing := false
	mc.imu.RLock()
	for i, v := range vals {
		id, ok := mc.ids[v]
		out[i] = id
		missing = missing || !ok
	}
	mc.imu.RUnlock()
	if !missing {
		return out
	}
	mc.imu.Lock()
	defer mc.imu.Unlock()
	for i, v := range vals {
		id, ok := mc.ids[v]
		if !ok {
			v = cloneString(v)
			id = uint32(len(mc.vals))
			mc.vals = append(mc.vals, v)
			mc.ids[v] = id
		}
		out[i] = id
	}
	return out
}

// strings returns the interned values table; ids handed out before the call are valid in it.
func (mc *metricCache) strings() []string {
	mc.imu.RLock()
	defer mc.imu.RUnlock()
	return mc.vals
}

func cloneString(s string) string {
	if s == "" {
		return ""
	}
	return string([]byte(s))
}
