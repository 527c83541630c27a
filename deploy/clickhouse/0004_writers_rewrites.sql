-- Luminate ClickHouse schema, migration 4: cheap exact de-duplication and a leaner series table
-- (docs/storage-clickhouse.md, "Versions and de-duplication" and "Series table").
--   samples.writer   the writer epoch of the ingest process that wrote the row (0: before this
--                    migration). Within one epoch the process knows every point it wrote and
--                    records possible rewrites itself (rewrites below), so a query whose rows all
--                    come from one epoch needs no duplicate scan.
--   rewrites         points that may overwrite a stored point of the same series and timestamp
--                    (written before the point itself); queries de-duplicate those series only.
--   series.slots     the hot slot map the row was written with, its keys joined by a NUL byte
--                    (a String: cheaper to write than an array, and queries only compare it
--                    with the metric's known maps); dim_values then holds "" for the keys
--                    stored in d1..d3 (their values are there already). Rows written before
--                    have slots = '' and every value in dim_values.

-- luminate:sharded rewrites series_id
CREATE TABLE IF NOT EXISTS {db}.{rewrites} (
    tenant    String,
    metric    String,
    ts        DateTime,
    ts_ms     Int64,
    series_id UInt64
) ENGINE = MergeTree()
PARTITION BY toDate(ts)
ORDER BY (tenant, metric, ts_ms, series_id);

ALTER TABLE {db}.{samples} ADD COLUMN writer UInt64 DEFAULT 0 AFTER ver;

ALTER TABLE {db}.{series} ADD COLUMN slots String AFTER dim_values;
