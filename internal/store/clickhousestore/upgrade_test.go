package clickhousestore

import (
	"context"
	"strconv"
	"testing"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/seriesindex"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

// TestRowsFromBeforeMigrations reads rows as the schema of migrations 1 and 2 stored them
// (series rows with every value in dim_values and no slots; samples without writer, i.e.
// writer 0, and without start time) next to rows this version writes: filters, group-bys on hot
// and cold keys, raw labels, and a point rewritten by the new writer (last write wins, counted
// once) must all come out right.
func TestRowsFromBeforeMigrations(t *testing.T) {
	srv := chtest.Start(t)
	s := openStore(t, testOptions(t, srv.Addr))
	defer s.Close()
	ctx := context.Background()
	base := int64(1_800_000_000_000)
	// the new writer: series B, which also settles the slot map [a b c]
	a := s.Appender("t1")
	lsB := labelsOf("a", "1", "b", "2", "c", "9", "z", "zb")
	if err := a.Append("m", gaugeMeta, lsB, base, 10); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// series A as the old schema stored it
	lsA := labelsOf("a", "1", "b", "2", "c", "3", "z", "za")
	sidA, _ := seriesindex.SeriesID("m", lsA, nil)
	sid := strconv.FormatUint(sidA, 10)
	// INSERT ... SELECT: 18.16 does not finish INSERT ... VALUES sent as a plain query
	oldSeries := "INSERT INTO " + s.t.series + " (tenant, metric, series_id, d1, d2, d3, dim_keys, dim_values, type, unit, temporality, monotonic, updated) SELECT 't1', 'm', toUInt64(" +
		sid + "), '1', '2', '3', ['a','b','c','z'], ['1','2','3','za'], 'gauge', '', '', 0, now()"
	oldSamples := "INSERT INTO " + s.t.samples + " (tenant, metric, d1, d2, d3, series_id, ts, ts_ms, value, ver) " +
		"SELECT 't1', 'm', '1', '2', '3', toUInt64(" + sid + "), toDateTime(intDiv(t, 1000)), t, v, toUInt64(5) FROM (SELECT arrayJoin([(" +
		itoa(base) + ", 1.0), (" + itoa(base+1000) + ", 2.0)]) AS p, tupleElement(p, 1) AS t, tupleElement(p, 2) AS v)"
	for _, sql := range []string{oldSeries, oldSamples} {
		if err := s.conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// the new writer rewrites A's second point
	a = s.Appender("t1")
	if err := a.Append("m", gaugeMeta, lsA, base+1000, 20); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	q := &store.Query{Tenant: "t1", Metric: "m", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggSum}, Start: base, End: base + 1000, Limit: 10}
	sum := func(q *store.Query) map[string]float64 {
		t.Helper()
		r, err := s.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, g := range r.Groups {
			k := ""
			for _, x := range g.Key {
				k += x + "/"
			}
			out[k] = g.Value
		}
		if q.GroupBy == nil && (r.PointsScanned != 3 || r.SeriesScanned != 2) {
			t.Errorf("scanned %d points %d series, want 3 and 2", r.PointsScanned, r.SeriesScanned)
		}
		return out
	}
	if got := sum(q); got[""] != 31 {
		t.Errorf("sum = %v, want 31 (1 + rewritten 20 + 10)", got)
	}
	q.GroupBy = []string{"z"}
	if got := sum(q); got["za/"] != 21 || got["zb/"] != 10 {
		t.Errorf("sum by cold key z = %v, want za 21, zb 10", got)
	}
	q.GroupBy = []string{"c", "z"}
	if got := sum(q); got["3/za/"] != 21 || got["9/zb/"] != 10 {
		t.Errorf("sum by c, z = %v", got)
	}
	q.GroupBy = nil
	q.Filters = []store.Filter{{Key: "z", Op: store.OpEq, Values: []string{"za"}}}
	if got := sum(&store.Query{Tenant: "t1", Metric: "m", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggSum}, Start: base, End: base + 1000, Limit: 10, Filters: q.Filters, GroupBy: []string{"a"}}); got["1/"] != 21 {
		t.Errorf("sum where z = za = %v, want 21", got)
	}
	raw := &store.Query{Tenant: "t1", Metric: "m", Kind: store.KindRange, Start: base, End: base + 1000, Limit: 10}
	r, err := s.Query(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Points) != 3 || model.CompareLabels(r.Points[0].Labels, lsA) != 0 || model.CompareLabels(r.Points[1].Labels, lsB) != 0 || r.Points[2].V != 20 {
		t.Errorf("raw points %+v", r.Points)
	}
	vals, err := s.DimensionValues(ctx, "t1", "m", "z", "", 10)
	if err != nil || len(vals) != 2 {
		t.Errorf("values of z: %v %v", vals, err)
	}
	vals, err = s.DimensionValues(ctx, "t1", "m", "c", "", 10)
	if err != nil || len(vals) != 2 {
		t.Errorf("values of c: %v %v", vals, err)
	}
}
