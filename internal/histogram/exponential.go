package histogram

import (
	"math"

	"github.com/luminate-metrics/luminate/internal/model"
)

func (a *Acc) addExp(h *model.Histogram) {
	pos := sparse{offset: h.PosOffset, counts: toFloat(h.Pos)}
	neg := sparse{offset: h.NegOffset, counts: toFloat(h.Neg)}
	if a.n == 1 {
		a.scale, a.zeroThreshold, a.zeroCount, a.pos, a.neg = h.Scale, h.ZeroThreshold, float64(h.ZeroCount), pos, neg
		return
	}
	a.mergeExp(h.Scale, h.ZeroThreshold, float64(h.ZeroCount), pos, neg)
}

func toFloat(cs []uint64) []float64 {
	out := make([]float64, len(cs))
	for i, c := range cs {
		out[i] = float64(c)
	}
	return out
}

// mergeExp adds buckets at scale s: both sides go to the smaller scale first (merging 2^d
// buckets into one, exactly), and the wider zero threshold absorbs buckets below it.
func (a *Acc) mergeExp(s int32, zt, zc float64, pos, neg sparse) {
	if s < a.scale {
		a.pos = a.pos.downscale(a.scale - s)
		a.neg = a.neg.downscale(a.scale - s)
		a.scale = s
	}
	pos = pos.downscale(s - a.scale)
	neg = neg.downscale(s - a.scale)
	a.zeroCount += zc
	if zt > a.zeroThreshold {
		a.zeroThreshold = zt
	}
	a.pos = a.pos.add(pos)
	a.neg = a.neg.add(neg)
	a.zeroCount += a.pos.dropBelow(a.zeroThreshold, a.scale)
	a.zeroCount += a.neg.dropBelow(a.zeroThreshold, a.scale)
}

func (sp sparse) downscale(by int32) sparse {
	if by <= 0 || len(sp.counts) == 0 {
		return sp
	}
	first := sp.offset >> by
	last := (sp.offset + int32(len(sp.counts)) - 1) >> by
	out := make([]float64, last-first+1)
	for k, c := range sp.counts {
		out[((sp.offset+int32(k))>>by)-first] += c
	}
	return sparse{offset: first, counts: out}
}

func (sp sparse) add(o sparse) sparse {
	if len(o.counts) == 0 {
		return sp
	}
	if len(sp.counts) == 0 {
		return sparse{offset: o.offset, counts: append([]float64(nil), o.counts...)}
	}
	first := min(sp.offset, o.offset)
	last := max(sp.offset+int32(len(sp.counts)), o.offset+int32(len(o.counts)))
	out := make([]float64, last-first)
	for k, c := range sp.counts {
		out[sp.offset-first+int32(k)] += c
	}
	for k, c := range o.counts {
		out[o.offset-first+int32(k)] += c
	}
	return sparse{offset: first, counts: out}
}

// dropBelow empties the buckets whose upper edge is at or below the zero threshold and returns
// their total (it moves to the zero bucket).
func (sp *sparse) dropBelow(threshold float64, scale int32) float64 {
	if threshold <= 0 {
		return 0
	}
	moved := 0.0
	for k := range sp.counts {
		if upperEdge(sp.offset+int32(k), scale) > threshold {
			break
		}
		moved += sp.counts[k]
		sp.counts[k] = 0
	}
	return moved
}

// edge is base^i = 2^(i / 2^scale).
func edge(i float64, scale int32) float64 { return math.Exp2(math.Ldexp(i, -int(scale))) }

func upperEdge(i, scale int32) float64 { return edge(float64(i)+1, scale) }

// quantileExp walks negative buckets from the most negative, the zero bucket, then positive
// buckets, and interpolates log-linearly inside the bucket holding rank q*count.
func (a *Acc) quantileExp(q float64) float64 {
	rank := q * a.count
	cum := 0.0
	for k := len(a.neg.counts) - 1; k >= 0; k-- {
		c := a.neg.counts[k]
		if c > 0 && cum+c >= rank {
			// bucket of -v for v in (lo, hi]: walking upwards, -hi first
			f := (rank - cum) / c
			return -edge(float64(a.neg.offset+int32(k))+1-f, a.scale)
		}
		cum += c
	}
	if a.zeroCount > 0 && cum+a.zeroCount >= rank {
		return 0
	}
	cum += a.zeroCount
	for k, c := range a.pos.counts {
		if c > 0 && cum+c >= rank {
			f := (rank - cum) / c
			return edge(float64(a.pos.offset+int32(k))+f, a.scale)
		}
		cum += c
	}
	if n := len(a.pos.counts); n > 0 {
		return upperEdge(a.pos.offset+int32(n)-1, a.scale)
	}
	return 0
}

// Quantile returns the q-quantile (0 <= q <= 1) of the merged observations, clamped to the
// known min and max; NaN when there are none.
func (a *Acc) Quantile(q float64) float64 {
	if a.count <= 0 {
		return math.NaN()
	}
	var v float64
	if a.exp {
		v = a.quantileExp(q)
	} else {
		v = a.quantileExplicit(q)
	}
	if a.hasMin && v < a.min {
		v = a.min
	}
	if a.hasMax && v > a.max {
		v = a.max
	}
	return v
}
