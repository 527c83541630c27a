package clickhousestore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

// discoveryOnly hides the engine's CardinalityReader, so store.MetricCardinalityOf computes the
// reference answer from Dimensions and DimensionValues (uniqExact(series_id) per value).
type discoveryOnly struct{ store.Store }

// TestMetricCardinalityPaths checks MetricCardinality against the reference on each of its
// paths: an id-like non-hot key that proves one row per series (count() everywhere, its top
// values its smallest), a metric without such a key (the duplicate check query), and the same
// series written by a second Store (a second writer epoch) before any merge, so the series table
// holds two rows for them: each must still count once, through the uniqExact(series_id) query.
func TestMetricCardinalityPaths(t *testing.T) {
	o := testOptions(t, chtest.Start(t).Addr)
	testMetricCardinalityPaths(t, o, func(s *Store, verb string) {
		if err := s.conn.Exec(context.Background(), "SYSTEM "+verb+" MERGES "+s.t.series); err != nil {
			t.Fatal(err)
		}
	})
}

// testMetricCardinalityPaths is TestMetricCardinalityPaths on the database of o; merges(s,
// "STOP" or "START") stops or restarts the merges of its series table (on every shard).
func testMetricCardinalityPaths(t *testing.T, o Options, merges func(s *Store, verb string)) {
	a := openStore(t, o)
	defer a.Close()
	ctx := context.Background()
	// no merge may collapse the duplicate rows written below while the test runs
	merges(a, "STOP")
	defer merges(a, "START")
	// m: hot keys a, b, c (the first three keys of its first point; b missing on some series),
	// cold keys grp (repeated values), id (one value per series) and opt (on some series only,
	// one value each)
	mLabels := func(i int) model.Labels {
		kv := []string{"a", fmt.Sprint("a", i%7), "c", fmt.Sprint("c", i%3), "grp", fmt.Sprint("g", i%5), "id", fmt.Sprintf("id%03d", i)}
		if i%4 != 1 {
			kv = append(kv, "b", fmt.Sprint("b", i%2))
		}
		if i%6 == 0 {
			kv = append(kv, "opt", fmt.Sprint("o", i))
		}
		return labelsOf(kv...)
	}
	// m2: no key with a value per series
	m2Labels := func(i int) model.Labels {
		return labelsOf("a", fmt.Sprint("a", i%4), "b", fmt.Sprint("b", i%3), "c", fmt.Sprint("c", i%2), "x", fmt.Sprint("x", i%6), "y", fmt.Sprint("y", i/6))
	}
	write := func(s *Store, metric string, labels func(int) model.Labels, from, to int) {
		t.Helper()
		ap := s.Appender("t1")
		for i := from; i < to; i++ {
			if err := ap.Append(metric, gaugeMeta, labels(i), 1_800_000_000_000, 1); err != nil {
				t.Fatal(err)
			}
		}
		if err := ap.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	write(a, "m", mLabels, 0, 120)
	write(a, "m2", m2Labels, 0, 60)
	check := func(what, metric string, series int64, wantExact int64) {
		t.Helper()
		for _, topN := range []int{0, 1, 3, 200} {
			before := a.exactCardinality.Load()
			got, err := a.MetricCardinality(ctx, "t1", metric, topN)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if n := a.exactCardinality.Load() - before; n != wantExact {
				t.Errorf("%s, topN %d: %d calls took the uniqExact path, want %d", what, topN, n, wantExact)
			}
			want, err := store.MetricCardinalityOf(ctx, discoveryOnly{a}, "t1", metric, topN)
			if err != nil {
				t.Fatal(err)
			}
			if got.Series != series || want.Series != series {
				t.Errorf("%s, topN %d: %d series, reference %d, want %d", what, topN, got.Series, want.Series, series)
			}
			if got.Name != want.Name || !slices.EqualFunc(got.Keys, want.Keys, func(x, y store.KeyCardinality) bool {
				return x.Key == y.Key && x.Distinct == y.Distinct && slices.Equal(x.Top, y.Top)
			}) {
				t.Errorf("%s, topN %d:\n got %+v\nwant %+v", what, topN, got, want)
			}
		}
	}
	rowsOf := func(metric string, rows, uniq uint64) {
		t.Helper()
		// in cluster mode the Distributed table forwards the rows to the other shard shortly after
		var n, u uint64
		for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(50 * time.Millisecond) {
			if err := a.conn.QueryRow(ctx, "SELECT count(), uniqExact(series_id) FROM "+a.t.series+" WHERE tenant = 't1' AND metric = "+quote(metric)).Scan(&n, &u); err != nil {
				t.Fatal(err)
			}
			if n == rows && u == uniq {
				return
			}
		}
		t.Fatalf("%s: series table holds %d rows of %d series, want %d of %d", metric, n, u, rows, uniq)
	}
	rowsOf("m", 120, 120)
	rowsOf("m2", 60, 60)
	check("one writer, id-like key", "m", 120, 0)
	check("one writer, no id-like key", "m2", 60, 0)

	// a second process (its own series cache) writes series 100-139 of m and 50-59 of m2
	b := openStore(t, Options{Addrs: o.Addrs, Database: o.Database, Cluster: o.Cluster, FlushInterval: o.FlushInterval, RetryTimeout: o.RetryTimeout})
	defer b.Close()
	write(b, "m", mLabels, 100, 140)
	write(b, "m2", m2Labels, 50, 60)
	rowsOf("m", 160, 140)
	rowsOf("m2", 70, 60)
	check("two writer epochs, id-like key", "m", 140, 1)
	check("two writer epochs, no id-like key", "m2", 60, 1)
}
