package clickhousestore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/luminate-metrics/luminate/internal/apierror"
	"github.com/luminate-metrics/luminate/internal/store"
)

// Retention and deletes (docs/storage-clickhouse.md, "Retention and deletes").
//
// Points are deleted with mutations (ALTER TABLE ... DELETE WHERE), which 18.16 runs
// asynchronously: the statement returns at once and the server rewrites the parts in the
// background, so every delete waits on system.mutations until its mutations are done. A
// mutation rewrites parts, so none is issued when a cheap count() finds no matching row. In
// cluster mode ALTER cannot go through a Distributed table: it runs on each server's _local
// table. A metric left without points is deleted too (forget.go).

var _ store.Admin = (*Store)(nil)

// SetRetention implements store.Admin.
func (s *Store) SetRetention(ctx context.Context, tenant string, p store.RetentionPolicy) error {
	if err := store.CheckRetentionPolicy(p); err != nil {
		return err
	}
	if err := insertRow(ctx, s.conn, s.t.retention, "tenant, metric, days, version", tenant, p.Metric, uint32(p.Days), s.policyVersion()); err != nil {
		return fmt.Errorf("clickhouse: store retention policy %s=%d days: %w", p.Metric, p.Days, err)
	}
	return nil
}

// policyVersion orders the policy rows this process writes: Unix nanoseconds made strictly
// increasing, so two settings in the same millisecond keep their order.
func (s *Store) policyVersion() int64 {
	s.polMu.Lock()
	defer s.polMu.Unlock()
	v := max(s.now().UnixNano(), s.polVer+1)
	s.polVer = v
	return v
}

// RetentionPolicies implements store.Admin.
func (s *Store) RetentionPolicies(ctx context.Context, tenant string) ([]store.RetentionPolicy, error) {
	by, err := s.policies(ctx, "tenant = "+quote(tenant))
	if err != nil {
		return nil, err
	}
	out := make([]store.RetentionPolicy, 0, len(by[tenant]))
	for m, d := range by[tenant] {
		out = append(out, store.RetentionPolicy{Metric: m, Days: d})
	}
	store.SortRetentionPolicies(out)
	return out, nil
}

// policies reads the latest policy of every (tenant, metric) matching where: tenant -> metric
// or "*" -> days.
func (s *Store) policies(ctx context.Context, where string) (map[string]map[string]int, error) {
	rows, err := s.conn.Query(ctx, "SELECT tenant, metric, argMax(days, version) FROM "+s.t.retention+" WHERE "+where+" GROUP BY tenant, metric")
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read retention policies: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var tenant, metric string
		var days uint32
		if err := rows.Scan(&tenant, &metric, &days); err != nil {
			return nil, fmt.Errorf("clickhouse: read retention policies: %w", err)
		}
		if out[tenant] == nil {
			out[tenant] = map[string]int{}
		}
		out[tenant][metric] = int(days)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: read retention policies: %w", err)
	}
	return out, nil
}

// cut is "delete the points of (tenant, metric) before `before` (Unix ms)".
type cut struct {
	tenantMetric
	before int64
}

// DeleteBefore implements store.Admin.
func (s *Store) DeleteBefore(ctx context.Context, tenant, metric string, before int64) error {
	if _, err := s.metricMeta(ctx, tenant, metric); err != nil {
		if isNotFound(err) {
			return apierror.New(apierror.NotFound, "metric %q not found", metric)
		}
		return err
	}
	k := tenantMetric{tenant, metric}
	if before > 0 {
		if _, err := s.deletePoints(ctx, []cut{{k, min(before, maxTimestampMs+1)}}); err != nil {
			return err
		}
	}
	_, err := s.dropEmpty(ctx, []tenantMetric{k})
	return err
}

// ApplyRetention implements store.Admin: one pass over every tenant's metrics, one mutation per
// table (and server) for all of them.
func (s *Store) ApplyRetention(ctx context.Context, now time.Time) error {
	cuts, err := s.retentionCuts(ctx, now)
	if err != nil || len(cuts) == 0 {
		return err
	}
	touched, err := s.deletePoints(ctx, cuts)
	if err != nil {
		return err
	}
	// Only a metric that lost points here is dropped when empty: one whose first write is still
	// in flight has a metrics row but no points yet, and must stay.
	_, err = s.dropEmpty(ctx, touched)
	return err
}

