// Command luminate-bench is `make bench`: it load-tests Luminate end to end over its public
// APIs with the data set of internal/workload (the one the storage benchmark writes), then times
// the storage benchmark's four queries over HTTP and reports throughput, latencies, memory and
// bytes on disk.
//
// Spawn mode (default) starts bin/luminate with configs/luminate.yaml on free loopback ports,
// a fresh temp data dir and a random JWT_SECRET, and stops it at the end to measure the data
// dir after a clean close. Target mode (--url, --token) loads a running server instead.
//
//	luminate-bench                                    # JSON write API, 6M points
//	luminate-bench --mode otlp-grpc --customers 1000  # OTLP over gRPC, smaller
//	luminate-bench --url http://host:8080 --token $TOKEN --pid 1234 --data-dir /var/lib/luminate
//
// Progress goes to stderr; the summary (or, with --json, one JSON object) to stdout. Exit
// status: 0 when every write was acknowledged in full and every query answered correctly, 1
// otherwise, 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// progressEvery is the interval of the progress lines on stderr.
const progressEvery = 2 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "luminate-bench: %v\nrun luminate-bench -h for usage\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := bench(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "luminate-bench: %v\n", err)
		return 1
	}
	if o.asJSON {
		if err := r.writeJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "luminate-bench: %v\n", err)
			return 1
		}
	} else {
		r.writeText(stdout)
	}
	if len(r.Failures) > 0 {
		return 1
	}
	return 0
}

// endpoints is where the run writes and queries, however the server came to be.
type endpoints struct {
	api, otlp, token string
	pid              int    // 0: unknown (no CPU or RSS)
	dataDir          string // "": unknown (no bytes on disk)
}

// bench runs the whole benchmark. An error means there is nothing to report (the server did
// not start); problems found while measuring are report failures instead, next to the numbers.
func bench(ctx context.Context, o *options, log io.Writer) (*report, error) {
	r := &report{Mode: o.mode, Histograms: o.histograms, Batch: o.batch / 2 * 2, Clients: o.clients, Gzip: o.gzip}
	var ep endpoints
	var srv *spawned
	if o.spawn() {
		var err error
		if srv, err = startServer(o); err != nil {
			return nil, err
		}
		defer func() {
			if srv != nil { // not stopped by the normal path: interrupted or failed early
				srv.stop()
				srv.cleanup(o.keep)
			}
		}()
		fmt.Fprintf(log, "server: started %s (pid %d), data in %s, log %s\n", o.server, srv.pid(), srv.dataDir, srv.logPath)
		if err := srv.waitReady(ctx, o.readyTimeout); err != nil {
			srv.stop()
			fmt.Fprintf(log, "server: kept %s for its log\n", srv.tmp)
			srv = nil // the log explains the failure: keep it
			return nil, err
		}
		ep = endpoints{api: srv.apiURL, token: srv.token, pid: srv.pid(), dataDir: srv.dataDir, otlp: srv.otlpHTTP}
		if o.mode == modeOTLPGRPC {
			ep.otlp = srv.otlpGRPC
		}
		r.Server = fmt.Sprintf("spawned %s (pid %d)", o.server, srv.pid())
		r.Workload.Tenant = "bench"
	} else {
		ep = endpoints{api: o.url, otlp: o.otlpEndpoint, token: o.token, pid: o.pid, dataDir: o.dataDir}
		if err := checkReady(ctx, o.url); err != nil {
			return nil, err
		}
		r.Server = o.url
	}
	// generated once the server answers (a dead target fails fast), before the clock starts
	ds := newDataset(o.shape(time.Now()))
	ds.startTimes = o.mode != modeJSON
	if o.histograms {
		ds.addHistograms()
	}
	s := ds.shape
	r.Workload = workloadInfo{Customers: s.Customers, Endpoints: s.Endpoints, Points: s.Points, Series: s.Series(),
		StepMs: s.StepMs, Start: ds.start(), End: ds.end(), QueryStart: ds.rangeStart(), Tenant: r.Workload.Tenant}
	if o.histograms {
		r.Workload.HistogramBuckets, r.Workload.ObservationsPerRound = latencyBuckets, obsPerRound
	}
	r.Points, r.HistogramPoints = ds.points(), ds.histPoints()

	api := newAPIClient(ep.api, ep.token)
	measureLoad(ctx, o, ds, ep, api, r, log)
	if ctx.Err() == nil && o.queryRuns > 0 {
		fmt.Fprintf(log, "queries: %d warm-up + %d timed runs each\n", warmups, o.queryRuns)
		r.Queries = runQueries(ctx, api, ds.queries(o.groupLimit()), o.queryRuns, log)
		for _, q := range r.Queries {
			if q.Error != "" {
				r.fail("query %s: %s", q.Name, q.Error)
			}
		}
	}
	if ep.pid > 0 {
		var err error
		if r.RSSBytes, r.HWMBytes, err = processMemory(ep.pid); err != nil {
			r.fail("server memory: %v", err)
		}
	}
	if srv != nil {
		d, err := srv.stop()
		r.ShutdownSeconds = d.Seconds()
		if err != nil {
			r.fail("%v", err)
		}
		if _, err := os.Stat(ep.dataDir); err == nil {
			measureDisk(ep.dataDir, r)
		} else {
			// ClickHouse: the data is in the server's tables (the engine benchmark measures them)
			fmt.Fprintf(log, "disk: nothing in %s (storage outside the data dir): bytes/point not measured\n", ep.dataDir)
		}
		keep := o.keep || err != nil // a server that crashed or hung: its log is the evidence
		if keep {
			fmt.Fprintf(log, "server: kept %s\n", srv.tmp)
		}
		srv.cleanup(keep)
		srv = nil
	} else if ep.dataDir != "" {
		measureDisk(ep.dataDir, r) // while it runs: memtables not flushed yet
	}
	if err := ctx.Err(); err != nil {
		r.fail("interrupted: %v", err)
	}
	return r, nil
}

