/// <reference types="node" />
import assert from "node:assert/strict";
import { test } from "node:test";
import { autoInterval, buildRequests, curlCommand, DEFAULT_STATE, formatDuration, parseDuration, QueryState, stateFromParams, stateToParams, validAggregation } from "./querymodel";

const state = (over: Partial<QueryState>): QueryState => ({ ...DEFAULT_STATE, metric: "api_latency", ...over });

test("durations: Go syntax plus d and w", () => {
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("1d12h"), 36 * 3600_000);
  assert.equal(parseDuration("2w"), 14 * 86400_000);
  assert.equal(parseDuration("1.5h"), 5400_000);
  for (const bad of ["", "h", "10", "1x", "1h?", "-1h", "0s"]) assert.equal(parseDuration(bad), null, bad);
  assert.equal(formatDuration(90_000), "1m30s");
});

test("auto interval stays within ~120 buckets", () => {
  assert.equal(autoInterval(3600_000), "30s");
  assert.equal(autoInterval(24 * 3600_000), "15m");
  assert.equal(autoInterval(7 * 86400_000), "2h");
});

test("aggregations follow the server's rule", () => {
  for (const ok of ["avg", "twa", "rate", "p50", "p99.9", "p100", "p0.001"]) assert.ok(validAggregation(ok), ok);
  for (const bad of ["p0", "p101", "p99.9999", "P95", "median", "p"]) assert.ok(!validAggregation(bad), bad);
});

test("the URL round-trips the state and never holds a token", () => {
  const s = state({
    agg: "p95",
    groupBy: ["customer_id", "region"],
    filters: [
      { key: "endpoint", op: "in", value: "/a, /b" },
      { key: "env", op: "absent", value: "" },
    ],
    range: { start: "2026-11-27T10:00:00.000Z", end: "2026-11-27T11:00:00.000Z" },
    step: "1m",
    top: 5,
    order: "asc",
  });
  const p = stateToParams(s);
  assert.deepEqual(stateFromParams(new URLSearchParams(p.toString())), s);
  assert.ok(!/token/i.test(p.toString()));
});

test("broken or hostile URL parts fall back to defaults", () => {
  const s = stateFromParams(new URLSearchParams("metric=m&f=notjson&f=" + encodeURIComponent('["k","drop",1]') + "&top=9999"));
  assert.deepEqual(s.filters, []);
  assert.equal(s.top, 100);
  assert.deepEqual(s.range, { relative: "1h" });
});

test("requests: every filter operator, chart and table bodies", () => {
  const s = state({
    agg: "p95",
    groupBy: ["customer_id"],
    filters: [
      { key: "a", op: "eq", value: "x" },
      { key: "b", op: "ne", value: "y" },
      { key: "c", op: "in", value: '["p,q", "r"]' },
      { key: "d", op: "nin", value: "s, t" },
      { key: "e", op: "regex", value: "u.*" },
      { key: "f", op: "nregex", value: "v" },
      { key: "g", op: "exists", value: "" },
      { key: "h", op: "absent", value: "" },
    ],
    top: 3,
  });
  const r = buildRequests(s, 0);
  assert.deepEqual(r.table, {
    queryType: "aggregate",
    metricName: "api_latency",
    timeRange: { relative: "1h" },
    aggregation: "p95",
    groupBy: ["customer_id"],
    filters: { a: { eq: "x" }, b: { ne: "y" }, c: { in: ["p,q", "r"] }, d: { nin: ["s", "t"] }, e: { regex: "u.*" }, f: { nregex: "v" }, g: { exists: true }, h: { exists: false } },
  });
  // A p95 cannot be folded: the chart asks for the top 3 only.
  assert.deepEqual(r.chart, { ...r.table, interval: "30s", limit: 3 });
  // A sum can: the chart fetches every group and folds the rest into "other".
  assert.equal(buildRequests(state({ agg: "sum", groupBy: ["x"], top: 3 }), 0).chart?.limit, undefined);
});

test("rate is its own query type, without an aggregation", () => {
  const r = buildRequests(state({ agg: "rate", step: "none" }), 0);
  assert.equal(r.chart, null);
  assert.deepEqual(r.table, { queryType: "rate", metricName: "api_latency", timeRange: { relative: "1h" } });
});

test("curl quotes the body for the shell and keeps the token in $TOKEN", () => {
  const c = curlCommand("http://h:8080", { metricName: "it's" });
  assert.ok(c.includes(`-d '{"metricName":"it'\\''s"}'`), c);
  assert.ok(c.includes('"Authorization: Bearer $TOKEN"'));
});
