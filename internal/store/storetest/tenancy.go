package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/limits"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// The tenancy cases: cardinality limits with exact counts, usage and cardinality, retention
// policies, retention and deletes. Limits and admin are optional interfaces (store.Limited,
// store.Admin): an engine without them skips those cases loudly, as with the OTLP shapes.

func runTenancy(t *testing.T, open Opener) {
	t.Run("CardinalityLimits", func(t *testing.T) { need[store.Limited](t, open); testCardinalityLimits(t, open) })
	t.Run("CardinalityLimitsExactUnderConcurrency", func(t *testing.T) {
		need[store.Limited](t, open)
		testLimitsConcurrent(t, open)
	})
	t.Run("UsageAndCardinality", func(t *testing.T) { testUsageAndCardinality(t, open) })
	t.Run("RetentionPolicies", func(t *testing.T) { need[store.Admin](t, open); testRetentionPolicies(t, open) })
	t.Run("DeleteBefore", func(t *testing.T) { need[store.Admin](t, open); testDeleteBefore(t, open) })
	t.Run("Retention", func(t *testing.T) { need[store.Admin](t, open); testRetention(t, open) })
	t.Run("DeleteFreesSeries", func(t *testing.T) {
		need[store.Admin](t, open)
		need[store.Limited](t, open)
		testDeleteFreesSeries(t, open)
	})
}

// need skips, loudly, when the engine does not implement the optional interface I.
func need[I any](t *testing.T, open Opener) {
	s := open(t)
	_, ok := s.(I)
	s.Close()
	if !ok {
		t.Skipf("ENGINE GAP: this engine does not implement %v; the case did not run", reflect.TypeFor[I]())
	}
}

// limitsFor returns a LimitsFunc with the given limits per tenant and none for other tenants.
func limitsFor(per map[string]map[limits.ID]float64) store.LimitsFunc {
	return func(tenant string) limits.Values {
		var v limits.Values
		for id, x := range per[tenant] {
			v[id] = x
		}
		return v
	}
}

// appendEach appends every point in one appender, commits, and returns the Append errors.
func appendEach(t *testing.T, s store.Store, tenant string, pts []P) []error {
	t.Helper()
	a := s.Appender(tenant)
	errs := make([]error, len(pts))
	for i, p := range pts {
		errs[i] = appendP(a, p)
	}
	if err := a.Commit(context.Background()); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return errs
}

func lbl(k, v string) map[string]string { return map[string]string{k: v} }

// wantCardinality checks that err refuses a point for limit id with value max, in the exact
// Mimir-style words clients and docs rely on.
func wantCardinality(t *testing.T, what string, err error, id limits.ID, max int, tenant string) {
	t.Helper()
	e, ok := apierror.As(err)
	if !ok || e.Code != apierror.CardinalityExceeded {
		t.Errorf("%s: got %v, want CARDINALITY_EXCEEDED", what, err)
		return
	}
	what2 := map[limits.ID]string{
		limits.MaxSeriesPerTenant:  "per-tenant series limit",
		limits.MaxSeriesPerMetric:  "per-metric series limit",
		limits.MaxMetricsPerTenant: "per-tenant metric limit",
	}[id]
	want := fmt.Sprintf("%s of %d exceeded (err-luminate-%s); raise limits.%s (for this tenant: limits.overrides.%s.%s)",
		what2, max, map[limits.ID]string{
			limits.MaxSeriesPerTenant:  "max-series-per-tenant",
			limits.MaxSeriesPerMetric:  "max-series-per-metric",
			limits.MaxMetricsPerTenant: "max-metrics-per-tenant",
		}[id], id.Key(), tenant, id.Key())
	if e.Message != want {
		t.Errorf("%s: message\n%q\nwant\n%q", what, e.Message, want)
	}
}

