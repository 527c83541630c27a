package webui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/luminate-metrics/luminate/internal/auth"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store/badgerstore"
	"github.com/luminate-metrics/luminate/queryserver"
)

// The browser test drives Debian's chromium (headless) through the UI against a real query
// server on a real Badger store. Without chromium it skips, except in CI (CI=true), where it
// fails: CI must install the package chromium. LUMINATE_CHROMIUM names another binary;
// LUMINATE_UPDATE_SCREENSHOTS=1 rewrites docs/img/ui-*.png.

// chromiumPath finds the browser, or skips (fails in CI) with what to install.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("LUMINATE_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "no chromium at /usr/bin/chromium: install it with `apt-get install -y chromium` (or set LUMINATE_CHROMIUM)"
	if os.Getenv("CI") == "true" {
		t.Fatal("the browser test must run in CI: " + msg)
	}
	t.Skip("SKIPPING the web UI browser test: " + msg)
	return ""
}

// Test data: api_latency (ms) for 5 customers x 3 endpoints, 10 points each, 5 minutes apart,
// in the last hour. Customer i, its j-th endpoint (j = 1..3), k-th point: 100*i + 10*j + k.
// A customer's 30 values are 100i+10 .. 100i+39, so its p95 (nearest rank: index
// ceil(0.95*30)-1 = 28 of the sorted values) is 100i+38. The endpoints are spread unevenly
// (/api/users has 5 series, /api/orders 4, /api/search and /api/export 3) so the cardinality
// view has one clear top value.
var endpoints = [5][3]string{
	{"/api/users", "/api/orders", "/api/search"},
	{"/api/users", "/api/orders", "/api/search"},
	{"/api/users", "/api/orders", "/api/export"},
	{"/api/users", "/api/orders", "/api/export"},
	{"/api/users", "/api/search", "/api/export"},
}

func customer(i int) string { return fmt.Sprintf("cust_%d", i) }

func wantP95(i int) float64 { return float64(100*i + 38) }

