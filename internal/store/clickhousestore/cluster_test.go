package clickhousestore

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
	"github.com/luminate-metrics/luminate/internal/store/storetest"
)

// TestCluster runs the semantics suite through Distributed tables over two shards (two server
// processes), then writes the same random data to the cluster and to a single server and checks
// that 400 random queries answer the same, and that both shards hold data.
func TestCluster(t *testing.T) {
	shards := chtest.StartCluster(t, "luminate_test", 2)
	clusterOpts := func(t testing.TB) Options {
		o := testOptions(t, shards[0].Addr)
		o.Cluster = "luminate_test"
		return o
	}
	t.Run("SchemaTwice", func(t *testing.T) {
		o := clusterOpts(t)
		o.ApplySchema = false
		for run := range 2 {
			st, err := ApplySchema(context.Background(), o)
			if err != nil {
				t.Fatalf("apply run %d: %v", run+1, err)
			}
			if len(st) != len(shards) {
				t.Fatalf("apply run %d reached %d servers, want %d", run+1, len(st), len(shards))
			}
			for _, s := range st {
				if len(s.Pending) != 0 {
					t.Errorf("run %d: server %s has pending migrations %v", run+1, s.Server, s.Pending)
				}
			}
		}
		for _, sh := range shards {
			conn, err := dial(context.Background(), o.WithDefaults(), []string{sh.Addr}, "")
			if err != nil {
				t.Fatal(err)
			}
			var engines []string
			if err := conn.QueryRow(context.Background(), "SELECT groupArray(concat(name, ':', engine)) FROM (SELECT name, engine FROM system.tables WHERE database = "+quote(o.Database)+" ORDER BY name)").Scan(&engines); err != nil {
				t.Fatal(err)
			}
			conn.Close()
			got := strings.Join(engines, " ")
			for _, want := range []string{"samples:Distributed", "samples_local:ReplacingMergeTree", "series:Distributed", "series_local:ReplacingMergeTree", "histograms:Distributed", "metrics:Distributed", "slot_maps:Distributed"} {
				if !strings.Contains(got, want) {
					t.Errorf("server %s lacks %s: has %s", sh.Addr, want, got)
				}
			}
		}
	})
	t.Run("Semantics", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openStore(t, clusterOpts(t)) })
	})
	t.Run("CardinalityPaths", func(t *testing.T) {
		testMetricCardinalityPaths(t, clusterOpts(t), func(s *Store, verb string) {
			for _, sh := range shards {
				conn, err := dial(context.Background(), s.o, []string{sh.Addr}, "")
				if err != nil {
					t.Fatal(err)
				}
				err = conn.Exec(context.Background(), "SYSTEM "+verb+" MERGES "+s.t.seriesLocal)
				conn.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	})
	t.Run("SameAsSingleServer", func(t *testing.T) {
		single := openStore(t, testOptions(t, chtest.Start(t).Addr))
		defer single.Close()
		cluster := openStore(t, clusterOpts(t))
		defer cluster.Close()
		storetest.RandomData(t, 7, single, cluster)
		r := rand.New(rand.NewPCG(3, 4))
		for i := range 400 {
			q := storetest.RandomQuery(r)
			want, werr := single.Query(context.Background(), q)
			got, gerr := cluster.Query(context.Background(), q)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("query %d: single server error %v, cluster error %v", i, werr, gerr)
			}
			if werr == nil {
				if msg := storetest.Diff(got, want); msg != "" {
					t.Fatalf("query %d %+v: cluster differs from single server:\n%s", i, *q, msg)
				}
			}
		}
		for i, sh := range shards {
			o := clusterOpts(t)
			conn, err := dial(context.Background(), o.WithDefaults(), []string{sh.Addr}, "")
			if err != nil {
				t.Fatal(err)
			}
			var n uint64
			if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+cluster.o.Database+".samples_local").Scan(&n); err != nil {
				t.Fatal(err)
			}
			conn.Close()
			if n == 0 {
				t.Errorf("shard %d holds no samples: writes did not go through the Distributed table", i)
			}
			t.Logf("shard %d: %d sample rows", i, n)
		}
	})
}
