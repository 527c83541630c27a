package queryapi

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/store"
)

// now is the fixed clock of the parse tests: 2026-11-27T10:00:00Z.
var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

var nowMs = now.UnixMilli()

const hourMs = int64(time.Hour / time.Millisecond)

// base returns the query every valid case starts from: the defaults of an aggregate query.
func base(kind store.Kind) store.Query {
	lim := DefaultLimits()
	return store.Query{
		Tenant: "acme", Metric: "api_latency", Kind: kind,
		Start: nowMs - hourMs, End: nowMs,
		Limit: 1000, MaxSeries: lim.MaxSeries, MaxPoints: lim.MaxPoints,
	}
}

func TestParseValid(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		want    func(q *store.Query)
		timeout time.Duration
	}{
		{
			name: "minimal aggregate gets the last hour and defaults",
			body: `{"queryType":"aggregate","metricName":"api_latency","aggregation":"avg"}`,
			want: func(q *store.Query) {},
		},
		{
			name: "the example of api.md",
			body: `{"queryType": "aggregate", "metricName": "api_latency",
			 "timeRange": {"relative": "24h"},
			 "aggregation": "p95", "groupBy": ["customer_id"],
			 "filters": {"endpoint": "/api/users", "region": {"in": ["us", "eu"]}},
			 "interval": "1m", "limit": 100, "order": "desc", "timeout": "10s"}`,
			want: func(q *store.Query) {
				q.Start = nowMs - 24*hourMs
				q.Agg = store.Aggregation{Func: store.AggPercentile, Percentile: 95}
				q.GroupBy = []string{"customer_id"}
				q.Filters = []store.Filter{
					{Key: "endpoint", Op: store.OpEq, Values: []string{"/api/users"}},
					{Key: "region", Op: store.OpIn, Values: []string{"us", "eu"}},
				}
				q.Interval = 60000
				q.Limit = 100
			},
		},
		{
			name: "relative with days and hours",
			body: `{"queryType":"aggregate","metricName":"m.x_1","aggregation":"sum","timeRange":{"relative":"1d12h"}}`,
			want: func(q *store.Query) {
				q.Metric = "m.x_1"
				q.Start = nowMs - 36*hourMs
				q.Agg = store.Aggregation{Func: store.AggSum}
			},
		},
		{
			name: "relative in weeks, surrounding spaces trimmed",
			body: `{"queryType":"aggregate","metricName":"api_latency","aggregation":"max","timeRange":{"relative":" 2w "}}`,
			want: func(q *store.Query) {
				q.Start = nowMs - 14*24*hourMs
				q.Agg = store.Aggregation{Func: store.AggMax}
			},
		},
		{
			name: "absolute RFC 3339 with fraction and offset",
			body: `{"queryType":"aggregate","metricName":"api_latency","aggregation":"count",
			 "timeRange":{"start":"2026-11-27T11:00:00.1234+02:00","end":"2026-11-27T10:00:00Z"}}`,
			want: func(q *store.Query) {
				q.Start = nowMs - 1*hourMs + 123
				q.Agg = store.Aggregation{Func: store.AggCount}
			},
		},
		{
			name: "absolute Unix ms, equal bounds (both inclusive)",
			body: `{"queryType":"aggregate","metricName":"api_latency","aggregation":"last","timeRange":{"start":1735603200000,"end":1735603200000}}`,
			want: func(q *store.Query) {
				q.Start, q.End = 1735603200000, 1735603200000
				q.Agg = store.Aggregation{Func: store.AggLast}
			},
		},
		{
			name: "start without end runs until now; integral float ms accepted",
			body: `{"queryType":"aggregate","metricName":"api_latency","aggregation":"min","timeRange":{"start":1.7956e12}}`,
			want: func(q *store.Query) {
				q.Start = 1795600000000
				q.Agg = store.Aggregation{Func: store.AggMin}
			},
		},
		{
			name: "raw range ignores aggregation and groupBy",
			body: `{"queryType":"range","metricName":"api_latency","aggregation":"p99","groupBy":["region"],"limit":5,"order":"asc"}`,
			want: func(q *store.Query) {
				q.Kind = store.KindRange
				q.Limit = 5
				q.Order = store.OrderAsc
			},
		},
		{
			name: "bucketed range defaults to avg",
			body: `{"queryType":"range","metricName":"api_latency","interval":"5m","groupBy":["region","host"]}`,
			want: func(q *store.Query) {
				q.Kind = store.KindRange
				q.Interval = 300000
				q.GroupBy = []string{"region", "host"}
				q.Agg = store.Aggregation{Func: store.AggAvg}
			},
		},
		{
			name: "bucketed range keeps its aggregation",
			body: `{"queryType":"range","metricName":"api_latency","interval":"1h","aggregation":"twa"}`,
			want: func(q *store.Query) {
				q.Kind = store.KindRange
				q.Interval = hourMs
				q.Agg = store.Aggregation{Func: store.AggTWA}
			},
		},
		{
			name: "rate ignores aggregation, keeps groupBy",
			body: `{"queryType":"rate","metricName":"api_latency","aggregation":"integral","groupBy":["region"]}`,
			want: func(q *store.Query) {
				q.Kind = store.KindRate
				q.GroupBy = []string{"region"}
			},
		},
		{
			name: "rate with interval",
			body: `{"queryType":"rate","metricName":"api_latency","interval":"1.5s"}`,
			want: func(q *store.Query) {
				q.Kind = store.KindRate
				q.Interval = 1500
			},
		},
		{
			name: "every filter operator; empty value means absent; null filter ignored",
			body: `{"queryType":"aggregate","metricName":"api_latency","aggregation":"p99.9",
			 "filters":{"f":"","e":{"eq":"x"},"d":{"ne":"y"},"c":{"in":["a"]},"b":{"nin":["a","b"]},
			 "a":{"regex":"cu.*"},"a2":{"nregex":"x|y"},"a3":{"exists":true},"a4":{"exists":false},"z":null}}`,
			want: func(q *store.Query) {
				q.Agg = store.Aggregation{Func: store.AggPercentile, Percentile: 99.9}
				q.Filters = []store.Filter{
					{Key: "a", Op: store.OpRegex},
					{Key: "a2", Op: store.OpNregex},
					{Key: "a3", Op: store.OpExists, Exists: true},
					{Key: "a4", Op: store.OpExists, Exists: false},
					{Key: "b", Op: store.OpNin, Values: []string{"a", "b"}},
					{Key: "c", Op: store.OpIn, Values: []string{"a"}},
					{Key: "d", Op: store.OpNe, Values: []string{"y"}},
					{Key: "e", Op: store.OpEq, Values: []string{"x"}},
					{Key: "f", Op: store.OpEq, Values: []string{""}},
				}
			},
		},
		{
			name: "null optional fields are absent",
			body: `{"queryType":"aggregate","metricName":"api_latency","aggregation":"avg","timeRange":null,
			 "groupBy":null,"filters":null,"interval":null,"limit":null,"order":null,"timeout":null}`,
			want: func(q *store.Query) {},
		},
		{
			name: "empty groupBy and filters",
			body: `{"queryType":"aggregate","metricName":"api_latency","aggregation":"avg","groupBy":[],"filters":{}}`,
			want: func(q *store.Query) {},
		},
		{
			name: "limit as 1e2, at the maximum of the range",
			body: `{"queryType":"aggregate","metricName":"api_latency","aggregation":"avg","limit":1e2,"timeRange":{"relative":"31d"}}`,
			want: func(q *store.Query) {
				q.Limit = 100
				q.Start = nowMs - 31*24*hourMs
			},
		},
		{
			name:    "timeout above the maximum is capped",
			body:    `{"queryType":"aggregate","metricName":"api_latency","aggregation":"avg","timeout":"1m"}`,
			want:    func(q *store.Query) {},
			timeout: 30 * time.Second,
		},
		{
			name:    "timeout below the maximum is kept",
			body:    `{"queryType":"aggregate","metricName":"api_latency","aggregation":"avg","timeout":"2500ms"}`,
			want:    func(q *store.Query) {},
			timeout: 2500 * time.Millisecond,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := Parse([]byte(c.body), "acme", now, Limits{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := base(store.KindAggregate)
			c.want(&want)
			got := *req.Query
			checkRegexes(t, got.Filters)
			for i := range got.Filters {
				got.Filters[i].Regex = nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("query\n got %+v\nwant %+v", got, want)
			}
			wantTimeout := c.timeout
			if wantTimeout == 0 {
				wantTimeout = 10 * time.Second
			}
			if req.Timeout != wantTimeout {
				t.Errorf("timeout = %v; want %v", req.Timeout, wantTimeout)
			}
		})
	}
}

