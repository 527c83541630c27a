// Query builder: the form, then for a run the chart (one line per group, top N), the table of
// the same groups, the requests it sent (JSON and curl) and what the server reported.
import { QueryResponse, runQuery, Timed } from "../api";
import { Chart, colorOf, renderChart } from "../chart";
import { h, replace } from "../dom";
import { fmtInt, fmtMs, fmtNum } from "../format";
import { unitOf } from "../metrics";
import { buildRequests, curlCommand, FOLDABLE, QueryState, stateFromParams, stateToParams } from "../querymodel";
import { navigate } from "../route";
import { foldTopN, Folded, groupsFrom, Row, rowsFrom } from "../series";
import { errorBox, loading } from "./common";
import { queryForm } from "./queryform";
import { Mount } from "./view";

export const mountQuery: Mount = (el, params, ctx) => {
  const results = h("section", { id: "query-results", "aria-label": "Results" });
  let chart: Chart | null = null;
  let seq = 0;
  let lastParams = "";

  const form = queryForm((s) => {
    const p = stateToParams(s);
    if (p.toString() === lastParams) void run(s); // same URL: no hashchange, run again anyway
    else navigate("query", p);
  });
  replace(el, h("h1", { tabindex: "-1" }, "Query"), form.el, results);

  async function run(s: QueryState): Promise<void> {
    const mine = ++seq;
    chart?.destroy();
    chart = null;
    if (!s.metric) {
      replace(results, h("p", { class: "empty" }, "Choose a metric, then run the query. Every setting is kept in the URL, so a query can be bookmarked or shared."));
      return;
    }
    replace(results, loading("Running query…"));
    const reqs = buildRequests(s);
    const [table, series, unit] = await Promise.all([
      runQuery(reqs.table).catch((e: unknown) => e),
      reqs.chart ? runQuery(reqs.chart).catch((e: unknown) => e) : Promise.resolve(null),
      unitOf(s.metric),
    ]);
    if (mine !== seq) return; // a newer run replaced this one
    const failed = [table, series].find((r) => r !== null && !isTimed(r));
    if (failed !== undefined) {
      replace(results, errorBox(failed, ctx, "The query failed"), requestPanel(reqs.chart, reqs.table));
      return;
    }
    showResults(s, reqs.interval, table as Timed<QueryResponse>, series as Timed<QueryResponse> | null, unit, reqs.chart, reqs.table);
  }

  function showResults(
    s: QueryState,
    interval: string | null,
    table: Timed<QueryResponse>,
    series: Timed<QueryResponse> | null,
    unit: string,
    chartReq: unknown,
    tableReq: unknown,
  ): void {
    const rows = rowsFrom(table.data.results ?? [], s.groupBy);
    const aggName = s.agg === "rate" ? "rate" : s.agg;
    const valueUnit = s.agg === "rate" ? "/s" : s.agg === "count" ? "" : s.agg === "integral" ? (unit ? `${unit}·s` : "·s") : unit;
    let folded: Folded | null = null;
    if (series) folded = foldTopN(groupsFrom(series.data.results ?? [], s.groupBy), s.top, FOLDABLE.has(s.agg), rows.length);

    const stats = h(
      "p",
      { class: "stats", id: "query-stats", role: "status" },
      `${fmtInt(rows.length)} group${rows.length === 1 ? "" : "s"}`,
      interval ? ` · ${interval} buckets` : " · no interval",
      ` · executed in ${fmtMs(table.data.executionTimeMs)}${series ? " + " + fmtMs(series.data.executionTimeMs) : ""} on the server`,
      ` · ${fmtInt(table.data.pointsScanned)} points and ${fmtInt(table.data.seriesScanned)} series scanned`,
    );
    stats.dataset.pointsScanned = String(table.data.pointsScanned);
    stats.dataset.executionTimeMs = String(table.data.executionTimeMs);

    const parts: HTMLElement[] = [stats];
    const chartBox = h("div", { class: "chart", id: "chart" });
    if (folded && folded.shown.length) {
      const drawn = folded.shown.length;
      chartBox.dataset.seriesCount = String(drawn);
      const caption = `${aggName} of ${s.metric}${s.groupBy.length ? " by " + s.groupBy.join(", ") : ""}, ${interval} buckets`;
      parts.push(h("figure", { class: "card" }, h("figcaption", null, caption), chartBox, foldNote(folded, s, rows.length, aggName)));
    } else if (series) {
      parts.push(h("p", { class: "empty" }, "No points in this range: nothing to draw."));
    } else {
      parts.push(h("p", { class: "hint" }, "Interval is none: the table shows one value per group over the whole range."));
    }
    parts.push(resultTable(s, rows, folded, aggName, valueUnit));
    parts.push(requestPanel(chartReq, tableReq));
    replace(results, parts);
    if (folded && folded.shown.length) chart = renderChart(chartBox, folded.shown, folded.other, valueUnit);
  }

  function foldNote(f: Folded, s: QueryState, total: number, aggName: string): HTMLElement | null {
    const rank = s.order === "desc" ? "top" : "bottom";
    const drawn = f.shown.length - (f.other ? 1 : 0);
    let text = "";
    if (f.other) text = `Showing the ${rank} ${drawn} of ${total} groups by ${aggName}; the other ${total - drawn} are summed into the grey "other" line.`;
    else if (f.hidden > 0)
      text = `Showing the ${rank} ${drawn} of ${total} groups by ${aggName}; ${f.hidden} more ${f.hidden === 1 ? "is" : "are"} not drawn (a ${aggName} of several groups cannot be added up). The table lists them all.`;
    return text ? h("p", { class: "note", id: "fold-note" }, text) : null;
  }

  function resultTable(s: QueryState, rows: Row[], folded: Folded | null, aggName: string, valueUnit: string): HTMLElement {
    if (!rows.length) return h("p", { class: "empty", id: "results-empty" }, "No series match: check the metric, the filters and the time range.");
    const drawn = new Map<string, number>();
    if (folded) folded.shown.forEach((g, i) => !(folded.other && i === folded.shown.length - 1) && drawn.set(g.label, i));
    const keys = s.groupBy.length ? s.groupBy : ["group"];
    const hasCount = rows.some((r) => r.count !== null);
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data", id: "results-table" },
        h("caption", null, `${aggName} over the whole range${s.groupBy.length ? ", by " + s.groupBy.join(", ") : ""}, ${s.order === "desc" ? "highest" : "lowest"} first`),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Line colour")),
            keys.map((k) => h("th", { scope: "col" }, k)),
            h("th", { scope: "col", class: "num" }, `${aggName}${valueUnit ? " (" + valueUnit + ")" : ""}`),
            hasCount ? h("th", { scope: "col", class: "num" }, "points") : null,
          ),
        ),
        h(
          "tbody",
          null,
          rows.map((r) => {
            const i = drawn.get(r.label);
            return h(
              "tr",
              { "data-group": r.label },
              h("td", null, swatch(i, folded?.other ?? false)),
              s.groupBy.length ? s.groupBy.map((k) => h("td", null, r.key[k] ? r.key[k] : h("em", null, "(none)"))) : h("td", null, "all"),
              h("td", { class: "num", "data-value": r.value === null ? "" : String(r.value) }, fmtNum(r.value)),
              hasCount ? h("td", { class: "num" }, fmtInt(r.count)) : null,
            );
          }),
        ),
      ),
    );
  }

  function requestPanel(chartReq: unknown, tableReq: unknown): HTMLElement {
    const origin = location.origin;
    const block = (title: string, body: unknown, id: string) => {
      const json = JSON.stringify(body, null, 2);
      const curl = curlCommand(origin, body);
      return h(
        "div",
        { class: "request" },
        h("h3", null, title),
        h("pre", { id: id + "-json", tabindex: "0" }, json),
        h("pre", { id: id + "-curl", class: "curl", tabindex: "0" }, curl),
        h("div", { class: "actions" }, copyButton("Copy JSON", json), copyButton("Copy as curl", curl)),
      );
    };
    return h(
      "details",
      { class: "card", id: "request-panel" },
      h("summary", null, "Request sent (JSON, curl)"),
      h("p", { class: "hint" }, "The curl commands read the token from $TOKEN; the UI never puts it in a URL."),
      chartReq ? block("Chart: buckets per group", chartReq, "req-chart") : null,
      block("Table: one value per group over the range", tableReq, "req-table"),
    );
  }

  const current = () => stateFromParams(params);
  form.set(current());
  lastParams = stateToParams(current()).toString();
  void run(current());

  return {
    update(p) {
      params = p;
      const s = current();
      lastParams = stateToParams(s).toString();
      form.set(s);
      void run(s);
    },
    destroy() {
      seq++;
      chart?.destroy();
    },
  };
};