// measureLoad writes the data set and fills in the load's numbers; for OTLP it then waits until
// every point is queryable.
func measureLoad(ctx context.Context, o *options, ds *dataset, ep endpoints, api *apiClient, r *report, log io.Writer) {
	newSender, closeSenders, err := newSenders(writeTarget{mode: o.mode, apiURL: ep.api, otlp: ep.otlp, token: ep.token, gzip: o.gzip, clients: o.clients}, ds)
	if err != nil {
		r.fail("%v", err)
		return
	}
	defer closeSenders()
	jobs := ds.jobs(o.batch)
	what := o.mode
	if ds.hist != nil {
		what += fmt.Sprintf(", api_latency as histograms (%d buckets)", latencyBuckets)
	}
	fmt.Fprintf(log, "load: %s points in %d requests of up to %d points, %d clients, mode %s\n",
		thousands(ds.points()), len(jobs), r.Batch, o.clients, what)
	cpu0, srv0, srvErr := selfCPU(), time.Duration(0), error(nil)
	if ep.pid > 0 {
		srv0, srvErr = processCPU(ep.pid)
	}
	start := time.Now()
	st := runLoad(ctx, jobs, o.clients, newSender, log, progressEvery)
	r.ClientCPUSeconds = (selfCPU() - cpu0).Seconds()
	r.AckedPoints, r.Requests, r.Errors, r.ErrorSamples = st.Points, st.Requests, st.Errors, st.ErrorSamples
	r.LoadSeconds = st.Elapsed.Seconds()
	r.PointsPerSec = float64(st.Points) / st.Elapsed.Seconds()
	if ds.hist != nil {
		// every request carries as many histogram points as counter points, and a request is
		// acknowledged whole or not at all: half the acknowledged points are histograms
		r.AckedHistogramPoints = st.Points / 2
		r.HistogramPointsPerSec = float64(r.AckedHistogramPoints) / st.Elapsed.Seconds()
	}
	r.LatencyP50Ms = ms(percentile(st.Latencies, 50))
	r.LatencyP95Ms = ms(percentile(st.Latencies, 95))
	r.LatencyP99Ms = ms(percentile(st.Latencies, 99))
	if st.Errors > 0 {
		r.fail("%d of %d write requests were not fully acknowledged (%s of %s points)",
			st.Errors, st.Requests, thousands(ds.points()-st.Points), thousands(ds.points()))
	}
	if r.otlp() && ctx.Err() == nil {
		t, err := waitStored(ctx, api, ds, start, o.storeTimeout, log)
		if err != nil {
			r.fail("OTLP points not all queryable: %v", err)
		} else {
			r.StoredSeconds = t.all.Seconds()
			r.StoredPointsPerS = float64(ds.points()) / t.all.Seconds()
			if ds.hist != nil {
				r.StoredHistogramSeconds = t.latency.Seconds()
				r.StoredHistogramPointsPerS = float64(ds.histPoints()) / t.latency.Seconds()
			}
		}
	}
	if ep.pid > 0 && srvErr == nil {
		if srv1, err := processCPU(ep.pid); err == nil {
			v := (srv1 - srv0).Seconds()
			r.ServerCPUSeconds = &v
		}
	}
}

// measureDisk fills in the bytes on disk of the data dir and the bytes per written point.
func measureDisk(dir string, r *report) {
	alloc, apparent, err := diskUsage(dir)
	if err != nil {
		r.fail("disk usage of %s: %v", dir, err)
		return
	}
	r.DiskBytes, r.DiskApparentBytes = alloc, apparent
	r.BytesPerPoint = float64(alloc) / float64(r.Points)
}

// checkReady fails early, with a clear message, when a target server is not ready.
func checkReady(ctx context.Context, base string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("target %s: %w", base, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("target %s: GET /readyz answered HTTP %d", base, resp.StatusCode)
	}
	return nil
}
