// Number and time formatting shared by the chart, the tables and the stats line.

const plain = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
const compact = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });

// fmtNum renders values as people read them: 538, 1,234.5, 0.00123, 1.2e+12.
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e15)) return v.toExponential(3);
  if (a < 1) return compact.format(v);
  return plain.format(v);
}

export function fmtInt(v: number | null | undefined): string {
  return v === null || v === undefined ? "–" : plain.format(Math.round(v));
}

export function withUnit(v: number | null, unit: string): string {
  const s = fmtNum(v);
  return unit && s !== "–" ? `${s} ${unit}` : s;
}

// fmtMs renders the server's executionTimeMs (whole milliseconds): 0 is "<1 ms".
export function fmtMs(ms: number): string {
  return ms < 1 ? "<1 ms" : `${Math.round(ms)} ms`;
}

// toLocalInput converts an RFC 3339 string to a datetime-local value in the browser's zone.
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

// fromLocalInput converts a datetime-local value (browser's zone) to RFC 3339 UTC.
export function fromLocalInput(v: string): string {
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}
