package clickhousestore

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Deleting a metric left without points (docs/storage-clickhouse.md, "Retention and deletes").
//
// Its series and metrics rows are deleted, so it leaves discovery and its series stop counting;
// its slot maps stay (a metric written again reuses them). What this process cached about it is
// forgotten: its metricState, and the series cache, by starting a new writer epoch (the old
// epoch's entries say "series row stored" for rows that are gone, and a new epoch's rows are
// told apart from the old ones by writer, so a point written again cannot pass for a duplicate
// nobody recorded). A row in the deletions table tells the other processes (deletions.go).
//
// Writers of this process and the drop are ordered by a verdict per metric: the drop detaches
// the metric's state before it checks that no point is left; a new appender of the metric waits
// for the verdict, and a commit through the detached state that ends after the check returns
// store.ErrMetricDeleted when the metric was deleted (its rows may have lost their metadata: the
// retry writes them again).

// dropVerdict is the outcome of one drop attempt: done is closed once deleted is final.
type dropVerdict struct {
	done    chan struct{}
	deleted bool
}

// settled reports whether the verdict is final, and then whether the metric was deleted.
func (v *dropVerdict) settled() (final, deleted bool) {
	select {
	case <-v.done:
		return true, v.deleted
	default:
		return false, false
	}
}

// detach removes the states of ks and marks them with a pending verdict, skipping metrics that
// another drop is deciding on already. It returns the metrics it detached.
func (s *Store) detach(ks []tenantMetric) map[tenantMetric]*dropVerdict {
	s.msMu.Lock()
	defer s.msMu.Unlock()
	out := make(map[tenantMetric]*dropVerdict, len(ks))
	for _, k := range ks {
		if s.pending[k] != nil {
			continue
		}
		v := &dropVerdict{done: make(chan struct{})}
		s.pending[k] = v
		if ms := s.states[k]; ms != nil {
			ms.drop.Store(v)
			s.detached[k] = ms
			delete(s.states, k)
		}
		out[k] = v
	}
	return out
}

// settle makes the verdicts final. A metric that stays gets its state back; for deleted ones the
// process starts a new writer epoch (one for all of them) and forgets their limits.
func (s *Store) settle(vs map[tenantMetric]*dropVerdict, deleted map[tenantMetric]bool) {
	if len(vs) == 0 {
		return
	}
	n := 0
	for k := range vs {
		if deleted[k] {
			n++
		}
	}
	if n > 0 {
		// before the verdicts: an appender waiting for one must land in the new epoch
		s.cache.Store(newSeriesCache(s.o.SeriesCacheSize))
		s.o.Logger.Info("clickhouse: metrics deleted, starting a new writer epoch", zap.Int("metrics", n))
	}
	s.msMu.Lock()
	for k, v := range vs {
		v.deleted = deleted[k]
		close(v.done)
		delete(s.pending, k)
		if ms := s.detached[k]; ms != nil && !v.deleted && s.states[k] == nil {
			s.states[k] = ms
		}
		delete(s.detached, k)
	}
	s.msMu.Unlock()
	for k := range vs {
		if deleted[k] {
			s.forgetLimits(k.tenant, k.metric)
		}
	}
}

// forgetMetrics forgets what this process cached about metrics another process deleted (one new
// writer epoch for all).
func (s *Store) forgetMetrics(ks []tenantMetric) {
	vs := s.detach(ks)
	deleted := make(map[tenantMetric]bool, len(vs))
	for k := range vs {
		deleted[k] = true
	}
	s.settle(vs, deleted)
}

// dropEmpty deletes the metrics of ks that hold no point and returns them. A cheap count comes
// first, so a metric with points costs one read and no wait.
func (s *Store) dropEmpty(ctx context.Context, ks []tenantMetric) ([]tenantMetric, error) {
	if len(ks) == 0 {
		return nil, nil
	}
	empty, err := s.emptyOf(ctx, ks)
	if err != nil || len(empty) == 0 {
		return nil, err
	}
	vs := s.detach(empty)
	if len(vs) == 0 {
		return nil, nil // another drop is deciding on them
	}
	deleted := map[tenantMetric]bool{}
	defer func() { s.settle(vs, deleted) }()
	cands := make([]tenantMetric, 0, len(vs))
	for k := range vs {
		cands = append(cands, k)
	}
	// Rows written before the check are deleted, later ones (a writer re-creating the metric)
	// stay. series.updated has whole seconds: starting the check at a new second puts every
	// row of an earlier second before it.
	check, err := s.nextSecond(ctx)
	if err != nil {
		return nil, err
	}
	if empty, err = s.emptyOf(ctx, cands); err != nil || len(empty) == 0 {
		return nil, err
	}
	for _, k := range empty {
		deleted[k] = true // from the first statement on, cached state may be wrong
	}
	if err := s.deleteMetadata(ctx, empty, check); err != nil {
		return nil, err
	}
	s.o.Logger.Info("clickhouse: metrics deleted: no points left", zap.Int("metrics", len(empty)), zap.Any("metrics", empty))
	return empty, nil
}

// deleteMetadata deletes the series and metrics rows of ks written before check and records
// the deletions for the other processes.
func (s *Store) deleteMetadata(ctx context.Context, ks []tenantMetric, check time.Time) error {
	where := metricsWhere(ks)
	_, err := s.mutate(ctx, []mutation{
		{table: "series", where: "(" + where + ") AND updated < toDateTime(" + itoa(check.Unix()) + ")"},
		{table: "metrics", where: "(" + where + ") AND first_seen_ms < " + itoa(check.UnixMilli())},
	})
	if err != nil {
		return err
	}
	return s.recordDeletions(ctx, ks, check.UnixMilli())
}

// nextSecond waits for the start of the next second and returns it.
func (s *Store) nextSecond(ctx context.Context) (time.Time, error) {
	now := s.now()
	next := now.Truncate(time.Second).Add(time.Second)
	select {
	case <-time.After(next.Sub(now)):
		return s.now(), nil
	case <-ctx.Done():
		return time.Time{}, ctx.Err()
	}
}

// emptyOf returns the metrics of ks without any samples or histograms row.
func (s *Store) emptyOf(ctx context.Context, ks []tenantMetric) ([]tenantMetric, error) {
	if len(ks) == 0 {
		return nil, nil
	}
	where := metricsWhere(ks)
	has := map[tenantMetric]bool{}
	for _, table := range []string{s.t.samples, s.t.histograms} {
		found, _, err := matching(ctx, s.conn, table, where)
		if err != nil {
			return nil, fmt.Errorf("clickhouse: count points left of %d metrics in %s: %w", len(ks), table, err)
		}
		for _, k := range found {
			has[k] = true
		}
	}
	var out []tenantMetric
	for _, k := range ks {
		if !has[k] {
			out = append(out, k)
		}
	}
	return out, nil
}
