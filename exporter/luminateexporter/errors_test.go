package luminateexporter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
)

// faultStore wraps a real store and injects faults: Append refuses points carrying a given
// label value (as a cardinality limit or another store error would), and Commit fails while
// failCommits is positive. Everything else is the real engine.
type faultStore struct {
	store.Store
	refuse      map[string]error // label value -> Append error
	failCommits atomic.Int32
}

func (f *faultStore) Appender(tenant string) store.Appender {
	return &faultAppender{Appender: f.Store.Appender(tenant), f: f}
}

type faultAppender struct {
	store.Appender
	f *faultStore
}

func (a *faultAppender) Append(name string, meta model.MetricMeta, ls model.Labels, t int64, v float64) error {
	for _, l := range ls {
		if err, ok := a.f.refuse[l.Value]; ok {
			return err
		}
	}
	return a.Appender.Append(name, meta, ls, t, v)
}

func (a *faultAppender) Commit(ctx context.Context) error {
	if a.f.failCommits.Add(-1) >= 0 {
		a.Appender.Rollback()
		return errors.New("disk unavailable")
	}
	return a.Appender.Commit(ctx)
}

var errCardinality = apierror.New(apierror.CardinalityExceeded,
	"per-metric series limit of 2 exceeded (err-luminate-max-series-per-metric); raise limits.max_series_per_metric")

// TestAppendRefusals: points the store refuses come back, after the others are committed, as a
// permanent error wrapping a *store.RejectedError that identifies each point by metric, sorted
// labels and timestamp, with the store's code (INVALID_REQUEST for a plain error).
func TestAppendRefusals(t *testing.T) {
	fs := &faultStore{Store: openBadger(t), refuse: map[string]error{
		"cust_new": errCardinality,
		"broken":   errors.New("series record too large"),
	}}
	e := startEnv(t, fs, nil)
	md, _, ms := newMetrics("acme")
	dps := gauge(ms, "api_latency")
	point(dps, 0, 10, "endpoint", "/a", "customer_id", "cust_old")
	point(dps, 1, 20, "endpoint", "/a", "customer_id", "cust_new")
	point(dps, 2, 30, "customer_id", "broken")
	dp := point(dps, 3, 40, "customer_id", "cust_new")
	// 503 is formatted into the per-point arena, which the next point's 200 reuses: the
	// rejection must have cloned it.
	dp.Attributes().PutInt("http.response.status_code", 503)
	point(dps, 4, 50, "customer_id", "cust_old").Attributes().PutInt("http.response.status_code", 200)

	rej := rejectedError(t, e.consume(t, md))
	want := []store.Rejection{
		{Metric: "api_latency", Labels: model.Labels{{Name: "customer_id", Value: "cust_new"}, {Name: "endpoint", Value: "/a"}},
			T: base + 1000, Code: apierror.CardinalityExceeded, Message: errCardinality.Message},
		{Metric: "api_latency", Labels: model.Labels{{Name: "customer_id", Value: "broken"}},
			T: base + 2000, Code: apierror.InvalidRequest, Message: "series record too large"},
		{Metric: "api_latency", Labels: model.Labels{{Name: "customer_id", Value: "cust_new"}, {Name: "http.response.status_code", Value: "503"}},
			T: base + 3000, Code: apierror.CardinalityExceeded, Message: errCardinality.Message},
	}
	if len(rej.Rejections) != len(want) {
		t.Fatalf("rejections %+v", rej.Rejections)
	}
	for i, w := range want {
		r := rej.Rejections[i]
		if r.Metric != w.Metric || r.T != w.T || r.Code != w.Code || r.Message != w.Message || labelsString(r.Labels) != labelsString(w.Labels) {
			t.Errorf("rejection %d:\n got %+v\nwant %+v", i, r, w)
		}
	}
	if !strings.HasPrefix(rej.Error(), "3 points rejected") {
		t.Errorf("message %q", rej.Error())
	}
	pts := rawPoints(t, fs, "acme", "api_latency")
	if len(pts) != 2 || pts[0].V != 10 || pts[1].V != 50 {
		t.Fatalf("stored %+v, want the two accepted points", pts)
	}
	e.wantCounts(t, 2, map[string]int64{"cardinality": 2, "rejected": 1})
}

