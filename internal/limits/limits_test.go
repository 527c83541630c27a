package limits

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/luminate-metrics/luminate/internal/apierror"
)

// Every limit is declared once with a key, an API name, help, and a default that passes its
// own check; keys and API names are unique.
func TestDefs(t *testing.T) {
	keys, jsons := map[string]bool{}, map[string]bool{}
	for id := range NumIDs {
		d := id.Def()
		if d.Key == "" || d.JSON == "" || d.Help == "" || d.What == "" || d.Max <= 0 {
			t.Errorf("%d: incomplete declaration %+v", id, d)
		}
		if keys[d.Key] || jsons[d.JSON] {
			t.Errorf("%s declared twice", d.Key)
		}
		keys[d.Key], jsons[d.JSON] = true, true
		if err := check(id, d.Default); err != nil {
			t.Errorf("default of %s: %v", d.Key, err)
		}
		if got, ok := ByKey(d.Key); !ok || got != id {
			t.Errorf("ByKey(%s) = %v %v", d.Key, got, ok)
		}
	}
	if MaxSeriesPerTenant.ErrorID() != "err-luminate-max-series-per-tenant" || MaxSeriesPerTenant.Setting() != "limits.max_series_per_tenant" {
		t.Errorf("ids: %s %s", MaxSeriesPerTenant.ErrorID(), MaxSeriesPerTenant.Setting())
	}
}

