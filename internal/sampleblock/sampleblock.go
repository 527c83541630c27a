// Package sampleblock encodes the sample blocks of the Badger engine: the points of one
// (tenant, metric, chunk, hour) written together, as compressed columns. The layout is
// documented in docs/storage-badger.md ("Sample block"); keep the two in step.
//
// Example: three series of a chunk, one point each at the same time, latencies 145.5, 98.25, 120:
// decimal scale k=2 makes them 14550, 9825, 12000; runs (sid delta, count) = (0,1) (1,1) (1,1);
// timestamp deltas 0,0,0; values as zigzag varints. zstd then removes the repetition.
package sampleblock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"

	"github.com/klauspost/compress/zstd"
)

// Point is one sample of a chunk-local series.
type Point struct {
	SID   uint32 // series number inside its chunk
	T     int64  // Unix ms
	V     float64
	Start int64 // start time of a cumulative series (Unix ms), 0 when unknown
}

const (
	version = 1

	flagZstd  = 1 << 0 // the body is zstd-compressed
	flagRaw   = 1 << 1 // values are float64 bits XOR the previous value of the run
	flagDense = 1 << 2 // series first..first+n-1, one point each: only `first` is stored
	flagConst = 1 << 3 // every timestamp equals the base: no timestamp column
	flagStart = 1 << 4 // a start-time column follows the timestamps (OTLP cumulative sums)

	maxScale = 15 // 10^15 keeps the scaled integers of sensible metrics below 2^53
)

// pow10 holds exact powers of ten (exact as float64 up to 1e22).
var pow10 = func() (p [maxScale + 1]float64) {
	p[0] = 1
	for i := 1; i <= maxScale; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// zstd encoders and decoders are safe for concurrent EncodeAll/DecodeAll; one each per process.
// klauspost/compress is used rather than a hand-written entropy coder: it is the well-kept pure
// Go zstd, already a Badger dependency.
var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithZeroFrames(true))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithDecoderMaxMemory(256<<20))
)

// minZstd is the body size below which compression is not tried: a small body costs more to
// decode (a Huffman table per block) than it saves; scrape-order blocks, whose sids and
// timestamps the dense/const flags already remove, are varint values that zstd cannot shrink.
const minZstd = 512

// zstdGain is the ratio compressed/plain a body must beat to be stored compressed.
const zstdGain = 0.9

// Marshal appends the encoding of pts to dst. pts must be sorted by (SID, T); the caller keeps
// ownership of pts. scratch is a reusable buffer (may be nil); Marshal returns it grown.
func Marshal(dst []byte, pts []Point, scratch []byte) (out, scratchOut []byte) {
	if len(pts) == 0 {
		panic("sampleblock: Marshal of zero points")
	}
	base := pts[0].T
	for _, p := range pts {
		base = min(base, p.T)
	}
	scale, decimal := commonScale(pts)
	flags := byte(0)
	if !decimal {
		flags |= flagRaw
	}
	if isDense(pts) {
		flags |= flagDense
	}
	if pts[0].T == base && pts[len(pts)-1].T == base && isConst(pts) {
		flags |= flagConst
	}
	if hasStart(pts) {
		flags |= flagStart
	}
	body := marshalBody(scratch[:0], pts, base, scale, flags)
	head := len(dst)
	dst = append(dst, version, flags)
	dst = binary.AppendUvarint(dst, uint64(len(pts)))
	dst = binary.AppendVarint(dst, base)
	if decimal {
		dst = binary.AppendUvarint(dst, uint64(scale))
	}
	if len(body) >= minZstd {
		before := len(dst)
		dst = zenc.EncodeAll(body, dst)
		if float64(len(dst)-before) < zstdGain*float64(len(body)) {
			dst[head+1] |= flagZstd
			return dst, body
		}
		dst = dst[:before]
	}
	return append(dst, body...), body
}

func isDense(pts []Point) bool {
	for i := 1; i < len(pts); i++ {
		if pts[i].SID != pts[i-1].SID+1 {
			return false
		}
	}
	return true
}

