/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { canon, readCardinality, readLimits } from "./tolerant";

test("cardinality: a list of metrics with nested dimension keys", () => {
  const c = readCardinality({
    metrics: [
      { name: "small", seriesCount: 1 },
      { name: "api_latency", seriesCount: 15, dimensions: [{ key: "endpoint", distinctValues: 4, topValues: [{ value: "/api/users", seriesCount: 5 }] }] },
    ],
  });
  assert.equal(c.totalSeries, 16);
  assert.deepEqual(c.metrics.map((m) => m.name), ["api_latency", "small"]);
  assert.deepEqual(c.dims, [{ metric: "api_latency", key: "endpoint", distinct: 4, top: [{ value: "/api/users", series: 5 }] }]);
});

test("cardinality: one metric, keys as a map, values as pairs or a map", () => {
  const c = readCardinality({
    metricName: "api_latency",
    seriesCount: 15,
    dimensions: { endpoint: { valueCount: 4, top: [["/api/users", 5]] }, customer_id: { cardinality: 5, values: { cust_1: 3 } } },
  });
  assert.deepEqual(c.metrics, [{ name: "api_latency", series: 15 }]);
  assert.deepEqual(c.dims.map((d) => [d.key, d.distinct, d.top[0]]), [
    ["endpoint", 4, { value: "/api/users", series: 5 }],
    ["customer_id", 5, { value: "cust_1", series: 3 }],
  ]);
});

test("cardinality: unknown shapes give empty results, not exceptions", () => {
  for (const raw of [null, 42, "x", [], { something: "else" }]) assert.deepEqual(readCardinality(raw), { totalSeries: null, metrics: [], dims: [] });
});

test("limits: limits and usage maps are paired by meaning", () => {
  const l = readLimits({
    tenant: "acme",
    limits: { maxSeriesPerTenant: 1000, maxSeriesPerMetric: 100, writeRequestsPerSecond: 50 },
    usage: { activeSeries: 31, seriesPerMetric: { api_latency: 15 } },
  });
  assert.equal(l.tenant, "acme");
  assert.deepEqual(l.rows, [
    { name: "maxSeriesPerTenant", limit: 1000, usage: 31 },
    { name: "seriesPerMetric.api_latency", limit: 100, usage: 15 },
    { name: "writeRequestsPerSecond", limit: 50, usage: null },
  ]);
  const extra = readLimits({ limits: { a: 1 }, usage: { b: 2 } }).rows;
  assert.deepEqual(extra, [{ name: "a", limit: 1, usage: null }, { name: "b", limit: null, usage: 2 }]);
  assert.equal(canon("maxSeriesPerTenant"), canon("activeSeries"));
});

test("limits: a list or a map of {limit, usage}", () => {
  assert.deepEqual(readLimits({ items: [{ name: "series", limit: 10, current: 3 }] }).rows, [{ name: "series", limit: 10, usage: 3 }]);
  assert.deepEqual(readLimits({ series: { max: 10, used: 4 }, note: "x" }).rows, [{ name: "series", limit: 10, usage: 4 }]);
});
