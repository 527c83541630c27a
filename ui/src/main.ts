// Entry point: the header (navigation, who is signed in) and the hash router that mounts one
// view at a time. Nothing here is rendered from HTML strings: every text goes through text
// nodes, so metric names and dimension values cannot inject markup.
import "./style.css";
import { h, replace } from "./dom";
import { forget } from "./metrics";
import { formatHash, hasSecret, parseHash, Route, View } from "./route";
import { clear, current, expiresIn } from "./session";
import { mountCardinality } from "./views/cardinality";
import { Ctx } from "./views/common";
import { mountExplore } from "./views/explore";
import { mountLimits } from "./views/limits";
import { mountQuery } from "./views/query";
import { renderSignIn } from "./views/signin";
import { Mount, ViewInstance } from "./views/view";

const VIEWS: Record<View, { title: string; mount: Mount }> = {
  explore: { title: "Explore", mount: mountExplore },
  query: { title: "Query", mount: mountQuery },
  cardinality: { title: "Cardinality", mount: mountCardinality },
  limits: { title: "Limits", mount: mountLimits },
};

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const sessionBox = document.getElementById("session") as HTMLElement;

let active: { view: View; instance: ViewInstance } | null = null;

const ctx: Ctx = {
  signOut() {
    clear();
    forget();
    unmount();
    render();
  },
};

function unmount(): void {
  active?.instance.destroy?.();
  active = null;
}

function renderHeader(route: Route | null): void {
  const s = current();
  replace(
    nav,
    s
      ? h(
          "ul",
          null,
          (Object.keys(VIEWS) as View[]).map((v) =>
            h("li", null, h("a", { href: formatHash(v), "aria-current": route?.view === v ? "page" : null }, VIEWS[v].title)),
          ),
        )
      : null,
  );
  if (!s) return replace(sessionBox);
  replace(
    sessionBox,
    h("span", { class: "tenant", title: "tenant_id claim of the token" }, h("span", { class: "label" }, "tenant "), h("strong", { id: "session-tenant" }, s.tenant)),
    h("span", { class: "scopes", id: "session-scopes", title: "scopes claim of the token" }, s.scopes.length ? s.scopes.map((sc) => h("span", { class: "chip" }, sc)) : h("span", { class: "chip warn" }, "no scopes")),
    h("span", { class: "exp" }, expiresIn(s.exp)),
    h("button", { type: "button", id: "sign-out", onclick: () => ctx.signOut() }, "Sign out"),
  );
}

function render(): void {
  if (hasSecret(location.hash)) {
    // A token pasted into a link must not stay in the address bar or the history.
    const r = parseHash(location.hash);
    history.replaceState(null, "", formatHash(r.view, r.params));
  }
  const route = parseHash(location.hash);
  renderHeader(route);
  if (!current()) {
    unmount();
    document.title = "Sign in · Luminate";
    renderSignIn(main, ctx, render);
    return;
  }
  document.title = `${VIEWS[route.view].title} · Luminate`;
  if (active && active.view === route.view) {
    active.instance.update(route.params);
    return;
  }
  unmount();
  active = { view: route.view, instance: VIEWS[route.view].mount(main, route.params, ctx) };
  main.querySelector<HTMLElement>("h1")?.focus({ preventScroll: true });
}

window.addEventListener("hashchange", render);
render();
