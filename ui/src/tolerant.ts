// Readers for GET /api/v1/cardinality and GET /api/v1/limits. api.md names what these answer
// but not their exact fields, and the UI was written before the server had them; so these
// accept the plausible spellings (arrays or maps, seriesCount/series/count, ...) and whatever
// they cannot place is still shown raw by the views. Unit-tested in tolerant.test.ts.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function num(o: Obj, ...names: string[]): number | null {
  for (const n of names) {
    const v = o[n];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

function str(o: Obj, ...names: string[]): string | null {
  for (const n of names) if (typeof o[n] === "string") return o[n] as string;
  return null;
}

function first(o: Obj, ...names: string[]): unknown {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
  return undefined;
}

// entries turns an array of objects, or a map name -> object|number, into [name, object].
function entries(v: unknown, nameFields: string[], countFields: string[]): [string, Obj][] {
  if (Array.isArray(v)) {
    return v.filter(isObj).map((o): [string, Obj] => [str(o, ...nameFields) ?? "", o]).filter(([n]) => n !== "");
  }
  if (isObj(v)) {
    return Object.entries(v).map(([k, x]): [string, Obj] => [k, isObj(x) ? x : typeof x === "number" ? { [countFields[0]]: x } : {}]);
  }
  return [];
}

// --- cardinality ----------------------------------------------------------------------------

export interface TopValue {
  value: string;
  series: number | null;
}
export interface DimCardinality {
  metric: string | null; // set when the answer lists keys per metric
  key: string;
  distinct: number | null;
  top: TopValue[];
}
export interface Cardinality {
  totalSeries: number | null;
  metrics: { name: string; series: number | null }[];
  dims: DimCardinality[];
}

const SERIES = ["seriesCount", "series", "activeSeries", "count", "numSeries"];
const DISTINCT = ["distinctValues", "distinctValueCount", "valueCount", "uniqueValues", "cardinality", "distinct", "values", "count"];
const TOPS = ["topValues", "top", "values", "topValuesBySeries"];

function topValues(v: unknown): TopValue[] {
  if (Array.isArray(v)) {
    return v.flatMap((x): TopValue[] => {
      if (typeof x === "string") return [{ value: x, series: null }];
      if (Array.isArray(x) && x.length >= 1) return [{ value: String(x[0]), series: typeof x[1] === "number" ? x[1] : null }];
      if (isObj(x)) return [{ value: str(x, "value", "name", "label") ?? "", series: num(x, ...SERIES) }];
      return [];
    });
  }
  if (isObj(v)) return Object.entries(v).map(([value, n]) => ({ value, series: typeof n === "number" ? n : null }));
  return [];
}

function dims(v: unknown, metric: string | null): DimCardinality[] {
  return entries(v, ["key", "name", "dimension", "dimensionKey", "label"], ["distinctValues"]).map(([key, o]) => ({
    metric,
    key,
    distinct: num(o, ...DISTINCT),
    top: topValues(first(o, ...TOPS)),
  }));
}

export function readCardinality(raw: unknown): Cardinality {
  const out: Cardinality = { totalSeries: null, metrics: [], dims: [] };
  if (!isObj(raw)) return out;
  out.totalSeries = num(raw, "totalSeries", "activeSeries", "seriesTotal");
  const ms = first(raw, "metrics", "seriesPerMetric", "seriesByMetric");
  for (const [name, o] of entries(ms, ["name", "metricName", "metric"], ["seriesCount"])) {
    out.metrics.push({ name, series: num(o, ...SERIES) });
    out.dims.push(...dims(first(o, "dimensions", "dimensionKeys", "labels", "keys"), name));
  }
  const single = str(raw, "metricName", "metric", "name");
  if (single && !out.metrics.some((m) => m.name === single)) out.metrics.push({ name: single, series: num(raw, ...SERIES) });
  out.dims.push(...dims(first(raw, "dimensions", "dimensionKeys", "labels", "keys"), single));
  if (out.totalSeries === null && !single && out.metrics.length) {
    const known = out.metrics.map((m) => m.series).filter((n): n is number => n !== null);
    if (known.length === out.metrics.length) out.totalSeries = known.reduce((a, b) => a + b, 0);
  }
  out.metrics.sort((a, b) => (b.series ?? -1) - (a.series ?? -1) || a.name.localeCompare(b.name));
  return out;
}

// --- limits ---------------------------------------------------------------------------------

export interface LimitRow {
  name: string;
  limit: number | string | null;
  usage: number | string | null;
}
export interface Limits {
  tenant: string | null;
  rows: LimitRow[];
}

type Scalar = number | string | boolean;
const isScalar = (v: unknown): v is Scalar => typeof v === "number" || typeof v === "string" || typeof v === "boolean";

// flatten turns nested objects into dotted names: {rate: {write: 10}} -> "rate.write" = 10.
function flatten(v: unknown, prefix: string, out: Map<string, Scalar>): void {
  if (isScalar(v)) out.set(prefix, v);
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  else if (Array.isArray(v)) v.forEach((x, i) => flatten(x, `${prefix}[${i}]`, out));
}

// canon reduces a limit's or a usage's name to what they share: maxSeriesPerTenant and
// activeSeries both become "series", maxSeriesPerMetric and seriesPerMetric "seriespermetric".
export function canon(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9.]/g, "")
    .replace(/(^|\.)(max|current|active|used|usage|limit)/g, "$1")
    .replace(/(limit|pertenant|max|current|used|usage)$/g, "")
    .replace(/^\.+/, "");
}

