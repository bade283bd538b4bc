// fleet.inventory web page (docs/web.md): sign in with a token, search hosts with a host_filter, inventories,
// updates.  Plain ES modules, no build step, nothing from the network but the service's own API.
// Every string from the API goes into the DOM as text (dom.js h()/textContent), never as HTML.

import { api, ApiError, bodyText, isAbort, onUnauthorized, session, withQuery } from "./api.js";
import { announce, append, badge, errorBox, fill, h, jsonTree, loading, parseText, when } from "./dom.js";
import { currentWord, suggest } from "./complete.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
const signoutButton = document.getElementById("signout");
const PAGE_SIZE = 25;
const DEBOUNCE_MS = 250;
const POLL_MS = 1000;
const ACTIVE = new Set(["pending", "waiting", "running"]);
const KIND_NAMES = { "": "regular", smart: "smart", constructed: "constructed" };

/** What the page remembers while it is open (not stored anywhere). */
const state = { me: null, filter: "", page: 1 };
/** An error to show on the next sign-in form (a 401 that sent the user there). */
let pendingNote = null;
/** The cleanup of the view on screen (aborts its requests, stops its timers). */
let leave = () => {};

// -- helpers -------------------------------------------------------------------------------------------

/** A scope for a view: ``scope.signal`` aborts its requests, ``scope.timer(fn, ms)`` runs until it is left. */
function makeScope() {
  const controller = new AbortController();
  const timers = new Set();
  return {
    signal: controller.signal,
    get left() { return controller.signal.aborted; },
    later(fn, ms) {
      const id = setTimeout(() => { timers.delete(id); if (!controller.signal.aborted) fn(); }, ms);
      timers.add(id);
      return id;
    },
    close() { controller.abort(); timers.forEach(clearTimeout); timers.clear(); },
  };
}

/** Run ``load()`` into ``box`` with a loading line and an error box; ``render(data)`` fills it. */
async function into(box, what, load, render) {
  fill(box, loading(what));
  box.setAttribute("aria-busy", "true");
  try {
    const data = await load();
    fill(box);
    render(data);
  } catch (err) {
    if (isAbort(err)) return;
    fill(box, errorBox(err, "Could not load " + what));
  } finally {
    box.removeAttribute("aria-busy");
  }
}

function table(caption, headers, rows, empty) {
  if (!rows.length) return h("p", { class: "state empty" }, empty || "Nothing to show.");
  return h("div", { class: "table-wrap" },
    h("table", {},
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) => h("td", { "data-label": headers[i] }, cell)))))));
}

/** AWX's paging as buttons: "Previous", "page X of Y (N items)", "Next"; ``go(link)`` loads a page link. */
function pager(data, pageNumber, go, noun) {
  const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
  return h("nav", { class: "pager", "aria-label": noun + " pages" },
    h("button", { type: "button", disabled: !data.previous, onclick: () => go(data.previous, pageNumber - 1) }, "‹ Previous"),
    h("span", { class: "count" }, "page " + pageNumber + " of " + pages + " · " + data.count + " " + noun),
    h("button", { type: "button", disabled: !data.next, onclick: () => go(data.next, pageNumber + 1) }, "Next ›"));
}

function heading(text, ...extra) {
  return h("h1", { id: "view-title", tabindex: "-1" }, text, ...extra);
}

function counts(value) {
  if (!value || typeof value !== "object" || !Object.keys(value).length) return h("span", { class: "muted" }, "—");
  // the importer's counts: {"hosts": {"added": 3, ...}, "groups": {...}, "total_hosts": 3, ...}
  const parts = [];
  for (const [key, v] of Object.entries(value)) {
    if (v && typeof v === "object") {
      parts.push(key + ": " + Object.entries(v).map(([k, n]) => k + " " + n).join(", "));
    } else if (typeof v === "number" && key.startsWith("total_")) {
      parts.push(key.slice(6) + " in all: " + v);
    }
  }
  return parts.length ? parts.join("; ") : JSON.stringify(value);
}

function elapsed(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(1) + " s";
}

// -- sign in, sign out ---------------------------------------------------------------------------------

async function loadMe(token) {
  const { data } = await api("/api/v2/me/", { token });
  return data.results[0];
}

