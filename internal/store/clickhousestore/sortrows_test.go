package clickhousestore

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortByKey checks the natural merge sort of INSERT rows against a plain sort: interleaved
// metrics, several sorted runs per metric (commits), duplicates and random rows.
func TestSortByKey(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		var rows sampleRows
		runs := 1 + r.IntN(6)
		for range runs {
			base := r.IntN(1000)
			for i := range r.IntN(200) {
				for _, m := range []string{"b_metric", "a_metric"} {
					c := base + i
					if round%5 == 0 {
						c = r.IntN(50) // unsorted within the run, with duplicates
					}
					hot := [MaxHotSlots]string{fmt.Sprintf("c%04d", c), "e", ""}
					rows.add("t", m, &hot, uint64(c*7), 1_800_000_000_000+int64(r.IntN(3))*3_600_000, 0, float64(i))
				}
			}
		}
		n := rows.len()
		rows.ver = make([]uint64, n)
		rows.writer = make([]uint64, n)
		type key struct {
			m, d1 string
			h     int64
			sid   uint64
			t     int64
		}
		var want []key
		for i := range n {
			want = append(want, key{rows.metric[i], rows.d1[i], hourOf(rows.tsSec[i]), rows.sid[i], rows.tsMs[i]})
		}
		cmpKey := func(a, b key) int {
			return cmp.Or(cmp.Compare(a.m, b.m), cmp.Compare(a.h, b.h), cmp.Compare(a.d1, b.d1), cmp.Compare(a.sid, b.sid), cmp.Compare(a.t, b.t))
		}
		slices.SortFunc(want, cmpKey)
		rows.sortByKey()
		for i := range n {
			got := key{rows.metric[i], rows.d1[i], hourOf(rows.tsSec[i]), rows.sid[i], rows.tsMs[i]}
			if cmpKey(got, want[i]) != 0 {
				t.Fatalf("round %d row %d: %+v, want %+v", round, i, got, want[i])
			}
		}
	}
}