// checkRegexes asserts that regex filters are compiled and anchored at both ends.
func checkRegexes(t *testing.T, fs []store.Filter) {
	t.Helper()
	for _, f := range fs {
		isRe := f.Op == store.OpRegex || f.Op == store.OpNregex
		if isRe != (f.Regex != nil) {
			t.Fatalf("filter %s: op %d has regex %v", f.Key, f.Op, f.Regex)
		}
		if f.Regex != nil && (!strings.HasPrefix(f.Regex.String(), "^(?:") || !strings.HasSuffix(f.Regex.String(), ")$")) {
			t.Errorf("filter %s: regex %s is not anchored", f.Key, f.Regex)
		}
	}
}

func TestParseRegexAnchored(t *testing.T) {
	req, err := Parse([]byte(`{"queryType":"range","metricName":"m","filters":{"c":{"regex":"cu.*"},"d":{"nregex":"a|b"}}}`), "t", now, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	fs := req.Query.Filters
	for _, c := range []struct {
		f     store.Filter
		value string
		want  bool
	}{
		{fs[0], "cust_1", true},
		{fs[0], "xcust_1", false}, // anchored at the start
		{fs[1], "a", false},
		{fs[1], "ab", true}, // anchored at the end: "ab" is neither "a" nor "b"
		{fs[1], "", true},
	} {
		if got := c.f.Match(c.value, true); got != c.want {
			t.Errorf("%s %s matches %q = %v; want %v", c.f.Key, c.f.Regex, c.value, got, c.want)
		}
	}
}

// small limits make the size guards reachable with short bodies.
var small = Limits{MaxBodyBytes: 2000, MaxBuckets: 10, MaxLimit: 50, MaxGroupBy: 2, MaxFilterValues: 3}

func TestParseErrors(t *testing.T) {
	const agg = `"queryType":"aggregate","metricName":"m","aggregation":"avg"`
	cases := []struct {
		name string
		body string
		code apierror.Code
		msg  string
	}{
		// body
		{"too large", `{"x":"` + strings.Repeat("a", 2000) + `"}`, apierror.PayloadTooLarge, "query body of 2008 bytes exceeds the maximum of 2000 (query.max_body_bytes)"},
		{"empty", ``, apierror.InvalidQuery, "request body is empty"},
		{"blank", " \n\t", apierror.InvalidQuery, "request body is empty"},
		{"array", `[]`, apierror.InvalidQuery, "request body: must be a JSON object, got an array"},
		{"null", `null`, apierror.InvalidQuery, "request body: must be a JSON object, got null"},
		{"number", `42`, apierror.InvalidQuery, "must be a JSON object, got a number"},
		{"truncated", `{"queryType":`, apierror.InvalidQuery, "request body: is not valid JSON"},
		{"trailing garbage", `{} x`, apierror.InvalidQuery, "is not valid JSON"},
		{"not JSON", `queryType=range`, apierror.InvalidQuery, "request body: is not valid JSON: invalid character 'q'"},
		{"unknown field", `{` + agg + `,"agregation":"p95"}`, apierror.InvalidQuery, `request body: unknown field "agregation"; accepted fields are queryType, metricName, timeRange`},
		{"wrong case", `{"querytype":"range","metricName":"m"}`, apierror.InvalidQuery, `unknown field "querytype"; did you mean "queryType"?`},
		// queryType
		{"queryType missing", `{"metricName":"m"}`, apierror.InvalidQuery, "queryType: is required; use aggregate, range or rate"},
		{"queryType number", `{"queryType":1,"metricName":"m"}`, apierror.InvalidQuery, "queryType: must be a string, got a number"},
		{"queryType unknown", `{"queryType":"Range","metricName":"m"}`, apierror.InvalidQuery, `queryType: unknown value "Range"; use aggregate, range or rate`},
		// metricName
		{"metricName missing", `{"queryType":"range"}`, apierror.InvalidQuery, "metricName: is required"},
		{"metricName object", `{"queryType":"range","metricName":{}}`, apierror.InvalidQuery, "metricName: must be a string, got an object"},
		{"metricName invalid", `{"queryType":"range","metricName":"1abc"}`, apierror.InvalidMetricName, `metricName: metric name "1abc" must match ^[a-zA-Z_][a-zA-Z0-9_.]*$`},
		{"metricName empty", `{"queryType":"range","metricName":""}`, apierror.InvalidMetricName, "metricName: metric name must be 1-256 bytes, got 0"},
		{"metricName long", `{"queryType":"range","metricName":"` + strings.Repeat("a", 257) + `"}`, apierror.InvalidMetricName, "must be 1-256 bytes, got 257"},
		// timeRange
		{"timeRange string", `{` + agg + `,"timeRange":"24h"}`, apierror.InvalidQuery, "timeRange: must be a JSON object, got a string"},
		{"timeRange unknown", `{` + agg + `,"timeRange":{"from":1}}`, apierror.InvalidQuery, `timeRange: unknown field "from"; accepted fields are relative, start, end`},
		{"timeRange empty", `{` + agg + `,"timeRange":{}}`, apierror.InvalidQuery, `timeRange: needs relative (e.g. {"relative": "24h"}) or start and end`},
		{"relative and start", `{` + agg + `,"timeRange":{"relative":"1h","start":1}}`, apierror.InvalidQuery, "timeRange: give either relative or start/end, not both"},
		{"end without start", `{` + agg + `,"timeRange":{"end":1}}`, apierror.InvalidQuery, "timeRange.start: is required with end"},
		{"relative number", `{` + agg + `,"timeRange":{"relative":3600}}`, apierror.InvalidQuery, "timeRange.relative: must be a string, got a number"},
		{"relative bad unit", `{` + agg + `,"timeRange":{"relative":"15x"}}`, apierror.InvalidQuery, `timeRange.relative: "15x" is not a duration: unknown unit "x"`},
		{"relative no unit", `{` + agg + `,"timeRange":{"relative":"15"}}`, apierror.InvalidQuery, "missing unit after 15"},
		{"relative empty", `{` + agg + `,"timeRange":{"relative":""}}`, apierror.InvalidQuery, "timeRange.relative: empty duration"},
		{"relative negative", `{` + agg + `,"timeRange":{"relative":"-5m"}}`, apierror.InvalidQuery, "timeRange.relative"},
		{"relative zero", `{` + agg + `,"timeRange":{"relative":"0s"}}`, apierror.InvalidQuery, `timeRange.relative: must be at least 1ms, got "0s"`},
		{"relative sub-ms", `{` + agg + `,"timeRange":{"relative":"500us"}}`, apierror.InvalidQuery, "must be at least 1ms"},
		{"relative before 1970", `{` + agg + `,"timeRange":{"relative":"3000w"}}`, apierror.InvalidQuery, `timeRange.relative: "3000w" reaches before 1970-01-01`},
		{"start bad string", `{` + agg + `,"timeRange":{"start":"yesterday","end":1}}`, apierror.InvalidQuery, `timeRange.start: "yesterday" is not an RFC 3339 time`},
		{"start no zone", `{` + agg + `,"timeRange":{"start":"2026-11-27T10:00:00","end":1}}`, apierror.InvalidQuery, "is not an RFC 3339 time"},
		{"start fractional ms", `{` + agg + `,"timeRange":{"start":1.5,"end":2}}`, apierror.InvalidQuery, "timeRange.start: must be an RFC 3339 string or an integer of Unix milliseconds"},
		{"start bool", `{` + agg + `,"timeRange":{"start":true,"end":2}}`, apierror.InvalidQuery, "got a boolean"},
		{"start negative", `{` + agg + `,"timeRange":{"start":-1,"end":2}}`, apierror.InvalidQuery, "timeRange.start: must lie between 1970-01-01 and 9999-12-31, got -1 ms"},
		{"end too far", `{` + agg + `,"timeRange":{"start":1,"end":253402300800000}}`, apierror.InvalidQuery, "timeRange.end: must lie between"},
		{"end year 10000", `{` + agg + `,"timeRange":{"start":1,"end":"10000-01-01T00:00:00Z"}}`, apierror.InvalidQuery, "timeRange.end"},
		{"end before start", `{` + agg + `,"timeRange":{"start":"2026-11-27T10:00:00Z","end":"2026-11-27T09:00:00Z"}}`, apierror.InvalidQuery, "timeRange: end 2026-11-27T09:00:00.000Z is before start 2026-11-27T10:00:00.000Z"},
		{"start in the future, no end", `{` + agg + `,"timeRange":{"start":"2027-01-01T00:00:00Z"}}`, apierror.InvalidQuery, "is before start"},
		// aggregation
		{"aggregation missing", `{"queryType":"aggregate","metricName":"m"}`, apierror.InvalidQuery, "aggregation: is required for queryType aggregate; use avg, sum"},
		{"aggregation number", `{"queryType":"aggregate","metricName":"m","aggregation":95}`, apierror.InvalidQuery, "aggregation: must be a string, got a number"},
		{"aggregation unknown", `{"queryType":"aggregate","metricName":"m","aggregation":"median"}`, apierror.InvalidQuery, `aggregation: unknown aggregation "median"`},
		{"aggregation p0", `{"queryType":"aggregate","metricName":"m","aggregation":"p0"}`, apierror.InvalidQuery, `aggregation: percentile "p0" must be above p0 and at most p100`},
		{"aggregation p100.1", `{"queryType":"aggregate","metricName":"m","aggregation":"p100.1"}`, apierror.InvalidQuery, "at most p100"},
		{"aggregation invalid on range", `{"queryType":"range","metricName":"m","aggregation":"mean"}`, apierror.InvalidQuery, `unknown aggregation "mean"`},
		// interval
		{"interval number", `{` + agg + `,"interval":60}`, apierror.InvalidQuery, "interval: must be a string, got a number"},
		{"interval bad", `{` + agg + `,"interval":"1 min"}`, apierror.InvalidQuery, "interval: \"1 min\" is not a duration"},
		{"interval zero", `{` + agg + `,"interval":"0s"}`, apierror.InvalidQuery, "interval: 0s is shorter than the minimum of 1s (query.min_interval)"},
		{"interval short", `{` + agg + `,"interval":"500ms"}`, apierror.InvalidQuery, "interval: 500ms is shorter than the minimum of 1s (query.min_interval)"},
		{"interval sub-ms", `{` + agg + `,"interval":"1.0005s"}`, apierror.InvalidQuery, "interval: 1.0005s is not a whole number of milliseconds"},
		// groupBy
		{"groupBy string", `{` + agg + `,"groupBy":"region"}`, apierror.InvalidQuery, "groupBy: must be an array of strings, got a string"},
		{"groupBy item number", `{` + agg + `,"groupBy":["a",1]}`, apierror.InvalidQuery, "groupBy[1]: must be a string, got a number"},
		{"groupBy invalid key", `{` + agg + `,"groupBy":["a-b"]}`, apierror.InvalidQuery, `groupBy: item 0: dimension key "a-b" must match`},
		{"groupBy empty key", `{` + agg + `,"groupBy":[""]}`, apierror.InvalidQuery, "groupBy: item 0: dimension key must be 1-128 bytes, got 0"},
		{"groupBy duplicate", `{` + agg + `,"groupBy":["a","b","a"]}`, apierror.InvalidQuery, `groupBy: "a" is listed twice`},
		{"groupBy too many", `{` + agg + `,"groupBy":["a","b","c"]}`, apierror.QueryTooLarge, "groupBy has 3 keys, more than the maximum of 2 (query.max_group_by)"},
		// filters
		{"filters array", `{` + agg + `,"filters":[]}`, apierror.InvalidQuery, "filters: must be a JSON object, got an array"},
		{"filters invalid key", `{` + agg + `,"filters":{"a b":"x"}}`, apierror.InvalidQuery, `filters: dimension key "a b" must match`},
		{"filters number", `{` + agg + `,"filters":{"status":200}}`, apierror.InvalidQuery, `filters.status: must be a string or an operator object such as {"in": ["a", "b"]}, got a number (dimension values are strings: write "200", not 200)`},
		{"filters bool", `{` + agg + `,"filters":{"status":true}}`, apierror.InvalidQuery, "got a boolean"},
		{"filters list", `{` + agg + `,"filters":{"status":["a"]}}`, apierror.InvalidQuery, "got an array"},
		{"filter no operator", `{` + agg + `,"filters":{"r":{}}}`, apierror.InvalidQuery, "filters.r: needs exactly one operator (eq, ne, in, nin, regex, nregex or exists), got 0: []"},
		{"filter two operators", `{` + agg + `,"filters":{"r":{"ne":"a","eq":"b"}}}`, apierror.InvalidQuery, "filters.r: needs exactly one operator (eq, ne, in, nin, regex, nregex or exists), got 2: [eq, ne]"},
		{"filter unknown operator", `{` + agg + `,"filters":{"r":{"equals":"a"}}}`, apierror.InvalidQuery, `filters.r: unknown operator "equals"; use eq, ne`},
		{"filter eq number", `{` + agg + `,"filters":{"r":{"eq":1}}}`, apierror.InvalidQuery, "filters.r.eq: must be a string, got a number"},
		{"filter ne list", `{` + agg + `,"filters":{"r":{"ne":["a"]}}}`, apierror.InvalidQuery, "filters.r.ne: must be a string, got an array"},
		{"filter in string", `{` + agg + `,"filters":{"r":{"in":"us"}}}`, apierror.InvalidQuery, "filters.r.in: must be an array of strings, got a string"},
		{"filter in empty", `{` + agg + `,"filters":{"r":{"in":[]}}}`, apierror.InvalidQuery, "filters.r.in: list is empty; give at least one value"},
		{"filter nin item", `{` + agg + `,"filters":{"r":{"nin":["a",null]}}}`, apierror.InvalidQuery, "filters.r.nin[1]: must be a string, got null"},
		{"filter in too many", `{` + agg + `,"filters":{"r":{"in":["a","b","c","d"]}}}`, apierror.QueryTooLarge, "filters.r.in: list has 4 values, more than the maximum of 3 (query.max_filter_values)"},
		{"filter regex invalid", `{` + agg + `,"filters":{"r":{"regex":"("}}}`, apierror.InvalidQuery, "filters.r.regex: invalid RE2 regex: error parsing regexp: missing closing )"},
		{"filter regex escaping anchors", `{` + agg + `,"filters":{"r":{"nregex":"a)|(b"}}}`, apierror.InvalidQuery, "filters.r.nregex: invalid RE2 regex: error parsing regexp: unexpected )"},
		{"filter regex perl lookahead", `{` + agg + `,"filters":{"r":{"regex":"(?=a)"}}}`, apierror.InvalidQuery, "invalid RE2 regex"},
		{"filter regex number", `{` + agg + `,"filters":{"r":{"regex":1}}}`, apierror.InvalidQuery, "filters.r.regex: must be a string, got a number"},
		{"filter exists string", `{` + agg + `,"filters":{"r":{"exists":"true"}}}`, apierror.InvalidQuery, "filters.r.exists: must be true or false, got a string"},
		// limit
		{"limit string", `{` + agg + `,"limit":"10"}`, apierror.InvalidQuery, "limit: must be an integer, got a string"},
		{"limit fraction", `{` + agg + `,"limit":1.5}`, apierror.InvalidQuery, "limit: must be an integer, got 1.5"},
		{"limit zero", `{` + agg + `,"limit":0}`, apierror.InvalidQuery, "limit: must be at least 1, got 0"},
		{"limit negative", `{` + agg + `,"limit":-3}`, apierror.InvalidQuery, "limit: must be at least 1, got -3"},
		{"limit huge", `{` + agg + `,"limit":1e300}`, apierror.InvalidQuery, "limit: must be an integer, got 1e300"},
		{"limit too large", `{` + agg + `,"limit":51}`, apierror.QueryTooLarge, "limit 51 exceeds the maximum of 50 (query.max_limit)"},
		// order
		{"order upper case", `{` + agg + `,"order":"DESC"}`, apierror.InvalidQuery, `order: unknown value "DESC"; use desc or asc`},
		{"order number", `{` + agg + `,"order":1}`, apierror.InvalidQuery, "order: must be a string, got a number"},
		// timeout
		{"timeout number", `{` + agg + `,"timeout":10}`, apierror.InvalidQuery, "timeout: must be a string, got a number"},
		{"timeout bad", `{` + agg + `,"timeout":"soon"}`, apierror.InvalidQuery, `timeout: "soon" is not a duration`},
		{"timeout zero", `{` + agg + `,"timeout":"0s"}`, apierror.InvalidQuery, "timeout: must be at least 1ms, got 0s"},
		// size guards
		{"range too long", `{` + agg + `,"timeRange":{"relative":"90d"}}`, apierror.QueryTooLarge, "time range of 90d exceeds the maximum of 31d (query.max_range)"},
		{"absolute range too long", `{` + agg + `,"timeRange":{"start":0,"end":"2026-11-27T10:00:00Z"}}`, apierror.QueryTooLarge, "time range of 20784d10h exceeds the maximum of 31d (query.max_range)"},
		{"too many buckets", `{` + agg + `,"interval":"1s","timeRange":{"start":0,"end":10000}}`, apierror.QueryTooLarge, "time range of 10s at interval 1s spans 11 buckets, more than the maximum of 10 (query.max_buckets); use a larger interval or a shorter range"},
		{"malformed beats too large", `{` + agg + `,"timeRange":{"relative":"90d"},"order":"up"}`, apierror.InvalidQuery, "order:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.body), "acme", now, small)
			e, ok := apierror.As(err)
			if !ok {
				t.Fatalf("error = %v (%T); want *apierror.Error", err, err)
			}
			if e.Code != c.code || !strings.Contains(e.Message, c.msg) {
				t.Errorf("error = %s: %s\nwant     %s containing %q", e.Code, e.Message, c.code, c.msg)
			}
		})
	}
}