function showUser() {
  const signedIn = Boolean(state.me);
  nav.hidden = !signedIn;
  signoutButton.hidden = !signedIn;
  fill(who, signedIn ? [h("span", { class: "sr-only" }, "Signed in as "), state.me.username,
    state.me.is_superuser ? h("span", { class: "muted" }, " (superuser)") : null] : []);
}

function signOut() {
  session.clear();
  state.me = null;
  showUser();
  announce("Signed out");
  go("#/signin");
}

/** Show the page of ``hash`` (a hashchange routes it; the same hash again is routed here). */
function go(hash, note) {
  pendingNote = note || null;
  if (location.hash === hash) route();
  else location.hash = hash;
}

function viewSignIn(scope, _params, note) {
  const input = h("input", { id: "token", name: "token", type: "password", autocomplete: "off", spellcheck: "false",
    required: true, "aria-describedby": "token-help" });
  const message = h("div", { class: "message", "aria-live": "polite" });
  if (note) fill(message, errorBox(note));
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "card signin", "aria-labelledby": "view-title" },
    h("label", { for: "token" }, "API token"), input,
    h("p", { id: "token-help", class: "help" }, "A token made with the module fleet.inventory.token (", h("code", {}, "fli_…"),
      "). The page keeps it in this tab's session storage only, until you sign out or close the tab."),
    button, message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    button.disabled = true;
    fill(message, loading("your user"));
    try {
      const me = await loadMe(token);
      session.set(token);
      state.me = me;
      showUser();
      announce("Signed in as " + me.username);
      go("#/search");
    } catch (err) {
      fill(message, errorBox(err, "Sign-in failed"));
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  fill(main, heading("Sign in"), form);
  input.focus();
}

// -- search --------------------------------------------------------------------------------------------

/** The column of a host_filter error ("host_filter: ... at column 7"), 1-based, or null. */
export function errorColumn(text) {
  const match = /at column (\d+)\s*$/.exec(String(text || ""));
  return match ? Number(match[1]) : null;
}

function filterError(err, filter) {
  const text = err.body && typeof err.body === "object" && err.body.error ? err.body.error : err.message;
  const column = errorColumn(text);
  const box = h("div", { class: "error filter-error", role: "alert", "data-status": String(err.status) },
    h("p", {}, h("strong", {}, err.status + " "), text));
  if (column !== null) {
    const chars = Array.from(filter);
    const at = Math.min(column - 1, chars.length);
    box.dataset.column = String(column);
    box.append(h("pre", { class: "marker", "aria-label": "the filter, marked at column " + column },
      h("span", {}, chars.slice(0, at).join("")),
      h("mark", {}, chars[at] !== undefined ? chars[at] : " "),
      h("span", {}, chars.slice(at + 1).join("")),
      "\n" + " ".repeat(at) + "^ column " + column));
  }
  return box;
}

function hostRows(hosts) {
  return hosts.map((host) => [
    h("a", { href: "#/hosts/" + host.id, class: "host-link" }, host.name),
    h("a", { href: "#/inventories/" + host.inventory }, (host.summary_fields.inventory || {}).name || String(host.inventory)),
    host.enabled ? "yes" : "no",
    host.instance_id || h("span", { class: "muted" }, "—"),
  ]);
}

