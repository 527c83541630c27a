// The whole view state lives in the URL's hash, "#/query?metric=api_latency&agg=p95", so a view
// can be bookmarked or shared. The token never does: it is not view state, and a few parameter
// names that would carry one are dropped on the way in and out.

export const VIEWS = ["explore", "query", "cardinality", "limits"] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  view: View;
  params: URLSearchParams;
}

const SECRET_PARAMS = ["token", "access_token", "jwt", "authorization", "bearer"];

function scrub(p: URLSearchParams): URLSearchParams {
  for (const k of [...p.keys()]) if (SECRET_PARAMS.includes(k.toLowerCase())) p.delete(k);
  return p;
}

export function parseHash(hash: string): Route {
  const s = hash.replace(/^#\/?/, "");
  const q = s.indexOf("?");
  const name = q < 0 ? s : s.slice(0, q);
  const params = scrub(new URLSearchParams(q < 0 ? "" : s.slice(q + 1)));
  const view = (VIEWS as readonly string[]).includes(name) ? (name as View) : "explore";
  return { view, params };
}

export function formatHash(view: View, params?: URLSearchParams): string {
  const qs = params ? scrub(new URLSearchParams(params)).toString() : "";
  return `#/${view}${qs ? "?" + qs : ""}`;
}

// navigate changes the hash; the hashchange listener in main.ts renders the view.
export function navigate(view: View, params?: URLSearchParams): void {
  const next = formatHash(view, params);
  if (location.hash !== next) location.hash = next;
}

// hasSecret reports whether a hash carries a token-like parameter, so main.ts can rewrite it.
export function hasSecret(hash: string): boolean {
  const s = hash.replace(/^#\/?/, "");
  const q = s.indexOf("?");
  if (q < 0) return false;
  return [...new URLSearchParams(s.slice(q + 1)).keys()].some((k) => SECRET_PARAMS.includes(k.toLowerCase()));
}
