package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// maxErrorSamples bounds the error messages kept: when a server refuses everything, a thousand
// identical lines help nobody; the count says how many there were.
const maxErrorSamples = 10

// loadStats is what the load phase measured.
type loadStats struct {
	Points       int64           // acknowledged by the server
	Requests     int             // sent
	Errors       int             // requests not fully acknowledged
	ErrorSamples []string        // the first maxErrorSamples of them
	Elapsed      time.Duration   // first request sent to last answer received
	Latencies    []time.Duration // one per request, sorted
}

// runLoad sends the jobs in order through `clients` concurrent senders and reports progress to
// w every `every`. Jobs are handed out in scrape order, so at any moment the writers work on the
// same round or two adjacent ones, as scrapers would.
func runLoad(ctx context.Context, jobs []job, clients int, newSender func() sender, w io.Writer, every time.Duration) loadStats {
	var (
		acked atomic.Int64
		mu    sync.Mutex
		st    loadStats
		wg    sync.WaitGroup
	)
	next := make(chan job)
	lat := make([][]time.Duration, clients)
	start := time.Now()
	stop := startProgress(&acked, start, w, every)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSender()
			for j := range next {
				t0 := time.Now()
				err := s.send(ctx, j)
				lat[c] = append(lat[c], time.Since(t0))
				if err == nil {
					acked.Add(int64(j.points()))
					continue
				}
				mu.Lock()
				st.Errors++
				if len(st.ErrorSamples) < maxErrorSamples {
					st.ErrorSamples = append(st.ErrorSamples, fmt.Sprintf("round %d, series %d-%d: %v", j.round, j.from, j.to-1, err))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, j := range jobs {
		select {
		case next <- j:
			st.Requests++
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	st.Elapsed = time.Since(start)
	stop()
	st.Points = acked.Load()
	for _, l := range lat {
		st.Latencies = append(st.Latencies, l...)
	}
	sortDurations(st.Latencies)
	return st
}

// startProgress prints the points acknowledged so far and the current rate every `every`; the
// returned function stops it.
func startProgress(acked *atomic.Int64, start time.Time, w io.Writer, every time.Duration) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		last, lastT := int64(0), start
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				n := acked.Load()
				fmt.Fprintf(w, "load: %s points acknowledged in %.1f s, %s points/s now, %s points/s average\n",
					thousands(n), now.Sub(start).Seconds(), thousands(rate(n-last, now.Sub(lastT))), thousands(rate(n, now.Sub(start))))
				last, lastT = n, now
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func rate(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(float64(n) / d.Seconds())
}