function viewSearch(scope) {
  const input = h("input", { id: "host-filter", type: "text", role: "combobox", autocomplete: "off", spellcheck: "false",
    "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": "completions", "aria-describedby": "filter-help",
    placeholder: "e.g. ansible_facts__ansible_distribution=Ubuntu and groups__name=web", value: state.filter });
  const list = h("ul", { id: "completions", role: "listbox", class: "completions", "aria-label": "Completions", hidden: true });
  const errorArea = h("div", { id: "filter-error", class: "filter-message" });
  const results = h("div", { id: "results", class: "results", "aria-live": "polite" });
  const saveArea = h("div", { class: "save-area" });
  let searchScope = null;
  let completeScope = null;
  let debounce = null;
  let options = [];
  let active = -1;
  let lastGood = null;

  function closeList() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    options = [];
    active = -1;
  }

  function setActive(index) {
    active = index;
    list.querySelectorAll("[role=option]").forEach((el, i) => el.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", "completion-" + index);
      const el = document.getElementById("completion-" + index);
      if (el) el.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function accept(index) {
    const option = options[index];
    const word = currentWord(input.value, input.selectionStart);
    if (!option || !word) return;
    // a key with spaces, parentheses, = or quotes must be quoted (host_filter.md "Syntax")
    let text = option.text;
    if (/[\s()='"]/.test(text)) text = text.includes('"') ? "'" + text + "'" : '"' + text + '"';
    input.value = input.value.slice(0, word.start) + text + input.value.slice(word.end);
    const caret = word.start + text.length;
    input.setSelectionRange(caret, caret);
    closeList();
    input.focus();
    complete();
    schedule();
  }

  async function complete() {
    if (completeScope) completeScope.close();
    const word = currentWord(input.value, input.selectionStart);
    if (!word || !word.word) { closeList(); return; }
    completeScope = makeScope();
    const mine = completeScope;
    let found;
    try {
      found = await suggest(word.word, mine.signal);
    } catch (err) {
      if (isAbort(err)) return;
      found = [];
    }
    if (mine.left || scope.left) return;
    options = found.filter((o) => o.text && o.text !== word.word).slice(0, 30);
    const failed = found.find((o) => o.kind === "error");
    fill(list, options.map((o, i) => h("li", { id: "completion-" + i, role: "option", "aria-selected": "false", class: "option",
      onmousedown: (event) => { event.preventDefault(); accept(i); } }, h("span", { class: "text" }, o.text), h("span", { class: "kind" }, o.kind))),
    failed ? h("li", { class: "option error-option", role: "presentation" }, "fact paths: " + failed.error) : null);
    list.hidden = !options.length && !failed;
    input.setAttribute("aria-expanded", String(!list.hidden));
    active = -1;
  }

  function renderSave(filter) {
    fill(saveArea);
    if (!filter || !state.me) return;
    if (!state.me.is_superuser) {
      saveArea.append(h("p", { class: "help" }, "Saving this filter as a smart inventory needs a superuser."));
      return;
    }
    const name = h("input", { id: "smart-name", type: "text", required: true, autocomplete: "off" });
    const message = h("div", { class: "message", "aria-live": "polite" });
    const button = h("button", { type: "submit" }, "Save as smart inventory");
    const form = h("form", { class: "save-smart", "aria-label": "Save as smart inventory" },
      h("label", { for: "smart-name" }, "Smart inventory name"), name, button, message);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      fill(message, loading("the new smart inventory"));
      try {
        const { data } = await api("/api/v2/inventories/", { method: "POST", body: { name: name.value, kind: "smart", host_filter: filter } });
        fill(message, h("p", { class: "ok", role: "status" }, "Saved: ", h("a", { href: "#/inventories/" + data.id, id: "saved-link" }, data.name),
          " (smart inventory " + data.id + ")"));
        announce("Saved smart inventory " + data.name);
      } catch (err) {
        if (!isAbort(err)) fill(message, errorBox(err, "Not saved"));
      } finally {
        button.disabled = false;
      }
    });
    saveArea.append(form);
  }

  async function run(link, pageNumber = 1) {
    if (searchScope) searchScope.close();  // a newer search supersedes the one in flight
    searchScope = makeScope();
    const mine = searchScope;
    const filter = input.value.trim();
    state.filter = input.value;
    state.page = pageNumber;
    const path = link || withQuery("/api/v2/hosts/", { host_filter: filter, page_size: PAGE_SIZE, order_by: "name" });
    results.setAttribute("aria-busy", "true");
    results.classList.add("stale");
    if (!results.firstChild) fill(results, loading("hosts"));
    else results.prepend(loading("hosts"));
    try {
      const { data } = await api(path, { signal: mine.signal });
      if (mine.left) return;
      fill(errorArea);
      lastGood = filter;
      fill(results,
        h("p", { class: "summary", role: "status" }, data.count + (data.count === 1 ? " host" : " hosts") + (filter ? " match" + (data.count === 1 ? "es" : "") : "")),
        table("Hosts", ["Host", "Inventory", "Enabled", "Instance id"], hostRows(data.results), "No host matches this filter."),
        pager(data, pageNumber, (next, n) => run(next, n), "hosts"));
      renderSave(filter);
    } catch (err) {
      if (isAbort(err) || mine.left) return;
      if (err instanceof ApiError && err.status === 400) {
        fill(errorArea, filterError(err, input.value.trim() === filter ? filter : input.value));
        fill(results, h("p", { class: "state" }, "No results until the filter is fixed" +
          (lastGood !== null ? " (the last filter that worked: " + (lastGood || "every host") + ")." : ".")));
        renderSave(null);
      } else {
        fill(errorArea);
        fill(results, errorBox(err, "Search failed"));
      }
    } finally {
      if (!mine.left) {
        results.removeAttribute("aria-busy");
        results.classList.remove("stale");
      }
    }
  }

  function schedule() {
    clearTimeout(debounce);
    debounce = setTimeout(() => { if (!scope.left) run(); }, DEBOUNCE_MS);
  }

  input.addEventListener("input", () => { schedule(); complete(); });
  input.addEventListener("click", () => complete());
  input.addEventListener("blur", () => setTimeout(closeList, 100));
  input.addEventListener("keydown", (event) => {
    const open = !list.hidden && options.length;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open) { complete(); return; }
      setActive((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      setActive(active <= 0 ? options.length - 1 : active - 1);
    } else if ((event.key === "Enter" || event.key === "Tab") && open && active >= 0) {
      event.preventDefault();
      accept(active);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      closeList();
    } else if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(debounce);
      closeList();
      run();
    }
  });

  fill(main, heading("Search hosts"),
    h("form", { role: "search", class: "card search", "aria-labelledby": "view-title", onsubmit: (e) => e.preventDefault() },
      h("label", { for: "host-filter" }, "host_filter"),
      h("div", { class: "combo" }, input, list),
      h("p", { id: "filter-help", class: "help" }, "Results follow as you type. ↓ opens completions of fields, lookups and fact paths; Enter or Tab takes one, Esc closes them. Empty: every host."),
      errorArea),
    results, saveArea);
  input.focus();
  run(null, 1);
  return () => { clearTimeout(debounce); if (searchScope) searchScope.close(); if (completeScope) completeScope.close(); };
}

