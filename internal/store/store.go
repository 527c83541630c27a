// Package store defines what every storage engine implements: an appender for writes, a query
// evaluator with the semantics of api.md, and discovery. Engines live in sub-packages
// (badgerstore, clickhousestore); storetest holds the suite every engine must pass.
package store

import (
	"context"

	"github.com/luminate-metrics/luminate/internal/model"
)

// Store is one storage engine. All methods are safe for concurrent use; the tenant is an
// argument of every call and is never taken from data.
type Store interface {
	// Appender starts a write for one tenant. Nothing is visible or durable before Commit.
	Appender(tenant string) Appender
	// Query evaluates q. Errors a client must see are *apierror.Error (QUERY_TOO_LARGE,
	// QUERY_TIMEOUT, NOT_FOUND); others are storage failures.
	Query(ctx context.Context, q *Query) (*Result, error)
	// Metrics lists the tenant's metrics.
	Metrics(ctx context.Context, tenant string) ([]MetricInfo, error)
	// Dimensions lists the dimension keys of a metric, sorted. Unknown metric: NOT_FOUND.
	Dimensions(ctx context.Context, tenant, metric string) ([]string, error)
	// DimensionValues lists values of one key with their series counts, most frequent first,
	// optionally restricted to a prefix; limit <= 0 means no limit.
	DimensionValues(ctx context.Context, tenant, metric, key, prefix string, limit int) ([]ValueCount, error)
	// Ping reports whether the storage answers.
	Ping(ctx context.Context) error
	// Close flushes and releases everything; the store is unusable afterwards.
	Close() error
}

// Appender collects points of one request and stores them atomically and durably on Commit.
// An Appender is used by one goroutine.
type Appender interface {
	// Append adds one point. labels must be sorted by name; the appender copies what it keeps,
	// so the caller may reuse the slice and its strings' backing buffers. A returned error
	// rejects this point only (e.g. *apierror.Error with CARDINALITY_EXCEEDED); the others
	// still commit.
	Append(metric string, meta model.MetricMeta, labels model.Labels, t int64, v float64) error
	// Commit makes the appended points durable. After it returns nil they survive a crash.
	Commit(ctx context.Context) error
	// Rollback discards the appended points.
	Rollback()
}

// MetricInfo is one row of GET /api/v1/metrics.
type MetricInfo struct {
	Name        string
	Meta        model.MetricMeta
	SeriesCount int64
}

// ValueCount is a dimension value and the number of series that carry it.
type ValueCount struct {
	Value       string
	SeriesCount int64
}
