package writeapi

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

func TestRequestErrors(t *testing.T) {
	cases := []struct {
		desc, body, msg string
	}{
		{"empty body", ``, "request body is empty"},
		{"whitespace only", " \n", "not valid JSON"},
		{"not JSON", `metrics=1`, "request body is not valid JSON"},
		{"truncated JSON", `{"metrics":[{"name":"m","value":1}`, "not valid JSON"},
		{"trailing garbage", `{"metrics":[{"name":"m","value":1}]} x`, "not valid JSON"},
		{"array at top level", `[{"name":"m","value":1}]`, `must be a JSON object with a "metrics" array, got array`},
		{"no metrics", `{"metric":[]}`, `request body has no "metrics" array`},
		{"metrics not an array", `{"metrics":{"name":"m"}}`, `"metrics" must be an array, got object`},
		{"metrics null", `{"metrics":null}`, `"metrics" must be an array, got null`},
		{"metrics empty", `{"metrics":[]}`, `"metrics" is empty`},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			_, err := decodeString(t, c.body)
			requireAPIError(t, err, apierror.InvalidRequest, http.StatusBadRequest, c.msg)
		})
	}
}

func manyItems(n int) string {
	return `{"metrics":[` + strings.TrimSuffix(strings.Repeat(`{"name":"m","value":1},`, n), ",") + `]}`
}

func TestMaxBatch(t *testing.T) {
	b, err := decodeString(t, manyItems(DefaultMaxBatch))
	if err != nil || len(b.Items) != DefaultMaxBatch {
		t.Fatalf("10000 items: %v", err)
	}
	_, err = decodeString(t, manyItems(DefaultMaxBatch+1))
	requireAPIError(t, err, apierror.InvalidRequest, http.StatusBadRequest,
		"batch has 10001 metrics, more than max_batch (10000)", "raise max_batch")

	lim := DefaultLimits()
	lim.MaxBatch = 3
	if _, err := Decode(strings.NewReader(manyItems(3)), "", lim, testNow); err != nil {
		t.Fatalf("3 items with max_batch 3: %v", err)
	}
	_, err = Decode(strings.NewReader(manyItems(4)), "", lim, testNow)
	requireAPIError(t, err, apierror.InvalidRequest, http.StatusBadRequest, "batch has 4 metrics, more than max_batch (3)")
	e, _ := apierror.As(err)
	if e.Details["limit"] != 3 || e.Details["count"] != 4 || e.Details["setting"] != "max_batch" {
		t.Fatalf("details %v", e.Details)
	}
}

// TestConcurrentDecode runs decoders in parallel (run with -race): the pool must never hand one
// decoder to two requests.
func TestConcurrentDecode(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				name := fmt.Sprintf("m_%d_%d", g, i)
				body := fmt.Sprintf(`{"metrics":[{"name":%q,"value":%d,"dimensions":{"g":"%d","i":"%d"}}]}`, name, i, g, i)
				b, err := Decode(strings.NewReader(body), "", DefaultLimits(), testNow)
				if err != nil || len(b.Items) != 1 {
					t.Errorf("decode: %v", err)
					return
				}
				it := b.Items[0]
				if it.Name != name || it.V != float64(i) || it.Labels[0].Value != fmt.Sprint(g) || it.Labels[1].Value != fmt.Sprint(i) {
					t.Errorf("got %+v for %s", it, body)
				}
			}
		}()
	}
	wg.Wait()
}
