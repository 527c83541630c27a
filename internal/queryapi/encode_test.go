package queryapi

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// t0 is 2026-11-27T10:00:00Z in Unix ms.
const t0 = int64(1795773600000)

func TestAppendResponseShapes(t *testing.T) {
	groups := []store.Group{
		{Key: []string{"c1", "us"}, Value: 145.5, Count: 30, Buckets: []store.Bucket{
			{T: t0, Value: 1.5, Count: 2}, {T: t0 + 60000, Value: 2, Count: 1},
		}},
		{Key: []string{"c2", ""}, Value: math.NaN(), Count: 0},
	}
	scanned := func(r store.Result) *store.Result { r.SeriesScanned, r.PointsScanned = 4, 31; return &r }
	cases := []struct {
		name string
		q    store.Query
		res  *store.Result
		want string
	}{
		{
			name: "aggregate without interval",
			q:    store.Query{Kind: store.KindAggregate, GroupBy: []string{"customer_id", "region"}},
			res:  scanned(store.Result{Groups: groups}),
			want: `{"queryType":"aggregate","results":[
				{"groupKey":{"customer_id":"c1","region":"us"},"value":145.5,"count":30},
				{"groupKey":{"customer_id":"c2","region":""},"value":null,"count":0}],
				"executionTimeMs":12,"seriesScanned":4,"pointsScanned":31}`,
		},
		{
			name: "aggregate without groupBy has an empty groupKey",
			q:    store.Query{Kind: store.KindAggregate},
			res:  &store.Result{Groups: []store.Group{{Value: 2.5, Count: 4}}},
			want: `{"queryType":"aggregate","results":[{"groupKey":{},"value":2.5,"count":4}],
				"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`,
		},
		{
			name: "aggregate with interval",
			q:    store.Query{Kind: store.KindAggregate, Interval: 60000, GroupBy: []string{"customer_id", "region"}},
			res:  scanned(store.Result{Groups: groups[:1]}),
			want: `{"queryType":"aggregate","results":[{"groupKey":{"customer_id":"c1","region":"us"},"points":[
				{"timestamp":"2026-11-27T10:00:00.000Z","value":1.5,"count":2},
				{"timestamp":"2026-11-27T10:01:00.000Z","value":2,"count":1}]}],
				"executionTimeMs":12,"seriesScanned":4,"pointsScanned":31}`,
		},
		{
			name: "range with interval is bucketed like aggregate",
			q:    store.Query{Kind: store.KindRange, Interval: 60000},
			res:  &store.Result{Groups: []store.Group{{Buckets: []store.Bucket{{T: t0, Value: 3, Count: 3}}}}},
			want: `{"queryType":"range","results":[{"groupKey":{},"points":[
				{"timestamp":"2026-11-27T10:00:00.000Z","value":3,"count":3}]}],
				"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`,
		},
		{
			name: "range without interval lists raw points",
			q:    store.Query{Kind: store.KindRange},
			res: &store.Result{Points: []store.RawPoint{
				{T: t0 + 1, V: 0.25, Labels: model.Labels{{Name: "customer_id", Value: "c1"}, {Name: "endpoint", Value: "/api/users"}}},
				{T: t0 + 999, V: -1e-7, Labels: nil},
			}},
			want: `{"queryType":"range","results":[
				{"timestamp":"2026-11-27T10:00:00.001Z","value":0.25,"dimensions":{"customer_id":"c1","endpoint":"/api/users"}},
				{"timestamp":"2026-11-27T10:00:00.999Z","value":-1e-7,"dimensions":{}}],
				"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`,
		},
		{
			name: "rate without groupBy is a flat list",
			q:    store.Query{Kind: store.KindRate, Interval: 60000},
			res: &store.Result{Groups: []store.Group{{Buckets: []store.Bucket{
				{T: t0, Value: 10, Count: 5}, {T: t0 + 60000, Value: math.Inf(1)},
			}}}},
			want: `{"queryType":"rate","results":[
				{"timestamp":"2026-11-27T10:00:00.000Z","rate":10},
				{"timestamp":"2026-11-27T10:01:00.000Z","rate":null}],
				"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`,
		},
		{
			name: "rate without interval: one bucket at the range start",
			q:    store.Query{Kind: store.KindRate, Start: t0, End: t0 + 3600000},
			res:  &store.Result{Groups: []store.Group{{Buckets: []store.Bucket{{T: t0, Value: 0.5}}}}},
			want: `{"queryType":"rate","results":[{"timestamp":"2026-11-27T10:00:00.000Z","rate":0.5}],
				"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`,
		},
		{
			name: "rate with groupBy",
			q:    store.Query{Kind: store.KindRate, GroupBy: []string{"region"}},
			res: &store.Result{Groups: []store.Group{
				{Key: []string{"eu"}, Buckets: []store.Bucket{{T: t0, Value: 2}}},
				{Key: []string{"us"}, Buckets: []store.Bucket{{T: t0, Value: 1}}},
			}},
			want: `{"queryType":"rate","results":[
				{"groupKey":{"region":"eu"},"points":[{"timestamp":"2026-11-27T10:00:00.000Z","rate":2}]},
				{"groupKey":{"region":"us"},"points":[{"timestamp":"2026-11-27T10:00:00.000Z","rate":1}]}],
				"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`,
		},
		{name: "empty aggregate", q: store.Query{Kind: store.KindAggregate}, res: &store.Result{},
			want: `{"queryType":"aggregate","results":[],"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`},
		{name: "empty range", q: store.Query{Kind: store.KindRange}, res: &store.Result{},
			want: `{"queryType":"range","results":[],"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`},
		{name: "empty rate", q: store.Query{Kind: store.KindRate}, res: &store.Result{Groups: []store.Group{{}}},
			want: `{"queryType":"rate","results":[],"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`},
		{name: "empty grouped rate", q: store.Query{Kind: store.KindRate, GroupBy: []string{"a"}}, res: &store.Result{},
			want: `{"queryType":"rate","results":[],"executionTimeMs":12,"seriesScanned":0,"pointsScanned":0}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := AppendResponse(nil, &c.q, c.res, 12*time.Millisecond+900*time.Microsecond)
			assertJSONEqual(t, got, c.want)
		})
	}
}

// assertJSONEqual compares two documents structurally (key order and spacing do not matter)
// after checking that got is valid JSON.
func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("golden is not JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("response\n got %s\nwant %s", got, want)
	}
}

func TestAppendResponseAppends(t *testing.T) {
	dst := []byte("prefix")
	out := AppendResponse(dst, &store.Query{Kind: store.KindAggregate}, &store.Result{}, 0)
	if string(out[:6]) != "prefix" || out[6] != '{' {
		t.Errorf("AppendResponse did not append: %s", out)
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "new\nline\r\ttab", "\x00\x01\x1f\x7f",
		"<html>&amp;", "ünïcödé 日本", "emoji 🙂", "bad \xff utf8 \xc3", "sep \u2028 \u2029 end",
		"/api/users",
	} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("appendString(%q) = %s: not JSON: %v", s, got, err)
			continue
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Errorf("appendString(%q) decodes to %q; encoding/json gives %q", s, back, wantBack)
		}
	}
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	for _, v := range []float64{
		0, math.Copysign(0, -1), 1, -1, 0.1, 145.5, 1e-6, 1e-7, 9.99e-7, 123456789, 1e20, 1e21,
		-1e21, 1.5e300, math.MaxFloat64, math.SmallestNonzeroFloat64, 1.0 / 3, 2.5e-10,
	} {
		want, _ := json.Marshal(v)
		if got := appendFloat(nil, v); string(got) != string(want) {
			t.Errorf("appendFloat(%v) = %s; encoding/json gives %s", v, got, want)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := appendFloat(nil, v); string(got) != "null" {
			t.Errorf("appendFloat(%v) = %s; want null", v, got)
		}
	}
}

func TestAppendTime(t *testing.T) {
	for _, c := range []struct {
		ms   int64
		want string
	}{
		{t0, `"2026-11-27T10:00:00.000Z"`},
		{t0 + 7, `"2026-11-27T10:00:00.007Z"`},
		{0, `"1970-01-01T00:00:00.000Z"`},
		{maxTimeMs, `"9999-12-31T23:59:59.999Z"`},
	} {
		if got := appendTime(nil, c.ms); string(got) != c.want {
			t.Errorf("appendTime(%d) = %s; want %s", c.ms, got, c.want)
		}
	}
}
