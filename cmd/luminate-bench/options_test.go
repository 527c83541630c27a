package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func parse(args ...string) (*options, error) {
	return parseArgs(args, func(k string) string {
		if k == "LUMINATE_TOKEN" {
			return "env-token"
		}
		return ""
	}, io.Discard)
}

func TestDefaultsAreTheIssuesWorkload(t *testing.T) {
	o, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if !o.spawn() || o.mode != modeJSON || o.customers != 10_000 || o.endpoints != 10 || o.points != 30 ||
		o.batch != 5000 || o.clients != 8 || o.queryRuns != 20 || o.server != "bin/luminate" || o.config != "configs/luminate.yaml" {
		t.Fatalf("defaults %+v", o)
	}
	if o.groupLimit() != 10_000 {
		t.Fatalf("group limit %d, want the customer count", o.groupLimit())
	}
	now := time.Date(2026, 11, 27, 10, 0, 7, 0, time.UTC)
	s := o.shape(now)
	if end := s.T(s.Points - 1); end != time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC).UnixMilli() || s.T(0) != end-29*10_000 {
		t.Fatalf("rounds %d..%d, want 30 rounds ending at the 10 s boundary before now", s.T(0), end)
	}
}

func TestTargetMode(t *testing.T) {
	o, err := parse("--url", "http://[::1]:8080/", "--mode", "otlp-grpc")
	if err != nil {
		t.Fatal(err)
	}
	if o.spawn() || o.url != "http://[::1]:8080" || o.token != "env-token" || o.otlpEndpoint != "[::1]:4317" {
		t.Fatalf("target %+v", o)
	}
	o, err = parse("--url", "http://db:8080", "--token", "T", "--mode", "otlp-http", "--histograms")
	if err != nil || o.otlpEndpoint != "http://db:4318" || o.token != "T" || !o.histograms {
		t.Fatalf("otlp-http endpoint %q, token %q, histograms %v, err %v", o.otlpEndpoint, o.token, o.histograms, err)
	}
}

func TestBadArguments(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "prom"}, "--mode"},
		{[]string{"--histograms"}, "--histograms needs --mode otlp-http or otlp-grpc"},
		{[]string{"--customers", "0"}, "--customers is 0"},
		{[]string{"--batch", "1"}, "--batch is 1"},
		{[]string{"--points", "100000"}, "spans"},
		{[]string{"--pid", "12"}, "--pid needs target mode"},
		{[]string{"--url", "localhost:8080"}, "not an http(s) base URL"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		_, err := parse(c.args...)
		if _, ok := err.(usageError); !ok || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want a usage error mentioning %q", c.args, err, c.want)
		}
	}
	if _, err := parseArgs([]string{"--url", "http://h:1"}, func(string) string { return "" }, io.Discard); err == nil || !strings.Contains(err.Error(), "--token") {
		t.Errorf("target mode without a token: %v", err)
	}
}