// -- a host ----------------------------------------------------------------------------------------------

function viewHost(scope, params) {
  const id = params[0];
  const head = h("div", {}, loading("the host"));
  const vars = h("section", { class: "card", "aria-labelledby": "vars-title" });
  const facts = h("section", { class: "card", "aria-labelledby": "facts-title" });
  fill(main, head, vars, facts);
  into(head, "the host", () => api("/api/v2/hosts/" + id + "/", { signal: scope.signal }).then((r) => r.data), (host) => {
    append(head, heading(host.name),
      h("dl", { class: "facts-list" },
        h("dt", {}, "Inventory"), h("dd", {}, h("a", { href: "#/inventories/" + host.inventory }, (host.summary_fields.inventory || {}).name || String(host.inventory))),
        h("dt", {}, "Enabled"), h("dd", {}, host.enabled ? "yes" : "no"),
        h("dt", {}, "Description"), h("dd", {}, host.description || "—"),
        h("dt", {}, "Instance id"), h("dd", {}, host.instance_id || "—"),
        h("dt", {}, "Facts modified"), h("dd", {}, when(host.ansible_facts_modified))));
    fill(vars, h("h2", { id: "vars-title" }, "Variables"), jsonTree(parseText(host.variables), "variables", 2));
    document.getElementById("view-title").focus();
  });
  fill(vars, h("h2", { id: "vars-title" }, "Variables"), loading("variables"));
  const factsBody = h("div", {});
  fill(facts, h("h2", { id: "facts-title" }, "Facts"), factsBody);
  into(factsBody, "facts", () => api("/api/v2/hosts/" + id + "/ansible_facts/", { signal: scope.signal }).then((r) => r.data),
    (data) => append(factsBody, Object.keys(data).length ? jsonTree(data, "ansible_facts", 1) : h("p", { class: "state empty" }, "No facts cached for this host.")));
}

// -- inventories -----------------------------------------------------------------------------------------

