package badgerstore

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/storetest"
	"github.com/luminate-metrics/luminate/internal/workload"
)

// BenchmarkWorkload100k writes the workload (10,000 customers x 10 endpoints x 30 points
// of api_latency and requests_total = 6M points) in scrape order through 4 concurrent appenders
// of 5,000-point batches with fsync on, then times the four queries of `make bench`.
// Run: make bench-storage (go test -run=^$ -bench=Workload100k -benchtime=1x ./internal/store/badgerstore/)
// LUMINATE_BENCH_CUSTOMERS overrides the customer count.
func BenchmarkWorkload100k(b *testing.B) {
	customers := 10_000
	if v, err := strconv.Atoi(os.Getenv("LUMINATE_BENCH_CUSTOMERS")); err == nil {
		customers = v
	}
	shape := workload.Default(time.Now().Add(-time.Hour).Truncate(time.Hour).UnixMilli())
	shape.Customers = customers
	dir := b.TempDir()
	opts := Options{Dir: dir, NoBackgroundCompaction: true}
	s, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	points, elapsed := storetest.WriteWorkload(b, s, shape, 4, 5000)
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	s, size, openDur := reopen(b, s, opts)
	b.Run("write", func(b *testing.B) {
		b.ReportMetric(float64(points)/elapsed.Seconds(), "points/s")
		b.ReportMetric(float64(size)/float64(points), "bytes/point")
		b.ReportMetric(float64(mem.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(ms(openDur), "open-ms")
	})
	runQueries(b, s, shape, "fresh")

	// the layout after the compactor merged each chunk-hour (what older data looks like)
	t0 := time.Now()
	if _, err := s.CompactAll(); err != nil {
		b.Fatal(err)
	}
	compactDur := time.Since(t0)
	s, _, _ = reopen(b, s, opts) // flushes the memtable holding the merged blocks
	if err := s.Settle(); err != nil {
		b.Fatal(err)
	}
	s, size, _ = reopen(b, s, opts)
	defer s.Close()
	b.Run("compact", func(b *testing.B) {
		b.ReportMetric(float64(size)/float64(points), "bytes/point")
		b.ReportMetric(float64(points)/compactDur.Seconds(), "points/s")
	})
	runQueries(b, s, shape, "compacted")
}

// reopen closes s (flushing memtables), measures the directory, and opens it again.
func reopen(b *testing.B, s *Store, opts Options) (*Store, int64, time.Duration) {
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	size := dirSize(b, opts.Dir)
	t0 := time.Now()
	s, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	return s, size, time.Since(t0)
}

func runQueries(b *testing.B, s *Store, shape workload.Shape, phase string) {
	for _, qc := range storetest.WorkloadQueries(shape, 100_000) {
		q := qc.Q
		b.Run(phase+"/"+qc.Name, func(b *testing.B) {
			runs := max(b.N, 20)
			var ds []time.Duration
			var res *store.Result
			for i := range runs {
				t0 := time.Now()
				var err error
				if res, err = s.Query(context.Background(), &q); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
				if testing.Verbose() {
					b.Logf("run %d: %v", i, ds[i])
				}
			}
			slices.Sort(ds)
			b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
			b.ReportMetric(ms(ds[len(ds)*95/100]), "p95-ms")
			b.ReportMetric(float64(len(res.Groups)), "groups")
			b.ReportMetric(float64(res.PointsScanned), "points")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Sys().(*syscall.Stat_t).Blocks * 512 // allocated, as du counts: Badger preallocates sparse files
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkHistograms writes 20-bucket cumulative histograms for 10,000 customers x 10
// endpoints x 10 rounds (1M histogram points) and times avg by customer and p95 by endpoint.
// Run: go test -run='^$' -bench=Histograms -benchtime=1x ./internal/store/badgerstore/
func BenchmarkHistograms(b *testing.B) {
	customers := 10_000
	if v, err := strconv.Atoi(os.Getenv("LUMINATE_BENCH_CUSTOMERS")); err == nil {
		customers = v
	}
	shape := workload.Default(time.Now().Add(-time.Hour).Truncate(time.Hour).UnixMilli())
	shape.Customers, shape.Points = customers, 10
	s, err := Open(Options{Dir: b.TempDir(), NoBackgroundCompaction: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	bounds := []float64{5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 90, 100, 125, 150, 175, 200, 250, 300}
	meta := model.MetricMeta{Type: model.TypeHistogram, Temporality: model.TemporalityCumulative, Unit: "ms"}
	cum := make([][]uint64, shape.Series())
	start := shape.T(0) - shape.StepMs
	t0 := time.Now()
	for r := range shape.Points {
		for from := 0; from < shape.Series(); from += 5000 {
			a := s.Appender("bench").(store.PointAppender)
			for i := from; i < min(from+5000, shape.Series()); i++ {
				if cum[i] == nil {
					cum[i] = make([]uint64, len(bounds)+1)
				}
				h := &model.Histogram{Bounds: bounds, HasSum: true}
				for k := range 10 {
					v := shape.Latency(i, r*10+k)
					idx := sort.SearchFloat64s(bounds, v)
					cum[i][idx]++
					h.Sum += v
				}
				h.Counts = cum[i]
				for _, c := range cum[i] {
					h.Count += c
				}
				if err := a.AppendPoint("lat", meta, shape.Labels(i), model.Point{T: shape.T(r), Start: start, Hist: h}); err != nil {
					b.Fatal(err)
				}
			}
			if err := a.(store.Appender).Commit(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	}
	points := shape.Series() * shape.Points
	el := time.Since(t0)
	b.Run("write", func(b *testing.B) { b.ReportMetric(float64(points)/el.Seconds(), "hist-points/s") })
	for _, qc := range []struct {
		name string
		q    store.Query
	}{
		{"avg-by-customer", store.Query{Metric: "lat", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggAvg}, GroupBy: []string{"customer_id"}, Limit: 100_000}},
		{"p95-by-endpoint", store.Query{Metric: "lat", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggPercentile, Percentile: 95}, GroupBy: []string{"endpoint"}, Limit: 1000}},
	} {
		q := qc.q
		q.Tenant, q.Start, q.End = "bench", start, shape.T(shape.Points-1)
		b.Run(qc.name, func(b *testing.B) {
			var ds []time.Duration
			for range max(b.N, 10) {
				t0 := time.Now()
				if _, err := s.Query(context.Background(), &q); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(t0))
			}
			slices.Sort(ds)
			b.ReportMetric(ms(ds[len(ds)/2]), "p50-ms")
			b.ReportMetric(ms(ds[len(ds)*95/100]), "p95-ms")
		})
	}
}
