package clickhousestore

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/model"

	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

// BenchmarkCardinalityAPI1M times the cardinality endpoints' store calls (MetricCardinality,
// Usage, SeriesByTenant) at 1,000,000 series of one metric with four dimension keys: customer
// (10,000 values), endpoint (50), region (8) and user_id (one value per series). It writes one
// point per series through 4 appenders into a server of its own, times the calls on the
// tables as written (several parts, rows not merged), then merges and times them again.
// Run: go test -run='^$' -bench=CardinalityAPI -benchtime=1x ./internal/store/clickhousestore/
// LUMINATE_BENCH_SERIES overrides the series count; LUMINATE_BENCH_ADDR runs against a server
// of your own (database bench_<unix time>, left in place).
func BenchmarkCardinalityAPI1M(b *testing.B) {
	addr, db := os.Getenv("LUMINATE_BENCH_ADDR"), "bench"
	if addr == "" {
		addr = chtest.StartOwn(b).Addr
	} else {
		db = fmt.Sprintf("bench_%d", time.Now().Unix())
		b.Logf("database %s on %s", db, addr)
	}
	s := openStore(b, Options{Addrs: []string{addr}, Database: db, ApplySchema: true})
	defer s.Close()
	n := envInt("LUMINATE_BENCH_SERIES", 1_000_000)
	elapsed := writeCardinalitySeries(b, s, "bench", "http_requests", n, 4, 50_000)
	b.Logf("wrote %d series in %v", n, elapsed.Round(time.Millisecond))
	ctx := context.Background()
	calls := []struct {
		name string
		fn   func() error
	}{
		{"metric-cardinality", func() error {
			mc, err := s.MetricCardinality(ctx, "bench", "http_requests", 10)
			if err == nil && (mc.Series != int64(n) || len(mc.Keys) != 4) {
				err = fmt.Errorf("got %d series, %d keys; want %d, 4", mc.Series, len(mc.Keys), n)
			}
			return err
		}},
		{"usage", func() error {
			u, err := s.Usage(ctx, "bench", 10)
			if err == nil && (u.Series != int64(n) || u.Metrics != 1) {
				err = fmt.Errorf("got %+v, want %d series of 1 metric", u, n)
			}
			return err
		}},
		{"series-by-tenant", func() error {
			by, err := s.SeriesByTenant(ctx)
			if err == nil && by["bench"] != int64(n) {
				err = fmt.Errorf("got %v, want bench=%d", by, n)
			}
			return err
		}},
	}
	for _, merged := range []bool{false, true} {
		state := "unmerged"
		if merged {
			optimizeFinal(b, s, db+".series")
			state = "merged"
		}
		var parts, rows uint64
		if err := s.conn.QueryRow(ctx, "SELECT count(), sum(rows) FROM system.parts WHERE active AND database = "+quote(db)+" AND table = 'series'").Scan(&parts, &rows); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: series table has %d rows in %d parts", state, rows, parts)
		for _, c := range calls {
			b.Run(state+"-"+c.name, func(b *testing.B) {
				timeRuns(b, func() {
					if err := c.fn(); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// cardinalityLabels are series i's labels in BenchmarkCardinalityAPI1M.
func cardinalityLabels(i int) model.Labels {
	return model.Labels{
		{Name: "customer", Value: fmt.Sprintf("cust_%05d", i%10_000)},
		{Name: "endpoint", Value: fmt.Sprintf("/api/v1/resource%02d", (i/7)%50)},
		{Name: "region", Value: fmt.Sprintf("region-%d", (i/13)%8)},
		{Name: "user_id", Value: fmt.Sprintf("user-%07d", i)},
	}
}

// writeCardinalitySeries writes one point of each of n series of metric through `writers`
// appenders of batch points per commit, and returns the time taken.
func writeCardinalitySeries(b testing.TB, s *Store, tenant, metric string, n, writers, batch int) time.Duration {
	type job struct{ from, to int }
	jobs := make(chan job, writers)
	var wg sync.WaitGroup
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				a := s.Appender(tenant)
				for i := j.from; i < j.to; i++ {
					if err := a.Append(metric, model.MetricMeta{}, cardinalityLabels(i), 1_700_000_000_000, float64(i)); err != nil {
						b.Error(err)
						return
					}
				}
				if err := a.Commit(context.Background()); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	for from := 0; from < n; from += batch {
		jobs <- job{from, min(from+batch, n)}
	}
	close(jobs)
	wg.Wait()
	return time.Since(start)
}
