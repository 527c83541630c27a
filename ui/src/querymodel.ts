// The query builder's state, its URL form and the API requests it turns into. Pure functions,
// unit-tested in querymodel.test.ts.

export const OPS = ["eq", "ne", "in", "nin", "regex", "nregex", "exists", "absent"] as const;
export type Op = (typeof OPS)[number];

export const OP_LABELS: Record<Op, string> = {
  eq: "= equals",
  ne: "≠ not equal",
  in: "in list",
  nin: "not in list",
  regex: "=~ matches regex",
  nregex: "!~ does not match",
  exists: "exists",
  absent: "does not exist",
};

export interface Filter {
  key: string;
  op: Op;
  value: string; // "in"/"nin": comma-separated, or a JSON array when values hold commas
}

export type TimeRange = { relative: string } | { start: string; end: string };

export interface QueryState {
  metric: string;
  agg: string; // avg ... twa, pNN, or "rate" (queryType rate)
  groupBy: string[];
  filters: Filter[];
  range: TimeRange;
  step: string; // "auto", "none", or a duration
  top: number; // lines drawn; the rest are folded into "other" or hidden
  order: "desc" | "asc";
}

export const AGGREGATIONS = ["avg", "sum", "count", "min", "max", "last", "p50", "p90", "p95", "p99", "p99.9", "rate", "integral", "twa"];
// FOLDABLE: aggregations whose values of several groups add up to the value of their union,
// so the groups beyond the top N can be drawn as one "other" line. A percentile, average or
// max of the rest cannot be derived from the groups' values; those are hidden with a note.
export const FOLDABLE = new Set(["sum", "count", "rate", "integral"]);

export const DEFAULT_STATE: QueryState = {
  metric: "",
  agg: "avg",
  groupBy: [],
  filters: [],
  range: { relative: "1h" },
  step: "auto",
  top: 10,
  order: "desc",
};

const PERCENTILE = /^p(\d{1,3}(?:\.\d{1,3})?)$/;

// validAggregation mirrors the server's rule: the names above, or p + 1-3 digits [. 1-3 digits]
// in (0, 100].
export function validAggregation(a: string): boolean {
  if (AGGREGATIONS.includes(a)) return true;
  const m = PERCENTILE.exec(a);
  if (!m) return false;
  const p = Number(m[1]);
  return p > 0 && p <= 100;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

// parseDuration reads a Go duration plus d and w ("1d12h", "90s") into milliseconds, or null.
export function parseDuration(s: string): number | null {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)/gy;
  const str = s.trim();
  if (!str) return null;
  let total = 0;
  let pos = 0;
  re.lastIndex = 0;
  for (let m = re.exec(str); m; m = re.exec(str)) {
    total += Number(m[1]) * UNITS[m[2]];
    pos = re.lastIndex;
  }
  return pos === str.length && total > 0 ? total : null;
}

// formatDuration renders ms as the shortest Go-style duration: 90000 -> "1m30s".
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  let out = "";
  for (const [u, n] of [["w", 7 * 86400e3], ["d", 86400e3], ["h", 3600e3], ["m", 60e3], ["s", 1e3], ["ms", 1]] as const) {
    if (rest >= n) {
      out += Math.floor(rest / n) + u;
      rest %= n;
    }
  }
  return out || "0s";
}

const NICE_STEPS = ["1s", "5s", "10s", "15s", "30s", "1m", "2m", "5m", "10m", "15m", "30m", "1h", "2h", "3h", "6h", "12h", "1d", "2d", "7d"];

// autoInterval picks the smallest nice step that gives at most ~120 buckets over the range.
export function autoInterval(rangeMs: number): string {
  for (const s of NICE_STEPS) if (rangeMs / (parseDuration(s) as number) <= 120) return s;
  return "7d";
}

export function rangeMs(r: TimeRange, now: number): number {
  if ("relative" in r) return parseDuration(r.relative) ?? 3600e3;
  return Math.max(0, Date.parse(r.end || new Date(now).toISOString()) - Date.parse(r.start));
}

// --- URL form -------------------------------------------------------------------------------

export function stateToParams(s: QueryState): URLSearchParams {
  const p = new URLSearchParams();
  if (s.metric) p.set("metric", s.metric);
  p.set("agg", s.agg);
  if (s.groupBy.length) p.set("by", s.groupBy.join(","));
  for (const f of s.filters) p.append("f", JSON.stringify([f.key, f.op, f.value]));
  if ("relative" in s.range) p.set("range", s.range.relative);
  else {
    p.set("from", s.range.start);
    if (s.range.end) p.set("to", s.range.end);
  }
  p.set("step", s.step);
  p.set("top", String(s.top));
  if (s.order !== "desc") p.set("order", s.order);
  return p;
}