// retentionCuts lists, for every stored metric with a retention, where its points end.
func (s *Store) retentionCuts(ctx context.Context, now time.Time) ([]cut, error) {
	pol, err := s.policies(ctx, "1")
	if err != nil {
		return nil, err
	}
	ms, err := s.allMetrics(ctx)
	if err != nil {
		return nil, err
	}
	defaults := map[string]int{}
	var cuts []cut
	for _, k := range ms {
		def, ok := defaults[k.tenant]
		if !ok {
			def = s.defaultRetentionDays(k.tenant)
			defaults[k.tenant] = def
		}
		if days := store.EffectiveRetention(pol[k.tenant], k.metric, def); days > 0 {
			if c := store.RetentionCutoff(now, days); c > 0 {
				cuts = append(cuts, cut{k, c})
			}
		}
	}
	return cuts, nil
}

// allMetrics lists every (tenant, metric) of the metrics table.
func (s *Store) allMetrics(ctx context.Context) ([]tenantMetric, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT tenant, metric FROM "+s.t.metrics)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: list metrics for retention: %w", err)
	}
	defer rows.Close()
	var out []tenantMetric
	for rows.Next() {
		var k tenantMetric
		if err := rows.Scan(&k.tenant, &k.metric); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// retentionLoop applies retention after `first`, then every `every`, until Close.
func (s *Store) retentionLoop(first, every time.Duration) {
	defer s.loops.Done()
	timer := time.NewTimer(first)
	defer timer.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-timer.C:
		}
		ctx, cancel := s.loopContext()
		start := time.Now()
		if err := s.ApplyRetention(ctx, start); err != nil && ctx.Err() == nil {
			s.o.Logger.Warn("clickhouse: retention failed; will retry", zap.Error(err))
		} else {
			s.o.Logger.Debug("clickhouse: retention applied", zap.Duration("took", time.Since(start)))
		}
		cancel()
		// jitter: processes started together do not count and mutate at the same moment
		timer.Reset(every + rand.N(every/10+1))
	}
}

// loopContext is a context that Close cancels.
func (s *Store) loopContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// deletePoints deletes the points of every cut from samples, histograms and rewrites, and
// returns the metrics that had points to delete.
func (s *Store) deletePoints(ctx context.Context, cuts []cut) ([]tenantMetric, error) {
	where := cutsWhere(cuts)
	var jobs []mutation
	for _, table := range []string{"samples", "histograms", "rewrites"} {
		jobs = append(jobs, mutation{table: table, where: where})
	}
	touched, err := s.mutate(ctx, jobs)
	if err != nil {
		return nil, err
	}
	// rewrites rows are records about points, not points: a metric is touched by its points
	delete(touched, "rewrites")
	set := map[tenantMetric]bool{}
	for _, ks := range touched {
		for k := range ks {
			set[k] = true
		}
	}
	out := make([]tenantMetric, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out, nil
}

// cutsWhere is the condition of the rows the cuts delete, grouped by tenant and cutoff so that
// a retention run over many metrics stays one short statement. ts bounds the rows through the
// sorting key (tenant, metric, toStartOfHour(ts)): a point before `before` has ts at most the
// second of before-1.
func cutsWhere(cuts []cut) string {
	type group struct {
		tenant string
		before int64
	}
	by := map[group][]string{}
	for _, c := range cuts {
		g := group{c.tenant, c.before}
		by[g] = append(by[g], c.metric)
	}
	parts := make([]string, 0, len(by))
	for g, metrics := range by {
		sort.Strings(metrics)
		parts = append(parts, fmt.Sprintf("(tenant = %s AND metric IN %s AND ts <= toDateTime(%d) AND ts_ms < %d)",
			quote(g.tenant), quoteList(metrics), (g.before-1)/1000, g.before))
	}
	sort.Strings(parts) // the same cuts make the same statement (logs, tests)
	return strings.Join(parts, " OR ")
}

// metricsWhere is the condition of every row of the given metrics.
func metricsWhere(ks []tenantMetric) string {
	by := map[string][]string{}
	for _, k := range ks {
		by[k.tenant] = append(by[k.tenant], k.metric)
	}
	parts := make([]string, 0, len(by))
	for tenant, metrics := range by {
		sort.Strings(metrics)
		parts = append(parts, "(tenant = "+quote(tenant)+" AND metric IN "+quoteList(metrics)+")")
	}
	sort.Strings(parts)
	return strings.Join(parts, " OR ")
}
