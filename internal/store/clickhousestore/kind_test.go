package clickhousestore

import (
	"context"
	"strings"
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

// TestKindConflict: one metric name holds one kind of point. A histogram for a value metric is
// refused at Append like a value for a histogram metric (the suite checks that one), also by a
// second process that learns the metric's kind from the database, and the commit keeps the
// other points.
func TestKindConflict(t *testing.T) {
	srv := chtest.Start(t)
	o := testOptions(t, srv.Addr)
	a := openStore(t, o)
	defer a.Close()
	ctx := context.Background()
	base := int64(1_800_000_000_000)
	h := &model.Histogram{Count: 1, Bounds: []float64{10}, Counts: []uint64{1, 0}}
	ap := a.Appender("t1").(*appender)
	if err := ap.Append("g", gaugeMeta, labelsOf("k", "a"), base, 1); err != nil {
		t.Fatal(err)
	}
	if err := ap.AppendPoint("g", model.MetricMeta{Type: model.TypeHistogram}, labelsOf("k", "a"), model.Point{T: base + 1000, Hist: h}); err == nil || !strings.Contains(err.Error(), "INVALID_REQUEST") {
		t.Errorf("histogram for a value metric: %v, want INVALID_REQUEST", err)
	}
	if err := ap.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// a second process: the kind comes from the metrics table
	b := openStore(t, Options{Addrs: o.Addrs, Database: o.Database, FlushInterval: o.FlushInterval, RetryTimeout: o.RetryTimeout})
	defer b.Close()
	bp := b.Appender("t1").(*appender)
	if err := bp.AppendPoint("g", model.MetricMeta{Type: model.TypeHistogram}, labelsOf("k", "b"), model.Point{T: base, Hist: h}); err == nil || !strings.Contains(err.Error(), "INVALID_REQUEST") {
		t.Errorf("second process, histogram for a value metric: %v, want INVALID_REQUEST", err)
	}
	if err := bp.Append("g", gaugeMeta, labelsOf("k", "b"), base, 2); err != nil {
		t.Fatal(err)
	}
	if err := bp.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}
