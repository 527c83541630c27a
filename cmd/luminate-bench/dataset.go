package main

import (
	"runtime"
	"sync"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/workload"
)

// The two metrics of the workload.
const (
	metricLatency = "api_latency"
	metricCounter = "requests_total"
)

// dataset is the workload with every value computed before the clock starts (as the storage
// benchmark does), so the timed load spends client CPU on encoding and sending, like a real
// writer, not on the generator. The same arrays give the expected query answers.
type dataset struct {
	shape  workload.Shape
	labels []model.Labels // per series: customer_id, endpoint, region
	dims   [][]byte       // per series: `"dimensions":{...}`, encoded once
	lat    [][]float64    // [round][series] api_latency
	cnt    [][]float64    // [round][series] requests_total
	hist   *histData      // --histograms: api_latency as cumulative histograms (histogram.go); nil otherwise
	// startTimes: the counters are written with their start times (OTLP), so the server also
	// sees a reset where the value did not drop
	startTimes bool
}

// job is one request: series [from, to) of one round, one point of each metric per series.
type job struct{ round, from, to int }

func (j job) points() int { return 2 * (j.to - j.from) }

func newDataset(shape workload.Shape) *dataset {
	n := shape.Series()
	d := &dataset{shape: shape, labels: make([]model.Labels, n), dims: make([][]byte, n),
		lat: make([][]float64, shape.Points), cnt: make([][]float64, shape.Points)}
	for r := range shape.Points {
		d.lat[r], d.cnt[r] = make([]float64, n), make([]float64, n)
	}
	// workload.Counter is O(round), so the counters cost O(points²) per series: spread the
	// series over every core.
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				d.labels[i] = shape.Labels(i)
				d.dims[i] = appendDims(nil, d.labels[i])
				for r := range shape.Points {
					d.lat[r][i], d.cnt[r][i] = shape.Latency(i, r), shape.Counter(i, r)
				}
			}
		}()
	}
	wg.Wait()
	return d
}

// points is the number of points the load writes.
func (d *dataset) points() int64 { return int64(d.shape.Series()) * int64(d.shape.Points) * 2 }

// jobs splits every round, in scrape order, into requests of at most batch points (both
// metrics of batch/2 series). A round's last request may be smaller; batches never mix rounds,
// as a scraper sends one scrape at a time.
func (d *dataset) jobs(batch int) []job {
	per := max(batch/2, 1)
	n := d.shape.Series()
	js := make([]job, 0, d.shape.Points*((n+per-1)/per))
	for r := range d.shape.Points {
		for from := 0; from < n; from += per {
			js = append(js, job{r, from, min(from+per, n)})
		}
	}
	return js
}

// start and end are the first and last round's timestamps (Unix ms).
func (d *dataset) start() int64 { return d.shape.T(0) }
func (d *dataset) end() int64   { return d.shape.T(d.shape.Points - 1) }

// rangeStart is the start of the queries' time range, which ends at end(). Without histograms it
// is the first round: exactly the written rounds. With histograms it is one step before the
// histograms' start time (two steps before round 0): a cumulative histogram's first point in
// range counts its own observations only when its series started inside the range
// (docs/api.md), so this range counts every observation ever recorded.
func (d *dataset) rangeStart() int64 {
	if d.hist != nil {
		return d.histStart() - d.shape.StepMs
	}
	return d.start()
}