/** Run ``jobs`` (functions returning promises) at most ``n`` at a time. */
async function limited(jobs, n) {
  let next = 0;
  async function worker() {
    while (next < jobs.length) {
      const job = jobs[next];
      next += 1;
      await job();
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}

function lazyCell(scope, load) {
  const cell = h("span", { class: "muted" }, "…");
  const job = async () => {
    try {
      fill(cell, await load());
      cell.className = "";
    } catch (err) {
      if (!isAbort(err)) { fill(cell, h("span", { class: "error-inline", title: err.message }, "error " + err.status)); }
    }
  };
  return { cell, job };
}

function viewInventories(scope) {
  const box = h("div", {});
  fill(main, heading("Inventories"), box);
  document.getElementById("view-title").focus();
  function load(link, pageNumber) {
    into(box, "inventories", () => api(link || withQuery("/api/v2/inventories/", { page_size: PAGE_SIZE, order_by: "name" }), { signal: scope.signal }).then((r) => r.data), async (data) => {
      const ids = data.results.map((inv) => inv.id);
      const jobs = [];
      const rows = data.results.map((inv) => {
        const hosts = lazyCell(scope, async () => String((await api("/api/v2/inventories/" + inv.id + "/hosts/?page_size=1", { signal: scope.signal })).data.count));
        const last = lazyCell(scope, async () => {
          const { data: ups } = await api(withQuery("/api/v2/inventory_updates/", { inventory: inv.id, order_by: "-id", page_size: 1 }), { signal: scope.signal });
          const up = ups.results[0];
          return up ? h("a", { href: "#/updates/inventory/" + up.id }, badge(up.status)) : h("span", { class: "muted" }, "never updated");
        });
        const sources = h("span", { class: "muted", "data-inventory": String(inv.id) }, "…");
        jobs.push(hosts.job, last.job);
        return { inv, sources, cells: [
          h("a", { href: "#/inventories/" + inv.id, class: "inventory-link" }, inv.name),
          KIND_NAMES[inv.kind] || inv.kind,
          hosts.cell, sources, last.cell,
          inv.pending_delete ? badge("pending_delete") : ""] };
      });
      append(box, table("Inventories", ["Name", "Kind", "Hosts", "Sources", "Last update", ""], rows.map((r) => r.cells), "No inventory you may read."),
        pager(data, pageNumber, (next, n) => load(next, n), "inventories"));
      if (ids.length) {
        api(withQuery("/api/v2/inventory_sources/", { inventory__in: ids.join(","), page_size: 200 }), { signal: scope.signal }).then(({ data: srcs }) => {
          for (const row of rows) {
            const mine = srcs.results.filter((s) => s.inventory === row.inv.id);
            fill(row.sources, mine.length ? mine.map((s, i) => [i ? ", " : "", s.name + " (" + (s.source || "manual") + ")"]) : "none");
            row.sources.className = mine.length ? "" : "muted";
          }
        }).catch((err) => { if (!isAbort(err)) rows.forEach((r) => fill(r.sources, "error " + err.status)); });
      }
      limited(jobs, 4);
    });
  }
  load(null, 1);
}

function pagedSection(scope, title, id, path, headers, rowsOf, noun) {
  const body = h("div", {});
  const section = h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), body);
  function load(link, pageNumber) {
    into(body, noun, () => api(link || withQuery(path, { page_size: PAGE_SIZE, order_by: "name" }), { signal: scope.signal }).then((r) => r.data),
      (data) => append(body, table(title, headers, rowsOf(data.results), "No " + noun + "."), pager(data, pageNumber, (next, n) => load(next, n), noun)));
  }
  load(null, 1);
  return section;
}

function updateResults(results, sources) {
  const names = new Map(sources.map((s) => [s.id, s.name]));
  return table("Update results", ["Source", "Result", "Update"], results.map((r) => [
    names.get(r.inventory_source) || "source " + r.inventory_source,
    r.status === "started" ? badge("started") : h("span", { class: "error-inline" }, r.status),
    r.inventory_update ? h("a", { href: "#/updates/inventory/" + r.inventory_update, class: "update-link" }, "update " + r.inventory_update) : "—",
  ]));
}

