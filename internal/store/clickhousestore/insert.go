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

// insertBatch sends a sealed batch: its series rows, then its samples, retrying with backoff
// while the failure looks temporary (server down, too many parts) for at most RetryTimeout. A
// retried INSERT may duplicate rows the server took before the connection broke; reads keep one
// row per (series, timestamp), so a retry never shows twice.
func (s *Store) insertBatch(fb *flushBatch) error {
	start := time.Now()
	backoff := 50 * time.Millisecond
	seriesDone := fb.series.len() == 0
	for attempt := 1; ; attempt++ {
		var err error
		if !seriesDone {
			if err = s.send(s.t.series, seriesColumns, fb.series.columns()); err == nil {
				seriesDone = true
			}
		}
		if err == nil {
			if err = s.send(s.t.samples, sampleColumns, fb.samples.columns()); err == nil {
				return nil
			}
		}
		elapsed := time.Since(start)
		if !retryable(err) || elapsed+backoff > s.o.RetryTimeout {
			return fmt.Errorf("clickhouse: INSERT of %d points and %d new series from %d commits failed after %d attempts in %s (retried for up to %s: storage.clickhouse.retry_timeout): %w",
				fb.samples.len(), fb.series.len(), fb.commits, attempt, elapsed.Round(time.Millisecond), s.o.RetryTimeout, err)
		}
		s.o.Logger.Warn("clickhouse insert failed, retrying", zap.Int("points", fb.samples.len()), zap.Int("attempt", attempt), zap.Duration("backoff", backoff), zap.Error(err))
		time.Sleep(backoff)
		backoff = min(2*backoff, time.Second)
	}
}

// send runs one INSERT with columnar data.
func (s *Store) send(table, columns string, cols []any) error {
	ctx, cancel := context.WithTimeout(context.Background(), insertTimeout)
	defer cancel()
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return err
	}
	for i, col := range cols {
		if err := b.Column(i).Append(col); err != nil {
			_ = b.Abort()
			return fmt.Errorf("column %d of %s: %w", i, table, err)
		}
	}
	return b.Send()
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