// The messages of api.md: the limit, its stable id, the setting and the tenant's override.
func TestExceededMessage(t *testing.T) {
	for _, c := range []struct {
		id    ID
		limit float64
		want  string
	}{
		{MaxSeriesPerTenant, 1000000, "per-tenant series limit of 1000000 exceeded (err-luminate-max-series-per-tenant); raise limits.max_series_per_tenant (for this tenant: limits.overrides.acme.max_series_per_tenant)"},
		{PointsPerSecond, 2.5, "per-tenant ingestion rate of 2.5 points/s exceeded (err-luminate-points-per-second); raise limits.points_per_second (for this tenant: limits.overrides.acme.points_per_second)"},
		{MaxConcurrentQueries, 4, "per-tenant concurrent query limit of 4 queries exceeded (err-luminate-max-concurrent-queries); raise limits.max_concurrent_queries (for this tenant: limits.overrides.acme.max_concurrent_queries)"},
	} {
		if got := ExceededMessage(c.id, c.limit, "acme"); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}

func unmarshal(t *testing.T, m map[string]any) (Config, error) {
	t.Helper()
	c := DefaultConfig()
	err := c.Unmarshal(confmap.NewFromStringMap(m))
	return c, err
}

func TestConfigOverrides(t *testing.T) {
	c, err := unmarshal(t, map[string]any{
		"points_per_second": 10,
		"overrides": map[string]any{
			"acme": map[string]any{"max_series_per_tenant": "5_000_000", "points_per_second": 0},
			"beta": nil,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := c.For("acme"); v[MaxSeriesPerTenant] != 5e6 || v[PointsPerSecond] != 0 || v[MaxSeriesPerMetric] != Defs[MaxSeriesPerMetric].Default {
		t.Errorf("acme %v", v)
	}
	if v := c.For("beta"); v[PointsPerSecond] != 10 {
		t.Errorf("beta (empty override) %v", v)
	}
	if v := c.For("nobody"); v[PointsPerSecond] != 10 || v[MaxSeriesPerTenant] != Defs[MaxSeriesPerTenant].Default {
		t.Errorf("default tenant %v", v)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	for _, bad := range []map[string]any{
		{"nope": 1},
		{"points_per_second": -1},
		{"points_per_second": "fast"},
		{"max_series_per_tenant": 1.5},
		{"overrides": []any{"acme"}},
		{"overrides": map[string]any{"acme": 3}},
		{"overrides": map[string]any{"acme": map[string]any{"retention_days": 3651}}},
	} {
		if _, err := unmarshal(t, bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	c = DefaultConfig()
	c.Overrides = map[string]Override{"": Override{}.Set(RetentionDays, -3)}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "must not be empty") || !strings.Contains(err.Error(), "retention_days") {
		t.Errorf("validate: %v", err)
	}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newGuard(t *testing.T, v map[string]map[ID]float64) (*Guard, *clock) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Overrides = map[string]Override{}
	for tenant, m := range v {
		var o Override
		for id, x := range m {
			o = o.Set(id, x)
		}
		cfg.Overrides[tenant] = o
	}
	clk := &clock{now: time.Unix(1_800_000_000, 0)}
	return NewGuard(cfg, clk.Now), clk
}

// Buckets hold 2 x the rate; a refusal names the limit and says when to retry; another tenant's
// bucket is separate.
func TestPointsBucket(t *testing.T) {
	g, clk := newGuard(t, map[string]map[ID]float64{"slow": {PointsPerSecond: 100}})
	if d := g.AllowPoints("slow", 150); d != nil {
		t.Fatalf("first 150 of a 200 burst: %v", d.Message)
	}
	if d := g.AllowPoints("slow", 50); d != nil {
		t.Fatalf("the burst's remaining 50: %v", d.Message)
	}
	d := g.AllowPoints("slow", 30)
	if d == nil {
		t.Fatal("over the burst: admitted")
	}
	if d.ID != PointsPerSecond || d.Limit != 100 || d.Remaining != 0 || d.RetryAfterSeconds() != 1 {
		t.Errorf("denial %+v", d)
	}
	h := d.Headers()
	reset := clk.Now().Add(2 * time.Second).Unix() // 200 tokens at 100/s
	want := [4][2]string{{"Retry-After", "1"}, {"X-RateLimit-Limit", "100"}, {"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", strconv.FormatInt(reset, 10)}}
	if h != want {
		t.Errorf("headers %v, want %v", h, want)
	}
	e := d.Error()
	if e.Code != apierror.RateLimitExceeded || e.HTTPStatus() != 429 || !strings.Contains(e.Message, "err-luminate-points-per-second") ||
		e.Details["setting"] != "limits.points_per_second" {
		t.Errorf("error %+v", e)
	}
	// Another tenant, at the same time, has its own (default) bucket.
	if d := g.AllowPoints("other", 100000); d != nil {
		t.Errorf("other tenant refused: %s", d.Message)
	}
	// Half a second refills 50.
	clk.add(500 * time.Millisecond)
	if d := g.AllowPoints("slow", 50); d != nil {
		t.Errorf("after refill: %s", d.Message)
	}
	// A request larger than the burst can never pass, and says so.
	clk.add(10 * time.Second)
	d = g.AllowPoints("slow", 201)
	if d == nil || !strings.Contains(d.Message, "split it") {
		t.Errorf("request over the burst: %+v", d)
	}
	if d := g.AllowPoints("slow", 200); d != nil {
		t.Errorf("a full bucket refused its burst: %s", d.Message)
	}
}

func TestUnlimited(t *testing.T) {
	g, _ := newGuard(t, map[string]map[ID]float64{"free": {WriteRequestsPerSecond: 0, PointsPerSecond: 0, QueryRequestsPerSecond: 0, MaxConcurrentQueries: 0}})
	for range 10000 {
		if d := g.AllowWriteRequest("free"); d != nil {
			t.Fatal(d.Message)
		}
		if d := g.AllowPoints("free", 1e6); d != nil {
			t.Fatal(d.Message)
		}
		if _, d := g.StartQuery("free"); d != nil {
			t.Fatal(d.Message)
		}
	}
}

func TestConcurrentQueries(t *testing.T) {
	g, _ := newGuard(t, map[string]map[ID]float64{"q": {MaxConcurrentQueries: 2, QueryRequestsPerSecond: 1000}})
	d1, e1 := g.StartQuery("q")
	d2, e2 := g.StartQuery("q")
	if e1 != nil || e2 != nil {
		t.Fatal(e1, e2)
	}
	_, e3 := g.StartQuery("q")
	if e3 == nil || e3.ID != MaxConcurrentQueries || e3.Limit != 2 || e3.RetryAfterSeconds() != 1 {
		t.Fatalf("third concurrent query: %+v", e3)
	}
	if u := g.Usage("q"); u.ConcurrentQueries != 2 {
		t.Errorf("usage %+v", u)
	}
	d1()
	d1() // done twice releases once
	if _, e := g.StartQuery("q"); e != nil {
		t.Errorf("after one finished: %v", e.Message)
	}
	d2()
	if u := g.Usage("q"); u.ConcurrentQueries != 1 {
		t.Errorf("usage %+v", u)
	}
}

func TestQueryAndWriteRequestRates(t *testing.T) {
	g, clk := newGuard(t, map[string]map[ID]float64{"t": {QueryRequestsPerSecond: 1, WriteRequestsPerSecond: 2}})
	for i := range 2 {
		if d := g.AllowRead("t"); d != nil {
			t.Fatalf("read %d of a burst of 2: %s", i, d.Message)
		}
	}
	if _, d := g.StartQuery("t"); d == nil || d.ID != QueryRequestsPerSecond {
		t.Errorf("third read in a second: %+v", d)
	}
	for i := range 4 {
		if d := g.AllowWriteRequest("t"); d != nil {
			t.Fatalf("write %d: %s", i, d.Message)
		}
	}
	d := g.AllowWriteRequest("t")
	if d == nil || d.ID != WriteRequestsPerSecond || d.RetryAfterSeconds() != 1 {
		t.Fatalf("fifth write: %+v", d)
	}
	clk.add(time.Second)
	if d := g.AllowWriteRequest("t"); d != nil {
		t.Errorf("after a second: %s", d.Message)
	}
}

// Usage reports the admitted rates over the last 10 whole seconds.
func TestUsageRates(t *testing.T) {
	g, clk := newGuard(t, nil)
	for range 10 {
		g.AllowWriteRequest("t")
		g.AllowPoints("t", 500)
		g.AllowRead("t")
		clk.add(time.Second)
	}
	u := g.Usage("t")
	if u.WriteRequestsPerSecond != 1 || u.PointsPerSecond != 500 || u.QueryRequestsPerSecond != 1 {
		t.Errorf("usage %+v, want 1, 500, 1", u)
	}
	clk.add(20 * time.Second)
	if u := g.Usage("t"); u.PointsPerSecond != 0 {
		t.Errorf("after 20 idle seconds: %+v", u)
	}
	if u := g.Usage("unknown"); u != (Usage{}) {
		t.Errorf("unknown tenant: %+v", u)
	}
}

// The guard is safe for concurrent use and admits exactly the burst at one instant.
func TestGuardConcurrent(t *testing.T) {
	g, _ := newGuard(t, map[string]map[ID]float64{"t": {PointsPerSecond: 500}})
	var mu sync.Mutex
	admitted := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				if g.AllowPoints("t", 1) == nil {
					mu.Lock()
					admitted++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if admitted != 1000 {
		t.Errorf("admitted %d of 1600 at a frozen clock, want the burst of 1000", admitted)
	}
}