export function stateFromParams(p: URLSearchParams): QueryState {
  const s: QueryState = { ...DEFAULT_STATE, groupBy: [], filters: [] };
  s.metric = p.get("metric") ?? "";
  s.agg = p.get("agg") || DEFAULT_STATE.agg;
  s.groupBy = (p.get("by") ?? "").split(",").map((k) => k.trim()).filter(Boolean);
  for (const raw of p.getAll("f")) {
    try {
      const [key, op, value] = JSON.parse(raw) as [unknown, unknown, unknown];
      if (typeof key === "string" && (OPS as readonly unknown[]).includes(op)) s.filters.push({ key, op: op as Op, value: value == null ? "" : String(value) });
    } catch {
      // a hand-edited link with a broken filter: drop that filter, keep the rest
    }
  }
  const from = p.get("from");
  s.range = from ? { start: from, end: p.get("to") ?? "" } : { relative: p.get("range") || "1h" };
  s.step = p.get("step") || "auto";
  const top = Number(p.get("top"));
  s.top = Number.isInteger(top) && top > 0 ? Math.min(top, 100) : DEFAULT_STATE.top;
  s.order = p.get("order") === "asc" ? "asc" : "desc";
  return s;
}

// --- API requests ---------------------------------------------------------------------------

// listValues splits an in/nin value: a JSON array, or comma-separated.
export function listValues(v: string): string[] {
  const t = v.trim();
  if (t.startsWith("[")) {
    try {
      const a: unknown = JSON.parse(t);
      if (Array.isArray(a)) return a.map(String);
    } catch {
      // not JSON after all: fall through to commas
    }
  }
  return t.split(",").map((x) => x.trim()).filter((x) => x !== "");
}

export function filterJSON(f: Filter): unknown {
  switch (f.op) {
    case "in":
    case "nin":
      return { [f.op]: listValues(f.value) };
    case "exists":
      return { exists: true };
    case "absent":
      return { exists: false };
    default:
      return { [f.op]: f.value };
  }
}

export function timeRangeJSON(r: TimeRange): unknown {
  if ("relative" in r) return { relative: r.relative };
  return r.end ? { start: r.start, end: r.end } : { start: r.start };
}

export interface Requests {
  chart: Record<string, unknown> | null; // bucketed series; null when step is "none"
  table: Record<string, unknown>; // one value per group over the whole range
  interval: string | null;
}

// buildRequests turns the state into the query bodies the view sends: the chart's, with an
// interval, and the table's, without one (the value over the whole range, which is also what
// the server ranks groups by). For an aggregation that cannot be folded, the chart asks only
// for the top N groups.
export function buildRequests(s: QueryState, now = Date.now()): Requests {
  const base: Record<string, unknown> = {
    queryType: s.agg === "rate" ? "rate" : "aggregate",
    metricName: s.metric,
    timeRange: timeRangeJSON(s.range),
  };
  if (s.agg !== "rate") base.aggregation = s.agg;
  if (s.groupBy.length) base.groupBy = [...s.groupBy];
  const filters = s.filters.filter((f) => f.key);
  if (filters.length) base.filters = Object.fromEntries(filters.map((f) => [f.key, filterJSON(f)]));
  if (s.order !== "desc") base.order = s.order;

  const table = { ...base };
  let interval: string | null = null;
  if (s.step !== "none") interval = s.step === "auto" ? autoInterval(rangeMs(s.range, now)) : s.step;
  if (interval === null) return { chart: null, table, interval };
  const chart: Record<string, unknown> = { ...base, interval };
  if (s.groupBy.length && !FOLDABLE.has(s.agg)) chart.limit = s.top;
  return { chart, table, interval };
}

// curlCommand renders a request as a shell command; the token stays a $TOKEN variable.
export function curlCommand(origin: string, body: unknown): string {
  const q = (s: string) => "'" + s.replace(/'/g, `'\\''`) + "'";
  return [
    `curl -s -X POST ${q(origin + "/api/v1/query")}`,
    `  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json'`,
    `  -d ${q(JSON.stringify(body))}`,
  ].join(" \\\n");
}
