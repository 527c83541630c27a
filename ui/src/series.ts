// Query results (docs/api.md, "Query types and result shapes") turned into chart lines and
// table rows. Pure functions, unit-tested in series.test.ts.

export type GroupKey = Record<string, string>;

export interface Point {
  t: number; // Unix ms
  v: number | null;
}

export interface Group {
  key: GroupKey;
  label: string;
  points: Point[];
}

export interface Row {
  key: GroupKey;
  label: string;
  value: number | null;
  count: number | null; // raw points used; rate answers have none
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const time = (v: unknown): number => (typeof v === "number" ? v : Date.parse(String(v)));

// groupLabel names a group by its key values in groupBy order; "(none)" for a series without
// the key, "all" without groupBy.
export function groupLabel(key: GroupKey, groupBy: string[]): string {
  if (!groupBy.length) return "all";
  return groupBy.map((k) => (key[k] === undefined || key[k] === "" ? "(none)" : key[k])).join(" · ");
}

function keyOf(r: Obj): GroupKey {
  const k = isObj(r.groupKey) ? r.groupKey : {};
  return Object.fromEntries(Object.entries(k).map(([a, b]) => [a, String(b)]));
}

// value of a bucket or an aggregate: "value", or "rate" for rate queries.
const valueOf = (r: Obj): number | null => num(r.value ?? r.rate);

// groupsFrom reads bucketed results: items with "points", or (rate without groupBy) a flat list
// of {timestamp, rate} buckets that form one group.
export function groupsFrom(results: unknown[], groupBy: string[]): Group[] {
  const items = results.filter(isObj);
  if (items.length && !("points" in items[0])) {
    const key: GroupKey = {};
    return [{ key, label: groupLabel(key, groupBy), points: items.map((r) => ({ t: time(r.timestamp), v: valueOf(r) })) }];
  }
  return items.map((r) => {
    const key = keyOf(r);
    const pts = Array.isArray(r.points) ? r.points.filter(isObj) : [];
    return { key, label: groupLabel(key, groupBy), points: pts.map((p) => ({ t: time(p.timestamp), v: valueOf(p) })) };
  });
}

// rowsFrom reads whole-range results: {groupKey, value, count}, or a bucketed answer with one
// bucket per group (rate without interval).
export function rowsFrom(results: unknown[], groupBy: string[]): Row[] {
  const items = results.filter(isObj);
  if (items.length && ("points" in items[0] || !("groupKey" in items[0]))) {
    return groupsFrom(items, groupBy).map((g) => {
      const vs = g.points.map((p) => p.v).filter((v): v is number => v !== null);
      return { key: g.key, label: g.label, value: vs.length ? vs.reduce((a, b) => a + b, 0) : null, count: null };
    });
  }
  return items.map((r) => {
    const key = keyOf(r);
    return { key, label: groupLabel(key, groupBy), value: valueOf(r), count: num(r.count) };
  });
}

export interface Folded {
  shown: Group[]; // the top N, in rank order, plus "other" when folded
  other: boolean; // the last of shown is the folded rest
  hidden: number; // groups neither drawn nor folded
}

// foldTopN keeps the first n groups (the server returns them ranked) and either sums the rest
// per timestamp into one "other" line (foldable aggregations) or leaves them out. total is the
// number of groups the table found, when known, so hidden counts groups the chart query did not
// even fetch.
export function foldTopN(groups: Group[], n: number, foldable: boolean, total = groups.length): Folded {
  const shown = groups.slice(0, n);
  const rest = groups.slice(n);
  if (!rest.length || !foldable) return { shown, other: false, hidden: Math.max(0, total - shown.length) };
  const sums = new Map<number, number>();
  for (const g of rest) for (const p of g.points) if (p.v !== null) sums.set(p.t, (sums.get(p.t) ?? 0) + p.v);
  const points = [...sums.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v }));
  const label = `other (${rest.length} group${rest.length === 1 ? "" : "s"})`;
  return { shown: [...shown, { key: {}, label, points }], other: true, hidden: Math.max(0, total - groups.length) };
}

// align builds uPlot's columnar data: shared x (Unix seconds) and one y column per group, null
// where a group has no bucket (empty buckets are omitted by the server, and drawn as gaps).
export function align(groups: Group[]): [number[], ...(number | null)[][]] {
  const ts = [...new Set(groups.flatMap((g) => g.points.map((p) => p.t)))].sort((a, b) => a - b);
  const idx = new Map(ts.map((t, i) => [t, i]));
  const ys = groups.map((g) => {
    const col: (number | null)[] = new Array(ts.length).fill(null);
    for (const p of g.points) col[idx.get(p.t) as number] = p.v;
    return col;
  });
  return [ts.map((t) => t / 1000), ...ys];
}
