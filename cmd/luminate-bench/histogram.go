package main

import (
	"math"
	"runtime"
	"sort"
	"sync"

	"github.com/luminate-metrics/luminate/internal/workload"
)

// The histogram workload (--histograms, OTLP only): api_latency is a cumulative explicit-bucket
// histogram per series instead of a gauge, as an OTel SDK recording request latencies would
// export it. Each round adds obsPerRound observations to every series, drawn from the same
// log-normal-ish distribution as the gauge (workload.Latency), so counts grow by obsPerRound per
// round; every series starts one step before round 0 and never resets.

// obsPerRound is the number of observations every series records per round.
const obsPerRound = 10

// latencyBounds are the 19 explicit bounds (ms) of the 20 buckets, chosen for latencies of
// 20-240 ms with a tail: bucket b holds (latencyBounds[b-1], latencyBounds[b]]; the last one
// (300, +Inf).
var latencyBounds = []float64{5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 125, 150, 175, 200, 250, 300}

// latencyBuckets is the number of buckets: one more than the bounds.
var latencyBuckets = len(latencyBounds) + 1

// observation is the k-th observation (0 <= k < obsPerRound) of series i in round r: a latency in
// ms with one decimal. Distinct (r, k) give distinct workload rounds, so no two observations of a
// series share a draw.
func observation(s workload.Shape, i, r, k int) float64 {
	return s.Latency(i, r*obsPerRound+k)
}

// latencyBucket is the index of the bucket holding v: the first bound >= v, or the +Inf bucket.
func latencyBucket(v float64) int { return sort.SearchFloat64s(latencyBounds, v) }

// histData is every series' cumulative histogram after every round, computed before the clock
// starts like the gauge values: the load only copies it into requests. The checks read it too.
type histData struct {
	counts   [][]uint32  // [round][series*latencyBuckets]: cumulative bucket counts
	sum      [][]float64 // [round][series]: cumulative sum, observations added in order
	min, max [][]float64 // [round][series]: smallest and largest observation so far
	// tenths[e][v] counts the observations of endpoint e whose value is v/10 ms (every
	// observation has one decimal): the exact nearest-rank p95 the bucket estimate is compared to.
	tenths [][]int64
}

// histPoint is series i's histogram at round r.
type histPoint struct {
	counts        []uint32 // len latencyBuckets; aliases histData, do not modify
	count         uint64
	sum, min, max float64
}

func (h *histData) point(i, r int) histPoint {
	c := h.counts[r][i*latencyBuckets : (i+1)*latencyBuckets]
	var n uint64
	for _, v := range c {
		n += uint64(v)
	}
	return histPoint{counts: c, count: n, sum: h.sum[r][i], min: h.min[r][i], max: h.max[r][i]}
}

// addHistograms computes the histogram workload (histData) for every series and round.
func (d *dataset) addHistograms() {
	s := d.shape
	n := s.Series()
	h := &histData{counts: make([][]uint32, s.Points), sum: make([][]float64, s.Points),
		min: make([][]float64, s.Points), max: make([][]float64, s.Points), tenths: make([][]int64, s.Endpoints)}
	for r := range s.Points {
		h.counts[r] = make([]uint32, n*latencyBuckets)
		h.sum[r], h.min[r], h.max[r] = make([]float64, n), make([]float64, n), make([]float64, n)
	}
	workers := runtime.GOMAXPROCS(0)
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenths := make([][]int64, s.Endpoints)
			cum := make([]uint32, latencyBuckets)
			for i := w; i < n; i += workers {
				clear(cum)
				sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
				e := i % s.Endpoints
				for r := range s.Points {
					for k := range obsPerRound {
						v := observation(s, i, r, k)
						cum[latencyBucket(v)]++
						sum += v
						lo, hi = min(lo, v), max(hi, v)
						t := int(math.Round(v * 10))
						if t >= len(tenths[e]) {
							tenths[e] = append(tenths[e], make([]int64, t+1-len(tenths[e]))...)
						}
						tenths[e][t]++
					}
					copy(h.counts[r][i*latencyBuckets:], cum)
					h.sum[r][i], h.min[r][i], h.max[r][i] = sum, lo, hi
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for e, ts := range tenths {
				if len(ts) > len(h.tenths[e]) {
					h.tenths[e] = append(h.tenths[e], make([]int64, len(ts)-len(h.tenths[e]))...)
				}
				for t, c := range ts {
					h.tenths[e][t] += c
				}
			}
		}()
	}
	wg.Wait()
	d.hist = h
}

// histStart is the start time (Unix ms) of every histogram series: one step before round 0.
func (d *dataset) histStart() int64 { return d.shape.T(0) - d.shape.StepMs }

// histPoints is the number of histogram points the load writes (0 without --histograms).
func (d *dataset) histPoints() int64 {
	if d.hist == nil {
		return 0
	}
	return int64(d.shape.Series()) * int64(d.shape.Points)
}

// mergedHist is the histograms of a group merged, as a query over the whole range merges them:
// with the range starting before the series' start time, every observation counts (docs/api.md,
// the first point in range counts itself when its series started inside the range).
type mergedHist struct {
	counts        []uint64
	count         uint64
	sum, min, max float64
}

// add merges series histogram p.
func (m *mergedHist) add(p histPoint) {
	if m.counts == nil {
		m.counts = make([]uint64, latencyBuckets)
		m.min, m.max = math.Inf(1), math.Inf(-1)
	}
	for b, c := range p.counts {
		m.counts[b] += uint64(c)
	}
	m.count += p.count
	m.sum += p.sum
	m.min, m.max = min(m.min, p.min), max(m.max, p.max)
}

// rankBucket is the bucket that holds the observation of nearest rank q (0 < q <= 1): the first
// whose cumulative count reaches q*count. The same bucket holds rank q*count, which the server
// interpolates at.
func (m *mergedHist) rankBucket(q float64) int {
	rank := q * float64(m.count)
	var cum float64
	for b, c := range m.counts {
		if c > 0 && cum+float64(c) >= rank {
			return b
		}
		cum += float64(c)
	}
	return len(m.counts) - 1
}

// bucketEdges are bucket b's bounds narrowed to the observations' [min, max]: the interval any
// estimate from the buckets must lie in.
func (m *mergedHist) bucketEdges(b int) (lo, hi float64) {
	lo, hi = m.min, m.max
	if b > 0 {
		lo = max(lo, latencyBounds[b-1])
	}
	if b < len(latencyBounds) {
		hi = min(hi, latencyBounds[b])
	}
	return lo, hi
}

// quantile is the percentile the issue asks for: linear interpolation at rank q*count inside the
// bucket that holds it, the bucket's edges narrowed by the known min and max (as Prometheus's
// histogram_quantile, with min and max for the open first and last buckets).
func (m *mergedHist) quantile(q float64) float64 {
	if m.count == 0 {
		return math.NaN()
	}
	b := m.rankBucket(q)
	var cum float64
	for _, c := range m.counts[:b] {
		cum += float64(c)
	}
	lo, hi := m.bucketEdges(b)
	if hi <= lo {
		return lo
	}
	return lo + (hi-lo)*(q*float64(m.count)-cum)/float64(m.counts[b])
}

// exactPercentile is the nearest-rank percentile p of endpoint e's observations.
func (h *histData) exactPercentile(e int, p float64) float64 {
	var n int64
	for _, c := range h.tenths[e] {
		n += c
	}
	idx := int64(math.Ceil(p/100*float64(n))) - 1
	var cum int64
	for t, c := range h.tenths[e] {
		cum += c
		if cum > idx {
			return float64(t) / 10
		}
	}
	return math.NaN()
}
