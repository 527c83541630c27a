package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// pollEvery is the pause between count queries while OTLP points drain into storage. Each poll
// scans every point written so far, so polling faster would slow the ingest it measures.
const pollEvery = 250 * time.Millisecond

// countStored returns how many points of each metric of the data set (metricLatency,
// metricCounter) the server can answer for: a count aggregate of each metric over the queries'
// range, whose groups' count is raw points, histogram points included. A metric the server does
// not know yet (404) has none.
func countStored(ctx context.Context, c *apiClient, d *dataset) ([2]int64, error) {
	var got [2]int64
	for k, m := range []string{metricLatency, metricCounter} {
		body, err := json.Marshal(map[string]any{"queryType": "aggregate", "metricName": m, "aggregation": "count",
			"timeRange": map[string]int64{"start": d.rangeStart(), "end": d.end()}})
		if err != nil {
			return got, err
		}
		resp, _, err := c.query(ctx, body)
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			continue
		}
		if err != nil {
			return got, fmt.Errorf("count %s: %w", m, err)
		}
		var gs []groupValue
		if err := json.Unmarshal(resp.Results, &gs); err != nil {
			return got, fmt.Errorf("count %s: %w", m, err)
		}
		for _, g := range gs {
			got[k] += g.Count
		}
	}
	return got, nil
}

// storedTimes is when the written points had all become queryable, from the start of the load.
type storedTimes struct {
	all     time.Duration // every point of both metrics
	latency time.Duration // every api_latency point (the histograms, with --histograms)
}

// waitStored polls until every point written is queryable and returns the time from `since`
// (the start of the load) to the poll that saw them all, and to the first poll that saw every
// api_latency point. OTLP answers before storage (the batch processor queues), so only this
// tells how fast points become durable and visible.
func waitStored(ctx context.Context, c *apiClient, d *dataset, since time.Time, timeout time.Duration, w io.Writer) (storedTimes, error) {
	perMetric := d.points() / 2 // one point of each metric per series and round
	deadline := time.Now().Add(timeout)
	var st storedTimes
	lastPrint := time.Now()
	for {
		got, err := countStored(ctx, c, d)
		if err == nil {
			if got[0] > perMetric || got[1] > perMetric {
				return st, fmt.Errorf("%d %s and %d %s points stored in the queried range, more than the %d of each written: the tenant already held data there",
					got[0], metricLatency, got[1], metricCounter, perMetric)
			}
			if st.latency == 0 && got[0] == perMetric {
				st.latency = time.Since(since)
			}
			if got[0]+got[1] == 2*perMetric {
				st.all = time.Since(since)
				return st, nil
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				return st, fmt.Errorf("after %s: %w", timeout, err)
			}
			return st, fmt.Errorf("only %d of %d points queryable %s after the load (raise --store-timeout)", got[0]+got[1], 2*perMetric, timeout)
		}
		if err == nil && time.Since(lastPrint) >= progressEvery {
			fmt.Fprintf(w, "stored: %s of %s points queryable\n", thousands(got[0]+got[1]), thousands(2*perMetric))
			lastPrint = time.Now()
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}
