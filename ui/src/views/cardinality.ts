// Cardinality: series per metric and, per dimension key, how many distinct values it has and
// which values carry the most series; what an operator opens when series explode.
import { ApiError, get } from "../api";
import { field, h, replace } from "../dom";
import { fmtInt } from "../format";
import { metrics } from "../metrics";
import { DEFAULT_STATE, stateToParams } from "../querymodel";
import { formatHash, navigate } from "../route";
import { Cardinality, DimCardinality, readCardinality } from "../tolerant";
import { emptyNote, errorBox, loading, notAvailable } from "./common";
import { Mount } from "./view";

const ENDPOINT = "/api/v1/cardinality";

// bar is a horizontal bar for a share of the maximum, hidden from screen readers (the number
// next to it says the same).
function bar(n: number | null, max: number): HTMLElement {
  const el = h("span", { class: "bar", "aria-hidden": "true" });
  el.style.width = n && max > 0 ? `${Math.max(1, Math.round((100 * n) / max))}%` : "0";
  return el;
}

export const mountCardinality: Mount = (el, params, ctx) => {
  const metricSel = h("select", { id: "c-metric", name: "metric" });
  const topN = h("input", { id: "c-top", name: "topN", type: "number", min: "1", max: "100", value: "10", inputmode: "numeric" });
  const out = h("div", { id: "cardinality-result", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card row", "aria-label": "Cardinality" },
    field("Metric", metricSel),
    field("Top values per key", topN),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Show")),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    if (metricSel.value) p.set("metric", metricSel.value);
    p.set("top", topN.value || "10");
    if (p.toString() === params.toString()) void load();
    else navigate("cardinality", p);
  });
  replace(el, h("h1", { tabindex: "-1" }, "Cardinality"), form, out);

  const fillMetrics = async () => {
    const want = params.get("metric") ?? "";
    let names: string[] = [];
    try {
      names = (await metrics()).map((m) => m.name);
    } catch {
      // the cardinality call below reports problems with the token or the server
    }
    if (want && !names.includes(want)) names.unshift(want);
    replace(metricSel, h("option", { value: "" }, "all metrics"), names.map((n) => h("option", { value: n, selected: n === want }, n)));
    metricSel.value = want;
  };

  let seq = 0;
  async function load(): Promise<void> {
    const mine = ++seq;
    const metric = params.get("metric") ?? "";
    const top = Math.min(100, Math.max(1, Number(params.get("top")) || 10));
    topN.value = String(top);
    void fillMetrics();
    replace(out, loading());
    const qs = new URLSearchParams({ topN: String(top) });
    if (metric) qs.set("metric", metric);
    try {
      const r = await get<unknown>(`${ENDPOINT}?${qs}`);
      if (mine === seq) replace(out, render(readCardinality(r.data), r.data, metric));
    } catch (e) {
      if (mine !== seq) return;
      if (e instanceof ApiError && e.missingEndpoint) replace(out, notAvailable(ENDPOINT, "Cardinality"), await fallback());
      else replace(out, errorBox(e, ctx, "Could not load the cardinality"));
    }
  }

  // fallback: without the endpoint, the series count per metric is still known from discovery.
  async function fallback(): Promise<HTMLElement | null> {
    try {
      const ms = [...(await metrics())].sort((a, b) => b.seriesCount - a.seriesCount);
      if (!ms.length) return null;
      const max = ms[0].seriesCount;
      return h(
        "div",
        { class: "card" },
        h("h2", null, "Series per metric"),
        h("p", { class: "hint" }, "From GET /api/v1/metrics, which this server has."),
        seriesTable(ms.map((m) => ({ name: m.name, series: m.seriesCount })), max),
      );
    } catch {
      return null;
    }
  }

  function seriesTable(rows: { name: string; series: number | null }[], max: number): HTMLElement {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", id: "card-metrics" },
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Metric"), h("th", { scope: "col", class: "num" }, "Series"), h("th", { scope: "col", class: "bar-col" }, h("span", { class: "visually-hidden" }, "Share")))),
        h(
          "tbody",
          null,
          rows.map((m) =>
            h(
              "tr",
              null,
              h("th", { scope: "row" }, h("a", { href: formatHash("cardinality", new URLSearchParams({ metric: m.name })) }, m.name)),
              h("td", { class: "num" }, fmtInt(m.series)),
              h("td", { class: "bar-col" }, bar(m.series, max)),
            ),
          ),
        ),
      ),
    );
  }

  function dimCard(d: DimCardinality): HTMLElement {
    const max = Math.max(0, ...d.top.map((t) => t.series ?? 0));
    const metric = d.metric ?? params.get("metric") ?? "";
    return h(
      "div",
      { class: "card dim-card", "data-key": d.key },
      h("h3", null, d.metric ? `${d.metric} · ` : "", d.key, " ", h("span", { class: "meta" }, d.distinct === null ? "" : `${fmtInt(d.distinct)} distinct value${d.distinct === 1 ? "" : "s"}`)),
      d.top.length
        ? h(
            "table",
            { class: "data compact" },
            h("caption", { class: "visually-hidden" }, `Top values of ${d.key} by series count`),
            h("thead", null, h("tr", null, h("th", { scope: "col" }, "Value"), h("th", { scope: "col", class: "num" }, "Series"), h("th", { scope: "col", class: "bar-col" }, h("span", { class: "visually-hidden" }, "Share")))),
            h(
              "tbody",
              null,
              d.top.map((t, i) =>
                h(
                  "tr",
                  { class: i === 0 ? "top-value" : null },
                  h(
                    "th",
                    { scope: "row" },
                    metric
                      ? h("a", { href: formatHash("query", stateToParams({ ...DEFAULT_STATE, metric, agg: "count", filters: [{ key: d.key, op: "eq", value: t.value }] })) }, t.value || "(empty)")
                      : t.value || "(empty)",
                  ),
                  h("td", { class: "num" }, fmtInt(t.series)),
                  h("td", { class: "bar-col" }, bar(t.series, max)),
                ),
              ),
            ),
          )
        : emptyNote("No top values reported."),
    );
  }

  function render(c: Cardinality, raw: unknown, metric: string): HTMLElement {
    const max = Math.max(0, ...c.metrics.map((m) => m.series ?? 0));
    const understood = c.metrics.length > 0 || c.dims.length > 0;
    return h(
      "div",
      { "data-state": "loaded" },
      c.totalSeries !== null ? h("p", { class: "stats" }, `${fmtInt(c.totalSeries)} series${metric ? " in " + metric : " in this tenant"}`) : null,
      c.metrics.length ? h("div", { class: "card" }, h("h2", null, "Series per metric"), seriesTable(c.metrics, max)) : null,
      c.dims.length ? h("h2", null, "Dimension keys") : null,
      h("div", { class: "grid" }, c.dims.map(dimCard)),
      understood ? null : emptyNote("The server answered, but in a shape this UI does not know; the raw answer is below."),
      h("details", { class: "card" }, h("summary", null, "Raw answer"), h("pre", { tabindex: "0" }, JSON.stringify(raw, null, 2))),
    );
  }

  void load();
  return {
    update(p) {
      params = p;
      void load();
    },
  };
};
