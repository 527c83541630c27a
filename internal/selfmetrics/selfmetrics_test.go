package selfmetrics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/limits"
)

func TestTopTenants(t *testing.T) {
	by := map[string]int64{"a": 10, "b": 30, "c": 20, "d": 20, "e": 1}
	got := TopTenants(by, 3)
	want := []TenantSeries{{"b", 30}, {"c", 20}, {"d", 20}, {"other", 11}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := TopTenants(map[string]int64{"a": 1}, 3); !slices.Equal(got, []TenantSeries{{"a", 1}}) {
		t.Errorf("fewer tenants than N: %v", got)
	}
	// A tenant named "other" cannot pose as the bucket of the rest.
	if got := TopTenants(map[string]int64{"other": 5, "a": 1}, 3); !slices.Equal(got, []TenantSeries{{"a", 1}, {"other", 5}}) {
		t.Errorf("tenant named other: %v", got)
	}
}

// The text exposition holds every metric of the package doc with its labels, and a nil
// *Metrics does nothing.
func TestText(t *testing.T) {
	m := New(2)
	m.ObserveRequest("/api/v1/metrics/{name}/dimensions", "GET", 200, 3*time.Millisecond)
	m.PointsAccepted(PathJSON, 5000)
	m.PointsRejected(PathOTLP, ReasonRateLimited, 10)
	m.PointsRejected(PathJSON, ReasonCardinality, 0) // nothing counted
	m.RateLimited(limits.PointsPerSecond)
	m.StorageWrite(time.Millisecond)
	m.StorageQuery("query", time.Millisecond)
	m.SetSeriesSource(func(context.Context) (map[string]int64, error) {
		return map[string]int64{"t1": 3, "t2": 2, "t3": 1}, nil
	})
	b, err := m.Text()
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{
		`luminate_http_requests_total{method="GET",route="/api/v1/metrics/{name}/dimensions",status="200"} 1`,
		`luminate_http_request_duration_seconds_bucket{method="GET",route="/api/v1/metrics/{name}/dimensions",le="0.005"} 1`,
		`luminate_points_accepted_total{path="json"} 5000`,
		`luminate_points_rejected_total{path="otlp",reason="rate_limited"} 10`,
		`luminate_rate_limited_total{limit="points_per_second"} 1`,
		`luminate_rate_limited_total{limit="max_concurrent_queries"} 0`,
		`luminate_storage_write_duration_seconds_count 1`,
		`luminate_storage_query_duration_seconds_count{op="query"} 1`,
		`luminate_active_series{tenant="t1"} 3`,
		`luminate_active_series{tenant="t2"} 2`,
		`luminate_active_series{tenant="other"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(text, `reason="cardinality"`) || strings.Contains(text, `tenant="t3"`) {
		t.Errorf("unexpected series:\n%s", text)
	}
	if !strings.HasPrefix(ContentType, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ContentType)
	}

	m.SetSeriesSource(func(context.Context) (map[string]int64, error) { return nil, errors.New("store down") })
	if b, _ := m.Text(); !strings.Contains(string(b), "luminate_http_requests_total") {
		t.Error("a failing series source hid the other metrics")
	}

	var none *Metrics
	none.ObserveRequest("/", "GET", 200, 0)
	none.PointsAccepted(PathJSON, 1)
	none.PointsRejected(PathJSON, ReasonInvalid, 1)
	none.RateLimited(limits.PointsPerSecond)
	none.StorageWrite(0)
	none.StorageQuery("query", 0)
	none.SetSeriesSource(nil)
	_ = fmt.Sprint(none)
}
