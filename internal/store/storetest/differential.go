package storetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

func anchored(re string) *regexp.Regexp { return regexp.MustCompile("^(?:" + re + ")$") }

var diffMetrics = []struct {
	name string
	meta model.MetricMeta
}{
	{"api_latency", model.MetricMeta{Type: model.TypeGauge, Unit: "ms"}},
	{"requests_total", model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true}},
	{"queue.depth", model.MetricMeta{Type: model.TypeUpDownCounter, Temporality: model.TemporalityCumulative}},
	{"bytes_sent", model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityDelta, Monotonic: true}},
}

// RandomData writes the same random data set to every store: 700 series per metric (so more
// than two 256-series chunks), 3 hours, duplicates and out-of-order writes across commits,
// counter resets, series lacking a key. It returns the number of points written.
func RandomData(t testing.TB, seed uint64, stores ...store.Store) int {
	r := rand.New(rand.NewPCG(seed, 7))
	n := 0
	var hists [6][]P
	if all(stores, SupportsPoints) {
		hists = randomHistograms(r)
	}
	for commit := range 6 {
		var pts []P
		for _, m := range diffMetrics {
			for s := range 700 {
				if r.IntN(3) == 0 {
					continue
				}
				ls := map[string]string{"customer_id": fmt.Sprint("c", s%37), "endpoint": fmt.Sprint("/e", s%5)}
				if s%4 != 0 {
					ls["region"] = []string{"us", "eu", "ap"}[s%3]
				}
				ls["instance"] = fmt.Sprint(s)
				for range 1 + r.IntN(4) {
					t := int64(commit)*sec(1700) + r.Int64N(sec(2000)) // overlapping windows: out of order
					v := math.Round(r.Float64()*5000) / 10
					switch m.meta.Type {
					case model.TypeCounter:
						if m.meta.Temporality == model.TemporalityCumulative {
							v = float64(t/1000) + float64(s) // increasing in time
							if r.IntN(20) == 0 {
								v = float64(r.IntN(10)) // reset
							}
						}
					case model.TypeUpDownCounter:
						v = float64(r.IntN(200) - 100)
					}
					pts = append(pts, P{Metric: m.name, Meta: m.meta, Labels: ls, T: t, V: v})
				}
			}
		}
		// rewrite some earlier timestamps (duplicates, later write wins)
		for i := range len(pts) / 50 {
			p := pts[i*50]
			p.V += 1000
			pts = append(pts, p)
		}
		pts = append(pts, hists[commit]...)
		for _, s := range stores {
			Write(t, s, "acme", pts)
		}
		n += len(pts)
	}
	return n
}

func all(ss []store.Store, f func(store.Store) bool) bool {
	for _, s := range ss {
		if !f(s) {
			return false
		}
	}
	return true
}

var histMetrics = []struct {
	name string
	meta model.MetricMeta
}{
	{"http.server.duration", model.MetricMeta{Type: model.TypeHistogram, Temporality: model.TemporalityCumulative, Unit: "ms"}},
	{"rpc.duration", model.MetricMeta{Type: model.TypeExpHistogram, Temporality: model.TemporalityDelta, Unit: "ms"}},
}

// randomHistograms makes 300 series per histogram metric, each a time-ordered sequence (the
// cumulative ones growing, with restarts), and deals the points out to 6 commits at random.
func randomHistograms(r *rand.Rand) [6][]P {
	var out [6][]P
	bounds := [][]float64{{5, 10, 25, 50, 100, 250}, {10, 50, 100}}
	for _, m := range histMetrics {
		for s := range 300 {
			ls := map[string]string{"customer_id": fmt.Sprint("c", s%37), "endpoint": fmt.Sprint("/e", s%5)}
			if s%4 != 0 {
				ls["region"] = []string{"us", "eu", "ap"}[s%3]
			}
			b := bounds[s%2] // two bucket layouts merge in some groups
			var cum *model.Histogram
			start := -sec(3600)
			t := r.Int64N(sec(600))
			for range 2 + r.IntN(6) {
				t += sec(60) + r.Int64N(sec(1800))
				var h *model.Histogram
				if m.meta.Type == model.TypeExpHistogram {
					h = randomExp(r)
				} else {
					inc := randomExplicit(r, b)
					if cum == nil || r.IntN(10) == 0 {
						cum, start = inc, t-r.Int64N(sec(30)) // a (re)start
					} else {
						cum = addExplicit(cum, inc)
					}
					h = cum.Clone()
				}
				c := r.IntN(6)
				out[c] = append(out[c], P{Metric: m.name, Meta: m.meta, Labels: ls, T: t, Start: start, Hist: h})
			}
		}
	}
	return out
}

