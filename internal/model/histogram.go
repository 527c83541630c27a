package model

// Histogram is one OTLP histogram data point, explicit-bucket or exponential, as stored.
//
// Explicit: Counts[i] counts observations in (Bounds[i-1], Bounds[i]], with Bounds[-1] = -Inf
// and Bounds[len] = +Inf, so len(Counts) == len(Bounds)+1.
//
// Exponential (Exp): at scale s the base is 2^(2^-s); positive bucket index i counts values in
// (base^i, base^(i+1)], Pos[k] is index PosOffset+k; negative buckets mirror that for -v; values
// with |v| <= ZeroThreshold are in ZeroCount.
type Histogram struct {
	Count  uint64
	Sum    float64
	HasSum bool
	Min    float64
	HasMin bool
	Max    float64
	HasMax bool

	Bounds []float64
	Counts []uint64

	Exp           bool
	Scale         int32
	ZeroCount     uint64
	ZeroThreshold float64
	PosOffset     int32
	Pos           []uint64
	NegOffset     int32
	Neg           []uint64
}

// Clone returns a deep copy.
func (h *Histogram) Clone() *Histogram {
	c := *h
	c.Bounds = append([]float64(nil), h.Bounds...)
	c.Counts = append([]uint64(nil), h.Counts...)
	c.Pos = append([]uint64(nil), h.Pos...)
	c.Neg = append([]uint64(nil), h.Neg...)
	return &c
}

// Point is a data point as the exporter hands it to a store: a value or a histogram, its time,
// and for cumulative sums and histograms the start time of the series (0 when unknown): a
// start time that differs from the previous point's marks a reset.
type Point struct {
	T     int64
	Start int64
	V     float64
	Hist  *Histogram
}
