-- Luminate ClickHouse schema, migration 3: what OTLP points carry beyond a value.
--   samples.start_ms      start time of a cumulative series (Unix ms, 0: unknown); a start time
--                         that differs from the previous point's marks a reset (rate)
--   histograms.start_ms   the same for cumulative histograms
--   histograms.flags      bit 0 sum present, bit 1 min present, bit 2 max present,
--                         bit 3 exponential (scale, zero_count, zero_threshold, positive_* and
--                         negative_* hold the buckets; otherwise bounds and bucket_counts)
--   histograms.zero_threshold  width of an exponential histogram's zero bucket
-- Old rows read as 0 (no start time; an explicit histogram without sum, min, max).
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS: the schema tool skips an ALTER TABLE ... ADD COLUMN
-- whose column exists (so a run cut short is finished by the next), and in cluster mode runs it
-- on the <table>_local table and on the Distributed table over it. One column per statement.

ALTER TABLE {db}.{samples} ADD COLUMN start_ms Int64 DEFAULT 0 AFTER ts_ms;

ALTER TABLE {db}.{histograms} ADD COLUMN start_ms Int64 DEFAULT 0 AFTER ts_ms;

ALTER TABLE {db}.{histograms} ADD COLUMN flags UInt8 DEFAULT 0 AFTER ver;

ALTER TABLE {db}.{histograms} ADD COLUMN zero_threshold Float64 DEFAULT 0 AFTER zero_count;
