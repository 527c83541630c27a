package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/workload"
)

// smallShape is a workload small enough to check point by point; 501 series include the
// counter reset of every 500th series (series 0 and 500).
func smallShape() workload.Shape {
	s := workload.Default(time.Now().Add(-time.Hour).UnixMilli())
	s.Customers, s.Endpoints, s.Points = 167, 3, 4
	return s
}

type writeItem struct {
	Name       string            `json:"name"`
	Timestamp  int64             `json:"timestamp"`
	Value      float64           `json:"value"`
	Dimensions map[string]string `json:"dimensions"`
}

// TestWriteBodyIsTheWorkload decodes every request of a run with encoding/json and compares it
// with the workload package, value for value and bit for bit.
func TestWriteBodyIsTheWorkload(t *testing.T) {
	s := smallShape()
	ds := newDataset(s)
	seen := make(map[[2]int]int) // (round, series) -> times written
	var buf []byte
	for _, j := range ds.jobs(77) { // odd: rounds down to 38 series per request
		if j.to-j.from > 38 {
			t.Fatalf("job %+v has %d series, want at most 38", j, j.to-j.from)
		}
		buf = ds.appendWriteBody(buf[:0], j)
		var body struct{ Metrics []writeItem }
		if err := json.Unmarshal(buf, &body); err != nil {
			t.Fatalf("job %+v: %v\n%s", j, err, buf)
		}
		if len(body.Metrics) != j.points() {
			t.Fatalf("job %+v: %d items, want %d", j, len(body.Metrics), j.points())
		}
		for k, it := range body.Metrics {
			i := j.from + k/2
			name, want := metricLatency, s.Latency(i, j.round)
			if k%2 == 1 {
				name, want = metricCounter, s.Counter(i, j.round)
			}
			if it.Name != name || it.Timestamp != s.T(j.round) || math.Float64bits(it.Value) != math.Float64bits(want) {
				t.Fatalf("job %+v item %d = %+v, want %s at %d = %v", j, k, it, name, s.T(j.round), want)
			}
			if ls := s.Labels(i); len(it.Dimensions) != len(ls) || !equalMap(it.Dimensions, ls.Map()) {
				t.Fatalf("job %+v item %d dimensions %v, want %v", j, k, it.Dimensions, ls.Map())
			}
			if k%2 == 0 {
				seen[[2]int{j.round, i}]++
			}
		}
	}
	if len(seen) != s.Points*s.Series() {
		t.Fatalf("%d (round, series) pairs written, want %d", len(seen), s.Points*s.Series())
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("round %d series %d written %d times", k[0], k[1], n)
		}
	}
}

// TestJobsAreInScrapeOrder: a round is sent completely before the next one starts.
func TestJobsAreInScrapeOrder(t *testing.T) {
	ds := newDataset(smallShape())
	js := ds.jobs(5000)
	for i := 1; i < len(js); i++ {
		a, b := js[i-1], js[i]
		if b.round < a.round || (b.round == a.round && b.from != a.to) || (b.round > a.round && (a.to != ds.shape.Series() || b.from != 0)) {
			t.Fatalf("job %d %+v follows %+v", i, b, a)
		}
	}
	if got := len(js); got != ds.shape.Points {
		t.Fatalf("%d jobs, want one per round (%d): 501 series fit one request of 2500", got, ds.shape.Points)
	}
}

func TestAppendFloatRoundTrips(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 0.1, 145.5, -3.25, 1e21, 1e-7, 123456789.123456789,
		math.MaxFloat64, math.SmallestNonzeroFloat64, -math.MaxFloat64, 2.2250738585072014e-308, 1 << 53, 1<<53 + 1}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		vals = append(vals, math.Float64frombits(r.Uint64()))
	}
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		b := appendFloat(nil, v)
		var got float64
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%v -> %s: %v", v, b, err)
		}
		if math.Float64bits(got) != math.Float64bits(v) {
			t.Fatalf("%v -> %s -> %v", v, b, got)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if b := appendFloat(nil, v); string(b) != "null" {
			t.Errorf("appendFloat(%v) = %s, want null (JSON has no %v)", v, b, v)
		}
	}
}

func TestAppendStringIsValidJSON(t *testing.T) {
	cases := map[string]string{
		"cust_00042":          "cust_00042",
		`quote " and \ slash`: `quote " and \ slash`,
		"tab\tnl\ncr\r":       "tab\tnl\ncr\r",
		"\x00\x01\x1f\x7f":    "\x00\x01\x1f\x7f",
		"Zürich 東京 🚀":         "Zürich 東京 🚀",
		"bad \xff utf8":       "bad \ufffd utf8",
		"</script>&":          "</script>&",
		"":                    "",
	}
	for in, want := range cases {
		b := appendString(nil, in)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q -> %s: %v", in, b, err)
		}
		if got != want {
			t.Errorf("%q -> %s -> %q, want %q", in, b, got, want)
		}
	}
}

func equalMap(a, b map[string]string) bool {
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return len(a) == len(b)
}

func BenchmarkAppendWriteBody(b *testing.B) {
	s := workload.Default(time.Now().UnixMilli())
	s.Customers = 1000
	ds := newDataset(s)
	j := ds.jobs(5000)[0]
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = ds.appendWriteBody(buf[:0], j)
	}
	b.ReportMetric(float64(len(buf))/float64(j.points()), "bytes/point")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*j.points()), "ns/point")
}