func countPoints(t *testing.T, s store.Store, tenant, metric string) int64 {
	t.Helper()
	r, err := s.Query(context.Background(), &store.Query{Tenant: tenant, Metric: metric, Kind: store.KindAggregate,
		Agg: agg(store.AggCount), Start: 0, End: Base + 100*24*3600*1000, Limit: 1000})
	if e, ok := apierror.As(err); ok && e.Code == apierror.NotFound {
		return 0
	}
	if err != nil {
		t.Fatalf("count %s/%s: %v", tenant, metric, err)
	}
	var n int64
	for _, g := range r.Groups {
		n += g.Count
	}
	return n
}

func seriesOf(t *testing.T, s store.Store, tenant string) map[string]int64 {
	t.Helper()
	ms, err := s.Metrics(context.Background(), tenant)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, m := range ms {
		out[m.Name] = m.SeriesCount
	}
	return out
}

func testCardinalityLimits(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	s.(store.Limited).SetLimits(limitsFor(map[string]map[limits.ID]float64{
		"small": {limits.MaxSeriesPerTenant: 3, limits.MaxSeriesPerMetric: 2},
		"few":   {limits.MaxMetricsPerTenant: 2},
	}))
	errs := appendEach(t, s, "small", []P{
		{Metric: "m1", Meta: gauge, Labels: lbl("k", "a"), T: 0, V: 1},
		{Metric: "m1", Meta: gauge, Labels: lbl("k", "b"), T: 0, V: 1},
		{Metric: "m1", Meta: gauge, Labels: lbl("k", "c"), T: 0, V: 1}, // third series of m1
		{Metric: "m2", Meta: gauge, Labels: lbl("k", "a"), T: 0, V: 1},
		{Metric: "m2", Meta: gauge, Labels: lbl("k", "b"), T: 0, V: 1}, // fourth of the tenant
		{Metric: "m3", Meta: gauge, Labels: lbl("k", "a"), T: 0, V: 1}, // a new metric at the limit
		{Metric: "m1", Meta: gauge, Labels: lbl("k", "a"), T: sec(10), V: 2},
	})
	for _, i := range []int{0, 1, 3, 6} {
		if errs[i] != nil {
			t.Errorf("point %d: %v", i, errs[i])
		}
	}
	wantCardinality(t, "third series of a metric limited to 2", errs[2], limits.MaxSeriesPerMetric, 2, "small")
	wantCardinality(t, "fourth series of a tenant limited to 3", errs[4], limits.MaxSeriesPerTenant, 3, "small")
	wantCardinality(t, "new metric of a tenant at its series limit", errs[5], limits.MaxSeriesPerTenant, 3, "small")
	if got := seriesOf(t, s, "small"); len(got) != 2 || got["m1"] != 2 || got["m2"] != 1 {
		t.Errorf("series per metric %v, want m1=2 m2=1 (no empty m3)", got)
	}
	if n := countPoints(t, s, "small", "m1"); n != 3 {
		t.Errorf("m1 holds %d points, want 3 (a twice, b once)", n)
	}

	// Existing series keep flowing in later writes; new ones are still refused.
	errs = appendEach(t, s, "small", []P{
		{Metric: "m2", Meta: gauge, Labels: lbl("k", "a"), T: sec(20), V: 3},
		{Metric: "m1", Meta: gauge, Labels: lbl("k", "b"), T: sec(20), V: 3},
		{Metric: "m2", Meta: gauge, Labels: lbl("k", "z"), T: sec(20), V: 3},
	})
	if errs[0] != nil || errs[1] != nil {
		t.Errorf("existing series refused: %v", errs[:2])
	}
	wantCardinality(t, "new series in a later write", errs[2], limits.MaxSeriesPerTenant, 3, "small")
	if n := countPoints(t, s, "small", "m2"); n != 2 {
		t.Errorf("m2 holds %d points, want 2", n)
	}

	// Metrics per tenant.
	errs = appendEach(t, s, "few", []P{
		{Metric: "a", Meta: gauge, Labels: lbl("k", "1"), T: 0, V: 1},
		{Metric: "b", Meta: gauge, Labels: lbl("k", "1"), T: 0, V: 1},
		{Metric: "c", Meta: gauge, Labels: lbl("k", "1"), T: 0, V: 1},
		{Metric: "a", Meta: gauge, Labels: lbl("k", "2"), T: 0, V: 1},
	})
	if errs[0] != nil || errs[1] != nil || errs[3] != nil {
		t.Errorf("few: %v", errs)
	}
	wantCardinality(t, "third metric of a tenant limited to 2", errs[2], limits.MaxMetricsPerTenant, 2, "few")

	// A tenant without limits, written at the same time, is not affected.
	var pts []P
	for i := range 50 {
		pts = append(pts, P{Metric: "m1", Meta: gauge, Labels: lbl("k", fmt.Sprint(i)), T: 0, V: 1})
	}
	for i, err := range appendEach(t, s, "big", pts) {
		if err != nil {
			t.Fatalf("unlimited tenant, point %d: %v", i, err)
		}
	}
	if got := seriesOf(t, s, "big")["m1"]; got != 50 {
		t.Errorf("unlimited tenant has %d series, want 50", got)
	}
}

