package main

import (
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	ten := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		vals []float64
		p    float64
		want float64
	}{
		{ten, 50, 5},   // ceil(5) - 1 = index 4
		{ten, 95, 10},  // ceil(9.5) - 1 = index 9
		{ten, 90, 9},   // ceil(9) - 1 = index 8
		{ten, 99, 10},  // ceil(9.9) - 1
		{ten, 100, 10}, //
		{ten, 1, 1},    // ceil(0.1) - 1 = index 0
		{ten, 0, 1},    // clamped
		{[]float64{42}, 50, 42},
		{nil, 50, 0},
	} {
		if got := percentile(c.vals, c.p); got != c.want {
			t.Errorf("p%v of %v = %v, want %v", c.p, c.vals, got, c.want)
		}
	}
	// 20 runs (the default): p50 is the 10th, p95 the 19th, not the maximum
	var ds []time.Duration
	for i := 1; i <= 20; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if p50, p95 := percentile(ds, 50), percentile(ds, 95); p50 != 10*time.Millisecond || p95 != 19*time.Millisecond {
		t.Errorf("20 runs: p50 %v p95 %v, want 10ms 19ms", p50, p95)
	}
}

func TestFormatting(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 6_000_000: "6,000,000", -12345: "-12,345"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
	for v, want := range map[float64]string{812_345: "812k", 1_254_000: "1.25M", 4_321: "4.3k", 512: "512"} {
		if got := short(v); got != want {
			t.Errorf("short(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]string{0.4123: "0.412", 12.34: "12.3", 1045.6: "1046", 1.5: "1.50"} {
		if got := fmtMs(v); got != want {
			t.Errorf("fmtMs(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestBytesIEC(t *testing.T) {
	for b, want := range map[int64]string{0: "0 B", 1023: "1023 B", 32 << 10: "32.0 KiB", 1536: "1.50 KiB", 412 << 20: "412 MiB", 5 << 30: "5.00 GiB"} {
		if got := bytesIEC(b); got != want {
			t.Errorf("bytesIEC(%d) = %q, want %q", b, got, want)
		}
	}
}
