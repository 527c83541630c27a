package clickhousestore

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
	"github.com/luminate-metrics/luminate/internal/store/storetest"
	"github.com/luminate-metrics/luminate/internal/workload"
)

// BenchmarkWorkload100k writes the workload (10,000 customers x 10 endpoints x 30
// points of api_latency and requests_total = 6M points) through 4 concurrent appenders of
// 5,000-point commits into a server of its own, merges the tables, and times the four queries
// of `make bench` plus the same group-by written by hand over a wide generic table (labels as
// arrays in every row: the baseline).
// Run: go test -run='^$' -bench=Workload -benchtime=1x ./internal/store/clickhousestore/
// LUMINATE_BENCH_CUSTOMERS overrides the customer count, LUMINATE_BENCH_WRITERS the writers;
// LUMINATE_BENCH_LIMITS=1 installs cardinality limits far above the workload, =at the default
// limits, which the 1M shape fills exactly (limiter.go).
func BenchmarkWorkload100k(b *testing.B) {
	shape := workload.Default(time.Now().Add(-time.Hour).Truncate(time.Hour).UnixMilli())
	shape.Customers = envInt("LUMINATE_BENCH_CUSTOMERS", 10_000)
	benchWorkload(b, shape, true)
}

// BenchmarkCardinality1M is the high-cardinality shape: 100,000 customers x 10 endpoints x 3
// points (1M series per metric, 6M points), timing the group-by against the wide baseline.
func BenchmarkCardinality1M(b *testing.B) {
	shape := workload.Default(time.Now().Add(-time.Hour).Truncate(time.Hour).UnixMilli())
	shape.Customers, shape.Points = envInt("LUMINATE_BENCH_CUSTOMERS", 100_000), 3
	benchWorkload(b, shape, false)
}

// processCPU is the user+system CPU time of a process (pid 0: this one) so far.
func processCPU(pid int) time.Duration {
	if pid == 0 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// fields after the command name (which may hold spaces): utime and stime are fields 14, 15
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil {
		return v
	}
	return def
}

