package store

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// SortValueCounts orders discovery values most frequent first, then by value, so every engine
// answers in the same order.
func SortValueCounts(vs []ValueCount) {
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].SeriesCount != vs[j].SeriesCount {
			return vs[i].SeriesCount > vs[j].SeriesCount
		}
		return vs[i].Value < vs[j].Value
	})
}

// RankGroups orders groups by Value (desc or asc as the query says; ties by key ascending so
// that every engine gives the same answer) and keeps at most limit of them (limit <= 0: all).
// Values within a relative 1e-12 of each other are ties: sums of the same numbers in another
// order differ in the last bits, and the ranking must not depend on summation order.
func RankGroups(gs []Group, order Order, limit int) []Group {
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i].Value, gs[j].Value
		if an, bn := math.IsNaN(a), math.IsNaN(b); an != bn {
			return bn // a value without an answer (avg of no observations) ranks last
		}
		if !math.IsNaN(a) && !nearlyEqual(a, b) {
			if order == OrderAsc {
				return a < b
			}
			return a > b
		}
		return slices.Compare(gs[i].Key, gs[j].Key) < 0
	})
	if limit > 0 && len(gs) > limit {
		gs = gs[:limit]
	}
	return gs
}

// GroupKeyString joins a group key for use as a map key.
func GroupKeyString(key []string) string { return strings.Join(key, "\x00") }

// NearestRank is the index of the p-th percentile (0 < p <= 100) in n sorted values:
// ceil(p/100*n) - 1, clamped to [0, n-1] (api.md's reference definition).
func NearestRank(p float64, n int) int {
	// p has at most a few decimals, so the exact p*n/100 is either an integer or at least 1e-3
	// away from one: snap float noise (0.95*100 = 94.99999999999999) before taking the ceiling.
	x := p * float64(n) / 100
	if r := math.Round(x); math.Abs(x-r) < 1e-6 {
		x = r
	}
	i := int(math.Ceil(x)) - 1
	return max(0, min(i, n-1))
}

func nearlyEqual(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}
