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

// countStored returns how many points of the data set the server can answer for: a count
// aggregate of each metric over the written rounds. A metric the server does not know yet
// (404) has none.
func countStored(ctx context.Context, c *apiClient, d *dataset) (int64, error) {
	var total int64
	for _, m := range []string{metricLatency, metricCounter} {
		body, err := json.Marshal(map[string]any{"queryType": "aggregate", "metricName": m, "aggregation": "count",
			"timeRange": map[string]int64{"start": d.start(), "end": d.end()}})
		if err != nil {
			return 0, err
		}
		resp, _, err := c.query(ctx, body)
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("count %s: %w", m, err)
		}
		var gs []groupValue
		if err := json.Unmarshal(resp.Results, &gs); err != nil {
			return 0, fmt.Errorf("count %s: %w", m, err)
		}
		for _, g := range gs {
			total += g.Count
		}
	}
	return total, nil
}

// waitStored polls until every point written is queryable and returns the time from `since`
// (the start of the load) to the poll that saw them all. OTLP answers before storage (the batch
// processor queues), so only this tells how fast points become durable and visible.
func waitStored(ctx context.Context, c *apiClient, d *dataset, since time.Time, timeout time.Duration, w io.Writer) (time.Duration, error) {
	want := d.points()
	deadline := time.Now().Add(timeout)
	var got int64
	var err error
	lastPrint := time.Now()
	for {
		got, err = countStored(ctx, c, d)
		switch {
		case err == nil && got == want:
			return time.Since(since), nil
		case err == nil && got > want:
			return 0, fmt.Errorf("%d points stored in the written range, more than the %d written: the tenant already held data there", got, want)
		}
		if time.Now().After(deadline) {
			if err != nil {
				return 0, fmt.Errorf("after %s: %w", timeout, err)
			}
			return 0, fmt.Errorf("only %d of %d points queryable %s after the load (raise --store-timeout)", got, want, timeout)
		}
		if err == nil && time.Since(lastPrint) >= progressEvery {
			fmt.Fprintf(w, "stored: %s of %s points queryable\n", thousands(got), thousands(want))
			lastPrint = time.Now()
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}
