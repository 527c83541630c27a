package clickhousestore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"go.uber.org/zap"
)

// insertTimeout bounds one INSERT attempt; RetryTimeout bounds all attempts of a batch.
const insertTimeout = 60 * time.Second

// insertBatch sends a sealed batch: its series rows, its rewrites, its samples, its histograms
// (in that order: a series row and a rewrite are stored before the samples they describe),
// retrying with backoff while the failure looks temporary (server down, too many parts) for at
// most RetryTimeout.
//
// A samples INSERT that failed after its data went out may have been stored anyway: sending it
// again would store its points twice with the same version. So before the second attempt every
// point of the batch is recorded as a rewrite, and queries de-duplicate those series (scan.go).
// Histogram rows need no such record: their reads de-duplicate every series (histquery.go).
func (s *Store) insertBatch(fb *flushBatch) error {
	start := time.Now()
	backoff := 50 * time.Millisecond
	seriesDone, rewritesDone := fb.series.len() == 0, fb.rewrites.len() == 0
	samplesDone, histsDone := fb.samples.len() == 0, fb.hists.len() == 0
	marked := false
	fb.series.sortByKey()
	fb.samples.sortByKey()
	for attempt := 1; ; attempt++ {
		var err error
		if !seriesDone {
			if _, err = s.send(s.t.series, seriesColumns, fb.series.columns()); err == nil {
				seriesDone = true
			}
		}
		if err == nil && !rewritesDone {
			if _, err = s.send(s.t.rewrites, rewriteColumns, fb.rewrites.columns()); err == nil {
				rewritesDone = true
			}
		}
		if err == nil && !samplesDone {
			cols, data := fb.samples.columns()
			var sent bool
			if sent, err = s.send(s.t.samples, cols, data); err == nil {
				samplesDone = true
			} else if sent && !marked {
				fb.rewrites = rewriteRows{}
				for i, sid := range fb.samples.sid {
					fb.rewrites.add(fb.samples.tenant[i], fb.samples.metric[i], sid, fb.samples.tsMs[i])
				}
				rewritesDone, marked = false, true
			}
		}
		if err == nil && !histsDone {
			if _, err = s.send(s.t.histograms, histColumns, fb.hists.columns()); err == nil {
				histsDone = true
			}
		}
		if err == nil {
			return nil
		}
		elapsed := time.Since(start)
		if !retryable(err) || elapsed+backoff > s.o.RetryTimeout {
			return fmt.Errorf("clickhouse: INSERT of %d points and %d new series from %d commits failed after %d attempts in %s (retried for up to %s: storage.clickhouse.retry_timeout): %w",
				fb.points(), fb.series.len(), fb.commits, attempt, elapsed.Round(time.Millisecond), s.o.RetryTimeout, err)
		}
		s.o.Logger.Warn("clickhouse insert failed, retrying", zap.Int("points", fb.points()), zap.Int("attempt", attempt), zap.Duration("backoff", backoff), zap.Error(err))
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
}

// send runs one INSERT with columnar data. sent reports whether the data may have reached the
// server (the statement was accepted before the failure).
func (s *Store) send(table, columns string, cols []any) (sent bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), insertTimeout)
	defer cancel()
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return false, err
	}
	for i, col := range cols {
		c := b.Column(i)
		if rows, ok := col.(rowAppender); ok {
			err = rows.appendTo(c)
		} else {
			err = c.Append(col)
		}
		if err != nil {
			_ = b.Abort()
			return false, fmt.Errorf("column %d of %s: %w", i, table, err)
		}
	}
	return true, b.Send()
}

// retryable tells temporary failures from ones a retry cannot fix (a wrong schema, bad data).
// Network errors are temporary; server exceptions only for the codes below.
func retryable(err error) bool {
	var ex *proto.Exception
	if !errors.As(err, &ex) {
		return true
	}
	switch ex.Code {
	case 159, // TIMEOUT_EXCEEDED
		164, // READONLY
		202, // TOO_MANY_SIMULTANEOUS_QUERIES
		209, // SOCKET_TIMEOUT
		210, // NETWORK_ERROR
		241, // MEMORY_LIMIT_EXCEEDED
		242, // TABLE_IS_READ_ONLY
		252, // TOO_MANY_PARTS
		279, // ALL_CONNECTION_TRIES_FAILED (Distributed insert to a shard)
		319: // UNKNOWN_STATUS_OF_INSERT
		return true
	}
	return false
}
