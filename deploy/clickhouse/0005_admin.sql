-- Luminate ClickHouse schema, migration 5: retention policies and metric deletions
-- (docs/storage-clickhouse.md, "Retention and deletes").
--   retention_policies  one row per SetRetention; the row with the highest version of a
--                       (tenant, metric) is the policy (metric '*': the tenant's default).
--                       version is Unix nanoseconds made strictly increasing per process, so two
--                       settings in the same millisecond keep their order.
--   deletions           one row per metric deleted because no point of it was left: every
--                       process polls it and forgets what it cached about the metric.
-- Both are small; in cluster mode they are Distributed tables like metrics and slot_maps, so
-- every process reads the same rows whichever server it talks to.

-- luminate:sharded retention_policies cityHash64(tenant, metric)
CREATE TABLE IF NOT EXISTS {db}.{retention_policies} (
    tenant  String,
    metric  String,
    days    UInt32,
    version Int64
) ENGINE = MergeTree()
ORDER BY (tenant, metric);

-- luminate:sharded deletions cityHash64(tenant, metric)
CREATE TABLE IF NOT EXISTS {db}.{deletions} (
    tenant     String,
    metric     String,
    deleted_ms Int64
) ENGINE = MergeTree()
ORDER BY deleted_ms;
