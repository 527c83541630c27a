package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProcessCPUOfSelf(t *testing.T) {
	before, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// burn ~150 ms of CPU: /proc counts in 10 ms ticks
	x := 0.0
	for t0 := time.Now(); time.Since(t0) < 150*time.Millisecond; {
		for i := range 10_000 {
			x += float64(i)
		}
	}
	after, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < 50*time.Millisecond || d > 10*time.Second {
		t.Fatalf("CPU went from %v to %v (+%v) over 150 ms of busy loop (x=%v)", before, after, d, x)
	}
	// getrusage sees at least what /proc saw, give or take a tick
	if self := selfCPU(); self+20*time.Millisecond < after {
		t.Fatalf("getrusage %v < /proc %v", self, after)
	}
}

func TestParseStatCPUSurvivesOddCommandNames(t *testing.T) {
	// comm may hold spaces and ')': the fields are counted after the last ')'
	line := "4242 (my) (odd) cmd) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 75 0 0 20 0 8 0 1234 567890 321 18446744073709551615\n"
	got, err := parseStatCPU([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; got != want { // (250 + 75) ticks of 10 ms
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"no paren here", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 ten 12"} {
		if _, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseStatCPU(%q) accepted it", bad)
		}
	}
}

func TestProcessMemoryOfSelf(t *testing.T) {
	rss, hwm, err := processMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 || hwm < rss {
		t.Fatalf("VmRSS %d, VmHWM %d: want RSS >= 1 MiB and peak >= RSS", rss, hwm)
	}
	status := "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t3\n"
	if rss, hwm, err := parseStatusMemory([]byte(status)); err != nil || rss != 1<<20 || hwm != 2<<20 {
		t.Fatalf("parse %q = %d, %d, %v; want 1 MiB, 2 MiB", status, rss, hwm, err)
	}
	for _, bad := range []string{"Name:\tkthreadd\n", "VmRSS:\t12 MB\nVmHWM:\t12 kB\n"} {
		if _, _, err := parseStatusMemory([]byte(bad)); err == nil || !strings.Contains(err.Error(), "Vm") {
			t.Errorf("parseStatusMemory(%q) error %v, want one naming the field", bad, err)
		}
	}
}

// TestDiskUsageCountsAllocatedBlocks: a 64 MiB sparse file with 8 KiB written costs a few
// blocks, which is what Badger's preallocated files cost too.
func TestDiskUsageCountsAllocatedBlocks(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "000001.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	const apparent = 64 << 20
	if err := f.Truncate(apparent); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 8192), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "MANIFEST"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	alloc, app, err := diskUsage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if app != apparent+5 {
		t.Fatalf("apparent %d, want %d", app, apparent+5)
	}
	if alloc < 8192 || alloc >= apparent/2 {
		t.Fatalf("allocated %d bytes of a sparse %d-byte file with 8 KiB written: want >= 8 KiB and far below the apparent size", alloc, apparent)
	}
}
