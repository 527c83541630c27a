package clickhousestore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// commitBatch is what one Commit hands over: its new series rows, sample rows, histogram rows,
// and the rewrites among its samples.
type commitBatch struct {
	series   seriesRows
	samples  sampleRows
	rewrites rewriteRows
	hists    histRows
}

// batchPool recycles the column slices of commit and flush batches: at hundreds of thousands of
// points per second, growing them anew for every batch was a third of the garbage.
var batchPool = sync.Pool{New: func() any { return new(commitBatch) }}

func getBatch() *commitBatch { return batchPool.Get().(*commitBatch) }

// putBatch returns b to the pool. Only the large value and series columns are kept; rewrites and
// histograms are rare and small.
func putBatch(b *commitBatch) {
	b.samples.reset()
	b.series.reset()
	b.rewrites, b.hists = rewriteRows{}, histRows{}
	batchPool.Put(b)
}

// points is what a batch counts against BatchSize and MaxBufferedPoints.
func (b *commitBatch) points() int { return b.samples.len() + b.hists.len() }

// committer is the shared group-commit buffer. Commits append their rows to the open batch;
// the batch is sealed when it holds BatchSize points or FlushInterval after its first point, and
// one of Inserters goroutines sends it as one INSERT per table (series rows first, so a series
// is always known before its samples). A Commit returns when the INSERT holding its points
// succeeded or finally failed, so an acknowledged point is on the server. The buffer holds at
// most MaxBufferedPoints points, counting batches in flight: a full buffer makes Commit wait,
// which slows the receivers down instead of growing memory.
type committer struct {
	s *Store

	mu       sync.Mutex
	work     *sync.Cond
	open     *flushBatch
	queue    []*flushBatch
	buffered int
	space    chan struct{} // closed (and replaced) whenever buffered shrinks
	closed   bool
	lastVer  uint64
	wg       sync.WaitGroup
}

type flushBatch struct {
	*commitBatch
	commits int
	waiters []chan error
	quiet   *time.Timer
}

func newCommitter(s *Store) *committer {
	c := &committer{s: s, space: make(chan struct{})}
	c.work = sync.NewCond(&c.mu)
	for range s.o.Inserters {
		c.wg.Add(1)
		go c.run()
	}
	return c
}

var errClosed = errors.New("clickhouse: store is closed")

// commit adds b to the buffer and waits until it is stored.
func (c *committer) commit(ctx context.Context, epoch *seriesCache, b *commitBatch) error {
	n := b.points()
	c.mu.Lock()
	for c.buffered > 0 && c.buffered+n > c.s.o.MaxBufferedPoints && !c.closed {
		space := c.space
		c.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return fmt.Errorf("clickhouse: write buffer full (%d points waiting, limit %d: storage.clickhouse.max_buffered_points) and the request ended first: %w",
				c.bufferedNow(), c.s.o.MaxBufferedPoints, ctx.Err())
		}
		c.mu.Lock()
	}
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	done := make(chan error, 1)
	c.append(b, epoch.writer, done)
	c.mu.Unlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("clickhouse: commit of %d points not acknowledged before the request ended (they may still be stored): %w", n, ctx.Err())
	}
}

func (c *committer) bufferedNow() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buffered
}

// append adds a commit's rows to the open batch under c.mu. The commit's version orders it after
// every commit appended before it (last write wins on reads); it is a hybrid clock, Unix
// nanoseconds made strictly increasing, so processes without shared state agree closely.
func (c *committer) append(b *commitBatch, writer uint64, done chan error) {
	ver := uint64(c.s.now().UnixNano())
	if ver <= c.lastVer {
		ver = c.lastVer + 1
	}
	c.lastVer = ver
	fb := c.open
	if fb == nil {
		fb = &flushBatch{commitBatch: getBatch()}
		c.open = fb
		time.AfterFunc(c.s.o.FlushInterval, func() {
			c.mu.Lock()
			if c.open == fb {
				c.sealLocked()
			}
			c.mu.Unlock()
		})
	}
	fb.series.appendFrom(&b.series)
	fb.samples.appendFrom(&b.samples, ver, writer)
	fb.rewrites.appendFrom(&b.rewrites)
	fb.hists.appendFrom(&b.hists, ver)
	fb.commits++
	fb.waiters = append(fb.waiters, done)
	c.buffered += b.points()
	switch {
	case fb.points() >= c.s.o.BatchSize:
		c.sealLocked()
	case fb.points() >= c.s.o.BatchSize/10:
		// Writers that wait for their own commit (the receivers, a benchmark's appenders) send
		// nothing more until this batch is stored: when no commit has joined for quietDelay, the
		// batch is as large as it will get, so send it now instead of at FlushInterval. Batches
		// under a tenth of BatchSize still wait, so a trickle of small commits never turns into
		// many small INSERTs (and many parts).
		if fb.quiet == nil {
			fb.quiet = time.AfterFunc(quietDelay, func() {
				c.mu.Lock()
				if c.open == fb {
					c.sealLocked()
				}
				c.mu.Unlock()
			})
		} else {
			fb.quiet.Reset(quietDelay)
		}
	}
}

// quietDelay is how long a large-enough open batch waits for another commit to join.
const quietDelay = 10 * time.Millisecond

func (c *committer) sealLocked() {
	if c.open == nil {
		return
	}
	c.queue = append(c.queue, c.open)
	c.open = nil
	c.work.Signal()
}

func (c *committer) run() {
	defer c.wg.Done()
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.work.Wait()
		}
		if len(c.queue) == 0 {
			c.mu.Unlock()
			return
		}
		fb := c.queue[0]
		c.queue = c.queue[1:]
		c.mu.Unlock()

		err := c.s.insertBatch(fb)

		c.mu.Lock()
		c.buffered -= fb.points()
		putBatch(fb.commitBatch)
		fb.commitBatch = nil
		close(c.space)
		c.space = make(chan struct{})
		c.mu.Unlock()
		for _, w := range fb.waiters {
			w <- err
		}
	}
}

// close stops taking commits, sends what is buffered and waits for the inserters.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.sealLocked()
	c.work.Broadcast()
	close(c.space)
	c.space = make(chan struct{})
	c.mu.Unlock()
	c.wg.Wait()
}