func hasStart(pts []Point) bool {
	for _, p := range pts {
		if p.Start != 0 {
			return true
		}
	}
	return false
}

func isConst(pts []Point) bool {
	for _, p := range pts {
		if p.T != pts[0].T {
			return false
		}
	}
	return true
}

func marshalBody(b []byte, pts []Point, base int64, scale int, flags byte) []byte {
	b = marshalSIDs(b, pts, flags)
	if flags&flagConst == 0 {
		for i, p := range pts {
			prev := base
			if i > 0 && pts[i-1].SID == p.SID {
				prev = pts[i-1].T
			}
			b = binary.AppendVarint(b, p.T-prev)
		}
	}
	if flags&flagStart != 0 {
		// start times repeat within a series (and usually across the series of one process):
		// deltas from the previous start of the run, the first from the base timestamp
		for i, p := range pts {
			prev := base
			if i > 0 && pts[i-1].SID == p.SID {
				prev = pts[i-1].Start
			}
			b = binary.AppendVarint(b, p.Start-prev)
		}
	}
	return marshalValues(b, pts, scale, flags&flagRaw == 0)
}

func marshalSIDs(b []byte, pts []Point, flags byte) []byte {
	if flags&flagDense != 0 {
		return binary.AppendUvarint(b, uint64(pts[0].SID))
	}
	runs := 0
	for i := range pts {
		if i == 0 || pts[i].SID != pts[i-1].SID {
			runs++
		}
	}
	b = binary.AppendUvarint(b, uint64(runs))
	prevSID := uint32(0)
	for i := 0; i < len(pts); {
		j := i + 1
		for j < len(pts) && pts[j].SID == pts[i].SID {
			j++
		}
		b = binary.AppendUvarint(b, uint64(pts[i].SID-prevSID))
		b = binary.AppendUvarint(b, uint64(j-i))
		prevSID = pts[i].SID
		i = j
	}
	return b
}

func marshalValues(b []byte, pts []Point, scale int, decimal bool) []byte {
	var prevInt int64
	var prevBits uint64
	for i, p := range pts {
		first := i == 0 || pts[i-1].SID != p.SID
		if decimal {
			m := int64(math.Round(p.V * pow10[scale]))
			if first {
				prevInt = 0
			}
			b = binary.AppendVarint(b, m-prevInt)
			prevInt = m
			continue
		}
		bits := math.Float64bits(p.V)
		if first {
			prevBits = 0
		}
		b = binary.BigEndian.AppendUint64(b, bits^prevBits)
		prevBits = bits
	}
	return b
}

// commonScale finds the smallest k such that every value is int/10^k exactly (bit for bit).
func commonScale(pts []Point) (int, bool) {
	k := 0
	for _, p := range pts {
		for !exactAt(p.V, k) {
			k++
			if k > maxScale {
				return 0, false
			}
		}
	}
	// A larger k found later still has to hold for the earlier values (|m| may pass 2^53).
	for _, p := range pts {
		if !exactAt(p.V, k) {
			return 0, false
		}
	}
	return k, true
}

func exactAt(v float64, k int) bool {
	m := math.Round(v * pow10[k])
	if !(math.Abs(m) < 1<<53) { // also false for NaN and Inf
		return false
	}
	// Decode from the integer, as Unmarshal will: this also sends -0 to raw mode.
	return math.Float64bits(float64(int64(m))/pow10[k]) == math.Float64bits(v)
}

