# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalogue of fact paths the store holds, and which paths a filter names that no host has.

(The naming of paths and the "did you mean" are pure rules over a parsed
filter, in :mod:`host_filter.fact_paths`, re-exported here.)

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

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import chunks, sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.errors import HostFilterError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.fact_paths import (  # noqa: F401  pylint: disable=unused-import
    FACTS,
    filter_fact_paths,
    path_depth,
    suggest,
    warning_text,
)
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import parse_host_filter

MAX_DEPTH = 12


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


def unknown_paths(store, tree) -> list:
    """``[(path, [suggestions])]`` for each fact path of ``tree`` that no stored host has."""
    named = filter_fact_paths(tree)
    if not named:
        return []
    missing = []
    for path, _term in named:
        if path_depth(path) > MAX_DEPTH:
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


def _live_paths(store) -> list:
    key_ids = [r[0] for r in store.execute("SELECT DISTINCT key_id FROM host_facts").fetchall()]
    paths = []
    for chunk in chunks(key_ids):
        paths += [r[0] for r in store.execute(
            "SELECT path FROM fact_paths WHERE key_id IN (%s)" % sql_marks(chunk), chunk).fetchall()]
    return paths


def filter_warnings(store, host_filter) -> list:
    """The warnings about fact paths of the filter text ``host_filter`` that no stored host has.

    The filter is parsed again (it has been parsed and run already: a bad
    filter raised there); nothing here fails a search.
    """
    try:
        tree = parse_host_filter(host_filter)
    except HostFilterError:
        return []
    return [warning_text(path, hints) for path, hints in unknown_paths(store, tree)]


# -- completion ---------------------------------------------------------------------------


def search_paths(store, prefix="", offset=0, limit=25) -> tuple:
    """``(count, paths)``: the catalogued fact paths starting with ``prefix`` that some stored host still has
    (its top-level key is held by a host), sorted, one page of ``limit`` from ``offset``.

    The prefix is compared with ``substr`` (not a range or LIKE: a PostgreSQL
    collation may order ``_`` as no character, and SQLite's LIKE ignores case).
    """
    where = "EXISTS (SELECT 1 FROM host_facts hf WHERE hf.key_id = fp.key_id)"
    params: list = []
    if prefix:
        where += " AND substr(fp.path, 1, ?) = ?"
        params = [len(prefix), prefix]
    count = store.execute("SELECT COUNT(DISTINCT fp.path) FROM fact_paths fp WHERE " + where, params).fetchone()[0]
    rows = store.execute("SELECT DISTINCT fp.path FROM fact_paths fp WHERE " + where + " ORDER BY fp.path LIMIT ? OFFSET ?",
                         params + [int(limit), int(offset)]).fetchall()
    return int(count), [r[0] for r in rows]
