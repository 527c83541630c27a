package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/luminate-metrics/luminate/internal/workload"
)

// Write modes.
const (
	modeJSON     = "json"
	modeOTLPHTTP = "otlp-http"
	modeOTLPGRPC = "otlp-grpc"
)

// maxSpan keeps the oldest round inside the write API's [now-7d, now+1h] window, with an hour
// to spare for a long run: the first round must still be accepted when the last one is sent.
const maxSpan = 7*24*time.Hour - time.Hour

type options struct {
	mode string

	// spawn mode
	server, config string
	keep           bool

	// target mode (url set)
	url, token   string
	otlpEndpoint string // host:port (gRPC) or base URL (HTTP); derived from url when empty
	pid          int
	dataDir      string

	customers, endpoints, points int
	batch, clients               int
	gzip                         bool
	histograms                   bool // OTLP: api_latency as a cumulative explicit-bucket histogram

	queryRuns    int
	limit        int // "limit" of the group-by-customer query; 0 = customers
	readyTimeout time.Duration
	storeTimeout time.Duration
	asJSON       bool
}

// usageError marks a bad invocation (exit status 2).
type usageError struct{ error }

func (o *options) spawn() bool { return o.url == "" }

// shape is the workload of the run; its rounds end at the step boundary before now.
func (o *options) shape(now time.Time) workload.Shape {
	s := workload.Default(0)
	s.Customers, s.Endpoints, s.Points = o.customers, o.endpoints, o.points
	end := now.UnixMilli() / s.StepMs * s.StepMs
	s.Start = end - int64(s.Points-1)*s.StepMs
	return s
}

// groupLimit is the "limit" of the group-by-customer query. By default it is the customer
// count: the smallest limit that returns every group, so the answer is the one a limit of
// 100000 gives, while staying within the server's default query.max_limit (10000) for the
// default workload.
func (o *options) groupLimit() int {
	if o.limit > 0 {
		return o.limit
	}
	return o.customers
}

func parseArgs(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("luminate-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.mode, "mode", modeJSON, "write path: json (POST /api/v1/write), otlp-http (POST /v1/metrics, protobuf) or otlp-grpc")
	fs.StringVar(&o.server, "server", "bin/luminate", "spawn mode: the server binary to start")
	fs.StringVar(&o.config, "config", "configs/luminate.yaml", "spawn mode: the server's config files, comma-separated (later ones override, as repeated --config)")
	fs.BoolVar(&o.keep, "keep", false, "spawn mode: keep the temp dir (data and server.log) instead of removing it")
	fs.StringVar(&o.url, "url", "", "target mode: base URL of a running Luminate API, e.g. http://host:8080 (no server is started)")
	fs.StringVar(&o.token, "token", getenv("LUMINATE_TOKEN"), "target mode: bearer token with scopes read,write (default $LUMINATE_TOKEN)")
	fs.StringVar(&o.otlpEndpoint, "otlp-endpoint", "", "target mode: OTLP address; default host of --url with port 4317 (gRPC) or http://host:4318 (HTTP)")
	fs.IntVar(&o.pid, "pid", 0, "target mode: server pid, to report its CPU time and RSS (same host only)")
	fs.StringVar(&o.dataDir, "data-dir", "", "target mode: server data dir, to report bytes on disk (measured while it runs)")
	fs.IntVar(&o.customers, "customers", 10_000, "workload: customers")
	fs.IntVar(&o.endpoints, "endpoints", 10, "workload: endpoints per customer (series per metric = customers x endpoints)")
	fs.IntVar(&o.points, "points", 30, "workload: points per series (rounds, 10 s apart, the last one just before now)")
	fs.IntVar(&o.batch, "batch", 5000, "points per request (both metrics; rounded down to an even number)")
	fs.IntVar(&o.clients, "clients", 8, "concurrent writers (HTTP keep-alive connections or gRPC streams)")
	fs.BoolVar(&o.gzip, "gzip", false, "gzip request bodies (json, otlp-http) or use the gzip gRPC compressor")
	fs.BoolVar(&o.histograms, "histograms", false, "OTLP modes: send api_latency as a cumulative histogram (20 explicit buckets, 10 observations per series per round) instead of a gauge")
	fs.IntVar(&o.queryRuns, "query-runs", 20, "timed runs of each query (after 2 warm-up runs); 0 skips the queries")
	fs.IntVar(&o.limit, "limit", 0, "limit of the group-by-customer query (0: the number of customers)")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 60*time.Second, "how long to wait for the server to become ready")
	fs.DurationVar(&o.storeTimeout, "store-timeout", 60*time.Second, "OTLP modes: how long to wait for every point to become queryable")
	fs.BoolVar(&o.asJSON, "json", false, "print the report as one JSON object on stdout instead of the text summary")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: luminate-bench [--mode json|otlp-http|otlp-grpc [--histograms]] [--customers N --endpoints N --points N] [--batch N --clients N --gzip]")
		fmt.Fprintln(stderr, "       spawn mode (default) starts --server with --config on free ports and a fresh data dir;")
		fmt.Fprintln(stderr, "       target mode: --url http://host:8080 --token T [--pid PID] [--data-dir DIR]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Errorf("unexpected argument %q (all options are flags)", fs.Arg(0))}
	}
	if err := o.validate(fs); err != nil {
		return nil, usageError{err}
	}
	return o, nil
}

func (o *options) validate(fs *flag.FlagSet) error {
	switch o.mode {
	case modeJSON, modeOTLPHTTP, modeOTLPGRPC:
	default:
		return fmt.Errorf("--mode %q: use json, otlp-http or otlp-grpc", o.mode)
	}
	if o.histograms && o.mode == modeJSON {
		return errors.New("--histograms needs --mode otlp-http or otlp-grpc: the JSON write API has no histograms")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"customers", o.customers}, {"endpoints", o.endpoints}, {"points", o.points}, {"clients", o.clients}} {
		if f.v < 1 {
			return fmt.Errorf("--%s is %d; it must be at least 1", f.name, f.v)
		}
	}
	if o.batch < 2 {
		return fmt.Errorf("--batch is %d; it must be at least 2 (one point of each metric)", o.batch)
	}
	if o.queryRuns < 0 || o.limit < 0 {
		return fmt.Errorf("--query-runs (%d) and --limit (%d) must not be negative", o.queryRuns, o.limit)
	}
	if span := time.Duration(o.points-1) * time.Duration(workload.Default(0).StepMs) * time.Millisecond; span > maxSpan {
		return fmt.Errorf("--points %d spans %s, more than the %s the write API accepts (now-7d, less an hour of margin)", o.points, span, maxSpan)
	}
	if o.spawn() {
		for _, name := range []string{"token", "otlp-endpoint", "pid", "data-dir"} {
			if isSet(fs, name) {
				return fmt.Errorf("--%s needs target mode (--url); spawn mode starts its own server", name)
			}
		}
		return nil
	}
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q is not an http(s) base URL like http://host:8080", o.url)
	}
	o.url = strings.TrimRight(o.url, "/")
	if o.token == "" {
		return errors.New("--url needs --token (or $LUMINATE_TOKEN): a JWT with scopes read and write")
	}
	if o.otlpEndpoint == "" {
		switch o.mode {
		case modeOTLPGRPC:
			o.otlpEndpoint = net.JoinHostPort(u.Hostname(), "4317")
		case modeOTLPHTTP:
			o.otlpEndpoint = u.Scheme + "://" + net.JoinHostPort(u.Hostname(), "4318")
		}
	}
	return nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