func TestParseRegexTooLong(t *testing.T) {
	body := `{"queryType":"range","metricName":"m","filters":{"r":{"regex":"` + strings.Repeat("a", 4097) + `"}}}`
	_, err := Parse([]byte(body), "t", now, Limits{})
	if e, ok := apierror.As(err); !ok || e.Code != apierror.InvalidQuery || !strings.Contains(e.Message, "filters.r.regex: regex is 4097 bytes, at most 4096 are accepted") {
		t.Fatalf("error = %v", err)
	}
}

func TestParseBoundaries(t *testing.T) {
	ok := []string{
		// exactly 10 buckets: [0s, 9.999s] at 1s
		`{"queryType":"range","metricName":"m","interval":"1s","timeRange":{"start":0,"end":9999}}`,
		// limit at the maximum, groupBy at the maximum, in at the maximum
		`{"queryType":"aggregate","metricName":"m","aggregation":"avg","limit":50,"groupBy":["a","b"],"filters":{"x":{"in":["1","2","3"]}}}`,
		// exactly the maximum range
		`{"queryType":"rate","metricName":"m","timeRange":{"relative":"31d"}}`,
	}
	for _, body := range ok {
		if _, err := Parse([]byte(body), "t", now, small); err != nil {
			t.Errorf("Parse(%s): %v", body, err)
		}
	}
}

func TestLimitsWithDefaults(t *testing.T) {
	if got := (Limits{}).WithDefaults(); got != DefaultLimits() {
		t.Errorf("zero limits = %+v", got)
	}
	// A default above a configured maximum is lowered, so requests without the field work.
	got := Limits{MaxLimit: 10, MaxTimeout: time.Second, MaxRange: time.Minute}.WithDefaults()
	if got.DefaultLimit != 10 || got.DefaultTimeout != time.Second || got.DefaultRange != time.Minute {
		t.Errorf("defaults not capped: %+v", got)
	}
	req, err := Parse([]byte(`{"queryType":"rate","metricName":"m"}`), "t", now, Limits{MaxLimit: 10, MaxTimeout: time.Second, MaxRange: time.Minute})
	if err != nil || req.Query.Limit != 10 || req.Timeout != time.Second || req.Query.End-req.Query.Start != 60000 {
		t.Errorf("Parse with small limits = %+v, %v", req, err)
	}
}
