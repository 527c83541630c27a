package sampleblock

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func roundTrip(t testing.TB, pts []Point) []byte {
	t.Helper()
	enc, _ := Marshal(nil, pts, nil)
	got, _, err := Unmarshal(nil, enc, nil)
	if err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if len(got) != len(pts) {
		t.Fatalf("got %d points, want %d", len(got), len(pts))
	}
	for i := range pts {
		g, w := got[i], pts[i]
		if g.SID != w.SID || g.T != w.T || g.Start != w.Start || math.Float64bits(g.V) != math.Float64bits(w.V) {
			t.Fatalf("point %d: got %+v, want %+v", i, g, w)
		}
	}
	return enc
}

func TestRoundTripEdgeValues(t *testing.T) {
	cases := map[string][]float64{
		"decimals":     {145.5, 98.25, 120, 0.001, -3.5},
		"integers":     {0, 1, 1200, 9007199254740991, -9007199254740991},
		"beyond 2^53":  {9007199254740993, 1},
		"thirds":       {1.0 / 3, 2.0 / 3},
		"negative 0":   {math.Copysign(0, -1), 1},
		"tiny":         {5e-324, 1e-300},
		"huge":         {1.7976931348623157e308, -1e300},
		"mixed scales": {1e-15, 123456789},
		"one value":    {42},
	}
	for name, vals := range cases {
		t.Run(name, func(t *testing.T) {
			var pts []Point
			for i, v := range vals {
				pts = append(pts, Point{SID: uint32(i / 2), T: 1735603200000 + int64(i%2)*10000, V: v})
			}
			roundTrip(t, pts)
		})
	}
}

func TestRoundTripNegativeTimesAndLongRuns(t *testing.T) {
	var pts []Point
	for s := range uint32(3) {
		for i := range 100 {
			pts = append(pts, Point{SID: s * 7, T: -5000 + int64(i)*997, V: float64(i) * 1.5})
		}
	}
	roundTrip(t, pts)
}

func TestStartTimes(t *testing.T) {
	var pts []Point
	for s := range uint32(4) {
		for i := range 5 {
			start := int64(1735600000000) + int64(s)*1000
			if s == 2 && i >= 3 {
				start = 1735603230000 // a restart
			}
			pts = append(pts, Point{SID: s, T: 1735603200000 + int64(i)*10000, V: float64(100 + i), Start: start})
		}
	}
	roundTrip(t, pts)
	// a block without start times carries no start column
	enc, _ := Marshal(nil, []Point{{SID: 0, T: 5, V: 1}}, nil)
	if enc[1]&flagStart != 0 {
		t.Fatal("start flag set without start times")
	}
}

func TestRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		n := 1 + r.IntN(2000)
		pts := make([]Point, n)
		for i := range pts {
			pts[i] = Point{SID: uint32(r.IntN(256)), T: 1735603200000 + r.Int64N(3600000), V: randValue(r, iter)}
			if iter%3 == 0 {
				pts[i].Start = 1735600000000 + r.Int64N(4)*1000
			}
		}
		slices.SortFunc(pts, func(a, b Point) int {
			if a.SID != b.SID {
				return int(a.SID) - int(b.SID)
			}
			return int(a.T - b.T)
		})
		roundTrip(t, pts)
	}
}

func randValue(r *rand.Rand, iter int) float64 {
	switch iter % 4 {
	case 0:
		return math.Round(r.Float64()*10000) / 10 // latency with one decimal
	case 1:
		return float64(r.Int64N(1 << 40)) // counter
	case 2:
		return r.NormFloat64() * 1e6 // full precision
	}
	return math.Float64frombits(r.Uint64()) // anything, NaN included
}

// A scrape-order block (one point per series, one timestamp, one-decimal latencies) must stay
// small: this is the layout's main bet (docs/storage-badger.md).
func TestScrapeOrderSize(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pts := make([]Point, 256)
	for i := range pts {
		pts[i] = Point{SID: uint32(i), T: 1735603200000, V: math.Round(r.Float64()*5000) / 10}
	}
	enc := roundTrip(t, pts)
	if per := float64(len(enc)) / float64(len(pts)); per > 3 {
		t.Fatalf("%.2f bytes/point for a scrape-order block of latencies; want <= 3", per)
	}
}

func TestCorruptBlocks(t *testing.T) {
	pts := []Point{{SID: 0, T: 1, V: 1.5}, {SID: 3, T: 2, V: 2.5}}
	enc, _ := Marshal(nil, pts, nil)
	for cut := range len(enc) {
		if _, _, err := Unmarshal(nil, enc[:cut], nil); err == nil {
			t.Fatalf("truncated block of %d/%d bytes decoded without error", cut, len(enc))
		}
	}
	bad := slices.Clone(enc)
	bad[0] = 9
	if _, _, err := Unmarshal(nil, bad, nil); err == nil {
		t.Fatal("unknown version accepted")
	}
}

func FuzzUnmarshal(f *testing.F) {
	enc, _ := Marshal(nil, []Point{{SID: 1, T: 5, V: 2.5}, {SID: 1, T: 9, V: 3}}, nil)
	f.Add(enc)
	f.Add([]byte{1, 0, 5, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		pts, _, err := Unmarshal(nil, b, nil)
		if err == nil && len(pts) > 1<<26 {
			t.Fatalf("%d points from %d bytes", len(pts), len(b))
		}
	})
}
