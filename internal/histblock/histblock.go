// Package histblock encodes the histogram blocks of the Badger engine: the histogram points of
// one (tenant, metric, chunk, hour), stored natively (count, sum, min, max and the bucket counts)
// rather than as one row per bucket. docs/storage-badger.md ("Histogram block") documents it.
//
// Points are rows sorted by (series, time); integers are varints, floats raw bits; a series'
// bucket bounds are written once and then marked "same as before". The body is zstd-compressed:
// cumulative bucket counts of one series repeat their high bytes, and one service's series
// share their layout.
package histblock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/klauspost/compress/zstd"

	"github.com/luminate-metrics/luminate/internal/model"
)

// Point is one histogram point of a chunk-local series.
type Point struct {
	SID   uint32
	T     int64
	Start int64
	H     *model.Histogram
}

const (
	version  = 1
	flagZstd = 1

	kindExp    = 1 << 0
	kindSum    = 1 << 1
	kindMin    = 1 << 2
	kindMax    = 1 << 3
	kindSameLB = 1 << 4 // explicit bounds equal the previous point's of the run

	maxBuckets = 1 << 16
)

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(2))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxMemory(256<<20))
)

// Marshal appends the encoding of pts (sorted by SID, T) to dst.
func Marshal(dst []byte, pts []Point) []byte {
	if len(pts) == 0 {
		panic("histblock: Marshal of zero points")
	}
	base := pts[0].T
	for _, p := range pts {
		base = min(base, p.T)
	}
	var b []byte
	for i, p := range pts {
		first := i == 0 || pts[i-1].SID != p.SID
		prevSID, prevT, prevStart := uint32(0), base, base
		var prevH *model.Histogram
		if i > 0 {
			prevSID = pts[i-1].SID
		}
		if !first {
			prevT, prevStart, prevH = pts[i-1].T, pts[i-1].Start, pts[i-1].H
		}
		b = binary.AppendUvarint(b, uint64(p.SID-prevSID))
		b = binary.AppendVarint(b, p.T-prevT)
		b = binary.AppendVarint(b, p.Start-prevStart)
		b = appendHist(b, p.H, prevH)
	}
	dst = append(dst, version, 0)
	flagAt := len(dst) - 1
	dst = binary.AppendUvarint(dst, uint64(len(pts)))
	dst = binary.AppendVarint(dst, base)
	before := len(dst)
	dst = zenc.EncodeAll(b, dst)
	if len(dst)-before < len(b) {
		dst[flagAt] = flagZstd
		return dst
	}
	return append(dst[:before], b...)
}

func appendHist(b []byte, h, prev *model.Histogram) []byte {
	kind := byte(0)
	if h.Exp {
		kind |= kindExp
	}
	if h.HasSum {
		kind |= kindSum
	}
	if h.HasMin {
		kind |= kindMin
	}
	if h.HasMax {
		kind |= kindMax
	}
	sameBounds := !h.Exp && prev != nil && !prev.Exp && slices.Equal(prev.Bounds, h.Bounds)
	if sameBounds {
		kind |= kindSameLB
	}
	b = append(b, kind)
	b = binary.AppendUvarint(b, h.Count)
	for _, f := range []struct {
		on bool
		v  float64
	}{{h.HasSum, h.Sum}, {h.HasMin, h.Min}, {h.HasMax, h.Max}} {
		if f.on {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.v))
		}
	}
	if h.Exp {
		b = binary.AppendVarint(b, int64(h.Scale))
		b = binary.AppendUvarint(b, h.ZeroCount)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(h.ZeroThreshold))
		b = appendBuckets(b, h.PosOffset, h.Pos)
		return appendBuckets(b, h.NegOffset, h.Neg)
	}
	if !sameBounds {
		b = binary.AppendUvarint(b, uint64(len(h.Bounds)))
		for _, x := range h.Bounds {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	}
	b = binary.AppendUvarint(b, uint64(len(h.Counts)))
	for _, c := range h.Counts {
		b = binary.AppendUvarint(b, c)
	}
	return b
}

func appendBuckets(b []byte, offset int32, counts []uint64) []byte {
	b = binary.AppendVarint(b, int64(offset))
	b = binary.AppendUvarint(b, uint64(len(counts)))
	for _, c := range counts {
		b = binary.AppendUvarint(b, c)
	}
	return b
}