func benchWorkload(b *testing.B, shape workload.Shape, allQueries bool) {
	// LUMINATE_BENCH_ADDR runs against a server of your own (to look at system.query_log
	// afterwards), in a fresh database bench_<unix time> that is left in place
	addr, db := os.Getenv("LUMINATE_BENCH_ADDR"), "bench"
	serverPid := envInt("LUMINATE_BENCH_SERVER_PID", 0)
	if addr == "" {
		srv := chtest.StartOwn(b)
		addr, serverPid = srv.Addr, srv.Pid()
	} else {
		db = fmt.Sprintf("bench_%d", time.Now().Unix())
		b.Logf("database %s on %s", db, addr)
	}
	// LUMINATE_BENCH_COMPRESSION: the native protocol's compression (lz4, the default, or none)
	o := Options{Addrs: []string{addr}, Database: db, ApplySchema: true, Compression: os.Getenv("LUMINATE_BENCH_COMPRESSION"),
		Inserters: envInt("LUMINATE_BENCH_INSERTERS", 0)}
	s := openStore(b, o)
	defer s.Close()
	switch os.Getenv("LUMINATE_BENCH_LIMITS") {
	case "":
	case "at":
		// the default cardinality limits, which the 1M shape fills exactly (1M series per
		// metric, 2M per tenant): every write checks each point (limiter.go, exact mode)
		s.SetLimits(func(string) limits.Values { return limits.Defaults() })
	default:
		// limits far above the workload: writes reserve headroom and count at Commit
		s.SetLimits(func(string) limits.Values {
			v := limits.Defaults()
			v[limits.MaxSeriesPerTenant], v[limits.MaxSeriesPerMetric] = 20_000_000, 10_000_000
			return v
		})
	}
	// Commit waits for its INSERT, so the writers' concurrency bounds the INSERT size: 4 writers
	// of 5,000 points (as the Badger benchmark) keep at most 20,000 points in flight.
	goCPU0, serverCPU0 := processCPU(0), processCPU(serverPid)
	points, elapsed := storetest.WriteWorkload(b, s, shape, envInt("LUMINATE_BENCH_WRITERS", 4), 5000)
	goCPU, serverCPU := processCPU(0)-goCPU0, processCPU(serverPid)-serverCPU0
	ctx := context.Background()
	t0 := time.Now()
	for _, table := range []string{"samples", "series"} {
		optimizeFinal(b, s, db+"."+table)
	}
	mergeDur := time.Since(t0)
	var bytes, rows uint64
	if err := s.conn.QueryRow(ctx, "SELECT sum(bytes_on_disk), sum(rows) FROM system.parts WHERE active AND database = "+quote(db)+" AND table = 'samples'").Scan(&bytes, &rows); err != nil {
		b.Fatal(err)
	}
	var seriesBytes uint64
	if err := s.conn.QueryRow(ctx, "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = "+quote(db)+" AND table = 'series'").Scan(&seriesBytes); err != nil {
		b.Fatal(err)
	}
	b.Run("write", func(b *testing.B) {
		b.ReportMetric(float64(points)/elapsed.Seconds(), "points/s")
		// CPU per point of this process (appenders, encoding) and of the server during the
		// write: what a machine shared with other work cannot distort, and what bounds the rate
		// on 2 idle cores (2 s of CPU per second)
		b.ReportMetric(goCPU.Seconds()*1e6/float64(points), "go-cpu-us/point")
		if serverPid != 0 {
			b.ReportMetric(serverCPU.Seconds()*1e6/float64(points), "server-cpu-us/point")
			b.ReportMetric(2*float64(points)/(goCPU+serverCPU).Seconds(), "cpu-bound-points/s")
		}
		b.ReportMetric(float64(bytes)/float64(rows), "samples-bytes/point")
		b.ReportMetric(float64(bytes+seriesBytes)/float64(rows), "total-bytes/point")
		b.ReportMetric(ms(mergeDur), "merge-ms")
	})

	if os.Getenv("LUMINATE_BENCH_WRITE_ONLY") != "" {
		return
	}
	end := shape.T(shape.Points - 1)
	queries := storetest.WorkloadQueries(shape, 1_000_000)
	if !allQueries {
		queries = queries[:1]
	}
	groups := map[string]int{}
	for _, qc := range queries {
		q := qc.Q
		b.Run(qc.Name, func(b *testing.B) {
			var res *store.Result
			timeRuns(b, func() {
				var err error
				if res, err = s.Query(ctx, &q); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(len(res.Groups)), "groups")
			b.ReportMetric(float64(res.PointsScanned), "points")
			groups[qc.Name] = len(res.Groups)
		})
	}
	// the baseline: a wide generic table, labels in every row, the same group-by by hand
	// the series table keeps "" in dim_values for keys stored in a hot slot: put the values back
	// (slots and d1..d3 reach the lambda as arguments, not as outer columns: see pairs.go on
	// columns only a lambda reads)
	wide := "CREATE TABLE " + db + ".wide (tenant String, metric String, series_id UInt64, dim_keys Array(String), dim_values Array(String), ts DateTime, ts_ms Int64, value Float64) " +
		"ENGINE = MergeTree() PARTITION BY toDate(ts) ORDER BY (tenant, metric, series_id, ts_ms)"
	labels := "arrayMap((lk, lv, sl, h) -> if(has(sl, lk), h[indexOf(sl, lk)], lv), dim_keys, dim_values, " +
		"arrayResize([splitByChar('\\0', slots)], length(dim_keys), splitByChar('\\0', slots)), arrayResize([[d1, d2, d3]], length(dim_keys), [d1, d2, d3]))"
	fill := "INSERT INTO " + db + ".wide SELECT s.tenant, s.metric, series_id, k, v, ts, ts_ms, value FROM " + db + ".samples AS s ANY INNER JOIN (SELECT series_id, dim_keys AS k, " +
		labels + " AS v FROM " + db + ".series) USING series_id"
	for _, sql := range []string{wide, fill} {
		if err := s.conn.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	optimizeFinal(b, s, db+".wide")
	hand := fmt.Sprintf("SELECT dim_values[indexOf(dim_keys, 'customer_id')] AS g, avg(value) AS v, count() FROM %s.wide WHERE tenant = 'bench' AND metric = 'api_latency' AND ts >= toDateTime(%d) AND ts <= toDateTime(%d) AND ts_ms >= %d AND ts_ms <= %d GROUP BY g",
		db, shape.Start/1000, end/1000, shape.Start, end)
	b.Run("baseline-wide-avg-by-customer", func(b *testing.B) {
		n := 0
		timeRuns(b, func() {
			rows, err := s.conn.Query(ctx, hand)
			if err != nil {
				b.Fatal(err)
			}
			n = 0
			for rows.Next() {
				var g string
				var v float64
				var c uint64
				if err := rows.Scan(&g, &v, &c); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
		})
		b.ReportMetric(float64(n), "groups")
		if n != groups["avg-by-customer"] {
			b.Errorf("the baseline found %d groups, Luminate %d: the wide table is not the same data", n, groups["avg-by-customer"])
		}
	})
}

// timeRuns runs fn after a warm-up at least 10 times and reports p50 and p95.
func timeRuns(b *testing.B, fn func()) {
	fn()
	var ds []time.Duration
	for i := range max(b.N, 10) {
		t0 := time.Now()
		fn()
		ds = append(ds, time.Since(t0))
		if testing.Verbose() {
			b.Logf("run %d: %v", i, ds[i])
		}
	}
	slices.Sort(ds)
	b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
	b.ReportMetric(ms(ds[len(ds)*95/100]), "p95-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// optimizeFinal merges a table into one part per partition. Plain OPTIMIZE ... FINAL returns
// success without merging while background merges hold parts (clickhouse-notes.md): with
// optimize_throw_if_noop it fails instead, so wait for system.merges to clear and retry until
// every partition has one part.
func optimizeFinal(b testing.TB, s *Store, table string) {
	ctx := context.Background()
	db, name, _ := strings.Cut(table, ".")
	for attempt := 0; ; attempt++ {
		var parts, partitions uint64
		q := fmt.Sprintf("SELECT count(), uniqExact(partition) FROM system.parts WHERE active AND database = %s AND table = %s", quote(db), quote(name))
		if err := s.conn.QueryRow(ctx, q).Scan(&parts, &partitions); err != nil {
			b.Fatal(err)
		}
		if parts == partitions {
			return
		}
		if attempt == 200 {
			b.Fatalf("%s still has %d parts in %d partitions after %d OPTIMIZE attempts", table, parts, partitions, attempt)
		}
		for {
			var merges uint64
			if err := s.conn.QueryRow(ctx, fmt.Sprintf("SELECT count() FROM system.merges WHERE database = %s AND table = %s", quote(db), quote(name))).Scan(&merges); err != nil {
				b.Fatal(err)
			}
			if merges == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		octx := chContext(ctx, map[string]any{"optimize_throw_if_noop": 1})
		if err := s.conn.Exec(octx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
			time.Sleep(200 * time.Millisecond) // a merge started meanwhile: wait and retry
		}
	}
}
