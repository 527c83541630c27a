package queryapi

import (
	"strings"
	"testing"

	"github.com/luminate-metrics/luminate/internal/store"
)

func TestParseAggregation(t *testing.T) {
	ok := map[string]store.Aggregation{
		"avg":      {Func: store.AggAvg},
		"sum":      {Func: store.AggSum},
		"count":    {Func: store.AggCount},
		"min":      {Func: store.AggMin},
		"max":      {Func: store.AggMax},
		"last":     {Func: store.AggLast},
		"integral": {Func: store.AggIntegral},
		"twa":      {Func: store.AggTWA},
		"p50":      {Func: store.AggPercentile, Percentile: 50},
		"p95":      {Func: store.AggPercentile, Percentile: 95},
		"p99.9":    {Func: store.AggPercentile, Percentile: 99.9},
		"p99.999":  {Func: store.AggPercentile, Percentile: 99.999},
		"p100":     {Func: store.AggPercentile, Percentile: 100},
		"p1":       {Func: store.AggPercentile, Percentile: 1},
		"p0.1":     {Func: store.AggPercentile, Percentile: 0.1},
		"p007":     {Func: store.AggPercentile, Percentile: 7},
	}
	for in, want := range ok {
		got, err := ParseAggregation(in)
		if err != nil || got != want {
			t.Errorf("ParseAggregation(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":         "unknown aggregation",
		"median":   "unknown aggregation",
		"AVG":      "unknown aggregation",
		"P95":      "unknown aggregation",
		"p":        "unknown aggregation",
		"p.5":      "unknown aggregation",
		"p95.":     "unknown aggregation",
		"p-1":      "unknown aggregation",
		"p1e2":     "unknown aggregation",
		"p1000":    "unknown aggregation",
		"p99.9999": "unknown aggregation",
		"p 95":     "unknown aggregation",
		"p0":       "above p0 and at most p100",
		"p0.0":     "above p0 and at most p100",
		"p100.1":   "above p0 and at most p100",
		"p101":     "above p0 and at most p100",
	}
	for in, msg := range bad {
		if _, err := ParseAggregation(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseAggregation(%q) error = %v; want %q", in, err, msg)
		}
	}
}