// Unmarshal appends the points of block src to dst.
func Unmarshal(dst []Point, src []byte, scratch []byte) (out []Point, scratchOut []byte, err error) {
	if len(src) < 2 {
		return dst, scratch, fmt.Errorf("sampleblock: block of %d bytes is shorter than its header", len(src))
	}
	if src[0] != version {
		return dst, scratch, fmt.Errorf("sampleblock: unknown block version %d", src[0])
	}
	flags := src[1]
	r := reader{b: src[2:]}
	n := r.uvarint()
	base := r.varint()
	scale := uint64(0)
	if flags&flagRaw == 0 {
		scale = r.uvarint()
	}
	if r.err != nil || scale > maxScale || n > 1<<26 {
		return dst, scratch, fmt.Errorf("sampleblock: corrupt header (n=%d scale=%d): %v", n, scale, r.err)
	}
	body := r.b
	if flags&flagZstd != 0 {
		scratch, err = zdec.DecodeAll(body, scratch[:0])
		if err != nil {
			return dst, scratch, fmt.Errorf("sampleblock: decompress %d bytes: %w", len(body), err)
		}
		body = scratch
	}
	dst, err = unmarshalBody(dst, body, int(n), base, int(scale), flags)
	return dst, scratch, err
}

func unmarshalBody(dst []Point, body []byte, n int, base int64, scale int, flags byte) ([]Point, error) {
	r := reader{b: body}
	start := len(dst)
	dst = grow(dst, n)
	pts := dst[start:]
	if err := unmarshalSIDs(&r, pts, flags); err != nil {
		return dst[:start], err
	}
	if flags&flagConst != 0 {
		for i := range pts {
			pts[i].T = base
		}
	} else {
		for i := range pts {
			prev := base
			if i > 0 && pts[i-1].SID == pts[i].SID {
				prev = pts[i-1].T
			}
			pts[i].T = prev + r.varint()
		}
	}
	if flags&flagStart != 0 {
		for i := range pts {
			prev := base
			if i > 0 && pts[i-1].SID == pts[i].SID {
				prev = pts[i-1].Start
			}
			pts[i].Start = prev + r.varint()
		}
	} else {
		for i := range pts {
			pts[i].Start = 0
		}
	}
	unmarshalValues(&r, pts, scale, flags&flagRaw != 0)
	if r.err != nil {
		return dst[:start], fmt.Errorf("sampleblock: corrupt body of %d points: %w", n, r.err)
	}
	return dst, nil
}

func unmarshalSIDs(r *reader, pts []Point, flags byte) error {
	n := len(pts)
	if flags&flagDense != 0 {
		first := r.uvarint()
		if first+uint64(n) > 1<<32 {
			return fmt.Errorf("sampleblock: dense series %d+%d overflow", first, n)
		}
		for i := range pts {
			pts[i].SID = uint32(first) + uint32(i)
		}
		return nil
	}
	runs := int(r.uvarint())
	if runs > n {
		return fmt.Errorf("sampleblock: %d runs for %d points", runs, n)
	}
	i := 0
	sid := uint32(0)
	for range runs {
		sid += uint32(r.uvarint())
		c := int(r.uvarint())
		if c <= 0 || i+c > n {
			return fmt.Errorf("sampleblock: run of %d points at %d overflows %d points", c, i, n)
		}
		for j := i; j < i+c; j++ {
			pts[j].SID = sid
		}
		i += c
	}
	if i != n {
		return fmt.Errorf("sampleblock: runs cover %d of %d points", i, n)
	}
	return r.err
}

func unmarshalValues(r *reader, pts []Point, scale int, raw bool) {
	if raw {
		var prevBits uint64
		for i := range pts {
			if i == 0 || pts[i-1].SID != pts[i].SID {
				prevBits = 0
			}
			bits := r.uint64() ^ prevBits
			pts[i].V = math.Float64frombits(bits)
			prevBits = bits
		}
	} else {
		div := pow10[scale]
		var m int64
		for i := range pts {
			if i == 0 || pts[i-1].SID != pts[i].SID {
				m = 0
			}
			m += r.varint()
			pts[i].V = float64(m) / div
		}
	}
}

func grow(dst []Point, n int) []Point {
	if cap(dst)-len(dst) < n {
		nd := make([]Point, len(dst), len(dst)+n+len(dst)/4)
		copy(nd, dst)
		dst = nd
	}
	return dst[:len(dst)+n]
}

var errShort = errors.New("unexpected end of block")

// reader decodes varints with a sticky error, read once at the end (the chunkenc pattern).
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uint64() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errShort
	}
	r.b = nil
}
