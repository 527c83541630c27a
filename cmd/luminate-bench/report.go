package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// report is everything a run measured; --json prints it as is. Fields the run could not
// measure (no --pid, no --data-dir, no queries) are omitted.
type report struct {
	Workload workloadInfo `json:"workload"`
	Mode     string       `json:"mode"`
	// Histograms: api_latency was sent as cumulative explicit-bucket histograms (--histograms)
	Histograms bool   `json:"histograms,omitempty"`
	Batch      int    `json:"batch"`
	Clients    int    `json:"clients"`
	Gzip       bool   `json:"gzip"`
	Server     string `json:"server"`

	Points           int64    `json:"points"`      // written by the load
	AckedPoints      int64    `json:"ackedPoints"` // acknowledged by the server
	Requests         int      `json:"requests"`    //
	Errors           int      `json:"errors"`      // requests not fully acknowledged
	ErrorSamples     []string `json:"errorSamples,omitempty"`
	LoadSeconds      float64  `json:"loadSeconds"`  // first request to last answer
	PointsPerSec     float64  `json:"pointsPerSec"` // acknowledged points / load seconds
	StoredSeconds    float64  `json:"storedSeconds,omitempty"`
	StoredPointsPerS float64  `json:"storedPointsPerSec,omitempty"` // OTLP: points / time until all queryable
	// --histograms: the api_latency histogram points among the above (half of them)
	HistogramPoints           int64    `json:"histogramPoints,omitempty"`
	AckedHistogramPoints      int64    `json:"ackedHistogramPoints,omitempty"`
	HistogramPointsPerSec     float64  `json:"histogramPointsPerSec,omitempty"`       // acknowledged / load seconds
	StoredHistogramSeconds    float64  `json:"storedHistogramSeconds,omitempty"`      // until every histogram point was queryable
	StoredHistogramPointsPerS float64  `json:"storedHistogramPointsPerSec,omitempty"` // histogram points / that time
	LatencyP50Ms              float64  `json:"requestP50Ms"`
	LatencyP95Ms              float64  `json:"requestP95Ms"`
	LatencyP99Ms              float64  `json:"requestP99Ms"`
	ClientCPUSeconds          float64  `json:"clientCpuSeconds"`
	ServerCPUSeconds          *float64 `json:"serverCpuSeconds,omitempty"` // during the load (OTLP: until stored)

	Queries []queryResult `json:"queries,omitempty"`

	RSSBytes          int64   `json:"rssBytes,omitempty"` // VmRSS after the queries
	HWMBytes          int64   `json:"hwmBytes,omitempty"` // VmHWM: peak RSS
	DiskBytes         int64   `json:"diskBytes,omitempty"`
	DiskApparentBytes int64   `json:"diskApparentBytes,omitempty"`
	BytesPerPoint     float64 `json:"bytesPerPoint,omitempty"`
	ShutdownSeconds   float64 `json:"shutdownSeconds,omitempty"`

	Failures []string `json:"failures,omitempty"` // why the exit status is not 0
}

type workloadInfo struct {
	Customers int   `json:"customers"`
	Endpoints int   `json:"endpoints"`
	Points    int   `json:"pointsPerSeries"`
	Series    int   `json:"seriesPerMetric"`
	StepMs    int64 `json:"stepMs"`
	Start     int64 `json:"start"` // Unix ms of the first round
	End       int64 `json:"end"`   // and of the last
	// QueryStart is the start of the queries' range (end is End): Start, or with histograms two
	// steps earlier, before the histograms' start time
	QueryStart           int64  `json:"queryStart"`
	HistogramBuckets     int    `json:"histogramBuckets,omitempty"`
	ObservationsPerRound int    `json:"observationsPerRound,omitempty"`
	Tenant               string `json:"tenant,omitempty"`
}

func (r *report) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