function viewInventory(scope, params) {
  const id = params[0];
  const head = h("div", {});
  fill(main, head);
  into(head, "the inventory", () => api("/api/v2/inventories/" + id + "/", { signal: scope.signal }).then((r) => r.data), async (inv) => {
    const actions = h("div", { class: "actions" });
    const message = h("div", { class: "message", "aria-live": "polite" });
    const status = h("span", { class: "pending" }, inv.pending_delete ? badge("pending_delete") : null);
    append(head, heading(inv.name, " ", status),
      h("dl", { class: "facts-list" },
        h("dt", {}, "Kind"), h("dd", {}, KIND_NAMES[inv.kind] || inv.kind),
        h("dt", {}, "Description"), h("dd", {}, inv.description || "—"),
        inv.kind === "smart" ? [h("dt", {}, "host_filter"), h("dd", {}, h("code", {}, inv.host_filter || ""))] : null,
        h("dt", {}, "Modified"), h("dd", {}, when(inv.modified))),
      actions, message);
    const sourcesBox = h("div", {});
    let sources = [];
    const sourcesSection = h("section", { class: "card", "aria-labelledby": "sources-title" }, h("h2", { id: "sources-title" }, "Sources"), sourcesBox);
    const constructedBox = h("section", { class: "card", "aria-labelledby": "constructed-title", hidden: inv.kind !== "constructed" },
      h("h2", { id: "constructed-title" }, "Constructed options"));
    const hostsSection = pagedSection(scope, inv.kind === "smart" ? "Hosts (the filter's result)" : "Hosts", "hosts-title",
      "/api/v2/inventories/" + id + "/hosts/", ["Host", "Inventory", "Enabled", "Instance id"], hostRows, "hosts");
    const groupsSection = inv.kind === "smart" ? null : pagedSection(scope, "Groups", "groups-title", "/api/v2/inventories/" + id + "/groups/",
      ["Group", "Description"], (groups) => groups.map((g) => [g.name, g.description || "—"]), "groups");
    append(main, hostsSection, groupsSection, inv.kind === "smart" ? null : sourcesSection, constructedBox,
      h("section", { class: "card", "aria-labelledby": "inv-vars-title" }, h("h2", { id: "inv-vars-title" }, "Variables"), jsonTree(parseText(inv.variables), "variables", 2)));

    const updateButton = h("button", { type: "button", id: "update-all", hidden: inv.kind === "smart" }, "Update all sources");
    const deleteButton = h("button", { type: "button", id: "delete", class: "danger" }, "Delete inventory…");
    const confirmButton = h("button", { type: "button", id: "confirm-delete", class: "danger", hidden: true }, "Yes, delete " + inv.name);
    const cancelButton = h("button", { type: "button", id: "keep", hidden: true }, "Keep it");
    append(actions, updateButton, deleteButton, confirmButton, cancelButton);

    updateButton.addEventListener("click", async () => {
      updateButton.disabled = true;
      fill(message, loading("the updates"));
      try {
        const { status, data } = await api("/api/v2/inventories/" + id + "/update_inventory_sources/", { method: "POST", signal: scope.signal });
        fill(message, h("p", { role: "status" }, status === 200 ? "Every source started (200)." : "Some sources started (" + status + ")."), updateResults(data.results, sources));
        announce("Updates started");
      } catch (err) {
        if (isAbort(err)) return;
        fill(message, errorBox(err, "No update started"), err.body && err.body.results ? updateResults(err.body.results, sources) : null);
      } finally {
        updateButton.disabled = false;
      }
    });
    deleteButton.addEventListener("click", () => { confirmButton.hidden = false; cancelButton.hidden = false; deleteButton.hidden = true; confirmButton.focus(); });
    cancelButton.addEventListener("click", () => { confirmButton.hidden = true; cancelButton.hidden = true; deleteButton.hidden = false; deleteButton.focus(); });
    confirmButton.addEventListener("click", async () => {
      confirmButton.disabled = true;
      cancelButton.hidden = true;
      fill(message, loading("the deletion"));
      try {
        await api("/api/v2/inventories/" + id + "/", { method: "DELETE", signal: scope.signal });
      } catch (err) {
        if (isAbort(err)) return;
        fill(message, errorBox(err, "Not deleted"));
        confirmButton.hidden = true; deleteButton.hidden = false; confirmButton.disabled = false;
        return;
      }
      confirmButton.hidden = true;
      updateButton.hidden = true;
      fill(status, badge("pending_delete"));
      const poll = async () => {
        try {
          const { data } = await api("/api/v2/inventories/" + id + "/", { signal: scope.signal });
          fill(message, h("p", { role: "status", class: "deleting" }, "pending_delete: " + String(data.pending_delete) + " — its rows are being removed…"));
          scope.later(poll, POLL_MS);
        } catch (err) {
          if (isAbort(err)) return;
          if (err.status === 404) {
            fill(status, badge("deleted"));
            fill(message, h("p", { role: "status", class: "ok deleted" }, "Inventory " + inv.name + " is deleted. ", h("a", { href: "#/inventories" }, "Back to the inventories")));
            announce("Inventory deleted");
          } else {
            fill(message, errorBox(err, "Deletion status"));
            scope.later(poll, POLL_MS * 3);
          }
        }
      };
      poll();
    });

    if (inv.kind !== "smart") {
      into(sourcesBox, "sources", () => api("/api/v2/inventories/" + id + "/inventory_sources/?page_size=200", { signal: scope.signal }).then((r) => r.data), (data) => {
        sources = data.results;
        append(sourcesBox, table("Sources", ["Source", "Type", "Status", "Last updated"], sources.map((s) => [
          s.name, s.source || "manual", badge(s.status), when(s.last_updated)]), "No sources."));
        const constructed = sources.find((s) => s.source === "constructed");
        if (constructed) {
          append(constructedBox, jsonTree(parseText(constructed.source_vars), "source_vars", 3),
            h("dl", { class: "facts-list" }, h("dt", {}, "limit"), h("dd", {}, constructed.limit || "—"),
              h("dt", {}, "update_cache_timeout"), h("dd", {}, String(constructed.update_cache_timeout)),
              h("dt", {}, "verbosity"), h("dd", {}, String(constructed.verbosity))));
        }
      });
    }
    document.getElementById("view-title").focus();
  });
}

