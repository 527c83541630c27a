// The query builder's form: built from a QueryState, read back into one (with validation
// messages tied to the fields they are about).
import { listDimensions } from "../api";
import { field, h, replace, select, uid } from "../dom";
import { fromLocalInput, toLocalInput } from "../format";
import { metrics } from "../metrics";
import {
  AGGREGATIONS,
  DEFAULT_STATE,
  Filter,
  listValues,
  OP_LABELS,
  Op,
  OPS,
  parseDuration,
  QueryState,
  validAggregation,
} from "../querymodel";

const RELATIVE = ["5m", "15m", "1h", "6h", "12h", "24h", "2d", "7d", "30d"];
const STEPS = ["auto", "none", "10s", "1m", "5m", "15m", "1h", "1d"];
const AGG_LABELS: Record<string, string> = {
  avg: "avg",
  sum: "sum",
  count: "count",
  min: "min",
  max: "max",
  last: "last",
  rate: "rate (per second)",
  integral: "integral (value × s)",
  twa: "twa (time-weighted avg)",
};

export interface QueryForm {
  el: HTMLFormElement;
  set(s: QueryState): void;
  // read returns the state, or null after marking the invalid fields.
  read(): QueryState | null;
}

export function queryForm(onSubmit: (s: QueryState) => void): QueryForm {
  const metric = h("select", { id: "q-metric", name: "metric", required: true });
  const agg = select({ id: "q-agg", name: "agg" }, [...AGGREGATIONS.map((a): [string, string] => [a, AGG_LABELS[a] ?? a]), ["custom", "other percentile…"]], "avg");
  const pct = h("input", { id: "q-pct", type: "number", min: "0.001", max: "100", step: "any", inputmode: "decimal" });
  const pctField = field("Percentile (0-100]", pct);
  const groupBy = h("fieldset", { class: "checks", id: "q-groupby" }, h("legend", null, "Group by"));
  const filterRows = h("div", { class: "filters", id: "q-filters" });
  const addFilter = h("button", { type: "button", id: "q-add-filter" }, "+ Add filter");
  const rangeMode = h("select", { id: "q-range-mode" }, h("option", { value: "relative" }, "last …"), h("option", { value: "absolute" }, "from … to …"));
  const relative = select({ id: "q-range", name: "range" }, [...RELATIVE.map((r): [string, string] => [r, r]), ["custom", "custom…"]], "1h");
  const relativeCustom = h("input", { id: "q-range-custom", type: "text", placeholder: "e.g. 90m, 3d, 2w", autocomplete: "off" });
  const from = h("input", { id: "q-from", type: "datetime-local" });
  const to = h("input", { id: "q-to", type: "datetime-local" });
  const step = select({ id: "q-step", name: "step" }, [...STEPS.map((s): [string, string] => [s, s === "auto" ? "auto" : s === "none" ? "none (table only)" : s]), ["custom", "custom…"]], "auto");
  const stepCustom = h("input", { id: "q-step-custom", type: "text", placeholder: "e.g. 30s, 2h", autocomplete: "off" });
  const top = h("input", { id: "q-top", name: "top", type: "number", min: "1", max: "100", step: "1", value: "10", inputmode: "numeric" });
  const order = select({ id: "q-order", name: "order" }, [["desc", "top (highest)"], ["asc", "bottom (lowest)"]], "desc");
  const errors = h("div", { id: "q-errors", "aria-live": "assertive" });
  const datalist = h("datalist", { id: "q-dimkeys" }); // filter key suggestions

  let dimKeys: string[] = [];
  let checked: string[] = [];

  const renderGroupBy = () => {
    const keys = [...new Set([...dimKeys, ...checked])];
    replace(
      groupBy,
      h("legend", null, "Group by"),
      keys.length
        ? keys.map((k) => {
            const id = uid("gb");
            return h("span", { class: "check" }, h("input", { type: "checkbox", id, name: "groupBy", value: k, checked: checked.includes(k) }), h("label", { for: id }, k));
          })
        : h("small", { class: "hint" }, metric.value ? "this metric has no dimensions" : "pick a metric first"),
    );
  };

  const loadDims = async (name: string) => {
    dimKeys = [];
    renderGroupBy();
    if (!name) return;
    try {
      dimKeys = (await listDimensions(name)).data.dimensions ?? [];
    } catch {
      dimKeys = []; // the query itself will report what is wrong with the metric
    }
    if (metric.value === name) {
      renderGroupBy();
      replace(datalist, dimKeys.map((k) => h("option", { value: k }))); // suggestions for filter keys
    }
  };

  const filterRow = (f: Filter) => {
    const key = h("input", { type: "text", class: "f-key", value: f.key, list: "q-dimkeys", "aria-label": "Dimension key", placeholder: "key", autocomplete: "off" });
    const op = select({ class: "f-op", "aria-label": "Operator" }, OPS.map((o): [string, string] => [o, OP_LABELS[o]]), f.op);
    const value = h("input", { type: "text", class: "f-value", value: f.value, "aria-label": "Value", placeholder: "value", autocomplete: "off" });
    const syncValue = () => {
      const o = op.value as Op;
      value.hidden = o === "exists" || o === "absent";
      value.placeholder = o === "in" || o === "nin" ? "a, b, c" : o === "regex" || o === "nregex" ? "RE2, anchored" : "value";
    };
    op.addEventListener("change", syncValue);
    syncValue();
    const row = h("div", { class: "filter-row" }, key, op, value, h("button", { type: "button", class: "icon", "aria-label": "Remove filter", onclick: () => row.remove() }, "×"));
    return row;
  };
  addFilter.addEventListener("click", () => {
    const row = filterRow({ key: "", op: "eq", value: "" });
    filterRows.append(row);
    row.querySelector("input")?.focus();
  });

  const syncVisibility = () => {
    pctField.hidden = agg.value !== "custom";
    const abs = rangeMode.value === "absolute";
    relative.closest(".field")!.toggleAttribute("hidden", abs);
    relativeCustom.closest(".field")!.toggleAttribute("hidden", abs || relative.value !== "custom");
    from.closest(".field")!.toggleAttribute("hidden", !abs);
    to.closest(".field")!.toggleAttribute("hidden", !abs);
    stepCustom.closest(".field")!.toggleAttribute("hidden", step.value !== "custom");
  };

  metric.addEventListener("change", () => {
    checked = [];
    void loadDims(metric.value);
  });
  groupBy.addEventListener("change", () => {
    checked = [...groupBy.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
  });
  for (const c of [agg, rangeMode, relative, step]) c.addEventListener("change", syncVisibility);

  const el = h(
    "form",
    { class: "card query-form", id: "query-form", "aria-label": "Query" },
    h("div", { class: "row" }, field("Metric", metric), field("Aggregation", agg), pctField),
    groupBy,
    h("fieldset", { class: "filters-set" }, h("legend", null, "Filters (all must match)"), filterRows, addFilter, datalist),
    h(
      "div",
      { class: "row" },
      field("Time range", rangeMode),
      field("Last", relative),
      field("Custom range", relativeCustom, "Go duration, plus d and w"),
      field("From (local time)", from),
      field("To (local time)", to),
      field("Interval", step),
      field("Custom interval", stepCustom, "at least 1s"),
    ),
    h("div", { class: "row" }, field("Lines", top, "the rest are folded or hidden"), field("Rank", order)),
    errors,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "q-run" }, "Run query")),
  );
  el.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const s = read();
    if (s) onSubmit(s);
  });

  const setMetricOptions = async (want: string) => {
    let names: string[] = [];
    try {
      names = (await metrics()).map((m) => m.name);
    } catch {
      // listed again by the explorer; the form still works with a metric from the URL
    }
    if (want && !names.includes(want)) names.unshift(want);
    replace(metric, h("option", { value: "" }, "— choose a metric —"), names.map((n) => h("option", { value: n, selected: n === want }, n)));
    metric.value = want;
  };

  function set(s: QueryState): void {
    void setMetricOptions(s.metric).then(() => loadDims(s.metric));
    checked = [...s.groupBy];
    renderGroupBy();
    const known = AGGREGATIONS.includes(s.agg);
    agg.value = known ? s.agg : "custom";
    pct.value = known ? "" : s.agg.replace(/^p/, "");
    replace(filterRows, s.filters.map(filterRow));
    if ("relative" in s.range) {
      rangeMode.value = "relative";
      const preset = RELATIVE.includes(s.range.relative);
      relative.value = preset ? s.range.relative : "custom";
      relativeCustom.value = preset ? "" : s.range.relative;
    } else {
      rangeMode.value = "absolute";
      from.value = toLocalInput(s.range.start);
      to.value = s.range.end ? toLocalInput(s.range.end) : "";
    }
    const presetStep = STEPS.includes(s.step);
    step.value = presetStep ? s.step : "custom";
    stepCustom.value = presetStep ? "" : s.step;
    top.value = String(s.top);
    order.value = s.order;
    syncVisibility();
    replace(errors);
  }

  function read(): QueryState | null {
    const problems: [HTMLElement, string][] = [];
    for (const c of el.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
    const s: QueryState = { ...DEFAULT_STATE, groupBy: [], filters: [] };
    s.metric = metric.value;
    if (!s.metric) problems.push([metric, "Choose a metric."]);
    s.agg = agg.value === "custom" ? "p" + pct.value.trim() : agg.value;
    if (!validAggregation(s.agg)) problems.push([pct, "A percentile is a number in (0, 100] with at most 3 decimals, e.g. 99.9."]);
    s.groupBy = [...groupBy.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
    const seen = new Set<string>();
    for (const row of filterRows.querySelectorAll<HTMLElement>(".filter-row")) {
      const key = row.querySelector<HTMLInputElement>(".f-key")!;
      const op = row.querySelector<HTMLSelectElement>(".f-op")!.value as Op;
      const value = row.querySelector<HTMLInputElement>(".f-value")!;
      const k = key.value.trim();
      if (!k) {
        if (value.value.trim()) problems.push([key, "A filter needs a dimension key."]);
        continue;
      }
      if (!/^[a-zA-Z_][a-zA-Z0-9_.]*$/.test(k)) problems.push([key, `"${k}" is not a valid dimension key.`]);
      if (seen.has(k)) problems.push([key, `Only one filter per key: "${k}" appears twice (use "in" for several values).`]);
      seen.add(k);
      if ((op === "in" || op === "nin") && !listValues(value.value).length) problems.push([value, `"${op}" needs at least one value.`]);
      s.filters.push({ key: k, op, value: op === "exists" || op === "absent" ? "" : value.value });
    }
    if (rangeMode.value === "relative") {
      const r = relative.value === "custom" ? relativeCustom.value.trim() : relative.value;
      if (parseDuration(r) === null) problems.push([relativeCustom, `"${r}" is not a duration like 90m, 3d or 1w.`]);
      s.range = { relative: r };
    } else {
      const start = fromLocalInput(from.value);
      const end = to.value ? fromLocalInput(to.value) : "";
      if (!start) problems.push([from, "Set the start of the range."]);
      else if (end && end < start) problems.push([to, "The end is before the start."]);
      s.range = { start, end };
    }
    s.step = step.value === "custom" ? stepCustom.value.trim() : step.value;
    if (step.value === "custom" && (parseDuration(s.step) ?? 0) < 1000) problems.push([stepCustom, `"${s.step}" is not an interval of at least 1s.`]);
    const n = Number(top.value);
    if (!Number.isInteger(n) || n < 1 || n > 100) problems.push([top, "Lines is a whole number from 1 to 100."]);
    s.top = n;
    s.order = order.value === "asc" ? "asc" : "desc";

    if (!problems.length) {
      replace(errors);
      return s;
    }
    for (const [c] of problems) c.setAttribute("aria-invalid", "true");
    replace(errors, h("div", { class: "msg error", role: "alert" }, h("strong", null, "Fix the query first:"), h("ul", null, problems.map(([, m]) => h("li", null, m)))));
    problems[0][0].focus();
    return null;
  }

  return { el, set, read };
}
