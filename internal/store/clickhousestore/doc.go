// Package clickhousestore is the ClickHouse storage engine: stateless ingest and query processes
// over one ClickHouse server or a sharded cluster. The schema, its keys and every query shape are
// documented in docs/storage-clickhouse.md; the SQL migrations live in deploy/clickhouse.
//
// Where things happen:
//   - appender.go, seriescache.go, committer.go, rows.go, sortrows.go, insert.go: a write (values
//     with start times, histograms) becomes rows of the samples, histograms, series and rewrites
//     tables, sent in large group-committed INSERTs in sorting-key order; Commit returns once the
//     INSERT holding its points succeeded. The series cache remembers per series what this
//     process wrote in its writer epoch.
//   - metastate.go: which dimensions are "hot" (real columns d1..d3 in the sorting key) for a
//     metric, the metric metadata and its kind (value or histogram points).
//   - query.go, plan.go, fold.go, pairs.go, raw.go: a query becomes SQL that ClickHouse 18.16
//     accepts, which also reports its statistics; scan.go decides which series need
//     de-duplication (rewrites table, writers check, exact scan).
//   - histquery.go: histogram metrics, read per series into Go and merged with
//     internal/histogram exactly as the reference engine does.
//   - discovery.go: metrics, dimensions and values, read from the series table.
//   - admin.go, mutate.go, forget.go, deletions.go: retention policies, retention and deletes
//     (store.Admin) as ALTER ... DELETE mutations; a metric left without points is deleted and
//     forgotten here and, through the deletions table, in the other processes.
//   - schema.go: versioned migrations, on one server or on every server of a cluster.
package clickhousestore