const LIMIT = ["limit", "max", "maximum", "quota", "value"];
const USAGE = ["usage", "used", "current", "value_used", "active", "count"];

const val = (v: unknown): number | string | null => (typeof v === "number" || typeof v === "string" ? v : typeof v === "boolean" ? String(v) : null);

export function readLimits(raw: unknown): Limits {
  const out: Limits = { tenant: null, rows: [] };
  if (!isObj(raw)) return out;
  out.tenant = str(raw, "tenant", "tenantId", "tenant_id");

  // Shape 1: a list, or a map of name -> {limit, usage}.
  const list = first(raw, "items", "entries");
  const pairs = Array.isArray(list) ? entries(list, ["name", "key", "id"], []) : [];
  for (const [name, o] of pairs) out.rows.push({ name, limit: val(first(o, ...LIMIT)), usage: val(first(o, ...USAGE)) });
  if (out.rows.length) return out;

  // Shape 2: {limits: {...}, usage: {...}}, paired by canonical name; a usage per item
  // (seriesPerMetric.api_latency) gets the limit of its group (maxSeriesPerMetric).
  const lim = new Map<string, Scalar>();
  const use = new Map<string, Scalar>();
  flatten(first(raw, "limits", "limit", "config"), "", lim);
  flatten(first(raw, "usage", "current", "used"), "", use);
  if (lim.size || use.size) {
    const byCanon = new Map([...lim.keys()].map((n): [string, string] => [canon(n), n]));
    const exact = new Map<string, string>(); // limit -> usage
    const perItem = new Map<string, string[]>(); // limit -> usages
    const unmatched: string[] = [];
    for (const u of use.keys()) {
      const same = byCanon.get(canon(u));
      const group = u.includes(".") ? byCanon.get(canon(u.slice(0, u.indexOf(".")))) : undefined;
      if (same !== undefined && !exact.has(same)) exact.set(same, u);
      else if (group !== undefined) perItem.set(group, [...(perItem.get(group) ?? []), u]);
      else unmatched.push(u);
    }
    for (const [name, l] of lim) {
      const items = perItem.get(name);
      if (items && !exact.has(name)) for (const u of items) out.rows.push({ name: u, limit: val(l), usage: val(use.get(u)) });
      else out.rows.push({ name, limit: val(l), usage: exact.has(name) ? val(use.get(exact.get(name) as string)) : null });
    }
    for (const u of unmatched) out.rows.push({ name: u, limit: null, usage: val(use.get(u)) });
    return out;
  }

  // Shape 3: a map of name -> {limit, usage} at the top level.
  for (const [name, o] of Object.entries(raw)) {
    if (isObj(o) && (first(o, ...LIMIT) !== undefined || first(o, ...USAGE) !== undefined)) {
      out.rows.push({ name, limit: val(first(o, ...LIMIT)), usage: val(first(o, ...USAGE)) });
    }
  }
  return out;
}
