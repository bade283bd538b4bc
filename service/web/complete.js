// fleet.inventory web page: completion of host_filter keys (fields, relations, lookups, fact paths).

import { api, isAbort, withQuery } from "./api.js";

export const FIELDS = ["name", "description", "enabled", "instance_id", "id", "ansible_facts_modified", "search",
  "inventory", "inventory__", "groups", "groups__", "group__", "all_groups__", "variables__", "ansible_facts__"];
export const RELATIONS = {
  inventory: ["id", "name", "description", "kind", "search"],
  groups: ["id", "name", "description", "search"],
  group: ["id", "name", "description", "search"],
  all_groups: ["id", "name", "description", "search"],
};
export const LOOKUPS = ["exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith",
  "iendswith", "regex", "iregex", "gt", "gte", "lt", "lte", "in", "isnull"];
const FACTS = "ansible_facts__";
const KEYWORDS = new Set(["and", "or", "not"]);

/** The key being typed at ``caret`` of ``text``: ``{start, end, word}``, or null on a value or keyword. */
export function currentWord(text, caret) {
  let start = caret;
  while (start > 0 && !/[\s()]/.test(text[start - 1])) start -= 1;
  let end = caret;
  while (end < text.length && !/[\s()=]/.test(text[end])) end += 1;
  const word = text.slice(start, caret);
  if (word.includes("=") || word.includes('"') || word.includes("'") || KEYWORDS.has(word)) return null;
  // right after "key =" (spaces around =) the word is a value
  const before = text.slice(0, start).trimEnd();
  if (before.endsWith("=")) return null;
  return { start, end, word };
}

function lookupsOf(base, partial) {
  return LOOKUPS.filter((l) => l.startsWith(partial)).map((l) => ({ text: base + "__" + l, kind: "lookup" }));
}

/** The suggestions for ``word`` (a Promise of ``[{text, kind}]``); fact paths come from /api/v2/fact_paths/. */
export async function suggest(word, signal) {
  if (word.startsWith(FACTS)) {
    const rest = word.slice(FACTS.length);
    const out = [];
    try {
      const { data } = await api(withQuery("/api/v2/fact_paths/", { search: rest, page_size: 20 }), { signal });
      for (const item of data.results) out.push({ text: item.filter, kind: "fact path" });
    } catch (err) {
      if (isAbort(err)) throw err;
      out.push({ text: "", kind: "error", error: err.message });
    }
    const cut = rest.lastIndexOf("__");
    if (cut > 0) out.push(...lookupsOf(FACTS + rest.slice(0, cut), rest.slice(cut + 2)));
    return out;
  }
  const parts = word.split("__");
  if (parts.length === 1) {
    return FIELDS.filter((f) => f.startsWith(word) && f !== word).map((f) => ({ text: f, kind: f.endsWith("__") ? "relation" : "field" }));
  }
  const head = parts[0];
  if (RELATIONS[head] && parts.length === 2) {
    const partial = parts[1];
    return [
      ...RELATIONS[head].filter((f) => f.startsWith(partial)).map((f) => ({ text: head + "__" + f, kind: "field" })),
      ...lookupsOf(head, partial),
    ];
  }
  if (head === "variables") return [];
  const base = parts.slice(0, -1).join("__");
  return lookupsOf(base, parts[parts.length - 1]);
}
