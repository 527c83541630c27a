// Package workload generates the benchmark data set of the issues: customers x endpoints series
// of api_latency (a gauge, one-decimal milliseconds) and requests_total (a counter), with a
// region per customer, N points per series at a fixed step. The storage benchmark and the HTTP
// load generator (cmd/luminate-bench) use the same shape, so their numbers compare.
package workload

import (
	"fmt"
	"math"

	"github.com/luminate-metrics/luminate/internal/model"
)

// Regions every customer is spread over.
var Regions = []string{"us-east", "us-west", "eu-west", "eu-central", "ap-south"}

// Shape is a data set.
type Shape struct {
	Customers int
	Endpoints int
	Points    int   // per series
	StepMs    int64 // between a series' points
	Start     int64 // Unix ms of the first round
}

// Default is the workload: 10,000 customers x 10 endpoints x 30 points, 10 s apart.
func Default(start int64) Shape {
	return Shape{Customers: 10_000, Endpoints: 10, Points: 30, StepMs: 10_000, Start: start}
}

// Series is the number of series per metric.
func (s Shape) Series() int { return s.Customers * s.Endpoints }

// Customer returns the customer id of customer c.
func Customer(c int) string { return fmt.Sprintf("cust_%05d", c) }

// Endpoint returns endpoint e.
func Endpoint(e int) string { return fmt.Sprintf("/api/v1/resource%02d", e) }

// Labels of series i (customer-major: series i is customer i/Endpoints, endpoint i%Endpoints).
func (s Shape) Labels(i int) model.Labels {
	c, e := i/s.Endpoints, i%s.Endpoints
	return model.Labels{
		{Name: "customer_id", Value: Customer(c)},
		{Name: "endpoint", Value: Endpoint(e)},
		{Name: "region", Value: Regions[c%len(Regions)]},
	}
}

// T is the timestamp of round j.
func (s Shape) T(j int) int64 { return s.Start + int64(j)*s.StepMs }

// Latency is the api_latency value of series i at round j: a log-normal-ish latency in ms with
// one decimal, deterministic.
func (s Shape) Latency(i, j int) float64 {
	u := unit(uint64(i)*1_000_003 + uint64(j))
	v := 20 * math.Exp(2.5*u) // 20 ms .. ~240 ms, long upper tail
	return math.Round(v*10) / 10
}

// Counter is the requests_total value of series i at round j: it grows by 0-99 per round and
// resets to a small number every 500th series at round Points/2.
func (s Shape) Counter(i, j int) float64 {
	total := float64(i % 1000)
	for k := 0; k <= j; k++ {
		if i%500 == 0 && k == s.Points/2 {
			total = 0
		}
		total += float64(hash(uint64(i)*7919+uint64(k)) % 100)
	}
	return total
}

func unit(x uint64) float64 { return float64(hash(x)>>11) / (1 << 53) }

// hash is splitmix64: cheap, deterministic, well mixed.
func hash(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}