func randomExplicit(r *rand.Rand, bounds []float64) *model.Histogram {
	h := &model.Histogram{Bounds: bounds, Counts: make([]uint64, len(bounds)+1), HasSum: true}
	for i := range h.Counts {
		c := uint64(r.IntN(8))
		h.Counts[i] = c
		h.Count += c
		h.Sum += float64(c) * (float64(i)*20 + 3)
	}
	return h
}

func addExplicit(a, b *model.Histogram) *model.Histogram {
	c := a.Clone()
	c.Count += b.Count
	c.Sum += b.Sum
	for i := range c.Counts {
		c.Counts[i] += b.Counts[i]
	}
	return c
}

func randomExp(r *rand.Rand) *model.Histogram {
	h := &model.Histogram{Exp: true, Scale: int32(2 + r.IntN(4)), HasSum: true, PosOffset: int32(10 + r.IntN(10)),
		ZeroCount: uint64(r.IntN(2)), HasMin: true, Min: 1, HasMax: true, Max: 1e6}
	h.Pos = make([]uint64, 1+r.IntN(12))
	for i := range h.Pos {
		h.Pos[i] = uint64(r.IntN(6))
		h.Count += h.Pos[i]
	}
	h.Count += h.ZeroCount
	h.Sum = float64(h.Count) * 50
	return h
}

// RandomQuery draws a query over the random data.
func RandomQuery(r *rand.Rand) *store.Query {
	m := diffMetrics[r.IntN(len(diffMetrics))]
	if r.IntN(3) == 0 {
		m = histMetrics[r.IntN(len(histMetrics))]
	}
	from := r.Int64N(sec(3 * 3600))
	to := from + r.Int64N(sec(3*3600))
	if r.IntN(4) == 0 {
		from, to = -sec(60), sec(4*3600) // everything
	}
	kinds := []store.Kind{store.KindAggregate, store.KindAggregate, store.KindAggregate, store.KindRate, store.KindRange}
	aggs := []store.Aggregation{agg(store.AggAvg), agg(store.AggSum), agg(store.AggCount), agg(store.AggMin), agg(store.AggMax),
		agg(store.AggLast), agg(store.AggIntegral), agg(store.AggTWA), pct(50), pct(95), pct(99.9), pct(12.5)}
	q := Q("acme", m.name, kinds[r.IntN(len(kinds))], aggs[r.IntN(len(aggs))], from, to)
	switch r.IntN(4) {
	case 1:
		q.GroupBy = []string{"customer_id"}
	case 2:
		q.GroupBy = []string{"region"}
	case 3:
		q.GroupBy = []string{"endpoint", "region"}
	}
	switch r.IntN(5) {
	case 1:
		q.Interval = sec(60 * int64(1+r.IntN(30)))
	case 2:
		q.Interval = sec(3600)
	case 3:
		q.Interval = sec(420)
	}
	if q.Kind == store.KindRange && r.IntN(2) == 0 {
		q.Interval = 0
		q.Limit = 1 + r.IntN(300)
	}
	q.Filters = randomFilters(r)
	if r.IntN(3) == 0 {
		q.Limit = 1 + r.IntN(10)
	}
	if r.IntN(2) == 0 {
		q.Order = store.OrderAsc
	}
	return q
}

