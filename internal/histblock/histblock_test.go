package histblock

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
)

func randomPoints(r *rand.Rand, n int) []Point {
	var pts []Point
	bounds := []float64{0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000}
	for s := range uint32(n) {
		start := int64(1735600000000) + int64(r.IntN(5))*1000
		var counts []uint64
		for i := range 1 + r.IntN(5) {
			h := &model.Histogram{HasSum: r.IntN(4) > 0, HasMin: r.IntN(2) == 0, HasMax: r.IntN(2) == 0}
			if h.HasSum {
				h.Sum = r.Float64() * 1000
			}
			if h.HasMin {
				h.Min = 0.1
			}
			if h.HasMax {
				h.Max = 900
			}
			if s%3 == 2 {
				h.Exp, h.Scale, h.ZeroCount, h.ZeroThreshold = true, int32(r.IntN(20)-5), uint64(r.IntN(3)), 1e-9
				h.PosOffset, h.NegOffset = int32(r.IntN(100)-50), int32(r.IntN(10))
				h.Pos = make([]uint64, r.IntN(30))
				h.Neg = make([]uint64, r.IntN(3))
				for k := range h.Pos {
					h.Pos[k] = uint64(r.IntN(1000))
				}
			} else {
				h.Bounds = bounds
				if len(counts) == 0 {
					counts = make([]uint64, len(bounds)+1)
				}
				for k := range counts {
					counts[k] += uint64(r.IntN(50))
					h.Count += counts[k]
				}
				h.Counts = append([]uint64(nil), counts...)
			}
			pts = append(pts, Point{SID: s * 2, T: 1735603200000 + int64(i)*15000, Start: start, H: h})
		}
	}
	return pts
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		pts := randomPoints(r, 1+r.IntN(40))
		enc := Marshal(nil, pts)
		got, err := Unmarshal(nil, enc)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(pts) {
			t.Fatalf("%d points, want %d", len(got), len(pts))
		}
		for i := range pts {
			if !reflect.DeepEqual(normal(got[i]), normal(pts[i])) {
				t.Fatalf("point %d:\ngot  %+v %+v\nwant %+v %+v", i, got[i], *got[i].H, pts[i], *pts[i].H)
			}
		}
	}
}

// normal maps nil and empty slices to one form for comparison.
func normal(p Point) Point {
	h := *p.H
	for _, s := range []*[]uint64{&h.Counts, &h.Pos, &h.Neg} {
		if len(*s) == 0 {
			*s = nil
		}
	}
	if len(h.Bounds) == 0 {
		h.Bounds = nil
	}
	p.H = &h
	return p
}

// 20-bucket cumulative histograms of one series cost a few bytes per bucket, not 8+.
func TestSize(t *testing.T) {
	bounds := make([]float64, 19)
	for i := range bounds {
		bounds[i] = float64(i+1) * 10
	}
	var pts []Point
	counts := make([]uint64, 20)
	for sid := range uint32(100) {
		for i := range 4 {
			for k := range counts {
				counts[k] += uint64(k + i)
			}
			h := &model.Histogram{Bounds: bounds, Counts: append([]uint64(nil), counts...), HasSum: true, Sum: float64(i) * 1234.5}
			pts = append(pts, Point{SID: sid, T: 1735603200000 + int64(i)*10000, Start: 1735600000000, H: h})
		}
	}
	enc := Marshal(nil, pts)
	if per := float64(len(enc)) / float64(len(pts)); per > 60 {
		t.Fatalf("%.1f bytes per 20-bucket histogram point; want <= 60", per)
	}
}

func TestCorrupt(t *testing.T) {
	enc := Marshal(nil, randomPoints(rand.New(rand.NewPCG(3, 3)), 5))
	for cut := range len(enc) {
		if _, err := Unmarshal(nil, enc[:cut]); err == nil {
			t.Fatalf("truncated at %d of %d decoded", cut, len(enc))
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add(Marshal(nil, randomPoints(rand.New(rand.NewPCG(4, 4)), 3)))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = Unmarshal(nil, b)
	})
}

// The slab decoder decodes what Unmarshal decodes, and after Reset reuses its memory.
func TestDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	var d Decoder
	for range 20 {
		pts := randomPoints(r, 1+r.IntN(60))
		enc := Marshal(nil, pts)
		d.Reset()
		got, err := d.Unmarshal(nil, enc)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Unmarshal(nil, enc)
		for i := range want {
			if !reflect.DeepEqual(normal(got[i]), normal(want[i])) {
				t.Fatalf("point %d differs", i)
			}
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		d.Reset()
		_, _ = d.Unmarshal(make([]Point, 0, 64), Marshal(nil, randomPoints(rand.New(rand.NewPCG(9, 9)), 10)))
	})
	t.Logf("allocs per decode with Marshal: %.0f", allocs)
}
