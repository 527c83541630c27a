package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// The checks of the api_latency queries with --histograms. The queries range from before the
// histograms' start time (rangeStart), so every observation counts: the first point of a series
// counts itself and each later one the observations since the one before (docs/api.md). A
// group's count and sum are then exact, and avg = sum / count of its observations; count in
// the answer is still raw points (histogram points). A percentile comes from the group's merged
// buckets: it must lie in the bucket that holds its rank and should equal the linear
// interpolation inside it; how far that lands from the exact percentile of the observations is
// reported, not checked (20 buckets cannot do better than their width).

// checkHistAvgByCustomer: per customer, the sum over every observation of its series divided by
// their number.
func (d *dataset) checkHistAvgByCustomer(raw json.RawMessage) (int, error) {
	gs, index, err := d.customerGroups(raw)
	if err != nil {
		return len(gs), err
	}
	s := d.shape
	last := s.Points - 1
	for _, g := range gs {
		c, ok := index[g.GroupKey["customer_id"]]
		if !ok {
			return len(gs), fmt.Errorf("group %v is not a customer of the workload", g.GroupKey)
		}
		delete(index, g.GroupKey["customer_id"])
		var m mergedHist
		for e := range s.Endpoints {
			m.add(d.hist.point(c*s.Endpoints+e, last))
		}
		if err := compare(g.GroupKey, g.Count, int64(s.Endpoints*s.Points), g.Value, m.sum/float64(m.count), relExact); err != nil {
			return len(gs), err
		}
	}
	return len(gs), nil
}

// checkHistP95ByEndpoint: per endpoint, the buckets of its series merged; p95 must lie in the
// bucket holding rank 0.95 x count. The note says whether every group equals the linear
// interpolation inside that bucket, and the largest distance to the exact nearest-rank p95 of
// the observations.
func (d *dataset) checkHistP95ByEndpoint(raw json.RawMessage) (int, string, error) {
	var gs []groupValue
	if err := json.Unmarshal(raw, &gs); err != nil {
		return 0, "", err
	}
	s := d.shape
	if len(gs) != s.Endpoints {
		return len(gs), "", fmt.Errorf("%d groups, want %d (one per endpoint)", len(gs), s.Endpoints)
	}
	last := s.Points - 1
	interpolated, offInterp := 0, ""
	far, farRel := "", -1.0 // the group farthest from the exact p95, and how far
	for _, g := range gs {
		e := d.endpointIndex(g.GroupKey["endpoint"])
		if e < 0 {
			return len(gs), "", fmt.Errorf("group %v is not an endpoint of the workload", g.GroupKey)
		}
		var m mergedHist
		for c := range s.Customers {
			m.add(d.hist.point(c*s.Endpoints+e, last))
		}
		if g.Count != int64(s.Customers*s.Points) {
			return len(gs), "", fmt.Errorf("group %v: count %d, want %d", g.GroupKey, g.Count, s.Customers*s.Points)
		}
		b := m.rankBucket(0.95)
		lo, hi := m.bucketEdges(b)
		want := m.quantile(0.95)
		if (g.Value < lo && !near(g.Value, lo, relExact)) || (g.Value > hi && !near(g.Value, hi, relExact)) {
			return len(gs), "", fmt.Errorf("group %v: p95 %v is outside bucket %s (observations %v..%v there) that holds rank 0.95 x %d; linear interpolation gives %v",
				g.GroupKey, g.Value, bucketName(b), lo, hi, m.count, want)
		}
		if near(g.Value, want, relExact) {
			interpolated++
		} else if offInterp == "" {
			offInterp = fmt.Sprintf(" (e.g. %s: %s, interpolation %s)", g.GroupKey["endpoint"], fmtFloat(g.Value), fmtFloat(want))
		}
		exact := d.hist.exactPercentile(e, 95)
		if rel := math.Abs(g.Value-exact) / exact; rel > farRel {
			farRel = rel
			far = fmt.Sprintf("%s %s vs %s exact (%.1f%%, bucket %s)", g.GroupKey["endpoint"], fmtFloat(g.Value), fmtFloat(exact), 100*rel, bucketName(b))
		}
	}
	note := fmt.Sprintf("from merged buckets: %d of %d groups inside the bucket of rank 0.95, %d equal to its linear interpolation%s",
		len(gs), len(gs), interpolated, offInterp)
	if far != "" {
		note += "; farthest from the exact nearest-rank p95 of the observations: " + far
	}
	return len(gs), note, nil
}

// checkHistOneCustomer: the middle customer's api_latency per endpoint in 1-minute buckets: each
// bucket's observations are those of the rounds in it (the first round's point counts itself,
// every later one its round's observations), avg = their sum / their number.
func (d *dataset) checkHistOneCustomer(raw json.RawMessage) (int, error) {
	s := d.shape
	return d.checkCustomerMinutes(raw, func(i int) map[int64]minuteWant {
		want := map[int64]minuteWant{}
		for r := range s.Points {
			b := s.T(r) / 60_000 * 60_000
			w := want[b]
			for k := range obsPerRound {
				w.sum += observation(s, i, r, k)
			}
			w.n += obsPerRound
			w.count++ // a round's point
			want[b] = w
		}
		return want
	})
}

// bucketName is bucket b of latencyBounds in interval notation: (150, 175], (300, +Inf).
func bucketName(b int) string {
	switch {
	case b == 0:
		return fmt.Sprintf("(-Inf, %s]", fmtFloat(latencyBounds[0]))
	case b >= len(latencyBounds):
		return fmt.Sprintf("(%s, +Inf)", fmtFloat(latencyBounds[len(latencyBounds)-1]))
	}
	return fmt.Sprintf("(%s, %s]", fmtFloat(latencyBounds[b-1]), fmtFloat(latencyBounds[b]))
}

// fmtFloat prints v with up to 4 decimals, trailing zeros dropped: 187.25, 175.
func fmtFloat(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e4)/1e4, 'f', -1, 64)
}
