package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/luminate-metrics/luminate/internal/workload"
)

// warmups are untimed runs before the timed ones: the first run of a query pays for cold
// caches and lazy index loading, which is not what a dashboard refreshing every 10 s sees.
const warmups = 2

// apiClient calls the query API.
type apiClient struct {
	http *http.Client
	url  string
	auth string
}

func newAPIClient(url, token string) *apiClient {
	return &apiClient{http: newHTTPClient(1), url: url, auth: "Bearer " + token}
}

// queryResponse is the envelope of api.md; results are decoded by each query's check.
type queryResponse struct {
	Results         json.RawMessage `json:"results"`
	ExecutionTimeMs float64         `json:"executionTimeMs"`
	SeriesScanned   int64           `json:"seriesScanned"`
	PointsScanned   int64           `json:"pointsScanned"`
}

// apiError is a non-200 answer of the query API.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message) }

// query posts one query and returns the decoded answer and the client's wall time.
func (c *apiClient) query(ctx context.Context, body []byte) (*queryResponse, time.Duration, error) {
	t0 := time.Now()
	status, data, err := post(ctx, c.http, c.url+"/api/v1/query", c.auth, "application/json", body, false)
	wall := time.Since(t0)
	if err != nil {
		return nil, wall, err
	}
	if status != http.StatusOK {
		var env struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(data, &env) != nil || env.Error.Code == "" {
			env.Error.Message = snippet(data)
		}
		return nil, wall, &apiError{status, env.Error.Code, env.Error.Message}
	}
	var r queryResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, wall, fmt.Errorf("unreadable query answer (%v): %s", err, snippet(data))
	}
	return &r, wall, nil
}

// benchQuery is one of the four queries of the storage benchmark, as JSON, with the check of
// its answer against the data set.
type benchQuery struct {
	name  string
	body  []byte
	check checkFunc
}

// checkFunc checks a query's results against the data set: the number of groups, a note worth
// reporting besides pass or fail (e.g. how close a percentile from buckets came), and why the
// answer is wrong.
type checkFunc func(results json.RawMessage) (groups int, note string, err error)

// noNote adapts a check that has nothing to report besides pass or fail.
func noNote(f func(json.RawMessage) (int, error)) checkFunc {
	return func(raw json.RawMessage) (int, string, error) {
		n, err := f(raw)
		return n, "", err
	}
}

// queryResult is what runQueries measured for one query.
type queryResult struct {
	Name          string  `json:"name"`
	Runs          int     `json:"runs"`
	P50Ms         float64 `json:"p50Ms"`
	P95Ms         float64 `json:"p95Ms"`
	ServerP50Ms   float64 `json:"serverP50Ms"` // executionTimeMs
	Groups        int     `json:"groups"`
	SeriesScanned int64   `json:"seriesScanned"`
	PointsScanned int64   `json:"pointsScanned"`
	Note          string  `json:"note,omitempty"` // what the check wants reported beyond pass/fail
	Error         string  `json:"error,omitempty"`
}

// queries are the storage benchmark's four queries over the written rounds (with histograms,
// from before the series' start time: rangeStart).
func (d *dataset) queries(limit int) []benchQuery {
	tr := map[string]int64{"start": d.rangeStart(), "end": d.end()}
	mid := workload.Customer(d.shape.Customers / 2)
	mk := func(q map[string]any) []byte {
		q["timeRange"] = tr
		b, err := json.Marshal(q)
		if err != nil {
			panic(err) // maps of strings, ints and slices always marshal
		}
		return b
	}
	avg, p95, one := noNote(d.checkAvgByCustomer), noNote(d.checkP95ByEndpoint), noNote(d.checkOneCustomer)
	if d.hist != nil { // the same queries, answered from merged buckets
		avg, p95, one = noNote(d.checkHistAvgByCustomer), d.checkHistP95ByEndpoint, noNote(d.checkHistOneCustomer)
	}
	return []benchQuery{
		{"avg-by-customer", mk(map[string]any{"queryType": "aggregate", "metricName": metricLatency,
			"aggregation": "avg", "groupBy": []string{"customer_id"}, "limit": limit}), avg},
		{"p95-by-endpoint", mk(map[string]any{"queryType": "aggregate", "metricName": metricLatency,
			"aggregation": "p95", "groupBy": []string{"endpoint"}}), p95},
		{"rate-by-region", mk(map[string]any{"queryType": "rate", "metricName": metricCounter,
			"groupBy": []string{"region"}}), noNote(d.checkRateByRegion)},
		{"one-customer-1m", mk(map[string]any{"queryType": "aggregate", "metricName": metricLatency,
			"aggregation": "avg", "groupBy": []string{"endpoint"}, "interval": "1m",
			"filters": map[string]string{"customer_id": mid}}), one},
	}
}

// runQueries runs each query `warmups` times untimed, then `runs` times timed, and checks the
// last answer. A failing query is reported in its result and does not stop the others.
func runQueries(ctx context.Context, c *apiClient, qs []benchQuery, runs int, w io.Writer) []queryResult {
	out := make([]queryResult, 0, len(qs))
	for _, q := range qs {
		r := queryResult{Name: q.name}
		if err := runQuery(ctx, c, q, runs, &r); err != nil {
			r.Error = err.Error()
			fmt.Fprintf(w, "query %s: FAILED: %v\n", q.name, err)
		} else {
			fmt.Fprintf(w, "query %s: p50 %s ms, p95 %s ms, %d groups\n", q.name, fmtMs(r.P50Ms), fmtMs(r.P95Ms), r.Groups)
			if r.Note != "" {
				fmt.Fprintf(w, "query %s: %s\n", q.name, r.Note)
			}
		}
		out = append(out, r)
	}
	return out
}

func runQuery(ctx context.Context, c *apiClient, q benchQuery, runs int, r *queryResult) error {
	var walls []time.Duration
	var server []float64
	var last *queryResponse
	for i := range warmups + runs {
		resp, wall, err := c.query(ctx, q.body)
		if err != nil {
			return fmt.Errorf("run %d of %d: %w", i+1, warmups+runs, err)
		}
		if i >= warmups {
			walls = append(walls, wall)
			server = append(server, resp.ExecutionTimeMs)
		}
		last = resp
	}
	slices.Sort(walls)
	slices.Sort(server)
	r.Runs = runs
	r.P50Ms, r.P95Ms = ms(percentile(walls, 50)), ms(percentile(walls, 95))
	r.ServerP50Ms = percentile(server, 50)
	r.SeriesScanned, r.PointsScanned = last.SeriesScanned, last.PointsScanned
	var err error
	r.Groups, r.Note, err = q.check(last.Results)
	if err != nil {
		return fmt.Errorf("wrong answer: %w", err)
	}
	return nil
}