// swatch shows which line a table row is: its colour, grey when folded into "other", or an
// outline when not drawn. Colours are set through the DOM (CSP forbids style attributes).
function swatch(line: number | undefined, folded: boolean): HTMLElement {
  const title = line !== undefined ? "line colour" : folded ? 'in the "other" line' : "not drawn";
  const el = h("span", { class: line === undefined && !folded ? "swatch none" : "swatch", role: "img", title, "aria-label": title });
  if (line !== undefined || folded) el.style.background = colorOf(line ?? 0, line === undefined);
  return el;
}

function isTimed(v: unknown): v is Timed<QueryResponse> {
  return typeof v === "object" && v !== null && "data" in v && "ms" in v;
}

function copyButton(label: string, text: string): HTMLButtonElement {
  const b = h("button", { type: "button" }, label);
  b.addEventListener("click", async () => {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard API (not a secure context)");
      await navigator.clipboard.writeText(text);
      b.textContent = "Copied";
    } catch {
      // Plain http on another host has no clipboard API: select the text for Ctrl+C instead.
      const pre = b.closest(".request")?.querySelector(label.includes("curl") ? ".curl" : "pre");
      if (pre) window.getSelection()?.selectAllChildren(pre);
      b.textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => (b.textContent = label), 2000);
  });
  return b;
}
