// Pieces every view uses: error and status messages, the "not on this server yet" notice, and
// a loading placeholder.
import { ApiError } from "../api";
import { h } from "../dom";

export interface Ctx {
  // signOut clears the session and shows the sign-in form (offered on 401 errors).
  signOut(): void;
}

// errorBox renders any failure readably: the API's code and message, the HTTP status, and
// what to do for the common cases.
export function errorBox(err: unknown, ctx: Ctx, what = "The request failed"): HTMLElement {
  if (!(err instanceof ApiError)) {
    return h("div", { class: "msg error", role: "alert" }, h("strong", null, what + ": "), err instanceof Error ? err.message : String(err));
  }
  const status = err.status ? ` (HTTP ${err.status})` : "";
  return h(
    "div",
    { class: "msg error", role: "alert", "data-code": err.code },
    h("strong", null, `${what}: `),
    h("code", { class: "code" }, err.code),
    status,
    h("p", { class: "msg-text" }, err.message || "no message"),
    err.details !== undefined ? h("details", null, h("summary", null, "Details"), h("pre", null, JSON.stringify(err.details, null, 2))) : null,
    err.unauthorized ? h("button", { type: "button", onclick: () => ctx.signOut() }, "Sign in with another token") : null,
  );
}

// notAvailable is the notice for an endpoint this server does not have yet (404 on its route).
export function notAvailable(endpoint: string, what: string): HTMLElement {
  return h(
    "div",
    { class: "msg notice", role: "status", "data-state": "not-available" },
    h("strong", null, `${what}: not available on this server yet.`),
    h("p", null, h("code", null, `GET ${endpoint}`), " answered 404: this Luminate version does not serve it. The view fills in by itself once the server has the endpoint."),
  );
}

export function loading(label = "Loading…"): HTMLElement {
  return h("p", { class: "loading", role: "status" }, label);
}

export function emptyNote(text: string): HTMLElement {
  return h("p", { class: "empty" }, text);
}
