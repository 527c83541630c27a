package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/queryapi"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

// referenceAnswers runs the four queries through the real query parser and encoder against the
// reference engine holding the data set, and returns each answer's results array.
func referenceAnswers(t *testing.T, ds *dataset) map[string]json.RawMessage {
	t.Helper()
	st := memstore.New()
	a := st.Appender("bench")
	counter := model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true}
	hist := model.MetricMeta{Type: model.TypeHistogram, Temporality: model.TemporalityCumulative, Unit: "ms"}
	pa := a.(store.PointAppender)
	for r := range ds.shape.Points {
		for i := range ds.shape.Series() {
			var err error
			if ds.hist != nil {
				err = pa.AppendPoint(metricLatency, hist, ds.labels[i], model.Point{T: ds.shape.T(r), Start: ds.histStart(), Hist: modelHist(ds.hist.point(i, r))})
			} else {
				err = a.Append(metricLatency, model.MetricMeta{}, ds.labels[i], ds.shape.T(r), ds.lat[r][i])
			}
			if err != nil || a.Append(metricCounter, counter, ds.labels[i], ds.shape.T(r), ds.cnt[r][i]) != nil {
				t.Fatal("append failed")
			}
		}
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := map[string]json.RawMessage{}
	for _, q := range ds.queries(ds.shape.Customers) {
		req, err := queryapi.Parse(q.body, "bench", time.Now(), queryapi.DefaultLimits())
		if err != nil {
			t.Fatalf("%s: %s: %v", q.name, q.body, err)
		}
		res, err := st.Query(context.Background(), req.Query)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		var resp queryResponse
		if err := json.Unmarshal(queryapi.AppendResponse(nil, req.Query, res, 0), &resp); err != nil {
			t.Fatal(err)
		}
		out[q.name] = resp.Results
	}
	return out
}

// TestChecksAcceptTheReferenceAndRejectSmallErrors: each check passes the reference engine's
// answer and fails it after one small change.
func TestChecksAcceptTheReferenceAndRejectSmallErrors(t *testing.T) {
	ds := newDataset(smallShape())
	ref := referenceAnswers(t, ds)
	checks := map[string]checkFunc{}
	for _, q := range ds.queries(0) {
		checks[q.name] = q.check
	}
	for name, raw := range ref {
		if _, _, err := checks[name](raw); err != nil {
			t.Fatalf("%s: reference answer refused: %v\n%s", name, err, raw)
		}
	}
	for _, c := range []struct {
		query  string
		mutate func(*[]map[string]any)
		want   string
	}{
		{"avg-by-customer", func(gs *[]map[string]any) { (*gs)[3]["value"] = (*gs)[3]["value"].(float64) * (1 + 1e-6) }, "value"},
		{"avg-by-customer", func(gs *[]map[string]any) { *gs = (*gs)[1:] }, "groups, want 167"},
		{"avg-by-customer", func(gs *[]map[string]any) { (*gs)[1]["groupKey"] = (*gs)[0]["groupKey"] }, "not a customer"},
		{"p95-by-endpoint", func(gs *[]map[string]any) { (*gs)[0]["value"] = (*gs)[0]["value"].(float64) * 1.02 }, "tolerance 0.01"},
		{"p95-by-endpoint", func(gs *[]map[string]any) { (*gs)[0]["count"] = (*gs)[0]["count"].(float64) - 1 }, "count"},
		{"rate-by-region", func(gs *[]map[string]any) {
			p := (*gs)[2]["points"].([]any)[0].(map[string]any)
			p["rate"] = p["rate"].(float64) * (1 + 1e-6)
		}, "rate"},
		{"one-customer-1m", func(gs *[]map[string]any) {
			ps := (*gs)[0]["points"].([]any)
			(*gs)[0]["points"] = ps[:len(ps)-1]
		}, "buckets"},
	} {
		var gs []map[string]any
		if err := json.Unmarshal(ref[c.query], &gs); err != nil {
			t.Fatal(err)
		}
		c.mutate(&gs)
		raw, _ := json.Marshal(gs)
		if _, _, err := checks[c.query](raw); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: mutated answer: error %v, want one mentioning %q", c.query, err, c.want)
		}
	}
}

// modelHist is a histogram point as the exporter stores it.
func modelHist(p histPoint) *model.Histogram {
	h := &model.Histogram{Count: p.count, Sum: p.sum, HasSum: true, Min: p.min, HasMin: true, Max: p.max, HasMax: true,
		Bounds: latencyBounds, Counts: make([]uint64, len(p.counts))}
	for b, c := range p.counts {
		h.Counts[b] = uint64(c)
	}
	return h
}