// testLimitsConcurrent: writers creating series in different metrics at the same time never
// pass the tenant's limit together, and the count is exact.
func testLimitsConcurrent(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	const max, writers, each = 50, 8, 20
	s.(store.Limited).SetLimits(limitsFor(map[string]map[limits.ID]float64{"t": {limits.MaxSeriesPerTenant: max}}))
	var wg sync.WaitGroup
	accepted := make([]int, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := s.Appender("t")
			for i := range each {
				err := a.Append(fmt.Sprint("m", w), gauge, model.Labels{{Name: "k", Value: fmt.Sprint(i)}}, Base, 1)
				switch {
				case err == nil:
					accepted[w]++
				case !store.IsCardinalityError(err):
					t.Errorf("writer %d: %v", w, err)
				}
			}
			if err := a.Commit(context.Background()); err != nil {
				t.Errorf("writer %d commit: %v", w, err)
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range accepted {
		total += n
	}
	if total != max {
		t.Errorf("%d series accepted, want exactly %d", total, max)
	}
	u, err := store.UsageOf(context.Background(), s, "t", 0)
	if err != nil || u.Series != max {
		t.Errorf("usage %+v %v, want %d series", u, err, max)
	}
	var sum int64
	for _, n := range seriesOf(t, s, "t") {
		sum += n
	}
	if sum != max {
		t.Errorf("metrics list %d series, want %d", sum, max)
	}
}

// plain hides an engine's optional interfaces, so the store package's fallbacks run.
type plain struct{ store.Store }

func testUsageAndCardinality(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	var pts []P
	// http: 5 customers with 4, 3, 3, 1, 1 series; endpoint /a on 6 series, /b on 4, /c on 2.
	n := 0
	for c, k := range []int{4, 3, 3, 1, 1} {
		for i := range k {
			ep := []string{"/a", "/a", "/a", "/b", "/b", "/c"}[n%6]
			n++
			pts = append(pts, P{Metric: "http", Meta: gauge,
				Labels: map[string]string{"customer": fmt.Sprint("c", c), "endpoint": ep, "i": fmt.Sprint(i)}, T: 0, V: 1})
		}
	}
	pts = append(pts, P{Metric: "cpu", Meta: gauge, Labels: lbl("host", "h"), T: 0, V: 1})
	Write(t, s, "t1", pts)
	Write(t, s, "t2", []P{{Metric: "other", Meta: gauge, Labels: lbl("host", "x"), T: 0, V: 1}})
	ctx := context.Background()
	for _, eng := range []struct {
		name string
		s    store.Store
	}{{"engine", s}, {"fallback", plain{s}}} {
		u, err := store.UsageOf(ctx, eng.s, "t1", 1)
		if err != nil || u.Series != 13 || u.Metrics != 2 || !slices.Equal(u.TopMetrics, []store.MetricSeries{{Name: "http", Series: 12}}) {
			t.Errorf("%s: usage %+v %v; want 13 series, 2 metrics, top http=12", eng.name, u, err)
		}
		if u, err := store.UsageOf(ctx, eng.s, "nobody", 10); err != nil || u.Series != 0 || u.Metrics != 0 || len(u.TopMetrics) != 0 {
			t.Errorf("%s: usage of a tenant without data: %+v %v", eng.name, u, err)
		}
		mc, err := store.MetricCardinalityOf(ctx, eng.s, "t1", "http", 2)
		if err != nil {
			t.Fatalf("%s: %v", eng.name, err)
		}
		want := &store.MetricCardinality{Name: "http", Series: 12, Keys: []store.KeyCardinality{
			{Key: "customer", Distinct: 5, Top: []store.ValueCount{{Value: "c0", SeriesCount: 4}, {Value: "c1", SeriesCount: 3}}},
			{Key: "i", Distinct: 4, Top: []store.ValueCount{{Value: "0", SeriesCount: 5}, {Value: "1", SeriesCount: 3}}},
			{Key: "endpoint", Distinct: 3, Top: []store.ValueCount{{Value: "/a", SeriesCount: 6}, {Value: "/b", SeriesCount: 4}}},
		}}
		if d := diffCardinality(mc, want); d != "" {
			t.Errorf("%s: cardinality of http: %s", eng.name, d)
		}
		for _, c := range []struct{ tenant, metric string }{{"t1", "nope"}, {"t2", "http"}, {"t1", "other"}} {
			if _, err := store.MetricCardinalityOf(ctx, eng.s, c.tenant, c.metric, 10); !isCode(err, "NOT_FOUND") {
				t.Errorf("%s: cardinality of %s/%s: %v, want NOT_FOUND", eng.name, c.tenant, c.metric, err)
			}
		}
	}
	if cr, ok := s.(store.CardinalityReader); ok {
		by, err := cr.SeriesByTenant(ctx)
		if err != nil || by["t1"] != 13 || by["t2"] != 1 {
			t.Errorf("series by tenant %v %v", by, err)
		}
	}
}

func diffCardinality(got, want *store.MetricCardinality) string {
	if got.Name != want.Name || got.Series != want.Series || len(got.Keys) != len(want.Keys) {
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	for i := range want.Keys {
		g, w := got.Keys[i], want.Keys[i]
		if g.Key != w.Key || g.Distinct != w.Distinct || !slices.Equal(g.Top, w.Top) {
			return fmt.Sprintf("key %d: got %+v, want %+v", i, g, w)
		}
	}
	return ""
}

func testRetentionPolicies(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ad := s.(store.Admin)
	ctx := context.Background()
	for _, c := range []struct {
		p    store.RetentionPolicy
		code string
	}{
		{store.RetentionPolicy{Metric: "http", Days: 0}, "INVALID_REQUEST"},
		{store.RetentionPolicy{Metric: "http", Days: 3651}, "INVALID_REQUEST"},
		{store.RetentionPolicy{Metric: "bad name", Days: 7}, "INVALID_METRIC_NAME"},
		{store.RetentionPolicy{Metric: "", Days: 7}, "INVALID_METRIC_NAME"},
	} {
		if err := ad.SetRetention(ctx, "t1", c.p); !isCode(err, c.code) {
			t.Errorf("%+v: %v, want %s", c.p, err, c.code)
		}
	}
	for _, p := range []store.RetentionPolicy{{Metric: "http", Days: 7}, {Metric: "*", Days: 30}, {Metric: "http", Days: 14}, {Metric: "cpu", Days: 3650}} {
		if err := ad.SetRetention(ctx, "t1", p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ad.RetentionPolicies(ctx, "t1")
	want := []store.RetentionPolicy{{Metric: "*", Days: 30}, {Metric: "cpu", Days: 3650}, {Metric: "http", Days: 14}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("policies %v %v, want %v", got, err, want)
	}
	if got, err := ad.RetentionPolicies(ctx, "t2"); err != nil || len(got) != 0 {
		t.Errorf("another tenant sees policies %v %v", got, err)
	}
}

const hourMs = int64(time.Hour / time.Millisecond)

// hourly writes one point per 30 minutes from Base to Base+5h30m.
func hourly(metric string) []P {
	var pts []P
	for i := range int64(12) {
		pts = append(pts, P{Metric: metric, Meta: gauge, Labels: lbl("k", "v"), T: i * hourMs / 2, V: float64(i)})
	}
	return pts
}

func testDeleteBefore(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ad := s.(store.Admin)
	ctx := context.Background()
	Write(t, s, "t1", hourly("http"))
	Write(t, s, "t1", hourly("cpu"))
	Write(t, s, "t2", hourly("http"))
	// Not at an hour: points before 1h30m go (3 of them: 0, 30m, 1h), 1h30m stays.
	if err := ad.DeleteBefore(ctx, "t1", "http", Base+3*hourMs/2); err != nil {
		t.Fatal(err)
	}
	if n := countPoints(t, s, "t1", "http"); n != 9 {
		t.Errorf("after delete before 1h30m: %d points, want 9", n)
	}
	r := mustQuery(t, s, Q("t1", "http", store.KindAggregate, agg(store.AggMin), 0, 6*hourMs))
	wantValue(t, "first value left", single(t, r), 3)
	// At an hour.
	if err := ad.DeleteBefore(ctx, "t1", "http", Base+3*hourMs); err != nil {
		t.Fatal(err)
	}
	if n := countPoints(t, s, "t1", "http"); n != 6 {
		t.Errorf("after delete before 3h: %d points, want 6", n)
	}
	// The other metric and the other tenant's metric of the same name are untouched.
	if n := countPoints(t, s, "t1", "cpu"); n != 12 {
		t.Errorf("cpu: %d points, want 12", n)
	}
	if n := countPoints(t, s, "t2", "http"); n != 12 {
		t.Errorf("tenant t2: %d points, want 12", n)
	}
	for _, c := range []struct{ tenant, metric string }{{"t1", "nope"}, {"t3", "http"}} {
		if err := ad.DeleteBefore(ctx, c.tenant, c.metric, Base+hourMs); !isCode(err, "NOT_FOUND") {
			t.Errorf("delete %s/%s: %v, want NOT_FOUND", c.tenant, c.metric, err)
		}
	}
	// Deleting every point deletes the metric; writing it again starts afresh.
	if err := ad.DeleteBefore(ctx, "t1", "http", Base+10*24*hourMs); err != nil {
		t.Fatal(err)
	}
	if got := seriesOf(t, s, "t1"); len(got) != 1 || got["cpu"] != 1 {
		t.Errorf("metrics after deleting all of http: %v, want cpu only", got)
	}
	if _, err := s.Dimensions(ctx, "t1", "http"); !isCode(err, "NOT_FOUND") {
		t.Errorf("dimensions of the deleted metric: %v", err)
	}
	Write(t, s, "t1", []P{{Metric: "http", Meta: gauge, Labels: lbl("k", "new"), T: 0, V: 42}})
	r = mustQuery(t, s, Q("t1", "http", store.KindAggregate, agg(store.AggSum), 0, 6*hourMs))
	wantValue(t, "the rewritten metric", single(t, r), 42)
	if got := seriesOf(t, s, "t1")["http"]; got != 1 {
		t.Errorf("rewritten metric has %d series, want 1", got)
	}
}

func testRetention(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ad := s.(store.Admin)
	ctx := context.Background()
	for _, tenant := range []string{"t1", "t2"} {
		Write(t, s, tenant, hourly("http"))
		Write(t, s, tenant, hourly("cpu"))
	}
	for _, p := range []store.RetentionPolicy{{Metric: "*", Days: 2}, {Metric: "http", Days: 1}} {
		if err := ad.SetRetention(ctx, "t1", p); err != nil {
			t.Fatal(err)
		}
	}
	// now = Base + 1d 3h20m: http (1 day) loses what is before Base+3h; cpu (2 days) nothing.
	now := time.UnixMilli(Base + 27*hourMs + hourMs/3)
	if err := ad.ApplyRetention(ctx, now); err != nil {
		t.Fatal(err)
	}
	if n := countPoints(t, s, "t1", "http"); n != 6 {
		t.Errorf("http after 1-day retention at Base+1d3h20m: %d points, want 6 (from 3h)", n)
	}
	if n := countPoints(t, s, "t1", "cpu"); n != 12 {
		t.Errorf("cpu (2 days): %d points, want 12", n)
	}
	// now = Base + 2d 2h30m: cpu loses what is before Base+2h; http everything, and goes.
	now = time.UnixMilli(Base + 50*hourMs + hourMs/2)
	if err := ad.ApplyRetention(ctx, now); err != nil {
		t.Fatal(err)
	}
	if n := countPoints(t, s, "t1", "cpu"); n != 8 {
		t.Errorf("cpu after 2-day retention at Base+2d2h30m: %d points, want 8 (from 2h)", n)
	}
	if got := seriesOf(t, s, "t1"); len(got) != 1 || got["http"] != 0 {
		t.Errorf("metrics of t1: %v, want cpu only (http expired entirely)", got)
	}
	// t2 has no policy: untouched.
	for _, m := range []string{"http", "cpu"} {
		if n := countPoints(t, s, "t2", m); n != 12 {
			t.Errorf("t2 %s: %d points, want 12", m, n)
		}
	}
	// The default retention of the limits applies to a tenant without policies.
	if l, ok := s.(store.Limited); ok {
		l.SetLimits(limitsFor(map[string]map[limits.ID]float64{"t2": {limits.RetentionDays: 2}}))
		if err := ad.ApplyRetention(ctx, now); err != nil {
			t.Fatal(err)
		}
		if n := countPoints(t, s, "t2", "http"); n != 8 {
			t.Errorf("t2 http with limits.retention_days 2: %d points, want 8", n)
		}
	}
}

func testDeleteFreesSeries(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	s.(store.Limited).SetLimits(limitsFor(map[string]map[limits.ID]float64{"t": {limits.MaxSeriesPerTenant: 2}}))
	errs := appendEach(t, s, "t", []P{
		{Metric: "m", Meta: gauge, Labels: lbl("k", "a"), T: 0, V: 1},
		{Metric: "m", Meta: gauge, Labels: lbl("k", "b"), T: 0, V: 1},
		{Metric: "m", Meta: gauge, Labels: lbl("k", "c"), T: 0, V: 1},
	})
	if errs[0] != nil || errs[1] != nil || !store.IsCardinalityError(errs[2]) {
		t.Fatalf("setup: %v", errs)
	}
	if err := s.(store.Admin).DeleteBefore(context.Background(), "t", "m", Base+hourMs); err != nil {
		t.Fatal(err)
	}
	errs = appendEach(t, s, "t", []P{
		{Metric: "m", Meta: gauge, Labels: lbl("k", "c"), T: 0, V: 1},
		{Metric: "n", Meta: gauge, Labels: lbl("k", "d"), T: 0, V: 1},
	})
	if errs[0] != nil || errs[1] != nil {
		t.Errorf("after deleting the metric, its series no longer count: %v", errs)
	}
	if u, _ := store.UsageOf(context.Background(), s, "t", 0); u.Series != 2 {
		t.Errorf("usage %+v, want 2 series", u)
	}
}
