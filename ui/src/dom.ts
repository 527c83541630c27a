// A tiny element builder, so views read like markup without a framework.

export type Child = Node | string | number | null | undefined | false | Child[];
type AttrValue = string | number | boolean | null | undefined | ((ev: Event) => void);
export type Attrs = Record<string, AttrValue>;

// h creates an element. Attributes named on* become listeners; true renders an empty
// attribute, false/null/undefined none; "value" and "checked" are set as properties too, so
// they hold after the user has edited the field.
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (typeof v === "function") {
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (v === true) {
      el.setAttribute(k, "");
    } else if (v !== false && v !== null && v !== undefined) {
      el.setAttribute(k, String(v));
    }
    if (k === "value" && "value" in el && typeof v !== "function") (el as HTMLInputElement).value = v == null ? "" : String(v);
    if (k === "checked" && el instanceof HTMLInputElement) el.checked = v === true;
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

// replace empties el and appends children.
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
// uid returns a document-unique id for label/aria wiring.
export function uid(prefix: string): string {
  ids++;
  return `${prefix}-${ids}`;
}

// field wraps a control with its label (and an optional hint wired through aria-describedby).
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || uid("f");
  control.id = id;
  const parts: Child[] = [h("label", { for: id }, label), control];
  if (hint) {
    const hid = id + "-hint";
    control.setAttribute("aria-describedby", hid);
    parts.push(h("small", { id: hid, class: "hint" }, hint));
  }
  return h("div", { class: "field" }, parts);
}

// select builds a <select> from [value, label] pairs.
export function select(attrs: Attrs, options: [string, string][], selected: string): HTMLSelectElement {
  return h("select", attrs, options.map(([v, l]) => h("option", { value: v, selected: v === selected }, l)));
}
