package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/luminate-metrics/luminate/internal/store/memstore"
)

// runBench runs the command and decodes its --json report.
func runBench(t *testing.T, args ...string) (int, *report, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append(args, "--json"), func(string) string { return "" }, &out, &errb)
	var r report
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("stdout is not the JSON report (%v):\n%s\nstderr:\n%s", err, out.String(), errb.String())
		}
	}
	return code, &r, errb.String()
}

// checkSane checks the report of a clean run of customers x 10 x points.
func checkSane(t *testing.T, r *report, customers, points int) {
	t.Helper()
	want := int64(customers * 10 * points * 2)
	if r.Points != want || r.AckedPoints != want || r.Errors != 0 || len(r.Failures) > 0 {
		t.Fatalf("points %d, acknowledged %d, errors %d, failures %v; want %d, %d, 0, none",
			r.Points, r.AckedPoints, r.Errors, r.Failures, want, want)
	}
	if r.PointsPerSec <= 0 || r.LoadSeconds <= 0 || r.LatencyP50Ms <= 0 || r.LatencyP99Ms < r.LatencyP50Ms {
		t.Fatalf("load numbers not sane: %.0f points/s in %.3f s, request p50 %.3f ms p99 %.3f ms",
			r.PointsPerSec, r.LoadSeconds, r.LatencyP50Ms, r.LatencyP99Ms)
	}
	groups := map[string]int{"avg-by-customer": customers, "p95-by-endpoint": 10, "rate-by-region": min(5, customers), "one-customer-1m": 10}
	if len(r.Queries) != 4 {
		t.Fatalf("%d queries reported, want 4", len(r.Queries))
	}
	for _, q := range r.Queries {
		if q.Error != "" || q.Groups != groups[q.Name] || q.P50Ms <= 0 || q.P95Ms < q.P50Ms || q.Runs != 2 {
			t.Fatalf("query %+v: want %d groups, no error, 0 < p50 <= p95, 2 runs", q, groups[q.Name])
		}
	}
}

func TestTargetModeJSON(t *testing.T) {
	f := newFakeLuminate(t)
	for _, gz := range []string{"--gzip=false", "--gzip"} {
		code, r, stderr := runBench(t, "--url", f.api.URL, "--token", fakeToken, "--customers", "20", "--points", "3",
			"--query-runs", "2", "--batch", "150", "--clients", "3", "--pid", strconv.Itoa(os.Getpid()), "--data-dir", t.TempDir(), gz)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", gz, code, stderr)
		}
		checkSane(t, r, 20, 3)
		if r.Requests != 3*3 { // 200 series per round, requests of 75 + 75 + 50 series
			t.Errorf("%d requests, want 9", r.Requests)
		}
		if r.ServerCPUSeconds == nil || r.RSSBytes <= 0 || r.HWMBytes < r.RSSBytes {
			t.Errorf("--pid given but server CPU %v, RSS %d, HWM %d", r.ServerCPUSeconds, r.RSSBytes, r.HWMBytes)
		}
		f.store = memstore.New() // the next run writes the same timestamps: start empty
	}
}

func TestTargetModeOTLP(t *testing.T) {
	for _, mode := range []string{modeOTLPHTTP, modeOTLPGRPC} {
		t.Run(mode, func(t *testing.T) {
			f := newFakeLuminate(t)
			otlp := f.otlpHTTP.URL
			if mode == modeOTLPGRPC {
				otlp = f.otlpGRPC
			}
			code, r, stderr := runBench(t, "--mode", mode, "--url", f.api.URL, "--token", fakeToken, "--otlp-endpoint", otlp,
				"--customers", "20", "--points", "3", "--query-runs", "2", "--gzip")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			checkSane(t, r, 20, 3)
			// the fake stores 300 ms after it accepts: stored must come later than accepted
			if r.StoredSeconds < r.LoadSeconds+0.25 || r.StoredPointsPerS <= 0 || r.StoredPointsPerS >= r.PointsPerSec {
				t.Fatalf("accepted in %.3f s (%.0f/s), stored after %.3f s (%.0f/s): want stored >= accepted + 0.25 s",
					r.LoadSeconds, r.PointsPerSec, r.StoredSeconds, r.StoredPointsPerS)
			}
		})
	}
}