// -- updates ---------------------------------------------------------------------------------------------

function updateRow(kind, up) {
  return [
    h("a", { href: "#/updates/" + kind + "/" + up.id, class: "update-link" }, (kind === "inventory" ? "inventory update " : "project update ") + up.id),
    up.name || (up.summary_fields.project ? "project " + up.summary_fields.project.id : ""),
    badge(up.status), when(up.started), when(up.finished), elapsed(up.elapsed), kind === "inventory" ? counts(up.counts) : "—",
  ];
}

function viewUpdates(scope) {
  const headers = ["Update", "Name", "Status", "Started", "Finished", "Elapsed", "Counts"];
  const invBox = h("div", {});
  const projBox = h("div", {});
  const refresh = h("button", { type: "button", id: "refresh" }, "Refresh");
  fill(main, heading("Updates"), h("div", { class: "actions" }, refresh),
    h("section", { class: "card", "aria-labelledby": "inv-up" }, h("h2", { id: "inv-up" }, "Inventory updates"), invBox),
    h("section", { class: "card", "aria-labelledby": "proj-up" }, h("h2", { id: "proj-up" }, "Project updates"), projBox));
  let timer = null;
  async function load() {
    clearTimeout(timer);
    let active = false;
    await Promise.all([
      into(invBox, "inventory updates", () => api("/api/v2/inventory_updates/?order_by=-id&page_size=20", { signal: scope.signal }).then((r) => r.data), (data) => {
        active = active || data.results.some((u) => ACTIVE.has(u.status));
        append(invBox, table("Inventory updates", headers, data.results.map((u) => updateRow("inventory", u)), "No inventory update yet."), h("p", { class: "muted" }, data.count + " in all"));
      }),
      into(projBox, "project updates", () => api("/api/v2/project_updates/?order_by=-id&page_size=20", { signal: scope.signal }).then((r) => r.data), (data) => {
        active = active || data.results.some((u) => ACTIVE.has(u.status));
        append(projBox, table("Project updates", headers, data.results.map((u) => updateRow("project", u)), "No project update yet."), h("p", { class: "muted" }, data.count + " in all"));
      }),
    ]);
    if (active && !scope.left) timer = scope.later(load, POLL_MS * 3);
  }
  refresh.addEventListener("click", load);
  document.getElementById("view-title").focus();
  load();
}

