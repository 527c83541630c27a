package queryapi

import (
	"encoding/json"
	"testing"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/store"
)

// FuzzParse checks that no body makes Parse panic, that every rejection is an *apierror.Error,
// and that every accepted query satisfies the invariants the stores rely on. The seeds in
// testdata/fuzz/FuzzParse run with plain `go test`. Memory stays bounded because Parse refuses
// bodies over Limits.MaxBodyBytes before decoding and every list it builds is capped.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"queryType":"aggregate","metricName":"api_latency","aggregation":"p95","groupBy":["customer_id"]}`))
	lim := DefaultLimits()
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := Parse(body, "acme", now, lim)
		if err != nil {
			e, ok := apierror.As(err)
			if !ok {
				t.Fatalf("error %v is a %T, not *apierror.Error", err, err)
			}
			if e.Message == "" || e.HTTPStatus() < 400 || e.HTTPStatus() > 499 {
				t.Fatalf("error %s has status %d", e, e.HTTPStatus())
			}
			return
		}
		q := req.Query
		switch {
		case q.Tenant != "acme":
			t.Fatalf("tenant %q", q.Tenant)
		case q.Start > q.End || q.Start < 0 || q.End > maxTimeMs:
			t.Fatalf("range [%d, %d]", q.Start, q.End)
		case q.End-q.Start > lim.MaxRange.Milliseconds():
			t.Fatalf("range of %d ms accepted", q.End-q.Start)
		case q.Limit < 1 || q.Limit > lim.MaxLimit:
			t.Fatalf("limit %d", q.Limit)
		case q.Interval != 0 && q.Interval < lim.MinInterval.Milliseconds():
			t.Fatalf("interval %d", q.Interval)
		case req.Timeout <= 0 || req.Timeout > lim.MaxTimeout:
			t.Fatalf("timeout %v", req.Timeout)
		case len(q.GroupBy) > lim.MaxGroupBy:
			t.Fatalf("groupBy %v", q.GroupBy)
		case q.Agg.Func == store.AggPercentile && (q.Agg.Percentile <= 0 || q.Agg.Percentile > 100):
			t.Fatalf("percentile %v", q.Agg.Percentile)
		}
		for _, fl := range q.Filters {
			fl.Match("x", true) // must not panic on any accepted filter
			fl.Match("", false)
		}
		// Whatever was accepted must encode to valid JSON, even for an empty result.
		out := AppendResponse(nil, q, &store.Result{Groups: []store.Group{{Key: make([]string, len(q.GroupBy))}}}, 0)
		if !json.Valid(out) {
			t.Fatalf("invalid response JSON: %s", out)
		}
	})
}
