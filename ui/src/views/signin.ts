// Sign-in: paste a token; it is checked against the server before it is kept.
import { ApiError, listMetrics } from "../api";
import { h, replace } from "../dom";
import { clear, sessionFromToken, store } from "../session";
import { Ctx, errorBox } from "./common";

export function renderSignIn(el: HTMLElement, ctx: Ctx, onSignedIn: () => void): void {
  const input = h("textarea", {
    id: "token",
    name: "token",
    rows: 4,
    required: true,
    spellcheck: "false",
    autocomplete: "off",
    autocapitalize: "off",
    "aria-describedby": "token-hint",
    placeholder: "eyJhbGciOiJIUzI1NiIs…",
  });
  const out = h("div", { id: "signin-result" });
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "card signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title", tabindex: "-1" }, "Sign in"),
    h("label", { for: "token" }, "API token (JWT)"),
    input,
    h(
      "p",
      { id: "token-hint", class: "hint" },
      "Any token of this server with the read scope. It stays in this tab only (sessionStorage) and is never put in the URL. ",
      "Mint one with ",
      h("code", null, "bin/luminate-token --tenant demo --scopes read --ttl 8h"),
      ".",
    ),
    button,
    out,
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    replace(out);
    let s;
    try {
      s = sessionFromToken(input.value);
    } catch (e) {
      replace(out, errorBox(e, ctx, "This token cannot be used"));
      return;
    }
    button.disabled = true;
    store(s);
    try {
      await listMetrics(); // proves the token and the read scope before showing any view
      input.value = "";
      onSignedIn();
    } catch (e) {
      clear();
      replace(out, errorBox(e, ctx, e instanceof ApiError && e.status === 403 ? "The token lacks the read scope" : "The server refused the token"));
    } finally {
      button.disabled = false;
    }
  });
  replace(el, form);
  input.focus();
}