function viewUpdate(scope, params) {
  const [kind, id] = params;
  const base = "/api/v2/" + (kind === "project" ? "project_updates" : "inventory_updates") + "/" + id + "/";
  const head = h("div", {});
  const info = h("dl", { class: "facts-list" });
  const log = h("pre", { id: "log", class: "log", tabindex: "0", "aria-label": "The update's log" });
  const logState = h("p", { class: "muted", role: "status" });
  const message = h("div", { class: "message", "aria-live": "polite" });
  const cancel = h("button", { type: "button", id: "cancel", class: "danger", hidden: true }, "Cancel update");
  fill(main, heading((kind === "project" ? "Project update " : "Inventory update ") + id, " ", h("span", { id: "update-status" })),
    head, info, h("div", { class: "actions" }, cancel), message,
    h("section", { class: "card", "aria-labelledby": "log-title" }, h("h2", { id: "log-title" }, "Log"), logState, log));
  fill(head, loading("the update"));
  let first = true;
  async function poll() {
    let up;
    try {
      up = (await api(base, { signal: scope.signal })).data;
    } catch (err) {
      if (isAbort(err)) return;
      fill(head, errorBox(err, "Could not load the update"));
      if (err.status !== 404 && err.status !== 403 && err.status !== 401) scope.later(poll, POLL_MS * 3);
      return;
    }
    fill(head);
    const running = ACTIVE.has(up.status);
    fill(document.getElementById("update-status"), badge(up.status));
    fill(info,
      h("dt", {}, "Name"), h("dd", {}, up.name || "—"),
      kind === "inventory" ? [h("dt", {}, "Inventory"), h("dd", {}, h("a", { href: "#/inventories/" + up.inventory }, (up.summary_fields.inventory || {}).name || String(up.inventory)))] : null,
      h("dt", {}, "Started"), h("dd", {}, when(up.started)),
      h("dt", {}, "Finished"), h("dd", {}, when(up.finished)),
      h("dt", {}, "Elapsed"), h("dd", {}, elapsed(up.elapsed)),
      kind === "inventory" ? [h("dt", {}, "Counts"), h("dd", {}, counts(up.counts))] : null,
      up.job_explanation ? [h("dt", {}, "Explanation"), h("dd", {}, up.job_explanation)] : null,
      h("dt", {}, "Node"), h("dd", {}, up.execution_node || "—"));
    cancel.hidden = !running;
    try {
      const { data } = await api(base + "stdout/?format=txt", { signal: scope.signal, text: true });
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
      if (log.textContent !== data) log.textContent = data;
      if (atBottom) log.scrollTop = log.scrollHeight;
      logState.textContent = running ? "Following the log while the update runs…" : "The update ended: " + up.status + ".";
    } catch (err) {
      if (isAbort(err)) return;
      logState.textContent = "The log could not be read: " + err.message;
    }
    if (first) { first = false; document.getElementById("view-title").focus(); }
    if (running) scope.later(poll, POLL_MS);
    else announce("The update ended: " + up.status);
  }
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try {
      await api(base + "cancel/", { method: "POST", signal: scope.signal });
      fill(message, h("p", { role: "status" }, "Cancel requested (202)."));
    } catch (err) {
      if (!isAbort(err)) fill(message, errorBox(err, "Not canceled"));
    } finally {
      cancel.disabled = false;
    }
  });
  poll();
}

// -- the router --------------------------------------------------------------------------------------------

const ROUTES = [
  [/^#\/signin$/, viewSignIn, "signin"],
  [/^#\/search$/, viewSearch, "search"],
  [/^#\/hosts\/(\d+)$/, viewHost, "search"],
  [/^#\/inventories$/, viewInventories, "inventories"],
  [/^#\/inventories\/(\d+)$/, viewInventory, "inventories"],
  [/^#\/updates$/, viewUpdates, "updates"],
  [/^#\/updates\/(inventory|project)\/(\d+)$/, viewUpdate, "updates"],
];

function route() {
  const note = pendingNote;
  pendingNote = null;
  leave();
  const scope = makeScope();
  let hash = location.hash || "#/search";
  if (!session.get() && hash !== "#/signin") hash = "#/signin";
  const match = ROUTES.map(([re, view, section]) => [re.exec(hash), view, section]).find(([m]) => m);
  nav.querySelectorAll("a").forEach((a) => {
    if (match && a.dataset.view === match[2]) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  if (!match) {
    fill(main, heading("Not found"), h("p", {}, "No page here. ", h("a", { href: "#/search" }, "Search hosts")));
    leave = () => scope.close();
    return;
  }
  const [m, view] = match;
  document.title = "fleet.inventory — " + (match[2] === "signin" ? "sign in" : match[2]);
  const cleanup = view(scope, m.slice(1), note);
  leave = () => { scope.close(); if (typeof cleanup === "function") cleanup(); };
}

onUnauthorized((err) => {
  // the token stopped working (revoked, expired): forget it and say why on the sign-in form
  session.clear();
  state.me = null;
  showUser();
  if (location.hash !== "#/signin") go("#/signin", err);
});

signoutButton.addEventListener("click", signOut);
window.addEventListener("hashchange", () => route());

async function start() {
  if (session.get()) {
    try {
      state.me = await loadMe();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) {
        fill(main, errorBox(err, "The service did not answer"));
        return;
      }
    }
  }
  showUser();
  route();
}

start();
// for the browser tests (a read-only hook: no token, no data)
window.fleetInventoryPage = { ready: true, bodyText };
