// Metric explorer: the tenant's metrics (type, unit, series count) and, for the selected one,
// its dimension keys with their most frequent values, each a shortcut into the query builder.
import { listDimensions, listValues, MetricInfo } from "../api";
import { field, h, replace } from "../dom";
import { fmtInt } from "../format";
import { metrics } from "../metrics";
import { DEFAULT_STATE, stateToParams } from "../querymodel";
import { formatHash } from "../route";
import { emptyNote, errorBox, loading } from "./common";
import { Mount } from "./view";

const TOP_VALUES = 10;

function queryLink(metric: string, extra: Partial<typeof DEFAULT_STATE>): string {
  return formatHash("query", stateToParams({ ...DEFAULT_STATE, metric, ...extra }));
}

export const mountExplore: Mount = (el, params, ctx) => {
  const list = h("div", { class: "panel", id: "metric-list" });
  const detail = h("section", { class: "panel", id: "metric-detail", "aria-live": "polite" });
  const search = h("input", { type: "search", id: "metric-search", placeholder: "name contains…", autocomplete: "off" });
  replace(
    el,
    h("h1", { tabindex: "-1" }, "Metrics"),
    h("div", { class: "split" }, h("div", null, field("Filter metrics", search), list), detail),
  );

  let all: MetricInfo[] = [];
  let selected = params.get("metric") ?? "";

  const renderList = () => {
    const q = search.value.trim().toLowerCase();
    const shown = all.filter((m) => m.name.toLowerCase().includes(q));
    if (!all.length) return replace(list, emptyNote("This tenant has no metrics yet. Write some with POST /api/v1/write or OTLP."));
    replace(
      list,
      h(
        "table",
        { class: "data", id: "metrics-table" },
        h("caption", null, `${shown.length} of ${all.length} metrics`),
        h("thead", null, h("tr", null, h("th", { scope: "col" }, "Metric"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Unit"), h("th", { scope: "col", class: "num" }, "Series"))),
        h(
          "tbody",
          null,
          shown.map((m) =>
            h(
              "tr",
              { class: m.name === selected ? "selected" : null },
              h("th", { scope: "row" }, h("a", { href: formatHash("explore", new URLSearchParams({ metric: m.name })), "aria-current": m.name === selected ? "true" : null }, m.name)),
              h("td", null, m.type),
              h("td", null, m.unit || "–"),
              h("td", { class: "num" }, fmtInt(m.seriesCount)),
            ),
          ),
        ),
      ),
    );
  };
  search.addEventListener("input", renderList);

  let seq = 0;
  const renderDetail = async () => {
    const mine = ++seq;
    if (!selected) return replace(detail, emptyNote("Select a metric to see its dimensions and their most frequent values."));
    const info = all.find((m) => m.name === selected);
    replace(detail, h("h2", null, selected), loading());
    try {
      const dims = (await listDimensions(selected)).data.dimensions ?? [];
      const values = await Promise.all(dims.map((k) => listValues(selected, k, TOP_VALUES).then((r) => r.data.values ?? [])));
      if (mine !== seq) return;
      replace(
        detail,
        h("h2", null, selected),
        h("p", { class: "meta" }, info ? `${info.type}${info.unit ? " · " + info.unit : ""} · ${fmtInt(info.seriesCount)} series` : ""),
        h("p", null, h("a", { class: "button primary", href: queryLink(selected, {}) }, "Chart this metric")),
        dims.length ? null : emptyNote("No dimensions: every point of this metric is one series."),
        dims.map((k, i) =>
          h(
            "div",
            { class: "dim" },
            h("h3", null, k, " ", h("a", { class: "small", href: queryLink(selected, { groupBy: [k] }) }, `group by ${k}`)),
            h("p", { class: "hint" }, values[i].length >= TOP_VALUES ? `Top ${TOP_VALUES} values, most frequent first (more exist)` : `${values[i].length} value${values[i].length === 1 ? "" : "s"}, most frequent first`),
            h(
              "ul",
              { class: "chips" },
              values[i].map((v) =>
                h("li", null, h("a", { href: queryLink(selected, { filters: [{ key: k, op: "eq", value: v }] }), title: `chart ${selected} where ${k} = ${v}` }, v === "" ? "(empty)" : v)),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      if (mine === seq) replace(detail, h("h2", null, selected), errorBox(e, ctx, "Could not load the dimensions"));
    }
  };

  const load = async () => {
    replace(list, loading());
    try {
      all = await metrics(true);
      renderList();
      void renderDetail();
    } catch (e) {
      replace(list, errorBox(e, ctx, "Could not list the metrics"));
    }
  };
  void load();

  return {
    update(p) {
      selected = p.get("metric") ?? "";
      renderList();
      void renderDetail();
    },
  };
};
