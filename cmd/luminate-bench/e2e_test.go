package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEndToEndRealServer builds ./cmd/luminate (or takes $LUMINATE_BIN) and runs a tiny benchmark in spawn mode against
// it in each write mode, and over OTLP/gRPC with --histograms: the real collector, config, auth,
// Badger (native histogram blocks and merged-bucket queries), query API and shutdown. It takes a
// build of the collector (seconds with a warm cache), so -short skips it.
func TestEndToEndRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips building and spawning the real server")
	}
	bin := serverBinary(t)
	for _, name := range []string{modeJSON, modeOTLPHTTP, modeOTLPGRPC, modeOTLPGRPC + "-histograms"} {
		mode, histograms := strings.CutSuffix(name, "-histograms")
		t.Run(name, func(t *testing.T) {
			code, r, stderr := runBench(t, "--server", bin, "--config", "../../configs/luminate.yaml", "--mode", mode,
				"--customers", "20", "--points", "3", "--query-runs", "2", "--batch", "100", "--histograms="+strconv.FormatBool(histograms))
			if code != 0 {
				t.Fatalf("exit %d, failures %v\n%s", code, r.Failures, stderr)
			}
			checkSane(t, r, 20, 3)
			if r.Requests != 3*4 { // 200 series per round, 50 per request
				t.Errorf("%d requests, want 12", r.Requests)
			}
			// /proc counts CPU in clock ticks (10 ms): this tiny load may well take less than one
			if r.ServerCPUSeconds == nil || *r.ServerCPUSeconds < 0 || r.RSSBytes < 10<<20 || r.HWMBytes < r.RSSBytes {
				t.Errorf("server CPU %v, VmRSS %d, VmHWM %d: want measured (>= 0), >= 10 MiB, >= RSS", r.ServerCPUSeconds, r.RSSBytes, r.HWMBytes)
			}
			// Badger's files after a clean close: some KiB for 1,200 points, far below the
			// preallocated (sparse) apparent size
			if r.DiskBytes <= 0 || r.DiskBytes >= r.DiskApparentBytes || r.BytesPerPoint <= 0 || r.BytesPerPoint > 1000 {
				t.Errorf("disk %d allocated, %d apparent, %.1f bytes/point", r.DiskBytes, r.DiskApparentBytes, r.BytesPerPoint)
			}
			if r.ShutdownSeconds <= 0 || r.ShutdownSeconds > stopGrace.Seconds() {
				t.Errorf("shutdown took %.2f s", r.ShutdownSeconds)
			}
			if mode != modeJSON && (r.StoredSeconds < r.LoadSeconds || r.StoredPointsPerS <= 0) {
				t.Errorf("accepted in %.3f s, stored after %.3f s (%.0f points/s)", r.LoadSeconds, r.StoredSeconds, r.StoredPointsPerS)
			}
			if histograms {
				checkHistogramReport(t, r, 20, 3)
				t.Logf("p95 by endpoint: %s", r.Queries[1].Note)
			}
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// serverBinary is $LUMINATE_BIN (CI points it at the ocb build), else a fresh go build of
// ./cmd/luminate, as internal/distro's binary tests do.
func serverBinary(t *testing.T) string {
	if b := os.Getenv("LUMINATE_BIN"); b != "" {
		return b
	}
	bin := filepath.Join(t.TempDir(), "luminate")
	build := exec.Command("go", "build", "-o", bin, "./cmd/luminate")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/luminate: %v\n%s", err, tail(string(out), 20))
	}
	return bin
}