// TestTargetModeOTLPHistograms: --histograms against the fake (the reference engine behind it):
// every answer from merged buckets passes its check, histogram points are reported apart, and
// the text summary says what was sent.
func TestTargetModeOTLPHistograms(t *testing.T) {
	for _, mode := range []string{modeOTLPHTTP, modeOTLPGRPC} {
		t.Run(mode, func(t *testing.T) {
			f := newFakeLuminate(t)
			otlp := f.otlpHTTP.URL
			if mode == modeOTLPGRPC {
				otlp = f.otlpGRPC
			}
			args := []string{"--mode", mode, "--histograms", "--url", f.api.URL, "--token", fakeToken, "--otlp-endpoint", otlp,
				"--customers", "20", "--points", "3", "--query-runs", "2"}
			code, r, stderr := runBench(t, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			checkSane(t, r, 20, 3)
			checkHistogramReport(t, r, 20, 3)
			if r.StoredHistogramSeconds < r.LoadSeconds+0.25 {
				t.Fatalf("histograms accepted in %.3f s, stored after %.3f s: the fake stores 300 ms late", r.LoadSeconds, r.StoredHistogramSeconds)
			}
			if mode == modeOTLPGRPC {
				return
			}
			f.store = memstore.New() // the text report, on a fresh store
			var out, errb bytes.Buffer
			if code := run(args, func(string) string { return "" }, &out, &errb); code != 0 {
				t.Fatalf("exit %d\n%s", code, errb.String())
			}
			for _, want := range []string{"api_latency as cumulative histograms: 600 points, 20 buckets, 10 observations",
				"histogram points/s", "| 20 x 10 x 3 | otlp-http histograms (20 buckets) | ", "; histograms ", "equal to its linear interpolation"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("text report lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// checkHistogramReport checks the histogram numbers of a clean --histograms run.
func checkHistogramReport(t *testing.T, r *report, customers, points int) {
	t.Helper()
	want := int64(customers * 10 * points)
	if !r.Histograms || r.HistogramPoints != want || r.AckedHistogramPoints != want || r.Workload.HistogramBuckets != 20 ||
		r.Workload.ObservationsPerRound != 10 || r.Workload.QueryStart != r.Workload.Start-20_000 {
		t.Fatalf("histograms %v: %d points, %d acknowledged, %d buckets, %d observations per round, query start %d (first round %d); want %d points",
			r.Histograms, r.HistogramPoints, r.AckedHistogramPoints, r.Workload.HistogramBuckets, r.Workload.ObservationsPerRound,
			r.Workload.QueryStart, r.Workload.Start, want)
	}
	if r.HistogramPointsPerSec <= 0 || r.HistogramPointsPerSec > r.PointsPerSec || r.StoredHistogramPointsPerS <= 0 ||
		r.StoredHistogramSeconds <= 0 || r.StoredHistogramSeconds > r.StoredSeconds {
		t.Fatalf("histogram rates: %.0f/s accepted (all %.0f/s), %.0f/s stored after %.3f s (all after %.3f s)",
			r.HistogramPointsPerSec, r.PointsPerSec, r.StoredHistogramPointsPerS, r.StoredHistogramSeconds, r.StoredSeconds)
	}
	for _, q := range r.Queries {
		if q.Name == "p95-by-endpoint" && !strings.Contains(q.Note, "inside the bucket of rank 0.95") {
			t.Fatalf("p95 note %q", q.Note)
		}
	}
}

// TestRefusedPointsFailTheRun: a 207 is an error, counted and printed, and the exit status says
// so; the queries then see missing points and fail their checks.
func TestRefusedPointsFailTheRun(t *testing.T) {
	f := newFakeLuminate(t)
	f.rejectEach = 7
	code, r, stderr := runBench(t, "--url", f.api.URL, "--token", fakeToken, "--customers", "10", "--points", "2", "--query-runs", "1")
	if code != 1 || r.Errors != r.Requests || r.AckedPoints != 0 || len(r.ErrorSamples) == 0 {
		t.Fatalf("exit %d, %d errors of %d requests, %d acknowledged, samples %v; want exit 1 and every request an error",
			code, r.Errors, r.Requests, r.AckedPoints, r.ErrorSamples)
	}
	if !strings.Contains(r.ErrorSamples[0], "HTTP 207") || !strings.Contains(r.ErrorSamples[0], "CARDINALITY_EXCEEDED") {
		t.Errorf("error sample %q should name the status and the server's code", r.ErrorSamples[0])
	}
	if r.Queries[0].Error == "" || !strings.Contains(r.Queries[0].Error, "count") {
		t.Errorf("avg-by-customer over incomplete data: error %q, want a count mismatch", r.Queries[0].Error)
	}
	if !strings.Contains(stderr, "FAILED") {
		t.Errorf("stderr does not report the failed queries:\n%s", stderr)
	}
}

func TestBadTokenIsReported(t *testing.T) {
	f := newFakeLuminate(t)
	code, r, _ := runBench(t, "--url", f.api.URL, "--token", "wrong", "--customers", "2", "--points", "1", "--query-runs", "0")
	if code != 1 || r.Errors != r.Requests || !strings.Contains(r.ErrorSamples[0], "HTTP 401 for 40 points") {
		t.Fatalf("exit %d, errors %d of %d, samples %v", code, r.Errors, r.Requests, r.ErrorSamples)
	}
}

func TestTextReportHasTheMarkdownRow(t *testing.T) {
	f := newFakeLuminate(t)
	var out, errb bytes.Buffer
	code := run([]string{"--url", f.api.URL, "--token", fakeToken, "--customers", "5", "--points", "2", "--query-runs", "1"},
		func(string) string { return "" }, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	s := out.String()
	if !strings.Contains(s, tableHeader) || !strings.Contains(s, "| 5 x 10 x 2 | json | ") {
		t.Fatalf("no markdown table in:\n%s", s)
	}
	for _, want := range []string{"points/s acknowledged = durable", "avg-by-customer", "one-customer-1m", "requests: p50"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}