func writeData(t *testing.T, st *badgerstore.Store, tenant string) {
	t.Helper()
	base := time.Now().Truncate(time.Minute).Add(-50 * time.Minute).UnixMilli()
	app := st.Appender(tenant)
	latency := model.MetricMeta{Type: model.TypeGauge, Unit: "ms"}
	requests := model.MetricMeta{Type: model.TypeCounter, Temporality: model.TemporalityCumulative, Monotonic: true}
	for i := 1; i <= 5; i++ {
		for j := 1; j <= 3; j++ {
			labels := model.FromMap(map[string]string{"customer_id": customer(i), "endpoint": endpoints[i-1][j-1]})
			for k := range 10 {
				ts := base + int64(k)*5*60_000
				if err := app.Append("api_latency", latency, labels, ts, float64(100*i+10*j+k)); err != nil {
					t.Fatal(err)
				}
				if err := app.Append("http_requests_total", requests, labels, ts, float64(k*(i+j)*60)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for k := range 10 {
		labels := model.FromMap(map[string]string{"queue": "ingest"})
		if err := app.Append("queue_depth", model.MetricMeta{Type: model.TypeGauge}, labels, base+int64(k)*5*60_000, float64(k%4)); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// startLuminate runs a query server on loopback over a Badger store with the test data.
func startLuminate(t *testing.T) (string, *queryserver.Server) {
	t.Helper()
	st, err := badgerstore.Open(badgerstore.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	writeData(t, st, "acme")
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := queryserver.New(queryserver.Config{Store: st, Verifier: v, Version: "ui-test"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Listen(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		if err := <-done; err != nil && !errors.Is(err, queryserver.ErrServerClosed) {
			t.Error(err)
		}
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return "http://" + ln.Addr().String(), srv
}

// browser is one headless chromium tab, seen from one (sub)test, and what its console reported.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	console *console
}

// on is the same tab for a subtest, so that its failures stop that subtest.
func (b *browser) on(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}

type console struct {
	mu       sync.Mutex
	problems []string // exceptions, console.error calls, CSP violations
}

func startBrowser(t *testing.T, base string) *browser {
	t.Helper()
	// The flags that make chromium start here: root needs --no-sandbox, and the closed network
	// needs background networking, component updates, sync and QUIC off.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx, base: base, console: &console{}}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// The browser logs every non-2xx fetch as a network error; the UI shows those
			// itself, and the test asserts what it shows. Everything else is a bug.
			if m.Source == "network" {
				continue
			}
			if m.IsException() || m.Type == chromedp.ConsoleError || m.Source == "security" {
				b.console.mu.Lock()
				b.console.problems = append(b.console.problems, m.String())
				b.console.mu.Unlock()
			}
		}
	}()
	return b
}

// step runs actions with a deadline; a failure names the step.
func (b *browser) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\n%s", name, err, b.pageText())
	}
}

// pageText is the visible text of the page, for failure messages.
func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(page text unavailable: " + err.Error() + ")"
	}
	return "page text:\n" + s
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition.
func waitFor(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))
}

// choose sets a form control's value and fires the events a user's choice fires.
func choose(selector, value string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		if (!el) throw new Error("no element " + %q);
		el.value = %q;
		el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true}));
		if (el.value !== %q) throw new Error(%q + " has no option " + %q);
	})()`, selector, selector, value, value, selector, value)
	return run(js)
}

// run evaluates a script for its effect.
func run(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](js)(ctx, t)
		return err
	})
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("LUMINATE_UPDATE_SCREENSHOTS") != "1" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	// The whole page as laid out now (FullScreenshot's own measure can miss a section just
	// opened), at the emulated width.
	size := eval[[2]float64](b, `[document.documentElement.clientWidth, document.documentElement.scrollHeight]`)
	png, err := chromedp.Run(ctx, chromedp.Action[[]byte](func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			Clip:                  &page.Viewport{Width: size[0], Height: size[1], Scale: 1},
			CaptureBeyondViewport: ptr(true),
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "docs", "img")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, "ui-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("wrote %s", path)
}

// signIn pastes a token into the sign-in form and waits for the explorer.
func (b *browser) signIn(token string) {
	b.t.Helper()
	b.step("sign in", chromedp.SetValue(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("form.signin button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#metrics-table")))
}

// assertConsoleClean fails the test for every exception, console error or CSP violation.
func (b *browser) assertConsoleClean() {
	b.t.Helper()
	b.console.mu.Lock()
	defer b.console.mu.Unlock()
	for _, p := range b.console.problems {
		b.t.Errorf("browser console: %s", p)
	}
}

func ptr[T any](v T) *T { return &v }

type tableRow struct {
	Group string `json:"group"`
	Value string `json:"value"`
}

func (b *browser) resultRows() []tableRow {
	b.t.Helper()
	js := `JSON.stringify([...document.querySelectorAll("#results-table tbody tr")].map(tr =>
		({group: tr.dataset.group, value: tr.querySelector("td[data-value]").dataset.value})))`
	var rows []tableRow
	if err := json.Unmarshal([]byte(eval[string](b, js)), &rows); err != nil {
		b.t.Fatal(err)
	}
	return rows
}

// runQuery clicks Run and waits until the results of that run are shown.
func (b *browser) runQuery(name string) {
	b.t.Helper()
	b.step(name,
		run(`document.getElementById("query-results").replaceChildren()`),
		chromedp.Click(chromedp.CSS("#q-run")),
		waitFor(`document.querySelector("#results-table, #query-results [role=alert], #results-empty")`),
	)
}

func TestBrowserUI(t *testing.T) {
	base, _ := startLuminate(t)
	b := startBrowser(t, base)
	good, err := auth.Mint(secret, "acme", []string{"read"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := auth.Mint("some-other-secret-0123456789abcdefghij", "acme", []string{"read"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// / redirects to the UI, which asks for a token.
	b.step("open /", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#token")))
	if loc := eval[string](b, "location.pathname"); loc != "/ui/" {
		t.Errorf("/ led to %s, want /ui/", loc)
	}
	b.screenshot("signin")

	t.Run("sign-in errors are readable", func(t *testing.T) {
		b := b.on(t)
		b.step("paste garbage", chromedp.SetValue(chromedp.CSS("#token"), "not a token"), chromedp.Click(chromedp.CSS("form.signin button[type=submit]")),
			waitFor(`document.querySelector("#signin-result [role=alert]")`))
		if msg := eval[string](b, `document.querySelector("#signin-result").innerText`); !strings.Contains(msg, "not a JWT") {
			t.Errorf("garbage token: %q", msg)
		}
		b.step("paste a forged token", chromedp.SetValue(chromedp.CSS("#token"), forged), chromedp.Click(chromedp.CSS("form.signin button[type=submit]")),
			waitFor(`document.querySelector("#signin-result [data-code=INVALID_TOKEN]")`))
		if eval[bool](b, `sessionStorage.length > 0`) {
			t.Error("a refused token was kept in sessionStorage")
		}
	})

	// Sign in: the explorer lists the tenant's metrics; the header shows the token's claims.
	b.signIn(good)
	if got := eval[string](b, `document.getElementById("session-tenant").textContent`); got != "acme" {
		t.Errorf("tenant shown: %q", got)
	}
	if got := eval[string](b, `document.getElementById("session-scopes").textContent`); got != "read" {
		t.Errorf("scopes shown: %q", got)
	}
	if got := eval[string](b, `sessionStorage.getItem("luminate.token")`); got != good {
		t.Error("the token is not in sessionStorage")
	}
	if got := eval[string](b, `localStorage.length + document.cookie`); got != "0" {
		t.Errorf("the token leaked beyond sessionStorage: localStorage/cookies %q", got)
	}

	t.Run("explorer", func(t *testing.T) {
		b := b.on(t)
		rows := eval[string](b, `[...document.querySelectorAll("#metrics-table tbody tr")].map(tr => [...tr.cells].map(c => c.textContent).join("|")).join("\n")`)
		want := "api_latency|gauge|ms|15\nhttp_requests_total|counter|–|15\nqueue_depth|gauge|–|1"
		if rows != want {
			t.Errorf("metrics table:\n%s\nwant\n%s", rows, want)
		}
		b.step("open api_latency", chromedp.Click(chromedp.CSS(`#metrics-table a[href$="metric=api_latency"]`)),
			waitFor(`document.querySelectorAll("#metric-detail .dim").length === 2`))
		top := eval[string](b, `[...document.querySelectorAll("#metric-detail .dim")].map(d => d.querySelector("h3").firstChild.textContent + ": " + [...d.querySelectorAll(".chips a")].map(a => a.textContent).join(",")).join("\n")`)
		want = "customer_id: cust_1,cust_2,cust_3,cust_4,cust_5\nendpoint: /api/users,/api/orders,/api/export,/api/search"
		if top != want {
			t.Errorf("dimensions and top values:\n%s\nwant\n%s", top, want)
		}
		b.screenshot("explore")
	})

	t.Run("grouped p95 query", func(t *testing.T) {
		b := b.on(t)
		b.step("open the query builder", chromedp.Click(chromedp.CSS(`nav a[href="#/query"]`)),
			chromedp.WaitVisible(chromedp.CSS("#query-form")),
			waitFor(`document.querySelector('#q-metric option[value="api_latency"]')`),
			choose("#q-metric", "api_latency"),
			choose("#q-agg", "p95"),
			waitFor(`document.querySelector('#q-groupby input[value="customer_id"]')`),
			chromedp.Click(chromedp.CSS(`#q-groupby input[value="customer_id"]`)),
		)
		b.runQuery("run p95 by customer_id")
		if n := eval[string](b, `document.getElementById("chart")?.dataset.seriesCount ?? "no chart"`); n != "5" {
			t.Fatalf("chart series: %s, want 5\n%s", n, b.pageText())
		}
		// uPlot's own legend lists the x axis and each line.
		legend := eval[string](b, `[...document.querySelectorAll("#chart .u-legend .u-series:not(:first-child) .u-label")].map(l => l.textContent).join(",")`)
		if legend != "cust_5,cust_4,cust_3,cust_2,cust_1" {
			t.Errorf("chart legend: %q", legend)
		}
		if eval[int](b, `document.querySelectorAll("#chart canvas").length`) < 1 {
			t.Error("the chart has no canvas")
		}
		rows := b.resultRows()
		if len(rows) != 5 {
			t.Fatalf("table rows: %+v", rows)
		}
		for n, r := range rows {
			i := 5 - n // highest p95 first
			v, err := strconv.ParseFloat(r.Value, 64)
			if r.Group != customer(i) || err != nil || v != wantP95(i) {
				t.Errorf("row %d: %s = %s, want %s = %v", n, r.Group, r.Value, customer(i), wantP95(i))
			}
		}
		stats := eval[string](b, `document.getElementById("query-stats").textContent`)
		if !strings.Contains(stats, "150 points and 15 series scanned") || !strings.Contains(stats, "executed in") {
			t.Errorf("stats line: %q", stats)
		}
		req := eval[string](b, `document.getElementById("req-chart-json").textContent`)
		var body map[string]any
		if err := json.Unmarshal([]byte(req), &body); err != nil || body["aggregation"] != "p95" || body["metricName"] != "api_latency" {
			t.Errorf("request shown: %s (%v)", req, err)
		}
		curl := eval[string](b, `document.getElementById("req-chart-curl").textContent`)
		if !strings.Contains(curl, base+"/api/v1/query") || !strings.Contains(curl, `$TOKEN`) || strings.Contains(curl, good) {
			t.Errorf("curl command: %s", curl)
		}
		href := eval[string](b, "location.href")
		if !strings.Contains(href, "agg=p95") || !strings.Contains(href, "by=customer_id") || strings.Contains(href, good) {
			t.Errorf("URL does not hold the view (or holds the token): %s", href)
		}
		b.step("open the request panel", run(`document.getElementById("request-panel").open = true`))
		b.screenshot("query")

		// The same URL in a reloaded tab shows the same answer: the state is the URL.
		b.step("reload", chromedp.Reload(), waitFor(`document.querySelectorAll("#results-table tbody tr").length === 5`))
		if rows2 := b.resultRows(); fmt.Sprint(rows2) != fmt.Sprint(rows) {
			t.Errorf("after reload: %+v, want %+v", rows2, rows)
		}
	})

	t.Run("top N folds or hides the rest", func(t *testing.T) {
		b := b.on(t)
		b.step("3 lines", chromedp.SetValue(chromedp.CSS("#q-top"), "3"))
		b.runQuery("p95, 3 lines")
		if n := eval[string](b, `document.getElementById("chart").dataset.seriesCount`); n != "3" {
			t.Errorf("p95 with 3 lines: %s series", n)
		}
		if note := eval[string](b, `document.getElementById("fold-note")?.textContent ?? ""`); !strings.Contains(note, "top 3 of 5") || !strings.Contains(note, "2 more are not drawn") {
			t.Errorf("fold note: %q", note)
		}
		b.step("sum", choose("#q-agg", "sum"))
		b.runQuery("sum, 3 lines")
		legend := eval[string](b, `[...document.querySelectorAll("#chart .u-legend .u-series:not(:first-child) .u-label")].map(l => l.textContent).join(",")`)
		if legend != "cust_5,cust_4,cust_3,other (2 groups)" {
			t.Errorf("sum with 3 lines, legend: %q", legend)
		}
	})

	t.Run("rate of a counter", func(t *testing.T) {
		b := b.on(t)
		b.step("rate of http_requests_total", choose("#q-metric", "http_requests_total"), choose("#q-agg", "rate"),
			waitFor(`document.querySelector('#q-groupby input[value="customer_id"]')`),
			chromedp.Click(chromedp.CSS(`#q-groupby input[value="customer_id"]`)))
		b.runQuery("rate by customer_id")
		// Each series rises by (i+j)*60 every 5 minutes, 9 times in the hour: its rate over the
		// whole range is 9*(i+j)*60/3600 = 0.15*(i+j); customer i's 3 series add up to 0.45i+0.9.
		rows := b.resultRows()
		if len(rows) != 5 {
			t.Fatalf("rate rows: %+v", rows)
		}
		for n, r := range rows {
			i := 5 - n
			v, err := strconv.ParseFloat(r.Value, 64)
			if r.Group != customer(i) || err != nil || math.Abs(v-(0.45*float64(i)+0.9)) > 1e-9 {
				t.Errorf("row %d: %s = %s, want %s = %v", n, r.Group, r.Value, customer(i), 0.45*float64(i)+0.9)
			}
		}
		legend := eval[string](b, `[...document.querySelectorAll("#chart .u-legend .u-series:not(:first-child) .u-label")].map(l => l.textContent).join(",")`)
		if legend != "cust_5,cust_4,cust_3,other (2 groups)" {
			t.Errorf("rate with 3 lines, legend: %q", legend)
		}
		b.step("back to api_latency", choose("#q-metric", "api_latency"),
			waitFor(`document.querySelector('#q-groupby input[value="customer_id"]')`),
			chromedp.Click(chromedp.CSS(`#q-groupby input[value="customer_id"]`)))
	})

	t.Run("API errors are shown", func(t *testing.T) {
		b := b.on(t)
		b.step("bad regex filter", choose("#q-agg", "p95"),
			chromedp.Click(chromedp.CSS("#q-add-filter")),
			chromedp.SetValue(chromedp.CSS("#q-filters .filter-row:last-child .f-key"), "endpoint"),
			choose("#q-filters .filter-row:last-child .f-op", "regex"),
			chromedp.SetValue(chromedp.CSS("#q-filters .filter-row:last-child .f-value"), "(unclosed"),
		)
		b.runQuery("query with a bad regex")
		msg := eval[string](b, `document.querySelector("#query-results [role=alert]")?.innerText ?? ""`)
		if !strings.Contains(msg, "INVALID_QUERY") || !strings.Contains(msg, "HTTP 400") {
			t.Errorf("error shown: %q", msg)
		}
		b.step("fix the regex", chromedp.SetValue(chromedp.CSS("#q-filters .filter-row:last-child .f-value"), "/api/(users|orders)"))
		b.runQuery("query with a regex filter")
		// cust_1..4 keep /api/users and /api/orders (j = 1, 2): 20 values, p95 = index 18 =
		// 100i+28; cust_5 keeps /api/users only: 10 values, p95 = index 9 = 519.
		got := fmt.Sprint(b.resultRows())
		if want := "[{cust_5 519} {cust_4 428} {cust_3 328} {cust_2 228} {cust_1 128}]"; got != want {
			t.Errorf("p95 with endpoint =~ /api/(users|orders): %s, want %s", got, want)
		}
	})

	t.Run("phone width", func(t *testing.T) {
		b := b.on(t)
		b.step("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait),
			waitFor(`document.querySelector("#chart .uplot") && document.querySelector("#chart .uplot").getBoundingClientRect().width <= 390`))
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
			t.Errorf("the page is %dpx wide at a 390px viewport", w)
		}
		b.screenshot("query-phone")
		b.step("laptop viewport", chromedp.EmulateViewport(1280, 800))
	})

	t.Run("cardinality", func(t *testing.T) {
		b := b.on(t)
		b.step("open cardinality", chromedp.Click(chromedp.CSS(`nav a[href="#/cardinality"]`)),
			chromedp.WaitVisible(chromedp.CSS("#c-metric")),
			waitFor(`document.querySelector('#c-metric option[value="api_latency"]')`),
			choose("#c-metric", "api_latency"),
			run(`document.getElementById("cardinality-result").replaceChildren()`),
			chromedp.Click(chromedp.CSS(`form[aria-label=Cardinality] button[type=submit]`)),
			waitFor(`location.hash.includes("metric=api_latency") && document.querySelector("#cardinality-result [data-state]")`))
		if state := eval[string](b, `document.querySelector("#cardinality-result [data-state]").dataset.state`); state != "loaded" {
			t.Fatalf("cardinality state %q, want loaded (GET /api/v1/cardinality answers)\n%s", state, b.pageText())
		}
		top := eval[string](b, `(() => { const c = document.querySelector('#cardinality-result .dim-card[data-key="endpoint"] tr.top-value');
			return c ? c.cells[0].textContent + "=" + c.cells[1].textContent : "none"; })()`)
		if top != "/api/users=5" {
			t.Errorf("top value of endpoint: %q, want /api/users=5\n%s", top, b.pageText())
		}
		b.screenshot("cardinality")
	})

	t.Run("limits", func(t *testing.T) {
		b := b.on(t)
		b.step("open limits", chromedp.Click(chromedp.CSS(`nav a[href="#/limits"]`)),
			waitFor(`document.querySelector("#limits-result [data-state], #limits-result [role=alert]")`))
		if state := eval[string](b, `document.querySelector("#limits-result [data-state]")?.dataset.state ?? "error"`); state != "loaded" {
			t.Fatalf("limits state %q, want loaded (GET /api/v1/limits answers)\n%s", state, b.pageText())
		}
		if eval[int](b, `document.querySelectorAll("#limits-table tbody tr").length`) == 0 {
			t.Errorf("limits answered but nothing is shown:\n%s", b.pageText())
		}
		b.screenshot("limits")
	})

	t.Run("sign out", func(t *testing.T) {
		b := b.on(t)
		b.step("sign out", chromedp.Click(chromedp.CSS("#sign-out")), chromedp.WaitVisible(chromedp.CSS("#token")))
		if eval[int](b, `sessionStorage.length`) != 0 {
			t.Error("sign out left the token in sessionStorage")
		}
	})

	b.assertConsoleClean()
}
