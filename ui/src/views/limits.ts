// Limits: the tenant's limits next to its current usage, so a limit is seen before it is hit.
import { ApiError, get } from "../api";
import { h, replace } from "../dom";
import { fmtNum } from "../format";
import { LimitRow, readLimits } from "../tolerant";
import { emptyNote, errorBox, loading, notAvailable } from "./common";
import { Mount } from "./view";

const ENDPOINT = "/api/v1/limits";

const show = (v: number | string | null) => (v === null ? "–" : typeof v === "number" ? fmtNum(v) : v);

// usageCell: the usage, and a meter when both numbers are known (a limit of 0 or less usually
// means "unlimited", so no meter then).
function usageCell(r: LimitRow): HTMLElement {
  const td = h("td", { class: "num" }, show(r.usage));
  if (typeof r.usage === "number" && typeof r.limit === "number" && r.limit > 0) {
    const pct = (100 * r.usage) / r.limit;
    const meter = h("meter", { min: "0", max: String(r.limit), low: String(0.7 * r.limit), high: String(0.9 * r.limit), optimum: "0", value: String(r.usage) });
    meter.setAttribute("aria-label", `${r.name}: ${pct.toFixed(1)}% of the limit`);
    td.append(" ", meter, h("small", null, ` ${pct < 0.1 && pct > 0 ? "<0.1" : pct.toFixed(1)}%`));
  }
  return td;
}

export const mountLimits: Mount = (el, _params, ctx) => {
  const out = h("div", { id: "limits-result", "aria-live": "polite" });
  const reload = h("button", { type: "button" }, "Refresh");
  replace(el, h("h1", { tabindex: "-1" }, "Limits"), h("p", null, reload), out);

  let seq = 0;
  async function load(): Promise<void> {
    const mine = ++seq;
    replace(out, loading());
    try {
      const r = await get<unknown>(ENDPOINT);
      if (mine !== seq) return;
      const l = readLimits(r.data);
      replace(
        out,
        h(
          "div",
          { "data-state": "loaded" },
          l.tenant ? h("p", { class: "stats" }, `Tenant ${l.tenant}`) : null,
          l.rows.length
            ? h(
                "div",
                { class: "table-wrap" },
                h(
                  "table",
                  { class: "data", id: "limits-table" },
                  h("caption", null, "Limits of this tenant and current usage"),
                  h("thead", null, h("tr", null, h("th", { scope: "col" }, "Setting"), h("th", { scope: "col", class: "num" }, "Limit"), h("th", { scope: "col", class: "num" }, "Usage"))),
                  h("tbody", null, l.rows.map((row) => h("tr", null, h("th", { scope: "row" }, row.name), h("td", { class: "num" }, show(row.limit)), usageCell(row)))),
                ),
              )
            : emptyNote("The server answered, but in a shape this UI does not know; the raw answer is below."),
          h("details", { class: "card" }, h("summary", null, "Raw answer"), h("pre", { tabindex: "0" }, JSON.stringify(r.data, null, 2))),
        ),
      );
    } catch (e) {
      if (mine !== seq) return;
      replace(out, e instanceof ApiError && e.missingEndpoint ? notAvailable(ENDPOINT, "Limits") : errorBox(e, ctx, "Could not load the limits"));
    }
  }
  reload.addEventListener("click", () => void load());
  void load();
  return { update: () => void load() };
};