// Unmarshal appends the points of block src to dst; every histogram is freshly allocated.
func Unmarshal(dst []Point, src []byte) ([]Point, error) {
	return unmarshal(dst, src, nil)
}

func unmarshal(dst []Point, src []byte, dec *Decoder) ([]Point, error) {
	if len(src) < 2 || src[0] != version {
		return dst, fmt.Errorf("histblock: block of %d bytes has no known header", len(src))
	}
	r := reader{b: src[2:], dec: dec}
	n := r.uvarint()
	base := r.varint()
	if r.err != nil || n > 1<<24 {
		return dst, fmt.Errorf("histblock: corrupt header (n=%d): %v", n, r.err)
	}
	if src[1]&flagZstd != 0 {
		var buf []byte
		if dec != nil {
			buf = dec.body[:0]
		}
		body, err := zdec.DecodeAll(r.b, buf)
		if dec != nil {
			dec.body = body // reused by the next block: nothing decoded points into it
		}
		if err != nil {
			return dst, fmt.Errorf("histblock: decompress %d bytes: %w", len(r.b), err)
		}
		r.b = body
	}
	start := len(dst)
	sid := uint32(0)
	for i := 0; i < int(n); i++ {
		sid += uint32(r.uvarint())
		first := i == 0 || dst[len(dst)-1].SID != sid
		prevT, prevStart := base, base
		var prevH *model.Histogram
		if !first {
			last := dst[len(dst)-1]
			prevT, prevStart, prevH = last.T, last.Start, last.H
		}
		p := Point{SID: sid, T: prevT + r.varint(), Start: prevStart + r.varint()}
		p.H = r.hist(prevH)
		if r.err != nil {
			return dst[:start], fmt.Errorf("histblock: point %d of %d: %w", i, n, r.err)
		}
		dst = append(dst, p)
	}
	return dst, nil
}

var errCorrupt = errors.New("corrupt histogram")

func (r *reader) hist(prev *model.Histogram) *model.Histogram {
	kind := r.byte()
	h := r.newHist()
	*h = model.Histogram{Exp: kind&kindExp != 0, HasSum: kind&kindSum != 0, HasMin: kind&kindMin != 0, HasMax: kind&kindMax != 0}
	h.Count = r.uvarint()
	if h.HasSum {
		h.Sum = r.float()
	}
	if h.HasMin {
		h.Min = r.float()
	}
	if h.HasMax {
		h.Max = r.float()
	}
	if h.Exp {
		h.Scale = int32(r.varint())
		h.ZeroCount = r.uvarint()
		h.ZeroThreshold = r.float()
		h.PosOffset, h.Pos = r.buckets()
		h.NegOffset, h.Neg = r.buckets()
		return h
	}
	if kind&kindSameLB != 0 {
		if prev == nil || prev.Exp {
			r.fail(errCorrupt)
			return h
		}
		h.Bounds = prev.Bounds // shared, never modified
	} else {
		nb := r.uvarint()
		if nb > maxBuckets {
			r.fail(errCorrupt)
			return h
		}
		h.Bounds = r.floats(int(nb))
		for i := range h.Bounds {
			h.Bounds[i] = r.float()
		}
	}
	_, h.Counts = r.buckets0()
	if len(h.Counts) != len(h.Bounds)+1 {
		r.fail(errCorrupt)
	}
	return h
}

func (r *reader) buckets() (int32, []uint64) {
	off := int32(r.varint())
	_, c := r.buckets0()
	return off, c
}

func (r *reader) buckets0() (int32, []uint64) {
	n := r.uvarint()
	if n > maxBuckets || n > uint64(len(r.b)) {
		r.fail(errCorrupt)
		return 0, nil
	}
	c := r.uint64s(int(n))
	for i := range c {
		c[i] = r.uvarint()
	}
	return 0, c
}

type reader struct {
	b   []byte
	err error
	dec *Decoder // nil: allocate
}

func (r *reader) newHist() *model.Histogram {
	if r.dec == nil {
		return &model.Histogram{}
	}
	return &r.dec.hists.take(1)[0]
}

func (r *reader) uint64s(n int) []uint64 {
	if r.dec == nil {
		return make([]uint64, n)
	}
	return r.dec.u64s.take(n)
}

func (r *reader) floats(n int) []float64 {
	if r.dec == nil {
		return make([]float64, n)
	}
	return r.dec.f64s.take(n)
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.fail(errCorrupt)
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) float() float64 {
	if len(r.b) < 8 {
		r.fail(errCorrupt)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}
