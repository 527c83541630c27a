package queryserver

import (
	"strings"
	"testing"
)

// Data of one tenant is invisible to another in the query and in all three discovery
// endpoints, whatever the other puts in its filters or paths.
func TestTenantIsolation(t *testing.T) {
	f := newFixture(t, seeded(t))
	acme, globex := token(t, "acme", "read"), token(t, "globex", "read")

	// Metric names only acme has are unknown to globex, and the other way round.
	for _, c := range []struct{ tok, metric string }{{globex, "requests_total"}, {acme, "globex_secret"}} {
		r := f.request(t, "POST", "/api/v1/query", c.tok, queryBody(`"queryType":"range","metricName":"`+c.metric+`"`))
		expectError(t, r, 404, "NOT_FOUND", c.metric)
		expectError(t, f.request(t, "GET", "/api/v1/metrics/"+c.metric+"/dimensions", c.tok, ""), 404, "NOT_FOUND", c.metric)
		expectError(t, f.request(t, "GET", "/api/v1/metrics/"+c.metric+"/dimensions/host/values", c.tok, ""), 404, "NOT_FOUND", c.metric)
	}

	// The metric list names only the caller's metrics.
	r := f.request(t, "GET", "/api/v1/metrics", globex, "")
	assertJSON(t, r.body, `{"metrics":[
		{"name":"api_latency","type":"gauge","unit":"ms","seriesCount":1},
		{"name":"globex_secret","type":"gauge","unit":"","seriesCount":1}],"count":2}`)

	// A metric both tenants have: each sees its own series, dimensions and values.
	r = f.request(t, "POST", "/api/v1/query", globex, queryBody(`"queryType":"range","metricName":"api_latency"`))
	assertJSON(t, r.body, `{"queryType":"range","results":[
		{"timestamp":"2026-11-27T10:00:00.000Z","value":5,"dimensions":{"customer_id":"g1"}}],
		"seriesScanned":1,"pointsScanned":1}`, "executionTimeMs")
	r = f.request(t, "GET", "/api/v1/metrics/api_latency/dimensions", globex, "")
	assertJSON(t, r.body, `{"metricName":"api_latency","dimensions":["customer_id"],"count":1}`)
	r = f.request(t, "GET", "/api/v1/metrics/api_latency/dimensions/customer_id/values", globex, "")
	assertJSON(t, r.body, `{"metricName":"api_latency","dimensionKey":"customer_id","values":["g1"],"count":1,"limit":100}`)

	// A dimension named tenant_id is data: filtering on it does not reach acme's series.
	r = f.request(t, "POST", "/api/v1/query", globex, queryBody(`"queryType":"aggregate","metricName":"api_latency","aggregation":"count","filters":{"tenant_id":"acme"}`))
	assertJSON(t, r.body, `{"queryType":"aggregate","results":[],"seriesScanned":0,"pointsScanned":0}`, "executionTimeMs")
	r = f.request(t, "POST", "/api/v1/query", acme, queryBody(`"queryType":"range","metricName":"api_latency","filters":{"customer_id":{"regex":".*"}}`))
	if strings.Contains(string(r.body), "g1") {
		t.Errorf("acme sees globex's series: %s", r.body)
	}
	// A tenant query string or header changes nothing: the tenant comes from the token.
	r = f.request(t, "GET", "/api/v1/metrics?tenant_id=acme", globex, "", "X-Tenant-Id", "acme")
	if strings.Contains(string(r.body), "requests_total") {
		t.Errorf("tenant taken from the request: %s", r.body)
	}
}
