package queryserver

import (
	"fmt"
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

func TestDiscoveryShapes(t *testing.T) {
	f := newFixture(t, seeded(t))
	tok := token(t, "acme", "read")
	cases := []struct{ path, want string }{
		{"/api/v1/metrics", `{"metrics":[
			{"name":"api_latency","type":"gauge","unit":"ms","seriesCount":2},
			{"name":"requests_total","type":"counter","unit":"","seriesCount":2}],"count":2}`},
		{"/api/v1/metrics/api_latency/dimensions", `{"metricName":"api_latency","dimensions":["customer_id","region"],"count":2}`},
		{"/api/v1/metrics/api_latency/dimensions/region/values", `{"metricName":"api_latency","dimensionKey":"region","values":["eu","us"],"count":2,"limit":100}`},
		{"/api/v1/metrics/api_latency/dimensions/region/values?prefix=u&limit=5", `{"metricName":"api_latency","dimensionKey":"region","values":["us"],"count":1,"limit":5}`},
		// A key the metric does not have: an empty list, not an error.
		{"/api/v1/metrics/api_latency/dimensions/host/values", `{"metricName":"api_latency","dimensionKey":"host","values":[],"count":0,"limit":100}`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r := f.request(t, "GET", c.path, tok, "")
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			assertJSON(t, r.body, c.want)
		})
	}
}

func TestDiscoveryEmptyTenant(t *testing.T) {
	f := newFixture(t, memstore.New())
	r := f.request(t, "GET", "/api/v1/metrics", token(t, "newcomer", "read"), "")
	assertJSON(t, r.body, `{"metrics":[],"count":0}`)
}

// Values come most frequent first and the limit cuts the tail.
func TestDiscoveryValuesOrderAndLimit(t *testing.T) {
	st := memstore.New()
	var pts []point
	// customer c0 has 1 series, c1 2 series, ... c4 5 series.
	for c := 0; c < 5; c++ {
		for s := 0; s <= c; s++ {
			pts = append(pts, point{"m", model.MetricMeta{}, map[string]string{"customer": fmt.Sprintf("c%d", c), "s": fmt.Sprint(s)}, t0, 1})
		}
	}
	write(t, st, "acme", pts)
	f := newFixture(t, st)
	r := f.request(t, "GET", "/api/v1/metrics/m/dimensions/customer/values?limit=3", token(t, "acme", "read"), "")
	assertJSON(t, r.body, `{"metricName":"m","dimensionKey":"customer","values":["c4","c3","c2"],"count":3,"limit":3}`)
}

func TestDiscoveryErrors(t *testing.T) {
	f := newFixture(t, seeded(t))
	tok := token(t, "acme", "read")
	cases := []struct {
		path      string
		status    int
		code, msg string
	}{
		{"/api/v1/metrics/nope/dimensions", 404, "NOT_FOUND", `"nope"`},
		{"/api/v1/metrics/nope/dimensions/a/values", 404, "NOT_FOUND", `"nope"`},
		{"/api/v1/metrics/9lives/dimensions", 400, "INVALID_METRIC_NAME", "9lives"},
		{"/api/v1/metrics/9lives/dimensions/a/values", 400, "INVALID_METRIC_NAME", "9lives"},
		{"/api/v1/metrics/api_latency/dimensions/a-b/values", 400, "INVALID_REQUEST", `dimension key "a-b"`},
		{"/api/v1/metrics/api_latency/dimensions/region/values?limit=0", 400, "INVALID_REQUEST", `limit must be an integer from 1 to 10000, got "0"`},
		{"/api/v1/metrics/api_latency/dimensions/region/values?limit=10001", 400, "INVALID_REQUEST", `got "10001"`},
		{"/api/v1/metrics/api_latency/dimensions/region/values?limit=ten", 400, "INVALID_REQUEST", `got "ten"`},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			expectError(t, f.request(t, "GET", c.path, tok, ""), c.status, c.code, c.msg)
		})
	}
	// The maximum itself is accepted.
	if r := f.request(t, "GET", "/api/v1/metrics/api_latency/dimensions/region/values?limit=10000", tok, ""); r.status != 200 {
		t.Errorf("limit=10000: %d %s", r.status, r.body)
	}
}
