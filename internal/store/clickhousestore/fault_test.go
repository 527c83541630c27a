package clickhousestore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/luminate-metrics/luminate/internal/model"
	"github.com/luminate-metrics/luminate/internal/store"
	"github.com/luminate-metrics/luminate/internal/store/clickhousestore/chtest"
)

// TestServerDownMidIngest kills the server while four writers commit, starts it again, and
// checks that every point is stored exactly once: commits during the outage fail (after bounded
// retries) instead of being dropped, the writers retry them as a client would, and INSERTs the
// server took just before dying are not counted twice.
func TestServerDownMidIngest(t *testing.T) {
	srv := chtest.StartOwn(t)
	o := testOptions(t, srv.Addr)
	o.FlushInterval, o.RetryTimeout = 20*time.Millisecond, 500*time.Millisecond
	s := openStore(t, o)
	defer s.Close()
	base := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).UnixMilli()
	const writers, rounds, seriesPer = 4, 60, 50
	var failed atomic.Int64
	var wg sync.WaitGroup
	progress := make(chan int, writers*rounds)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				for {
					a := s.Appender("t1")
					for i := range seriesPer {
						ls := model.Labels{{Name: "s", Value: fmt.Sprint(i)}, {Name: "w", Value: fmt.Sprint(w)}}
						if err := a.Append("m", model.MetricMeta{}, ls, base+int64(r)*1000, float64(r*1000+i)); err != nil {
							t.Error(err)
							return
						}
					}
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					err := a.Commit(ctx)
					cancel()
					if err == nil {
						break
					}
					failed.Add(1)
					time.Sleep(50 * time.Millisecond)
				}
				progress <- r
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	// kill the server once the writers are a quarter through, keep it down for 2 s
	for r := range progress {
		if r >= rounds/4 {
			break
		}
	}
	srv.Stop()
	t.Log("server killed")
	time.Sleep(2 * time.Second)
	srv.Restart(t)
	t.Log("server restarted")
	go func() {
		for range progress {
		}
	}()
	wg.Wait()
	close(progress)
	if failed.Load() == 0 {
		t.Fatal("no commit failed while the server was down: the outage was not observed")
	}
	t.Logf("%d commits failed during the outage and were retried", failed.Load())

	q := &store.Query{Tenant: "t1", Metric: "m", Kind: store.KindAggregate, Agg: store.Aggregation{Func: store.AggSum},
		GroupBy: []string{"w"}, Start: base, End: base + rounds*1000, Limit: 100}
	res, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	wantSum := 0.0
	for r := range rounds {
		for i := range seriesPer {
			wantSum += float64(r*1000 + i)
		}
	}
	if len(res.Groups) != writers {
		t.Fatalf("%d writer groups, want %d", len(res.Groups), writers)
	}
	for _, g := range res.Groups {
		if g.Count != rounds*seriesPer || g.Value != wantSum {
			t.Errorf("writer %s: %d points summing to %v, want %d summing to %v", g.Key[0], g.Count, g.Value, rounds*seriesPer, wantSum)
		}
	}
	if res.PointsScanned != writers*rounds*seriesPer {
		t.Errorf("points scanned %d, want %d (duplicates counted?)", res.PointsScanned, writers*rounds*seriesPer)
	}
}

// TestBackpressure stops the server and checks that a full buffer makes Commit wait and then
// fail with an error naming the limit, rather than buffering without bound.
func TestBackpressure(t *testing.T) {
	srv := chtest.StartOwn(t)
	o := testOptions(t, srv.Addr)
	o.BatchSize, o.MaxBufferedPoints, o.RetryTimeout = 100, 100, 3*time.Second
	s := openStore(t, o)
	defer s.Close()
	write := func(ctx context.Context, n int, t0 int64) error {
		a := s.Appender("t1")
		for i := range n {
			if err := a.Append("m", model.MetricMeta{}, model.Labels{{Name: "s", Value: fmt.Sprint(i)}}, 1_800_000_000_000+t0, 1); err != nil {
				return err
			}
		}
		return a.Commit(ctx)
	}
	if err := write(context.Background(), 100, 0); err != nil { // series known, metric resolved
		t.Fatal(err)
	}
	srv.Stop()
	first := make(chan error, 1)
	go func() { first <- write(context.Background(), 100, 1000) }() // fills the buffer, retries
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := write(ctx, 50, 2000)
	if err == nil || !strings.Contains(err.Error(), "max_buffered_points") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("commit into a full buffer: %v, want a deadline error naming max_buffered_points", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("commit into a full buffer returned after %v, want about 300 ms", d)
	}
	if err := <-first; err == nil || !strings.Contains(err.Error(), "retry_timeout") {
		t.Errorf("commit while the server is down: %v, want an error after bounded retries naming retry_timeout", err)
	}
}
