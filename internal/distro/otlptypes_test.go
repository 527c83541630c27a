package distro_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// otlpCase builds one metric of a given type and temporality (two points, 10 s apart, starting
// at t0) and names the query that checks it through the API.
type otlpCase struct {
	name  string
	build func(m pmetric.Metric, t0 time.Time)
	query string // the rest of a query body: queryType, aggregation...
	want  float64
}

func ts(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

func numbers(dps pmetric.NumberDataPointSlice, t0 time.Time, start time.Time, vals ...float64) {
	for i, v := range vals {
		dp := dps.AppendEmpty()
		dp.SetStartTimestamp(ts(start))
		dp.SetTimestamp(ts(t0.Add(time.Duration(i) * 10 * time.Second)))
		if v == math.Trunc(v) {
			dp.SetIntValue(int64(v))
		} else {
			dp.SetDoubleValue(v)
		}
	}
}

func hist(dps pmetric.HistogramDataPointSlice, t time.Time, start time.Time, counts ...uint64) {
	dp := dps.AppendEmpty()
	dp.SetStartTimestamp(ts(start))
	dp.SetTimestamp(ts(t))
	dp.ExplicitBounds().FromRaw([]float64{10, 20, 50})
	dp.BucketCounts().FromRaw(counts)
	var n uint64
	for _, c := range counts {
		n += c
	}
	dp.SetCount(n)
	dp.SetSum(float64(n) * 15)
}

func expHist(dps pmetric.ExponentialHistogramDataPointSlice, t time.Time, start time.Time, n uint64) {
	dp := dps.AppendEmpty()
	dp.SetStartTimestamp(ts(start))
	dp.SetTimestamp(ts(t))
	dp.SetScale(0)
	dp.SetCount(n)
	dp.Positive().SetOffset(3) // (8, 16]
	dp.Positive().BucketCounts().FromRaw([]uint64{n})
}

var otlpCases = []otlpCase{
	{"gauge_int", func(m pmetric.Metric, t0 time.Time) {
		numbers(m.SetEmptyGauge().DataPoints(), t0, t0, 4, 8)
	}, `"queryType":"aggregate","aggregation":"avg"`, 6},
	{"gauge_double", func(m pmetric.Metric, t0 time.Time) {
		numbers(m.SetEmptyGauge().DataPoints(), t0, t0, 1.5, 2.5)
	}, `"queryType":"aggregate","aggregation":"sum"`, 4},
	{"sum_cumulative_monotonic", func(m pmetric.Metric, t0 time.Time) {
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		numbers(s.DataPoints(), t0, t0.Add(-time.Hour), 100, 130)
	}, `"queryType":"rate"`, 3}, // an increase of 30 over the 10 s range
	{"sum_delta_monotonic", func(m pmetric.Metric, t0 time.Time) {
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		numbers(s.DataPoints(), t0, t0, 5, 7)
	}, `"queryType":"rate"`, 1.2}, // deltas add up: 12 over 10 s
	{"sum_cumulative_updown", func(m pmetric.Metric, t0 time.Time) {
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		numbers(s.DataPoints(), t0, t0.Add(-time.Hour), 10, 4)
	}, `"queryType":"rate"`, -0.6}, // an up-down counter's decrease is not a reset
	{"sum_delta_updown", func(m pmetric.Metric, t0 time.Time) {
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		numbers(s.DataPoints(), t0, t0, 3, -1)
	}, `"queryType":"aggregate","aggregation":"sum"`, 2},
	{"histogram_cumulative", func(m pmetric.Metric, t0 time.Time) {
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		start := t0.Add(-time.Hour) // the first point only opens the series
		hist(h.DataPoints(), t0, start, 0, 5, 0, 0)
		hist(h.DataPoints(), t0.Add(10*time.Second), start, 0, 5, 10, 0) // +10 in (20,50]
	}, `"queryType":"aggregate","aggregation":"p50"`, 35},
	{"histogram_delta", func(m pmetric.Metric, t0 time.Time) {
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		hist(h.DataPoints(), t0, t0, 0, 10, 0, 0)
		hist(h.DataPoints(), t0.Add(10*time.Second), t0, 0, 0, 10, 0)
	}, `"queryType":"aggregate","aggregation":"count"`, 20},
	{"exphistogram_delta", func(m pmetric.Metric, t0 time.Time) {
		h := m.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		expHist(h.DataPoints(), t0, t0, 3)
		expHist(h.DataPoints(), t0.Add(10*time.Second), t0, 4)
	}, `"queryType":"aggregate","aggregation":"count"`, 7},
	{"exphistogram_cumulative", func(m pmetric.Metric, t0 time.Time) {
		h := m.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		expHist(h.DataPoints(), t0, t0.Add(-time.Hour), 3)
		expHist(h.DataPoints(), t0.Add(10*time.Second), t0.Add(-time.Hour), 9)
	}, `"queryType":"aggregate","aggregation":"p100"`, 16},
	{"summary", func(m pmetric.Metric, t0 time.Time) {
		dp := m.SetEmptySummary().DataPoints().AppendEmpty()
		dp.SetTimestamp(ts(t0))
		dp.SetCount(10)
		dp.SetSum(42)
		q := dp.QuantileValues().AppendEmpty()
		q.SetQuantile(0.99)
		q.SetValue(9.9)
	}, `"queryType":"aggregate","aggregation":"max","filters":{"quantile":"0.99"}`, 9.9},
}

// TestOTLPTypesThroughAPI sends every OTLP metric type and temporality from pdata over OTLP
// gRPC into the in-process collector and checks each through the query API.
func TestOTLPTypesThroughAPI(t *testing.T) {
	in := startCollector(t, t.TempDir(), freePorts(t))
	defer in.stop(t)
	tok := token(t, "types", "read", "write")
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	for _, c := range otlpCases {
		m := ms.AppendEmpty()
		m.SetName(c.name)
		c.build(m, t0)
	}
	conn, err := grpc.NewClient(in.otlpGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
	if _, err := pmetricotlp.NewGRPCClient(conn).Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md)); err != nil {
		t.Fatal(err)
	}
	whole := fmt.Sprintf(`"timeRange":{"start":%d,"end":%d}`, t0.UnixMilli(), t0.Add(10*time.Second).UnixMilli())
	eventually(t, "all types stored", func() bool {
		return len(apiQueryLoose(in, tok, `{"queryType":"aggregate","metricName":"summary","aggregation":"count",`+whole+`}`)) == 1
	})
	for _, c := range otlpCases {
		t.Run(c.name, func(t *testing.T) {
			res := apiQuery(t, in, tok, `{"metricName":"`+c.name+`",`+c.query+`,`+whole+`}`)
			if len(res) != 1 {
				t.Fatalf("results %v", res)
			}
			got, ok := res[0]["value"].(float64)
			if !ok {
				got, _ = res[0]["rate"].(float64)
			}
			if math.Abs(got-c.want) > 1e-9 {
				t.Errorf("%s = %v, want %v", c.query, got, c.want)
			}
		})
	}
}
