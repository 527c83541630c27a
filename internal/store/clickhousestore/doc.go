// Package clickhousestore is the ClickHouse storage engine: stateless ingest and query processes
// over one ClickHouse server or a sharded cluster. The schema, its keys and every query shape are
// documented in docs/storage-clickhouse.md; the SQL migrations live in deploy/clickhouse.
//
// Where things happen:
//   - appender.go, committer.go, insert.go: a write becomes rows of the samples and series tables,
//     sent in large group-committed INSERTs; Commit returns once the INSERT holding its points
//     succeeded.
//   - slots.go, metastate.go: which dimensions are "hot" (real columns d1..d3 in the sorting key)
//     for a metric, and the metric metadata.
//   - query.go, plan.go, fold.go, pairs.go, raw.go: a query becomes SQL that ClickHouse 18.16
//     accepts; scan statistics and duplicate detection come first (scan.go).
//   - discovery.go: metrics, dimensions and values, read from the series table.
//   - schema.go: versioned migrations, on one server or on every server of a cluster.
package clickhousestore
