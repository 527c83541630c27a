package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/luminate-metrics/luminate/internal/workload"
)

// The checks recompute each answer from the data set. A benchmark of wrong answers is
// worthless, and a fast engine that drops points would otherwise look better.

// Tolerances: sums of the same floats in another order differ in the last bits; percentiles may
// be approximate within 1% (api.md "Semantics").
const (
	relExact      = 1e-9
	relPercentile = 0.01
)

type groupValue struct {
	GroupKey map[string]string `json:"groupKey"`
	Value    float64           `json:"value"`
	Count    int64             `json:"count"`
}

type groupPoints struct {
	GroupKey map[string]string `json:"groupKey"`
	Points   []struct {
		Timestamp string   `json:"timestamp"`
		Value     float64  `json:"value"`
		Count     int64    `json:"count"`
		Rate      *float64 `json:"rate"`
	} `json:"points"`
}

func (d *dataset) checkAvgByCustomer(raw json.RawMessage) (int, error) {
	gs, index, err := d.customerGroups(raw)
	if err != nil {
		return len(gs), err
	}
	s := d.shape
	for _, g := range gs {
		c, ok := index[g.GroupKey["customer_id"]]
		if !ok {
			return len(gs), fmt.Errorf("group %v is not a customer of the workload", g.GroupKey)
		}
		delete(index, g.GroupKey["customer_id"]) // a second group of the same customer fails above
		var sum float64
		for e := range s.Endpoints {
			for r := range s.Points {
				sum += d.lat[r][c*s.Endpoints+e]
			}
		}
		n := int64(s.Endpoints * s.Points)
		if err := compare(g.GroupKey, g.Count, n, g.Value, sum/float64(n), relExact); err != nil {
			return len(gs), err
		}
	}
	return len(gs), nil
}

func (d *dataset) checkP95ByEndpoint(raw json.RawMessage) (int, error) {
	var gs []groupValue
	if err := json.Unmarshal(raw, &gs); err != nil {
		return 0, err
	}
	s := d.shape
	if len(gs) != s.Endpoints {
		return len(gs), fmt.Errorf("%d groups, want %d (one per endpoint)", len(gs), s.Endpoints)
	}
	for _, g := range gs {
		e := d.endpointIndex(g.GroupKey["endpoint"])
		if e < 0 {
			return len(gs), fmt.Errorf("group %v is not an endpoint of the workload", g.GroupKey)
		}
		vals := make([]float64, 0, s.Customers*s.Points)
		for c := range s.Customers {
			for r := range s.Points {
				vals = append(vals, d.lat[r][c*s.Endpoints+e])
			}
		}
		slices.Sort(vals)
		if err := compare(g.GroupKey, g.Count, int64(len(vals)), g.Value, percentile(vals, 95), relPercentile); err != nil {
			return len(gs), err
		}
	}
	return len(gs), nil
}

// checkRateByRegion: per series, the increases of consecutive rounds (a reset - a drop, or over
// OTLP a new start time - makes the increase the new value), summed per region, over the
// range's length in seconds.
func (d *dataset) checkRateByRegion(raw json.RawMessage) (int, error) {
	var gs []groupPoints
	if err := json.Unmarshal(raw, &gs); err != nil {
		return 0, err
	}
	s := d.shape
	regions := min(len(workload.Regions), s.Customers)
	if len(gs) != regions {
		return len(gs), fmt.Errorf("%d groups, want %d (one per region)", len(gs), regions)
	}
	if s.Points < 2 {
		return len(gs), nil // a zero-length range: no pairs, nothing to compare
	}
	want := make(map[string]float64, regions)
	for i := range s.Series() {
		var inc float64
		for r := 1; r < s.Points; r++ {
			v, prev := d.cnt[r][i], d.cnt[r-1][i]
			if v < prev || d.restarted(i, r) {
				inc += v
			} else {
				inc += v - prev
			}
		}
		region, _ := d.labels[i].Get("region")
		want[region] += inc
	}
	seconds := float64(d.end()-d.rangeStart()) / 1000
	for _, g := range gs {
		w, ok := want[g.GroupKey["region"]]
		if !ok {
			return len(gs), fmt.Errorf("group %v is not a region of the workload", g.GroupKey)
		}
		if len(g.Points) != 1 || g.Points[0].Rate == nil {
			return len(gs), fmt.Errorf("group %v has %d points, want 1 with a rate (no interval: the range is one bucket)", g.GroupKey, len(g.Points))
		}
		if got := *g.Points[0].Rate; !near(got, w/seconds, relExact) {
			return len(gs), fmt.Errorf("group %v: rate %v, want %v", g.GroupKey, got, w/seconds)
		}
	}
	return len(gs), nil
}