// TestCommitFailureIsRetryable: a failed commit is a plain error (exporterhelper retries it),
// and nothing is counted as dropped: the retry will see the same points.
func TestCommitFailureIsRetryable(t *testing.T) {
	fs := &faultStore{Store: openBadger(t)}
	fs.failCommits.Store(1)
	e := startEnv(t, fs, nil)
	md, _, ms := newMetrics("acme")
	point(gauge(ms, "m"), 0, 1)
	err := e.consume(t, md)
	if err == nil || consumererror.IsPermanent(err) {
		t.Fatalf("want a retryable error, got %v", err)
	}
	if want := `luminate exporter: commit of 1 points for tenant "acme": disk unavailable`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	e.wantCounts(t, 0, nil)
	// The next attempt succeeds.
	e.mustConsume(t, md)
	e.wantCounts(t, 1, nil)
}

// TestRetryAfterCommitFailure runs exporterhelper's retry: the first commit fails, the retry
// stores the valid point, the invalid one is refused permanently and counted once.
func TestRetryAfterCommitFailure(t *testing.T) {
	fs := &faultStore{Store: openBadger(t)}
	fs.failCommits.Store(1)
	e := startEnv(t, fs, func(c *Config) {
		c.BackOffConfig.Enabled = true
		c.BackOffConfig.InitialInterval = 10 * time.Millisecond
		c.BackOffConfig.MaxInterval = 10 * time.Millisecond
		c.BackOffConfig.MaxElapsedTime = 10 * time.Second
	})
	md, _, ms := newMetrics("acme")
	dps := gauge(ms, "m")
	point(dps, 0, 1)
	point(dps, 1, math.Inf(-1))
	rej := rejectedError(t, e.consume(t, md))
	if len(rej.Rejections) != 1 {
		t.Fatalf("rejections %+v", rej.Rejections)
	}
	if n := len(rawPoints(t, fs, "acme", "m")); n != 1 {
		t.Fatalf("%d points stored, want 1", n)
	}
	e.wantCounts(t, 1, map[string]int64{"invalid": 1})
}

// TestCanceledContextIsRetryable: a push whose context is gone commits nothing and returns a
// retryable error.
func TestCanceledContextIsRetryable(t *testing.T) {
	e := startEnv(t, openBadger(t), nil)
	md, _, ms := newMetrics("acme")
	point(gauge(ms, "m"), 0, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := e.exp.ConsumeMetrics(ctx, md)
	if err == nil || consumererror.IsPermanent(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want a retryable context.Canceled, got %v", err)
	}
	if n := len(rawPoints(t, e.st, "acme", "m")); n != 0 {
		t.Fatalf("%d points stored after cancel", n)
	}
	e.wantCounts(t, 0, nil)
}

// TestConcurrentPushes: exporterhelper's queue calls push from several consumers at once; the
// converter pool, the warned-names set and the counters must hold up (run with -race).
func TestConcurrentPushes(t *testing.T) {
	e := startEnv(t, openBadger(t), nil)
	const workers, pushes = 4, 25
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			var err error
			for p := range pushes {
				md, _, ms := newMetrics(fmt.Sprintf("tenant%d", w%2))
				dps := gauge(ms, "m")
				for i := range 10 {
					dp := point(dps, int64(p), float64(i), "worker", fmt.Sprint(w), "i", fmt.Sprint(i))
					dp.Attributes().PutInt("push", int64(p))
				}
				h := ms.AppendEmpty()
				h.SetName(fmt.Sprintf("hist.%d", p%3))
				h.SetEmptyHistogram().DataPoints().AppendEmpty().SetTimestamp(ts(0))
				if err = e.exp.ConsumeMetrics(context.Background(), md); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, tenant := range []string{"tenant0", "tenant1"} {
		total += len(rawPoints(t, e.st, tenant, "m"))
	}
	if total != workers*pushes*10 {
		t.Fatalf("%d points stored, want %d", total, workers*pushes*10)
	}
	// the gauges and one (empty) histogram point per push
	e.wantCounts(t, workers*pushes*11, nil)
}
