package queryapi

import (
	"fmt"
	"strconv"

	"github.com/luminate-metrics/luminate/internal/store"
)

var aggNames = map[string]store.AggFunc{
	"avg": store.AggAvg, "sum": store.AggSum, "count": store.AggCount, "min": store.AggMin,
	"max": store.AggMax, "last": store.AggLast, "integral": store.AggIntegral, "twa": store.AggTWA,
}

const aggHelp = "use avg, sum, count, min, max, last, integral, twa or a percentile such as p95 or p99.9"

// ParseAggregation parses an aggregation name of api.md. Percentiles are "p" plus 1-3 integer
// digits and optionally "." and 1-3 fraction digits, in (0, 100]: p50, p99.9, p99.999, p100.
// Names are case-sensitive.
func ParseAggregation(s string) (store.Aggregation, error) {
	if f, ok := aggNames[s]; ok {
		return store.Aggregation{Func: f}, nil
	}
	if !percentileSyntax(s) {
		return store.Aggregation{}, fmt.Errorf("unknown aggregation %q; %s", s, aggHelp)
	}
	p, err := strconv.ParseFloat(s[1:], 64)
	if err != nil || p <= 0 || p > 100 {
		return store.Aggregation{}, fmt.Errorf("percentile %q must be above p0 and at most p100", s)
	}
	return store.Aggregation{Func: store.AggPercentile, Percentile: p}, nil
}

// percentileSyntax checks ^p[0-9]{1,3}(\.[0-9]{1,3})?$ without a regexp.
func percentileSyntax(s string) bool {
	if len(s) < 2 || s[0] != 'p' {
		return false
	}
	intDigits, fracDigits, dot := 0, 0, false
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !dot && intDigits > 0:
			dot = true
		case c >= '0' && c <= '9' && !dot:
			intDigits++
		case c >= '0' && c <= '9' && dot:
			fracDigits++
		default:
			return false
		}
	}
	return intDigits >= 1 && intDigits <= 3 && (!dot || fracDigits >= 1 && fracDigits <= 3)
}
