package clickhousestore

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Deletion notices. A process that deletes a metric records (tenant, metric, deleted_ms) in the
// deletions table; every process reads the rows newer than the last it saw every
// DeletionPollInterval and forgets those metrics (forget.go). Until it does, its writes of such
// a metric may go out without the metric's metadata and series rows (docs/storage-clickhouse.md,
// "Retention and deletes").

// deletionSkew is how far back each poll reads before the newest deletion seen: rows stamped by
// another process's clock up to this much behind still arrive. Rows already seen are skipped.
const deletionSkew = 5 * time.Minute

type deletionKey struct {
	tenantMetric
	ms int64
}

// notices is the poll's position: the newest deletion seen and every row seen since
// newest - deletionSkew.
type notices struct {
	newest int64
	seen   map[deletionKey]bool
}

// recordDeletions inserts the rows telling other processes; this process has forgotten them.
func (s *Store) recordDeletions(ctx context.Context, ks []tenantMetric, ms int64) error {
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.t.deletions+" (tenant, metric, deleted_ms)")
	if err != nil {
		return fmt.Errorf("clickhouse: record %d metric deletions: %w", len(ks), err)
	}
	for _, k := range ks {
		if err := b.Append(k.tenant, k.metric, ms); err != nil {
			_ = b.Abort()
			return fmt.Errorf("clickhouse: record %d metric deletions: %w", len(ks), err)
		}
	}
	s.noteMu.Lock()
	for _, k := range ks {
		s.notes.seen[deletionKey{k, ms}] = true
	}
	s.noteMu.Unlock()
	if err := b.Send(); err != nil {
		return fmt.Errorf("clickhouse: record %d metric deletions (other processes will not forget them before they restart): %w", len(ks), err)
	}
	return nil
}

// pollDeletions reads new deletion rows and forgets their metrics; with forget false (at Open)
// it only marks them seen: a process that just started has nothing to forget.
func (s *Store) pollDeletions(ctx context.Context, forget bool) error {
	s.noteMu.Lock()
	from := s.notes.newest - deletionSkew.Milliseconds()
	s.noteMu.Unlock()
	rows, err := s.conn.Query(ctx, "SELECT tenant, metric, deleted_ms FROM "+s.t.deletions+" WHERE deleted_ms > "+itoa(from))
	if err != nil {
		return fmt.Errorf("clickhouse: read metric deletions: %w", err)
	}
	defer rows.Close()
	var keys []deletionKey
	for rows.Next() {
		var k deletionKey
		if err := rows.Scan(&k.tenant, &k.metric, &k.ms); err != nil {
			return fmt.Errorf("clickhouse: read metric deletions: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("clickhouse: read metric deletions: %w", err)
	}
	if fresh := s.noteSeen(keys); forget && len(fresh) > 0 {
		s.o.Logger.Info("clickhouse: forgetting metrics another process deleted", zap.Int("metrics", len(fresh)))
		s.forgetMetrics(fresh)
	}
	return nil
}

// noteSeen marks rows seen, drops the ones that fell out of the window, and returns the metrics
// of the rows not seen before.
func (s *Store) noteSeen(keys []deletionKey) []tenantMetric {
	s.noteMu.Lock()
	defer s.noteMu.Unlock()
	var fresh []tenantMetric
	for _, k := range keys {
		if !s.notes.seen[k] {
			s.notes.seen[k] = true
			fresh = append(fresh, k.tenantMetric)
		}
		s.notes.newest = max(s.notes.newest, k.ms)
	}
	for k := range s.notes.seen {
		if k.ms <= s.notes.newest-deletionSkew.Milliseconds() {
			delete(s.notes.seen, k)
		}
	}
	return fresh
}

// deletionLoop polls the deletions table every `every` until Close.
func (s *Store) deletionLoop(every time.Duration) {
	defer s.loops.Done()
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ticker.C:
		}
		ctx, cancel := s.loopContext()
		if err := s.pollDeletions(ctx, true); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("clickhouse: reading metric deletions failed; will retry", zap.Error(err))
		}
		cancel()
	}
}
