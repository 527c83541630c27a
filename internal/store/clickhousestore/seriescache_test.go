package clickhousestore

import "testing"

// TestEntryTable checks the series cache's hash table across growth: every series is found with
// its latest timestamp, and new series are reported new once.
func TestEntryTable(t *testing.T) {
	mc := newSeriesCache(1 << 20).metric(&metricState{})
	const n = 100_000
	sid := func(i int) uint64 { return uint64(i) * 0x9E3779B97F4A7C15 }
	for i := range n {
		if _, ok := mc.touch(sid(i), int64(i)); ok {
			t.Fatalf("series %d reported known on first touch", i)
		}
	}
	for i := range n {
		before, ok := mc.touch(sid(i), int64(i)-1)
		if !ok || before.maxT != int64(i) {
			t.Fatalf("series %d: known %v, maxT %d, want %d", i, ok, before.maxT, i)
		}
	}
	if got := mc.owner.entries.Load(); got != n {
		t.Errorf("%d entries counted, want %d", got, n)
	}
	mc.setHot([]uint64{sid(7)}, [][MaxHotSlots]uint32{{1, 2, 3}})
	if before, _ := mc.touch(sid(7), 0); before.flags&entryStored == 0 || before.hot != [MaxHotSlots]uint32{1, 2, 3} {
		t.Errorf("setHot not kept: %+v", before)
	}
}
