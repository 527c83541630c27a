package luminatereceiver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// failing returns a next consumer that answers every batch with fn's error.
func failing(t *testing.T, fn func(md pmetric.Metrics) error) consumer.Metrics {
	t.Helper()
	c, err := consumer.NewMetrics(func(_ context.Context, md pmetric.Metrics) error { return fn(md) })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRejectedErrorMapsTo207: the exporter stores some points and refuses new series over a
// cardinality limit with a permanent *store.RejectedError; the answer moves exactly those items
// (and their duplicates) to errors with the store's code and message.
func TestRejectedErrorMapsTo207(t *testing.T) {
	ts := nowMs()
	var seen pmetric.Metrics
	next := failing(t, func(md pmetric.Metrics) error {
		seen = md
		rej := &store.RejectedError{Rejections: []store.Rejection{
			{Metric: "api_latency", Labels: model.Labels{{Name: "customer_id", Value: "cust_new"}, {Name: "endpoint", Value: "/a"}}, T: ts,
				Code: apierror.CardinalityExceeded, Message: "per-tenant series limit of 2 exceeded; raise limits.max_series_per_tenant"},
			// Labels in any order are matched after sorting.
			{Metric: "api_latency", Labels: model.Labels{{Name: "endpoint", Value: "/b"}, {Name: "customer_id", Value: "cust_new2"}}, T: ts + 1,
				Code: apierror.CardinalityExceeded, Message: "per-metric series limit of 2 exceeded"},
		}}
		return fmt.Errorf("exporter: %w", consumererror.NewPermanent(rej))
	})
	forEachMode(t, func(t *testing.T, m mode) {
		env := startEnv(t, m, next, nil)
		a := env.write(t, fmt.Sprintf(`{"metrics":[
			{"name":"api_latency","timestamp":%[1]d,"value":1,"dimensions":{"customer_id":"cust_old","endpoint":"/a"}},
			{"name":"api_latency","timestamp":%[1]d,"value":2,"dimensions":{"endpoint":"/a","customer_id":"cust_new"}},
			{"name":"bad-name","value":3},
			{"name":"api_latency","timestamp":%[2]d,"value":4,"dimensions":{"customer_id":"cust_new2","endpoint":"/b"}},
			{"name":"api_latency","timestamp":%[1]d,"value":5,"dimensions":{"customer_id":"cust_new","endpoint":"/a"}},
			{"name":"api_latency","timestamp":%[2]d,"value":6,"dimensions":{"customer_id":"cust_new","endpoint":"/a"}}]}`, ts, ts+1))
		requireCounts(t, a, 207, 2, 4)
		want := []struct {
			index int
			code  string
		}{{1, "CARDINALITY_EXCEEDED"}, {2, "INVALID_METRIC_NAME"}, {3, "CARDINALITY_EXCEEDED"}, {4, "CARDINALITY_EXCEEDED"}}
		for i, w := range want {
			if e := a.Errors[i]; e.Index != w.index || string(e.Code) != w.code || e.Metric == "" {
				t.Fatalf("error %d: %+v, want index %d code %s", i, e, w.index, w.code)
			}
		}
		if !strings.Contains(a.Errors[0].Error, "raise limits.max_series_per_tenant") {
			t.Fatalf("store message lost: %q", a.Errors[0].Error)
		}
		if seen.DataPointCount() != 5 {
			t.Fatalf("pipeline got %d points, want the 5 valid ones", seen.DataPointCount())
		}
	})
}

func TestAllRejectedByStoreIs400(t *testing.T) {
	ts := nowMs()
	next := failing(t, func(pmetric.Metrics) error {
		return consumererror.NewPermanent(&store.RejectedError{Rejections: []store.Rejection{
			{Metric: "m", Labels: model.Labels{{Name: "k", Value: "v"}}, T: ts, Code: apierror.CardinalityExceeded, Message: "over the limit"},
		}})
	})
	env := startEnv(t, ownEndpoint, next, nil)
	a := env.write(t, fmt.Sprintf(`{"metrics":[{"name":"m","timestamp":%d,"value":1,"dimensions":{"k":"v"}}]}`, ts))
	requireCounts(t, a, 400, 0, 1)
	requireEnvelope(t, a, 400, "CARDINALITY_EXCEEDED")
}

// TestRejectionLooseMatch: an exporter that adds a dimension (e.g. from the resource) still
// gets its rejection attributed to the item.
func TestRejectionLooseMatch(t *testing.T) {
	ts := nowMs()
	next := failing(t, func(pmetric.Metrics) error {
		return consumererror.NewPermanent(&store.RejectedError{Rejections: []store.Rejection{
			{Metric: "m", Labels: model.Labels{{Name: "k", Value: "v"}, {Name: "service.name", Value: "x"}}, T: ts,
				Code: apierror.CardinalityExceeded, Message: "over"},
			{Metric: "unknown", T: ts, Code: apierror.CardinalityExceeded, Message: "matches nothing"},
		}})
	})
	env := startEnv(t, ownEndpoint, next, nil)
	a := env.write(t, fmt.Sprintf(`{"metrics":[{"name":"m","timestamp":%[1]d,"value":1,"dimensions":{"k":"v"}},{"name":"m","timestamp":%[1]d,"value":1,"dimensions":{"k":"w"}}]}`, ts))
	requireCounts(t, a, 207, 1, 1)
	if a.Errors[0].Index != 0 {
		t.Fatalf("errors %+v", a.Errors)
	}
}

// TestPipelineErrors: a retryable failure (e.g. the memory limiter refusing) is 503, a
// permanent one 500; neither claims success.
func TestPipelineErrors(t *testing.T) {
	cases := []struct {
		desc   string
		err    error
		status int
		code   string
	}{
		{"retryable", errors.New("data refused due to high memory usage"), 503, "SERVICE_UNAVAILABLE"},
		{"retryable wrapped", fmt.Errorf("export: %w", errors.New("connection refused")), 503, "SERVICE_UNAVAILABLE"},
		{"permanent", consumererror.NewPermanent(errors.New("disk full")), 500, "STORAGE_ERROR"},
		{"permanent wrapped", fmt.Errorf("export: %w", consumererror.NewPermanent(errors.New("corrupt block"))), 500, "STORAGE_ERROR"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			env := startEnv(t, ownEndpoint, failing(t, func(pmetric.Metrics) error { return c.err }), nil)
			a := env.write(t, oneItem)
			requireEnvelope(t, a, c.status, c.code)
			if a.Accepted != nil || !strings.Contains(a.Error.Message, "not stored") || !strings.Contains(a.Error.Message, c.err.Error()) {
				t.Fatalf("body %s", a.Raw)
			}
			if c.status == 503 && a.Header.Get("Retry-After") == "" {
				t.Fatal("503 without Retry-After")
			}
		})
	}
}
