package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// TestApplyStatus runs the command as a user would: status (all pending), apply twice
// (idempotent), status (all applied).
func TestApplyStatus(t *testing.T) {
	srv := chtest.Start(t)
	db := chtest.Database(t)
	cmd := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(append([]string{"-addr", srv.Addr, "-database", db}, args...), &out, &errOut); code != 0 {
			t.Fatalf("luminate-schema %v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	if out := cmd("status"); !strings.Contains(out, "pending  0001_core") || strings.Contains(out, "applied") {
		t.Errorf("status before apply:\n%s", out)
	}
	first := cmd("apply")
	second := cmd("apply")
	for _, m := range []string{"0001_core", "0002_histograms", "0003_start_times_histograms", "0004_writers_rewrites", "0005_admin"} {
		if !strings.Contains(first, "applied  "+m) {
			t.Errorf("apply did not report %s:\n%s", m, first)
		}
	}
	if first != second {
		t.Errorf("apply twice differs or misses migrations:\n%s\n---\n%s", first, second)
	}
	if out := cmd("status"); strings.Contains(out, "pending") {
		t.Errorf("status after apply:\n%s", out)
	}
	var errOut bytes.Buffer
	if code := run([]string{"nonsense"}, &bytes.Buffer{}, &errOut); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}
