// fleet.inventory web page: DOM helpers.  Nothing here (or anywhere in the page) parses HTML: every string
// from the API becomes a text node (textContent), so a host called "<img src=x onerror=...>" is shown as text.

/** Only the page's own routes and API paths are links. */
function safeHref(value) {
  const text = String(value);
  return text.startsWith("#/") || text.startsWith("/api/") ? text : "#/";
}

/** ``h("a", {href: "#/x", class: "c", onclick: fn}, "text", child)``: an element; children are nodes or text. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "href") el.setAttribute("href", safeHref(value));
    else if (key === "value") el.value = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace the children of ``el``. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, ...children);
}

/** A "loading" line (role=status). */
export function loading(what) {
  return h("p", { class: "state loading", role: "status" }, "Loading " + what + "…");
}

/** An error box for ``err`` (an ApiError or any Error), role=alert. */
export function errorBox(err, what) {
  const status = err && err.status !== undefined ? err.status : null;
  const box = h("div", { class: "error", role: "alert" });
  append(box, [what ? h("strong", {}, what + ": ") : null, err && err.message ? err.message : String(err)]);
  if (status === 401) append(box, [" ", h("a", { href: "#/signin" }, "Sign in again")]);
  if (status === 403) box.classList.add("forbidden");
  box.dataset.status = status === null ? "" : String(status);
  return box;
}

/** A status badge: successful, failed, running ... */
export function badge(status) {
  const text = status || "never updated";
  return h("span", { class: "badge status-" + text.replace(/[^a-z]+/gi, "-") }, text);
}

/** A date-time as the browser's locale writes it (the ISO text as a title). */
export function when(value) {
  if (!value) return h("span", { class: "muted" }, "—");
  const date = new Date(value);
  const text = isNaN(date) ? String(value) : date.toLocaleString();
  return h("time", { datetime: String(value), title: String(value) }, text);
}

/** A JSON value as nested <details> (native, keyboard-operable collapsing); ``open`` levels start open. */
export function jsonTree(value, label, open = 1) {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
    const summary = h("summary", {}, label !== undefined ? h("span", { class: "key" }, label) : null,
      h("span", { class: "muted" }, Array.isArray(value) ? " [" + entries.length + "]" : " {" + entries.length + "}"));
    const details = h("details", { class: "json" }, summary);
    if (open > 0) details.open = true;
    const list = h("ul", {});
    for (const [key, item] of entries) list.append(h("li", {}, jsonTree(item, key, open - 1)));
    if (!entries.length) list.append(h("li", { class: "muted" }, "(empty)"));
    details.append(list);
    return details;
  }
  return h("span", { class: "leaf" }, label !== undefined ? h("span", { class: "key" }, label + ": ") : null,
    h("span", { class: "value " + (value === null ? "null" : typeof value) }, JSON.stringify(value)));
}

/** Parse AWX's JSON text fields (variables, source_vars); the text itself when it is not JSON. */
export function parseText(text) {
  if (!text) return {};
  try { return JSON.parse(text); } catch (_err) { return text; }
}

/** Say ``text`` to screen readers. */
export function announce(text) {
  const el = document.getElementById("announce");
  if (el) el.textContent = text;
}
