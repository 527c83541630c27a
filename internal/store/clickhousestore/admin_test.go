package clickhousestore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

const adminBase = int64(1_800_000_000_000)

func writeOne(t *testing.T, s *Store, metric, k, v string, ts int64, val float64) {
	t.Helper()
	a := s.Appender("t1")
	if err := a.Append(metric, gaugeMeta, labelsOf(k, v), ts, val); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func hasState(s *Store, tenant, metric string) bool {
	s.msMu.RLock()
	defer s.msMu.RUnlock()
	return s.states[tenantMetric{tenant, metric}] != nil
}

// TestDeletionNotice: two processes on one database. One deletes a metric the other has written
// (and cached: slot map, metadata row written, series rows stored); the other forgets it on its
// next poll of the deletions table, so its next write re-creates the metric visibly.
func TestDeletionNotice(t *testing.T) {
	srv := chtest.Start(t)
	o := testOptions(t, srv.Addr)
	o.DeletionPollInterval = 50 * time.Millisecond
	deleter, writer := openStore(t, o), openStore(t, o)
	defer deleter.Close()
	defer writer.Close()
	ctx := context.Background()
	writeOne(t, writer, "m", "host", "a", adminBase, 1)
	if err := deleter.DeleteBefore(ctx, "t1", "m", adminBase+1); err != nil {
		t.Fatal(err)
	}
	if ms, err := deleter.Metrics(ctx, "t1"); err != nil || len(ms) != 0 {
		t.Fatalf("metrics after deleting every point: %v %v", ms, err)
	}
	// no timing assertion: the writer forgets within some polls, however slow the machine
	deadline := time.Now().Add(60 * time.Second)
	for hasState(writer, "t1", "m") {
		if time.Now().After(deadline) {
			t.Fatal("the writer did not forget the deleted metric within 60s of polls every 50ms")
		}
		time.Sleep(20 * time.Millisecond)
	}
	writeOne(t, writer, "m", "host", "b", adminBase+1000, 5)
	ms, err := deleter.Metrics(ctx, "t1")
	if err != nil || len(ms) != 1 || ms[0].Name != "m" || ms[0].SeriesCount != 1 {
		t.Fatalf("metrics after the write that re-creates m: %+v %v; want m with 1 series", ms, err)
	}
	vals, err := deleter.DimensionValues(ctx, "t1", "m", "host", "", 0)
	if err != nil || len(vals) != 1 || vals[0].Value != "b" {
		t.Errorf("values of host: %v %v, want b only", vals, err)
	}
	r, err := deleter.Query(ctx, &store.Query{Tenant: "t1", Metric: "m", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggSum},
		Start: adminBase, End: adminBase + 1000, Limit: 10, GroupBy: []string{"host"}})
	if err != nil || len(r.Groups) != 1 || r.Groups[0].Value != 5 || r.PointsScanned != 1 {
		t.Errorf("sum by host after re-creation: %+v %v", r, err)
	}
}

// TestDeleteDuringAppend: a commit whose metric was deleted after its points were appended
// stores nothing and returns store.ErrMetricDeleted; its retry re-creates the metric.
func TestDeleteDuringAppend(t *testing.T) {
	srv := chtest.Start(t)
	s := openStore(t, testOptions(t, srv.Addr))
	defer s.Close()
	ctx := context.Background()
	writeOne(t, s, "m", "host", "a", adminBase, 1)
	a := s.Appender("t1")
	if err := a.Append("m", gaugeMeta, labelsOf("host", "a"), adminBase+1000, 2); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBefore(ctx, "t1", "m", adminBase+1); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(ctx); !errors.Is(err, store.ErrMetricDeleted) {
		t.Fatalf("commit after the delete: %v, want ErrMetricDeleted", err)
	}
	if ms, err := s.Metrics(ctx, "t1"); err != nil || len(ms) != 0 {
		t.Fatalf("metrics after the refused commit: %v %v", ms, err)
	}
	writeOne(t, s, "m", "host", "a", adminBase+1000, 2)
	ms, err := s.Metrics(ctx, "t1")
	if err != nil || len(ms) != 1 || ms[0].SeriesCount != 1 {
		t.Fatalf("metrics after the retry: %+v %v", ms, err)
	}
}

// TestDeleteSkipsMutations: a delete that matches no row issues no mutation (a mutation
// rewrites parts).
func TestDeleteSkipsMutations(t *testing.T) {
	srv := chtest.Start(t)
	s := openStore(t, testOptions(t, srv.Addr))
	defer s.Close()
	ctx := context.Background()
	writeOne(t, s, "m", "host", "a", adminBase, 1)
	mutations := func() uint64 {
		var n uint64
		if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.mutations WHERE database = "+quote(s.o.Database)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := s.DeleteBefore(ctx, "t1", "m", adminBase); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyRetention(ctx, time.UnixMilli(adminBase)); err != nil {
		t.Fatal(err)
	}
	if n := mutations(); n != 0 {
		t.Errorf("%d mutations for deletes that match nothing", n)
	}
	if err := s.DeleteBefore(ctx, "t1", "m", adminBase+1); err != nil {
		t.Fatal(err)
	}
	// the point (samples), then the metric's series and metrics rows
	if n := mutations(); n != 3 {
		t.Errorf("%d mutations for a delete of the only point, want 3 (samples, series, metrics)", n)
	}
}
