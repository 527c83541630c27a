package histogram

import (
	"math"
	"slices"
	"sort"
)

// addExplicit adds counts over bounds. Equal bounds (the common case: one SDK configuration)
// add bucket by bucket; different bounds are re-bucketed onto the union of both bound sets,
// splitting a bucket's count in proportion to width. The open-ended first and last buckets
// cannot be split by width: their count stays next to their finite bound.
func (a *Acc) addExplicit(bounds []float64, counts []float64) {
	if a.counts == nil {
		a.bounds = slices.Clone(bounds)
		a.counts = slices.Clone(counts)
		return
	}
	if slices.Equal(a.bounds, bounds) {
		for i, c := range counts {
			a.counts[i] += c
		}
		return
	}
	union := slices.Clone(a.bounds)
	union = append(union, bounds...)
	slices.Sort(union)
	union = slices.Compact(union)
	merged := rebucket(a.bounds, a.counts, union)
	for i, c := range rebucket(bounds, counts, union) {
		merged[i] += c
	}
	a.bounds, a.counts = union, merged
}

// rebucket spreads counts over bounds onto the finer bounds `to` (a superset of bounds).
func rebucket(bounds, counts, to []float64) []float64 {
	out := make([]float64, len(to)+1)
	for i, c := range counts {
		if c == 0 {
			continue
		}
		lo, hi := math.Inf(-1), math.Inf(1)
		if i > 0 {
			lo = bounds[i-1]
		}
		if i < len(bounds) {
			hi = bounds[i]
		}
		// target buckets j with (to[j-1], to[j]] inside (lo, hi]
		first := sort.SearchFloat64s(to, lo) // to[first] == lo when lo is finite
		if !math.IsInf(lo, -1) {
			first++
		}
		last := len(to) // the +Inf bucket
		if !math.IsInf(hi, 1) {
			last = sort.SearchFloat64s(to, hi)
		}
		switch {
		case first == last:
			out[first] += c
		case math.IsInf(lo, -1):
			out[last] += c // keep the mass next to the finite upper bound
		case math.IsInf(hi, 1):
			out[first] += c // next to the finite lower bound
		default:
			width := hi - lo
			for j := first; j <= last; j++ {
				out[j] += c * (to[j] - to[j-1]) / width
			}
		}
	}
	return out
}

// quantileExplicit interpolates linearly inside the bucket that holds rank q*count.
func (a *Acc) quantileExplicit(q float64) float64 {
	rank := q * a.count
	cum := 0.0
	for i, c := range a.counts {
		if c == 0 || cum+c < rank {
			cum += c
			continue
		}
		lo, hi := a.lower(i), a.upper(i)
		if hi <= lo {
			return lo
		}
		frac := (rank - cum) / c
		return lo + (hi-lo)*frac
	}
	return a.upper(len(a.counts) - 1)
}

// lower is bucket i's lower edge for interpolation: the previous bound, or for the first
// bucket the known min (else 0 when the first bound is positive, as Prometheus does).
func (a *Acc) lower(i int) float64 {
	if i > 0 {
		lo := a.bounds[i-1]
		if a.hasMin && a.min > lo {
			return a.min
		}
		return lo
	}
	switch {
	case a.hasMin:
		return a.min
	case len(a.bounds) > 0 && a.bounds[0] > 0:
		return 0
	case len(a.bounds) > 0:
		return a.bounds[0]
	}
	return 0
}

// upper is bucket i's upper edge: its bound, or for the last bucket the known max (else the
// largest finite bound).
func (a *Acc) upper(i int) float64 {
	if i < len(a.bounds) {
		hi := a.bounds[i]
		if a.hasMax && a.max < hi {
			return a.max
		}
		return hi
	}
	if a.hasMax {
		return a.max
	}
	if len(a.bounds) > 0 {
		return a.bounds[len(a.bounds)-1]
	}
	return 0
}