// checkOneCustomer: the middle customer's api_latency per endpoint in 1-minute buckets aligned
// to the epoch.
func (d *dataset) checkOneCustomer(raw json.RawMessage) (int, error) {
	s := d.shape
	return d.checkCustomerMinutes(raw, func(i int) map[int64]minuteWant {
		want := map[int64]minuteWant{}
		for r := range s.Points {
			b := s.T(r) / 60_000 * 60_000 // timestamps are positive: truncation is the floor
			w := want[b]
			w.sum += d.lat[r][i]
			w.n++
			w.count++
			want[b] = w
		}
		return want
	})
}

// minuteWant is an expected 1-minute bucket: its point count, and its value as sum / n.
type minuteWant struct {
	count int64
	sum   float64
	n     int64
}

// checkCustomerMinutes checks the middle customer's groups (one per endpoint, 1-minute buckets)
// against what want computes for each group's series index.
func (d *dataset) checkCustomerMinutes(raw json.RawMessage, want func(series int) map[int64]minuteWant) (int, error) {
	var gs []groupPoints
	if err := json.Unmarshal(raw, &gs); err != nil {
		return 0, err
	}
	s := d.shape
	if len(gs) != s.Endpoints {
		return len(gs), fmt.Errorf("%d groups, want %d (the endpoints of one customer)", len(gs), s.Endpoints)
	}
	c := s.Customers / 2
	for _, g := range gs {
		e := d.endpointIndex(g.GroupKey["endpoint"])
		if e < 0 {
			return len(gs), fmt.Errorf("group %v is not an endpoint of the workload", g.GroupKey)
		}
		w := want(c*s.Endpoints + e)
		if len(g.Points) != len(w) {
			return len(gs), fmt.Errorf("group %v has %d buckets, want %d", g.GroupKey, len(g.Points), len(w))
		}
		for _, p := range g.Points {
			t, err := time.Parse(time.RFC3339Nano, p.Timestamp)
			if err != nil {
				return len(gs), fmt.Errorf("group %v: %w", g.GroupKey, err)
			}
			a, ok := w[t.UnixMilli()]
			if !ok {
				return len(gs), fmt.Errorf("group %v: bucket %s was not written", g.GroupKey, p.Timestamp)
			}
			if err := compare(g.GroupKey, p.Count, a.count, p.Value, a.sum/float64(a.n), relExact); err != nil {
				return len(gs), fmt.Errorf("bucket %s: %w", p.Timestamp, err)
			}
		}
	}
	return len(gs), nil
}

// restarted reports whether series i's counter restarts at round r by its start time: OTLP
// sends one (counterStart), which moves at the reset, and a new start time is a reset even when
// the value did not drop (a short series may reset to more than it had). The JSON API has no
// start times: there only a drop tells.
func (d *dataset) restarted(i, r int) bool {
	return d.startTimes && d.counterStart(i, r) != d.counterStart(i, r-1)
}

func compare(key map[string]string, count, wantCount int64, v, want, rel float64) error {
	if count != wantCount {
		return fmt.Errorf("group %v: count %d, want %d", key, count, wantCount)
	}
	if !near(v, want, rel) {
		return fmt.Errorf("group %v: value %v, want %v (relative tolerance %g)", key, v, want, rel)
	}
	return nil
}

// near reports whether got is within rel of want (relative, or absolute below 1).
func near(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(math.Abs(want), 1)
}

// endpointIndex is the index of endpoint name in the workload, or -1.
// customerGroups decodes a group-by-customer answer, which must hold one group per customer,
// and indexes the workload's customers by name.
func (d *dataset) customerGroups(raw json.RawMessage) ([]groupValue, map[string]int, error) {
	var gs []groupValue
	if err := json.Unmarshal(raw, &gs); err != nil {
		return nil, nil, err
	}
	s := d.shape
	if len(gs) != s.Customers {
		return gs, nil, fmt.Errorf("%d groups, want %d (one per customer)", len(gs), s.Customers)
	}
	index := make(map[string]int, s.Customers)
	for c := range s.Customers {
		index[workload.Customer(c)] = c
	}
	return gs, index, nil
}

func (d *dataset) endpointIndex(name string) int {
	for e := range d.shape.Endpoints {
		if workload.Endpoint(e) == name {
			return e
		}
	}
	return -1
}
