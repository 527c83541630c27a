package clickhousestore

import (
	"math/rand/v2"
	"testing"
)

// TestSidTable checks the table against a map through random inserts, removes and metric
// removals, with ids crowded onto few home slots so that probe runs wrap around the table end
// and backward-shift deletion moves entries across it.
func TestSidTable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tab sidTable
	ref := map[uint64]uint32{}
	// ids that are multiples of 256 (above one shard's low bits) share a few home slots
	id := func() uint64 { return uint64(r.IntN(1000)*256)<<limiterShardBits | 5 }
	for step := range 50_000 {
		sid := id()
		switch op := r.IntN(10); {
		case op < 6:
			e := tab.find(sid)
			if _, ok := ref[sid]; ok != (e.metric != 0) {
				t.Fatalf("step %d: find(%d) used=%v, map has it=%v", step, sid, e.metric != 0, ok)
			}
			if e.metric == 0 {
				m := uint32(r.IntN(3))
				tab.insert(e, sid, m)
				ref[sid] = m
			}
		case op < 9:
			_, ok := ref[sid]
			if got := tab.remove(sid); got != ok {
				t.Fatalf("step %d: remove(%d) = %v, want %v", step, sid, got, ok)
			}
			delete(ref, sid)
		case step%1000 == 9:
			m := uint32(r.IntN(3))
			want := 0
			for k, v := range ref {
				if v == m {
					delete(ref, k)
					want++
				}
			}
			if got := tab.removeMetric(m); got != want {
				t.Fatalf("step %d: removeMetric(%d) = %d, want %d", step, m, got, want)
			}
		}
		if tab.n != len(ref) {
			t.Fatalf("step %d: table holds %d, map %d", step, tab.n, len(ref))
		}
	}
	for sid, m := range ref {
		if e := tab.find(sid); e.metric != m+1 {
			t.Fatalf("find(%d) holds metric %d (stored +1), want %d", sid, e.metric, m)
		}
	}
}
