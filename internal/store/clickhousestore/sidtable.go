package clickhousestore

// sidTable is the limiter's set of series ids with their metric: open addressing, probed
// linearly, 16 bytes per slot and no pointers. Like the series cache's entryTable, one lookup
// touches one cache line; a Go map at 2M series touched several and made the limit check cost
// 0.6 µs per point. Ids are hashes, so their bits pick the slot; the low limiterShardBits are
// the same for every id of a shard and are skipped.
type sidTable struct {
	slots []sidEntry // len is a power of two
	n     int
}

type sidEntry struct {
	sid    uint64
	metric uint32 // metric id + 1; 0: empty slot
}

func (t *sidTable) home(sid uint64) uint64 { return (sid >> limiterShardBits) & uint64(len(t.slots)-1) }

// find returns the slot of sid, or the empty slot where it belongs.
func (t *sidTable) find(sid uint64) *sidEntry {
	if t.slots == nil {
		t.slots = make([]sidEntry, 64)
	}
	mask := uint64(len(t.slots) - 1)
	for i := t.home(sid); ; i = (i + 1) & mask {
		e := &t.slots[i]
		if e.metric == 0 || e.sid == sid {
			return e
		}
	}
}

// insert claims slot e (returned by find) for sid, growing the table past 70% load.
func (t *sidTable) insert(e *sidEntry, sid uint64, metric uint32) {
	*e = sidEntry{sid: sid, metric: metric + 1}
	t.n++
	if t.n*10 >= len(t.slots)*7 {
		old := t.slots
		t.slots = make([]sidEntry, 2*len(old))
		for _, o := range old {
			if o.metric != 0 {
				*t.find(o.sid) = o
			}
		}
	}
}

// remove deletes sid, shifting back the entries of its probe run so that lookups need no
// tombstones. It reports whether sid was there.
func (t *sidTable) remove(sid uint64) bool {
	if t.slots == nil {
		return false
	}
	mask := uint64(len(t.slots) - 1)
	i := t.home(sid)
	for ; t.slots[i].sid != sid || t.slots[i].metric == 0; i = (i + 1) & mask {
		if t.slots[i].metric == 0 {
			return false
		}
	}
	for j := (i + 1) & mask; t.slots[j].metric != 0; j = (j + 1) & mask {
		// an entry may move into the hole unless its home lies cyclically in (i, j]
		k := t.home(t.slots[j].sid)
		if (j > i && (k <= i || k > j)) || (j < i && k <= i && k > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = sidEntry{}
	t.n--
	return true
}

// removeMetric deletes every series of a metric id and returns how many it deleted.
func (t *sidTable) removeMetric(metric uint32) int {
	old, n := t.slots, 0
	t.slots, t.n = make([]sidEntry, max(64, len(old))), 0
	for _, o := range old {
		switch {
		case o.metric == 0:
		case o.metric == metric+1:
			n++
		default:
			*t.find(o.sid) = o
			t.n++
		}
	}
	return n
}
