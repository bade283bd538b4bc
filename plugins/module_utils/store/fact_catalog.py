# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalogue of fact paths the store holds, and "did you mean" for filters.

A filter term such as ``ansible_facts__ansible_distrbution=Ubuntu`` (a typo)
or ``ansible_facts__distribution=Debian`` (Ansible's ``ansible_facts.distribution``
has no ``ansible_`` prefix, the stored facts do) is valid and simply matches no
host.  To say so, the store keeps every fact path that occurs in any host's
facts (table ``fact_paths``), written the way a filter writes it below
``ansible_facts__``: ``ansible_lo``, ``ansible_lo__ipv6``, ``ansible_lo__ipv6[]``,
``ansible_lo__ipv6[]__scope`` ...  A path is added when facts holding it are
written (:meth:`Store.set_facts_many`, which every fact write goes through:
``host_facts``, the fact cache plugin, bulk loads) and migration 4 fills it from
the facts already stored.

Paths are only ever added while facts change; a path whose top-level key no
host holds any more counts as unknown again (checked with one indexed lookup),
so deleting hosts or facts does not leave a key "known" for ever.  A sub-path
that only deleted facts had may stay known until the store is rebuilt: the
warning errs on the side of silence.

Only the first :data:`MAX_DEPTH` steps of a path are catalogued; a filter step
deeper than that is never warned about.
"""

from __future__ import annotations

import dataclasses
import difflib
import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import chunks

FACTS = "ansible_facts"
MAX_DEPTH = 12
#: at most this many suggestions per unknown path
SUGGESTIONS = 3
#: difflib ratio a suggestion needs, and how far below the best one another may be
CUTOFF = 0.6
CLOSE = 0.1


def value_paths(key: str, value, out=None) -> set:
    """Every path of top-level fact ``key`` holding ``value`` (``key`` itself included)."""
    out = set() if out is None else out
    stack = [(key, value, 1)]
    while stack:
        path, val, depth = stack.pop()
        out.add(path)
        if depth >= MAX_DEPTH:
            continue
        if isinstance(val, dict):
            for sub, item in val.items():
                stack.append(("%s__%s" % (path, sub), item, depth + 1))
        elif isinstance(val, list):
            # every element of an array is the same path: walk each, the set keeps one
            for item in val:
                stack.append((path + "[]", item, depth + 1))
    return out


def record(store, rows):
    """Add the paths of ``rows`` (``(key_id, key, value, json_text)``) to the catalogue.

    Values of equal text (the same ``ansible_lsb`` on many hosts) are walked once.
    """
    new = set()
    walked = set()
    for key_id, key, value, text in rows:
        if isinstance(value, (dict, list)):
            if (key_id, text) in walked:
                continue
            walked.add((key_id, text))
            for path in value_paths(key, value):
                new.add((key_id, path))
        else:
            new.add((key_id, key))
    if new:
        # INSERT-or-ignore of each distinct path of the batch: no cache across calls, which a rollback could make wrong
        store.executemany(store.dialect.insert_ignore("fact_paths", ["key_id", "path"], ["key_id", "path"]), sorted(new))


def backfill_fact_catalog(store):
    """Fill ``fact_paths`` from ``host_facts`` (schema migration 4).

    Every key that some host has is a path; only values that are objects or
    arrays are parsed and walked, in batches, each distinct text once.
    """
    names = dict(store.execute("SELECT id, name FROM fact_keys").fetchall())
    paths = {(key_id, names[key_id]) for (key_id,) in store.execute("SELECT DISTINCT key_id FROM host_facts").fetchall()}
    seen = set()
    cur = store.execute("SELECT key_id, value FROM host_facts WHERE substr(CAST(value AS TEXT), 1, 1) IN ('{', '[')")
    while True:
        batch = cur.fetchmany(2000)
        if not batch:
            break
        for key_id, text in batch:
            if (key_id, text) in seen:
                continue
            seen.add((key_id, text))
            for path in value_paths(names[key_id], json.loads(text)):
                paths.add((key_id, path))
        if len(seen) > 100000:
            seen.clear()
    if paths:
        store.executemany(store.dialect.insert_ignore("fact_paths", ["key_id", "path"], ["key_id", "path"]), sorted(paths))


# -- what a filter names ----------------------------------------------------------------


def filter_fact_paths(tree) -> list:
    """The fact paths the parsed filter ``tree`` names, in order, each once: ``[(path, term)]``.

    Terms with the ``isnull`` lookup are left out (naming a missing path is
    their purpose).  Walks any node class: a node's fields that are nodes or
    tuples of nodes are its children.
    """
    found = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(reversed(node))
            continue
        if not dataclasses.is_dataclass(node):
            continue
        if getattr(node, "field", None) == FACTS and getattr(node, "path", None):
            if getattr(node, "lookup", "") != "isnull":
                text = "__".join(step.key + ("[]" if step.array else "") for step in node.path)
                found.setdefault(text, node)
            continue
        children = []
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            if dataclasses.is_dataclass(value) or (isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0])):
                children.append(value)
        stack.extend(reversed(children))
    return list(found.items())


def unknown_paths(store, tree) -> list:
    """``[(path, [suggestions])]`` for each fact path of ``tree`` that no stored host has."""
    named = filter_fact_paths(tree)
    if not named:
        return []
    missing = []
    for path, _term in named:
        if _depth(path) > MAX_DEPTH:
            continue
        row = store.execute(
            "SELECT fp.key_id FROM fact_paths fp WHERE fp.path = ?"
            " AND EXISTS (SELECT 1 FROM host_facts hf WHERE hf.key_id = fp.key_id) LIMIT 1", (path,)).fetchone()
        if row is None:
            missing.append(path)
    if not missing:
        return []
    live = _live_paths(store)
    return [(path, suggest(path, live)) for path in missing]


def _depth(path: str) -> int:
    # as value_paths counts: one per key step and one per [] step
    return path.count("__") + 1 + path.count("[]")


def _live_paths(store) -> list:
    key_ids = [r[0] for r in store.execute("SELECT DISTINCT key_id FROM host_facts").fetchall()]
    paths = []
    for chunk in chunks(key_ids):
        paths += [r[0] for r in store.execute(
            "SELECT path FROM fact_paths WHERE key_id IN (%s)" % ", ".join("?" * len(chunk)), chunk).fetchall()]
    return paths


def suggest(path: str, known) -> list:
    """The known paths closest to ``path`` (difflib), with ``ansible_<path>`` first when it is known."""
    known = list(known)
    out = []
    prefixed = "ansible_" + path
    if prefixed in known:
        out.append(prefixed)
    depth = path.count("__")
    # compare with paths of about the same depth: a typo rarely adds or drops a step
    pool = [k for k in known if abs(k.count("__") - depth) <= 1] or known
    scored = []
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(path)
    for candidate in pool:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= CUTOFF and matcher.quick_ratio() >= CUTOFF:
            ratio = matcher.ratio()
            if ratio >= CUTOFF:
                scored.append((-ratio, candidate))
    scored.sort()
    if scored:
        best = -scored[0][0]
        # only the close calls: a clear winner is named alone
        for neg, candidate in scored:
            if -neg >= best - CLOSE and candidate not in out:
                out.append(candidate)
    return out[:SUGGESTIONS]


def warning_text(path: str, suggestions) -> str:
    text = "host_filter names the fact path %s__%s, which no stored host has" % (FACTS, path)
    if suggestions:
        text += "; did you mean %s?" % " or ".join("%s__%s" % (FACTS, s) for s in suggestions)
    return text


def filter_warnings(store, host_filter) -> list:
    """The warnings about fact paths of the filter text ``host_filter`` that no stored host has.

    The filter is parsed again (it has been parsed and run already: a bad
    filter raised there); nothing here fails a search.
    """
    from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import HostFilterError, parse_host_filter

    try:
        tree = parse_host_filter(host_filter)
    except HostFilterError:
        return []
    return [warning_text(path, hints) for path, hints in unknown_paths(store, tree)]
