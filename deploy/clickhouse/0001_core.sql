-- Luminate ClickHouse schema, migration 1: samples, series, metrics, slot maps.
-- Runs on ClickHouse 18.16 (Debian) and later: only String, Array(String), UInt*, Int64, Float64,
-- DateTime and MergeTree engines. docs/storage-clickhouse.md explains every table and key.
--
-- The schema tool (cmd/luminate-schema) fills the placeholders:
--   {db}            the database
--   {samples} ...   a table's name: "samples" on a single server, "samples_local" in cluster mode
-- A "-- luminate:sharded <table> <sharding key>" line before a CREATE makes the tool add, in
-- cluster mode, a Distributed table named <table> over <table>_local on every server.

-- luminate:sharded samples series_id
CREATE TABLE IF NOT EXISTS {db}.{samples} (
    tenant    String,
    metric    String,
    d1        String,
    d2        String,
    d3        String,
    series_id UInt64,
    ts        DateTime,
    ts_ms     Int64,
    value     Float64,
    ver       UInt64
) ENGINE = ReplacingMergeTree(ver)
PARTITION BY toDate(ts)
ORDER BY (tenant, metric, toStartOfHour(ts), d1, d2, d3, series_id, ts_ms);

-- luminate:sharded series series_id
CREATE TABLE IF NOT EXISTS {db}.{series} (
    tenant      String,
    metric      String,
    series_id   UInt64,
    d1          String,
    d2          String,
    d3          String,
    dim_keys    Array(String),
    dim_values  Array(String),
    type        String,
    unit        String,
    temporality String,
    monotonic   UInt8,
    updated     DateTime
) ENGINE = ReplacingMergeTree(updated)
ORDER BY (tenant, metric, d1, d2, d3, series_id);

-- luminate:sharded metrics cityHash64(tenant, metric)
CREATE TABLE IF NOT EXISTS {db}.{metrics} (
    tenant        String,
    metric        String,
    type          String,
    unit          String,
    temporality   String,
    monotonic     UInt8,
    first_seen_ms Int64
) ENGINE = MergeTree()
ORDER BY (tenant, metric);

-- luminate:sharded slot_maps cityHash64(tenant, metric)
CREATE TABLE IF NOT EXISTS {db}.{slot_maps} (
    tenant     String,
    metric     String,
    slots      Array(String),
    created_ms Int64
) ENGINE = MergeTree()
ORDER BY (tenant, metric);