func (r *report) otlp() bool { return r.Mode != modeJSON }

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeText prints the human summary and the markdown rows for docs/benchmarks.md.
func (r *report) writeText(w io.Writer) {
	wl := r.Workload
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("workload: %s customers x %d endpoints x %d points x 2 metrics = %s points (%s series), %d s apart",
		thousands(int64(wl.Customers)), wl.Endpoints, wl.Points, thousands(r.Points), thousands(int64(2*wl.Series)), wl.StepMs/1000)
	p("write:    %s, batches of %d points, %d clients, gzip %v; server %s", r.Mode, r.Batch, r.Clients, r.Gzip, r.Server)
	if r.Histograms {
		p("          api_latency as cumulative histograms: %s points, %d buckets, %d observations per series per round",
			thousands(r.HistogramPoints), wl.HistogramBuckets, wl.ObservationsPerRound)
	}
	ack := "acknowledged = durable"
	if r.otlp() {
		ack = "accepted (queued, not yet stored)"
	}
	p("load:     %s points in %.2f s = %s points/s %s; %d requests, %d errors",
		thousands(r.AckedPoints), r.LoadSeconds, thousands(int64(r.PointsPerSec)), ack, r.Requests, r.Errors)
	if r.StoredSeconds > 0 {
		p("stored:   all %s points queryable %.2f s after the load started = %s points/s", thousands(r.Points), r.StoredSeconds, thousands(int64(r.StoredPointsPerS)))
	}
	if r.Histograms {
		p("histograms: %s histogram points accepted = %s histogram points/s", thousands(r.AckedHistogramPoints), thousands(int64(r.HistogramPointsPerSec)))
		if r.StoredHistogramSeconds > 0 {
			p("          all %s queryable %.2f s after the load started = %s histogram points/s",
				thousands(r.HistogramPoints), r.StoredHistogramSeconds, thousands(int64(r.StoredHistogramPointsPerS)))
		}
	}
	p("requests: p50 %s ms, p95 %s ms, p99 %s ms", fmtMs(r.LatencyP50Ms), fmtMs(r.LatencyP95Ms), fmtMs(r.LatencyP99Ms))
	cpu := fmt.Sprintf("client %.2f s (%.2f cores)", r.ClientCPUSeconds, r.ClientCPUSeconds/r.loadWall())
	if r.ServerCPUSeconds != nil {
		cpu += fmt.Sprintf(", server %.2f s (%.2f cores)", *r.ServerCPUSeconds, *r.ServerCPUSeconds/r.loadWall())
	}
	p("cpu:      %s", cpu)
	for _, e := range r.ErrorSamples {
		p("  error: %s", e)
	}
	if len(r.Queries) > 0 {
		p("queries (client wall time over %d runs after %d warm-ups; server = executionTimeMs p50):", r.Queries[0].Runs, warmups)
		for _, q := range r.Queries {
			if q.Error != "" {
				p("  %-16s FAILED: %s", q.Name, q.Error)
				continue
			}
			server := fmtMs(q.ServerP50Ms)
			if q.ServerP50Ms < 1 {
				server = "<1" // executionTimeMs is whole milliseconds
			}
			p("  %-16s p50 %8s ms  p95 %8s ms  server %6s ms  %6d groups  %s points scanned",
				q.Name, fmtMs(q.P50Ms), fmtMs(q.P95Ms), server, q.Groups, thousands(q.PointsScanned))
			if q.Note != "" {
				p("  %-16s %s", "", q.Note)
			}
		}
	}
	if r.RSSBytes > 0 {
		p("memory:   VmRSS %s, VmHWM (peak) %s", bytesIEC(r.RSSBytes), bytesIEC(r.HWMBytes))
	}
	if r.DiskBytes > 0 {
		p("disk:     %s allocated (%s apparent) = %.2f bytes/point", bytesIEC(r.DiskBytes), bytesIEC(r.DiskApparentBytes), r.BytesPerPoint)
	}
	if r.ShutdownSeconds > 0 {
		p("shutdown: %.2f s after SIGTERM", r.ShutdownSeconds)
	}
	p("")
	p("rows for docs/benchmarks.md:")
	p("")
	fmt.Fprint(w, tableHeader)
	p("%s", r.markdownRow())
	for _, f := range r.Failures {
		p("FAILED: %s", f)
	}
}

// loadWall is the wall time the CPU numbers cover.
func (r *report) loadWall() float64 {
	if r.StoredSeconds > 0 {
		return r.StoredSeconds
	}
	return max(r.LoadSeconds, 1e-9)
}

// tableHeader is the results table of docs/benchmarks.md.
const tableHeader = `| workload | mode | points/s | avg by customer p50 / p95 | p95 by endpoint p50 / p95 | rate by region p50 / p95 | one customer 1m p50 / p95 | bytes/point | RSS (peak) |
|---|---|---|---|---|---|---|---|---|
`

func (r *report) markdownRow() string {
	wl := r.Workload
	cells := []string{
		fmt.Sprintf("%s x %d x %d", thousands(int64(wl.Customers)), wl.Endpoints, wl.Points),
		r.Mode,
		short(r.PointsPerSec),
	}
	if r.Gzip {
		cells[1] += " gzip"
	}
	if r.Histograms {
		cells[1] += fmt.Sprintf(" histograms (%d buckets)", wl.HistogramBuckets)
	}
	if r.otlp() {
		cells[2] = fmt.Sprintf("%s stored (%s accepted)", short(r.StoredPointsPerS), short(r.PointsPerSec))
	}
	if r.Histograms {
		cells[2] += fmt.Sprintf("; histograms %s stored (%s accepted)", short(r.StoredHistogramPointsPerS), short(r.HistogramPointsPerSec))
	}
	for _, name := range []string{"avg-by-customer", "p95-by-endpoint", "rate-by-region", "one-customer-1m"} {
		cell := "-"
		for _, q := range r.Queries {
			if q.Name == name {
				cell = fmt.Sprintf("%s / %s ms", fmtMs(q.P50Ms), fmtMs(q.P95Ms))
				if q.Error != "" {
					cell = "error"
				}
			}
		}
		cells = append(cells, cell)
	}
	cells = append(cells, "-", "-")
	if r.BytesPerPoint > 0 {
		cells[7] = fmt.Sprintf("%.2f", r.BytesPerPoint)
	}
	if r.RSSBytes > 0 {
		cells[8] = fmt.Sprintf("%s (%s)", bytesIEC(r.RSSBytes), bytesIEC(r.HWMBytes))
	}
	if len(r.Failures) > 0 {
		cells[1] += " (FAILED)"
	}
	return "| " + strings.Join(cells, " | ") + " |"
}
