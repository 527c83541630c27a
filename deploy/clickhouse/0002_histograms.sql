-- Luminate ClickHouse schema, migration 2: histogram points (OTLP Histogram and
-- ExponentialHistogram). Keys and de-duplication as in samples; see docs/storage-clickhouse.md.

-- luminate:sharded histograms series_id
CREATE TABLE IF NOT EXISTS {db}.{histograms} (
    tenant          String,
    metric          String,
    d1              String,
    d2              String,
    d3              String,
    series_id       UInt64,
    ts              DateTime,
    ts_ms           Int64,
    ver             UInt64,
    count           UInt64,
    sum             Float64,
    min             Float64,
    max             Float64,
    bounds          Array(Float64),
    bucket_counts   Array(UInt64),
    scale           Int32,
    zero_count      UInt64,
    positive_offset Int32,
    positive_counts Array(UInt64),
    negative_offset Int32,
    negative_counts Array(UInt64)
) ENGINE = ReplacingMergeTree(ver)
PARTITION BY toDate(ts)
ORDER BY (tenant, metric, toStartOfHour(ts), d1, d2, d3, series_id, ts_ms);
