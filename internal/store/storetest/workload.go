package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/workload"
)

// WriteWorkload writes every round of the shape, each round split into batches handed to
// `writers` goroutines (the engine benchmarks), and returns the points written and the time
// taken.
func WriteWorkload(b testing.TB, s store.Store, shape workload.Shape, writers, batch int) (int, time.Duration) {
	type job struct{ round, from, to int }
	jobs := make(chan job, writers)
	labels := make([]model.Labels, shape.Series())
	for i := range labels {
		labels[i] = shape.Labels(i)
	}
	// values are generated before the clock starts
	lat := make([][]float64, shape.Points)
	cnt := make([][]float64, shape.Points)
	for r := range shape.Points {
		lat[r], cnt[r] = make([]float64, shape.Series()), make([]float64, shape.Series())
		for i := range shape.Series() {
			lat[r][i], cnt[r][i] = shape.Latency(i, r), shape.Counter(i, r)
		}
	}
	counter := model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true}
	var wg sync.WaitGroup
	start := time.Now()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				a := s.Appender("bench")
				t := shape.T(j.round)
				for i := j.from; i < j.to; i++ {
					if err := a.Append("api_latency", model.MetricMeta{Unit: "ms"}, labels[i], t, lat[j.round][i]); err != nil {
						b.Error(err)
						return
					}
					if err := a.Append("requests_total", counter, labels[i], t, cnt[j.round][i]); err != nil {
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
	per := batch / 2 // two metrics per series
	for r := range shape.Points {
		for from := 0; from < shape.Series(); from += per {
			jobs <- job{r, from, min(from+per, shape.Series())}
		}
	}
	close(jobs)
	wg.Wait()
	return shape.Series() * shape.Points * 2, time.Since(start)
}

// WorkloadQuery is one of the queries `make bench` times, named as in its report.
type WorkloadQuery struct {
	Name string
	Q    store.Query
}

// WorkloadQueries are the benchmark's four queries over what WriteWorkload wrote: avg by
// customer (groupLimit groups at most), p95 by endpoint, rate by region and one customer in
// 1-minute buckets, over the whole shape.
func WorkloadQueries(shape workload.Shape, groupLimit int) []WorkloadQuery {
	qs := []WorkloadQuery{
		{"avg-by-customer", store.Query{Metric: "api_latency", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggAvg}, GroupBy: []string{"customer_id"}, Limit: groupLimit}},
		{"p95-by-endpoint", store.Query{Metric: "api_latency", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggPercentile, Percentile: 95}, GroupBy: []string{"endpoint"}}},
		{"rate-by-region", store.Query{Metric: "requests_total", Kind: store.KindRate, GroupBy: []string{"region"}}},
		{"one-customer-1m", store.Query{Metric: "api_latency", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggAvg},
			GroupBy: []string{"endpoint"}, Interval: 60_000,
			Filters: []store.Filter{{Key: "customer_id", Op: store.OpEq, Values: []string{workload.Customer(shape.Customers / 2)}}}}},
	}
	for i := range qs {
		q := &qs[i].Q
		q.Tenant, q.Start, q.End = "bench", shape.Start, shape.T(shape.Points-1)
		if q.Limit == 0 {
			q.Limit = 1000
		}
	}
	return qs
}