func randomFilters(r *rand.Rand) []store.Filter {
	var fs []store.Filter
	for range r.IntN(3) {
		switch r.IntN(7) {
		case 0:
			fs = append(fs, store.Filter{Key: "customer_id", Op: store.OpEq, Values: []string{fmt.Sprint("c", r.IntN(40))}})
		case 1:
			fs = append(fs, store.Filter{Key: "region", Op: store.OpNe, Values: []string{"us"}})
		case 2:
			fs = append(fs, store.Filter{Key: "endpoint", Op: store.OpIn, Values: []string{"/e1", "/e3", "/nope"}})
		case 3:
			fs = append(fs, store.Filter{Key: "region", Op: store.OpNin, Values: []string{"eu", ""}})
		case 4:
			fs = append(fs, store.Filter{Key: "customer_id", Op: store.OpRegex, Regex: anchored("c1.*")})
		case 5:
			fs = append(fs, store.Filter{Key: "instance", Op: store.OpNregex, Regex: anchored(".*7.*")})
		case 6:
			fs = append(fs, store.Filter{Key: "region", Op: store.OpExists, Exists: r.IntN(2) == 0})
		}
	}
	return fs
}

func testDifferential(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ref := memstore.New()
	n := RandomData(t, 42, s, ref)
	t.Logf("wrote %d points", n)
	r := rand.New(rand.NewPCG(99, 1))
	for i := range 400 {
		q := RandomQuery(r)
		want, werr := ref.Query(context.Background(), q)
		got, gerr := s.Query(context.Background(), q)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("query %d %+v: reference error %v, engine error %v", i, *q, werr, gerr)
		}
		if werr != nil {
			continue
		}
		if msg := Diff(got, want); msg != "" {
			t.Fatalf("query %d (%s %s groupBy %v interval %d limit %d order %d filters %v range %d..%d):\n%s",
				i, q.Kind, q.Agg, q.GroupBy, q.Interval, q.Limit, q.Order, describe(q.Filters), q.Start-Base, q.End-Base, msg)
		}
	}
}

func describe(fs []store.Filter) string {
	s := ""
	for _, f := range fs {
		s += fmt.Sprintf("[%s op%d %v %v %v]", f.Key, f.Op, f.Values, f.Regex, f.Exists)
	}
	return s
}

// Diff describes the first difference between two results ("" when equal within float noise).
func Diff(got, want *store.Result) string {
	if got.PointsScanned != want.PointsScanned || got.SeriesScanned != want.SeriesScanned {
		return fmt.Sprintf("scanned %d points %d series, want %d points %d series", got.PointsScanned, got.SeriesScanned, want.PointsScanned, want.SeriesScanned)
	}
	if len(got.Points) != len(want.Points) {
		return fmt.Sprintf("%d raw points, want %d", len(got.Points), len(want.Points))
	}
	for i := range want.Points {
		g, w := got.Points[i], want.Points[i]
		if g.T != w.T || g.V != w.V || model.CompareLabels(g.Labels, w.Labels) != 0 {
			return fmt.Sprintf("raw point %d: got %+v, want %+v", i, g, w)
		}
	}
	if len(got.Groups) != len(want.Groups) {
		return fmt.Sprintf("%d groups, want %d\ngot  %+v\nwant %+v", len(got.Groups), len(want.Groups), got.Groups, want.Groups)
	}
	for i := range want.Groups {
		g, w := got.Groups[i], want.Groups[i]
		if fmt.Sprint(g.Key) != fmt.Sprint(w.Key) || g.Count != w.Count || !approx(g.Value, w.Value) {
			return fmt.Sprintf("group %d: got key %q value %v count %d, want key %q value %v count %d", i, g.Key, g.Value, g.Count, w.Key, w.Value, w.Count)
		}
		if len(g.Buckets) != len(w.Buckets) {
			return fmt.Sprintf("group %q: %d buckets, want %d", w.Key, len(g.Buckets), len(w.Buckets))
		}
		for j := range w.Buckets {
			gb, wb := g.Buckets[j], w.Buckets[j]
			if gb.T != wb.T || gb.Count != wb.Count || !approx(gb.Value, wb.Value) {
				return fmt.Sprintf("group %q bucket %d: got %+v, want %+v", w.Key, j, gb, wb)
			}
		}
	}
	return ""
}
