package histogram

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
)

func explicit(bounds []float64, counts ...uint64) *model.Histogram {
	h := &model.Histogram{Bounds: bounds, Counts: counts, HasSum: true}
	for _, c := range counts {
		h.Count += c
	}
	return h
}

func TestExplicitQuantiles(t *testing.T) {
	var a Acc
	a.Add(explicit([]float64{10, 20, 30}, 0, 10, 10, 0))
	for q, want := range map[float64]float64{0.5: 20, 0.25: 15, 0.75: 25, 1: 30} {
		if got := a.Quantile(q); math.Abs(got-want) > 1e-9 {
			t.Errorf("q%.2f = %v, want %v", q, got, want)
		}
	}
	// min and max narrow the outer buckets
	var b Acc
	h := explicit([]float64{10}, 4, 4)
	h.Min, h.HasMin, h.Max, h.HasMax = 2, true, 18, true
	b.Add(h)
	if got := b.Quantile(0.25); got != 6 { // (2,10], half way
		t.Errorf("first bucket with min: %v, want 6", got)
	}
	if got := b.Quantile(1); got != 18 {
		t.Errorf("+Inf bucket with max: %v, want 18", got)
	}
}

func TestExplicitMergeDifferentBounds(t *testing.T) {
	var a Acc
	a.Add(explicit([]float64{10, 20}, 0, 10, 0))
	a.Add(explicit([]float64{10, 15, 20}, 0, 5, 5, 0))
	if a.Count() != 20 {
		t.Fatalf("count %v", a.Count())
	}
	if !slices.Equal(a.bounds, []float64{10, 15, 20}) {
		t.Fatalf("bounds %v", a.bounds)
	}
	// (10,20] with 10 split evenly: 5 + 5 from the second: 10 in (10,15], 10 in (15,20]
	if want := []float64{0, 10, 10, 0}; !slices.Equal(a.counts, want) {
		t.Fatalf("counts %v, want %v", a.counts, want)
	}
}

func TestDeltaAndReset(t *testing.T) {
	prev := explicit([]float64{1}, 2, 3)
	prev.Sum = 10
	cur := explicit([]float64{1}, 4, 3)
	cur.Sum = 13
	d, ok := Delta(cur, prev)
	if !ok || d.Count != 2 || d.Sum != 3 || !slices.Equal(d.Counts, []uint64{2, 0}) {
		t.Fatalf("delta %+v ok=%v", d, ok)
	}
	if _, ok := Delta(prev, cur); ok {
		t.Fatal("a count going down is a reset")
	}
	if _, ok := Delta(explicit([]float64{2}, 4, 3), prev); ok {
		t.Fatal("changed bounds is a reset")
	}
}

// exponential builds an exponential histogram of values at scale s.
func exponential(values []float64, s int32) *model.Histogram {
	h := &model.Histogram{Exp: true, Scale: s, HasSum: true, Min: math.Inf(1), Max: math.Inf(-1), HasMin: true, HasMax: true}
	idx := map[int32]uint64{}
	lo, hi := int32(math.MaxInt32), int32(math.MinInt32)
	for _, v := range values {
		h.Count++
		h.Sum += v
		h.Min, h.Max = min(h.Min, v), max(h.Max, v)
		// index i with base^i < v <= base^(i+1)
		i := int32(math.Ceil(math.Ldexp(math.Log2(v), int(s)))) - 1
		idx[i]++
		lo, hi = min(lo, i), max(hi, i)
	}
	h.PosOffset = lo
	h.Pos = make([]uint64, hi-lo+1)
	for i, c := range idx {
		h.Pos[i-lo] = c
	}
	return h
}

func TestExponentialQuantileWithinBucketError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var vals []float64
	for range 20000 {
		vals = append(vals, 50+r.ExpFloat64()*40)
	}
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	for _, s := range []int32{8, 5, 3} {
		var a Acc
		// two series at different scales merge at the lower one
		a.Add(exponential(vals[:10000], s+1))
		a.Add(exponential(vals[10000:], s))
		width := math.Exp2(math.Ldexp(1, -int(s))) - 1 // relative bucket width
		for _, q := range []float64{0.5, 0.9, 0.95, 0.99} {
			exact := sorted[int(math.Ceil(q*float64(len(sorted))))-1]
			got := a.Quantile(q)
			if rel := math.Abs(got-exact) / exact; rel > width {
				t.Errorf("scale %d q%.2f: %v vs exact %v (%.3f%% > bucket width %.3f%%)", s, q, got, exact, rel*100, width*100)
			}
		}
	}
}

func TestExponentialDeltaAcrossScales(t *testing.T) {
	prev := exponential([]float64{10, 20, 30}, 6)
	cur := exponential([]float64{10, 20, 30, 40, 50}, 5)
	d, ok := Delta(cur, prev)
	if !ok || d.Count != 2 || d.Scale != 5 {
		t.Fatalf("delta %+v ok=%v", d, ok)
	}
	total := uint64(0)
	for _, c := range d.Pos {
		total += c
	}
	if total != 2 {
		t.Fatalf("delta buckets hold %d observations, want 2: %v", total, d.Pos)
	}
}

func TestNegativeAndZeroBuckets(t *testing.T) {
	h := &model.Histogram{Exp: true, Scale: 0, Count: 4, ZeroCount: 1, NegOffset: 1, Neg: []uint64{2}, PosOffset: 0, Pos: []uint64{1}}
	var a Acc
	a.Add(h)
	// order: two values in [-4,-2), one zero, one in (1,2]
	if got := a.Quantile(0.25); got > -2 || got < -4 {
		t.Errorf("q0.25 = %v, want in [-4,-2)", got)
	}
	if got := a.Quantile(0.75); got != 0 {
		t.Errorf("q0.75 = %v, want 0", got)
	}
	if got := a.Quantile(1); got <= 1 || got > 2 {
		t.Errorf("q1 = %v, want in (1,2]", got)
	}
}
