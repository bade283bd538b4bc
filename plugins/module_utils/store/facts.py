# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts repository: writing and reading the facts of stored hosts.

Facts are stored one row per (top-level key, host) in ``host_facts`` (values as
canonical JSON text), with the scalar leaves under arrays and the short scalar
members of top-level objects in ``host_fact_items`` (:mod:`fact_items`), every fact path in ``fact_paths``
(:mod:`fact_catalog`) and one ``host_fact_history`` entry per change
(:mod:`fact_history`).  :class:`Store`'s fact methods (``set_facts_many``,
``facts_for_hosts``, ...) are one-line delegations to the functions here, and
:func:`read_facts` is the one reader of stored facts (smart and constructed
inventories, the fact cache).

The write path is built for two cases (docs/performance.md):

* a bulk first load (``host_facts`` ``facts_dir`` over 100k hosts): every key
  is new, so nothing is compared or deleted; each value is encoded once, and
  walked once for both its array leaves and its catalogue paths, and a value
  whose text was already seen in the same call (the same ``ansible_lsb`` on
  thousands of hosts) is not walked again;
* a re-gather (a play storing facts again): only the keys whose canonical text
  changed are written (``ansible_date_time``, uptime, free memory ...), and
  for an array-bearing value only the leaf rows that differ between the old
  and the new value.  The host row itself is only touched to move
  ``ansible_facts_modified`` of hosts whose facts changed.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring

try:
    from json.encoder import c_make_encoder
except ImportError:  # pragma: no cover - CPython has it
    c_make_encoder = None

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json, chunks, now, sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_catalog import (
    MAX_DEPTH, filter_warnings, value_paths)
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_history import (
    history_for_hosts, record as record_fact_history)
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import (
    ARRAY_STEP, DELETE_ITEM, delete_host_items, fact_items, fact_number, insert_items, item_path, item_value,
    member_item, might_have_items)

__all__ = ['ALL_FACTS', 'fact_key_id', 'read_facts', 'set_facts_many', 'clear_facts', 'fact_texts', 'fact_text',
           'walk_fact', 'fact_path_warnings', 'fact_history']

#: ``keys`` of :func:`read_facts` meaning "every fact key"
ALL_FACTS = "all"

_STR_ONLY = {str}
_DELETE_ITEM = DELETE_ITEM
_UPDATE_FACT = "UPDATE host_facts SET value = ?, num = ? WHERE key_id = ? AND host_id = ?"
_DELETE_FACT = "DELETE FROM host_facts WHERE key_id = ? AND host_id = ?"
#: the first characters of a JSON number's text
_NUMBER_START = frozenset("-0123456789")
#: texts walked once per call are remembered up to this many (a bulk batch repeats many values)
_MEMO_MAX = 50000


# -- encoding -------------------------------------------------------------------------------

def _make_fact_text():
    """``canonical_json`` without the per-call Python frames of ``JSONEncoder.encode``.

    The C encoder of the json module is called directly with the canonical
    options (sorted keys, compact separators, no NaN); where it is missing
    (another interpreter) :func:`canonical_json` itself is used.  Both write
    the same text (tests/unit/test_facts_write.py checks it).
    """
    if c_make_encoder is None:  # pragma: no cover
        return canonical_json

    def default(value):
        raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)

    def text(value):
        cls = value.__class__
        if cls is str:
            return encode_basestring(value)
        if cls is dict or cls is list:
            # a fresh markers dict per call: circular values raise ValueError as json.dumps does
            return "".join(c_make_encoder({}, default, encode_basestring, None, ":", ",", True, False, False)(value, 0))
        return canonical_json(value)

    return text


fact_text = _make_fact_text()


# -- one walk per value: array leaves and catalogue paths -------------------------------------

class _NotJsonShaped(Exception):
    """A mapping key that is not a string: fall back to the separate walkers on the JSON form."""


def walk_fact(key, value):
    """``(leaves, paths)`` of one top-level fact value, in one walk.

    ``leaves`` is the set of ``(path, value)`` texts of the scalar leaves under
    arrays and of the short scalar members of a top-level object (exactly :func:`fact_items.fact_items`), ``paths`` the catalogue
    paths of the value (exactly :func:`fact_catalog.value_paths`).
    """
    leaves: set = set()
    paths = {key}
    if isinstance(value, (dict, list, tuple)):
        try:
            _walk(value, (), False, key, 1, leaves, paths)
        except _NotJsonShaped:
            plain = json.loads(json.dumps(value, ensure_ascii=False))
            return fact_items(plain), value_paths(key, plain)
    return leaves, paths


def _walk(value, steps, under, cpath, depth, leaves, paths):
    """Walk the container ``value`` at item steps ``steps`` and catalogue path ``cpath`` (at ``depth``).

    ``cpath`` is None below :data:`fact_catalog.MAX_DEPTH` (paths are no longer catalogued there).
    """
    expand = cpath is not None and depth < MAX_DEPTH
    if value.__class__ is dict or isinstance(value, dict):
        for sub, member in value.items():
            if sub.__class__ is not str and not isinstance(sub, str):
                raise _NotJsonShaped()
            cp = cpath + "__" + sub if expand else None
            if cp is not None:
                paths.add(cp)
            if isinstance(member, (dict, list, tuple)):
                _walk(member, steps + (sub,), under, cp, depth + 1, leaves, paths)
            elif under:
                leaves.add((item_path(steps + (sub,)), item_value(member)))
            elif not steps:  # a member of the top-level object: a leaf row when short (fact_items.member_item)
                row = member_item(sub, member)
                if row is not None:
                    leaves.add(row)
    else:
        steps = steps + (ARRAY_STEP,)
        text = None
        cp = cpath + "[]" if expand else None
        for element in value:
            if isinstance(element, (dict, list, tuple)):
                _walk(element, steps, True, cp, depth + 1, leaves, paths)
            else:
                if text is None:
                    text = item_path(steps)
                leaves.add((text, item_value(element)))
        if cp is not None and value:
            paths.add(cp)


# -- reading ------------------------------------------------------------------------------

def fact_key_id(store, name: str) -> int:
    """The id of fact key ``name`` (created when new; cached per connection, cleared on rollback)."""
    key_id = store._fact_key_ids.get(name)  # pylint: disable=protected-access
    if key_id is None:
        store.execute(store.dialect.insert_ignore("fact_keys", ["name"], ["name"]), (name,))
        key_id = store.execute("SELECT id FROM fact_keys WHERE name = ?", (name,)).fetchone()[0]
        store._fact_key_ids[name] = key_id  # pylint: disable=protected-access
    return key_id


def read_facts(store, host_ids, keys=ALL_FACTS) -> dict:
    """``{host_id: {fact key: value}}`` for those of ``host_ids`` that have any of the facts asked for.

    ``keys`` is :data:`ALL_FACTS` (or None) for every fact, or an iterable of
    top-level fact keys: then each key is read as one contiguous range of the
    fact table (it is clustered by key).  Each host's facts come in key name order.
    """
    host_ids = set(host_ids)
    out: dict = {}
    if not host_ids:
        return out
    if keys is None or keys == ALL_FACTS:
        for chunk in chunks(sorted(host_ids)):
            for host_id, key, value in store.execute(
                    "SELECT hf.host_id, fk.name, hf.value FROM host_facts hf JOIN fact_keys fk ON fk.id = hf.key_id"
                    " WHERE hf.host_id IN (%s) ORDER BY hf.host_id, fk.name" % sql_marks(chunk), chunk).fetchall():
                out.setdefault(host_id, {})[key] = _loads(value)
        return out
    names = {}
    for chunk in chunks(sorted(set(keys))):
        names.update(store.execute("SELECT id, name FROM fact_keys WHERE name IN (%s)" % sql_marks(chunk), chunk).fetchall())
    for key_id, name in sorted(names.items(), key=lambda kv: kv[1]):
        for host_id, value in store.execute("SELECT host_id, value FROM host_facts WHERE key_id = ?", (key_id,)).fetchall():
            if host_id in host_ids:
                out.setdefault(host_id, {})[name] = _loads(value)
    return out


def _loads(value):
    # PostgreSQL's jsonb column comes back parsed; SQLite's TEXT as the canonical text
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def fact_texts(store, host_ids) -> dict:
    """``{host_id: {key: canonical JSON text}}`` of the stored facts of ``host_ids``."""
    out: dict = {}
    for chunk in chunks(sorted(set(host_ids))):
        for host_id, key, value in store.execute(
                "SELECT hf.host_id, fk.name, hf.value FROM host_facts hf JOIN fact_keys fk ON fk.id = hf.key_id"
                " WHERE hf.host_id IN (%s)" % sql_marks(chunk), chunk).fetchall():
            out.setdefault(host_id, {})[key] = value if isinstance(value, str) else fact_text(value)
    return out


# -- writing ------------------------------------------------------------------------------

def _normalized(items, merge):
    by_host: dict = {}
    for host_id, facts in items:
        if not isinstance(facts, dict):
            raise ValidationError("facts must be a mapping, not %s" % type(facts).__name__)
        if facts and set(map(type, facts)) != _STR_ONLY:
            # keys are stored as text: {1: x} is {"1": x} (the last of equal texts wins)
            facts = {str(k): v for k, v in facts.items()}
        host_id = int(host_id)
        if host_id in by_host:
            facts = dict(by_host[host_id], **facts) if merge else facts
        by_host[host_id] = facts
    return by_host


def set_facts_many(store, items, merge: bool = True) -> list:
    """Store facts for many hosts in bulk statements (see :meth:`Store.set_facts_many`); returns the changed host ids."""
    by_host = _normalized(items, merge)
    changed = []
    # the backend's own refusals (PostgreSQL's jsonb holds no U+0000), see backends.base.Dialect.check_fact_text
    check_text = store.dialect.check_fact_text
    exact = store.dialect.name != "sqlite"  # host_facts.num: numeric on PostgreSQL (see fact_items.fact_number)
    with store.transaction():
        by_host = facts_to_original_hosts(store, by_host, merge)
        existing = fact_texts(store, list(by_host))
        key_ids = store._fact_key_ids  # pylint: disable=protected-access
        inserts, updates, deletes, new_items, old_items = [], [], [], [], []
        paths: set = set()
        memo: dict = {}  # (key, text) -> (leaves, paths): equal values are walked once
        history = {}
        for host_id, facts in by_host.items():
            stored = existing.get(host_id)
            added, modified, removed = [], [], []
            for key, value in facts.items():
                try:
                    text = fact_text(value)
                except (TypeError, ValueError, RecursionError) as exc:
                    raise ValidationError("fact '%s' cannot be stored as JSON: %s" % (key, exc)) from exc
                old = stored.get(key) if stored else None
                if old == text:
                    continue
                refused = check_text(text) if "\\u0000" in text else ""
                if refused:
                    raise ValidationError("fact '%s' of host %s cannot be stored in store %s: %s" % (
                        key, _host_label(store, host_id), store.target, refused))
                key_id = key_ids.get(key) or fact_key_id(store, key)
                number = None
                if text[0] in "{[":
                    walked = memo.get((key, text))
                    if walked is None:
                        walked = walk_fact(key, value)
                        if len(memo) < _MEMO_MAX:
                            memo[(key, text)] = walked
                    leaves, value_paths_ = walked
                    paths.update((key_id, p) for p in value_paths_)
                else:
                    leaves = ()
                    paths.add((key_id, key))
                    if text[0] in _NUMBER_START:
                        number = fact_number(value, exact)
                if old is None:  # the bulk first load: plain INSERTs, nothing to compare or delete
                    inserts.append((key_id, host_id, text, number))
                    added.append(key_id)
                    new_items.extend((key_id, p, v, host_id) for p, v in leaves)
                else:
                    updates.append((text, number, key_id, host_id))
                    modified.append(key_id)
                    before = fact_items(json.loads(old)) if might_have_items(old) else set()
                    if leaves or before:
                        leaves = set(leaves)
                        # only the leaf rows that differ are written
                        old_items.extend((key_id, p, v, host_id) for p, v in before - leaves)
                        new_items.extend((key_id, p, v, host_id) for p, v in leaves - before)
            if not merge and stored:
                for key in stored.keys() - facts.keys():
                    key_id = key_ids.get(key) or fact_key_id(store, key)
                    deletes.append((key_id, host_id))
                    removed.append(key_id)
                    if might_have_items(stored[key]):
                        old_items.extend((key_id, p, v, host_id) for p, v in fact_items(json.loads(stored[key])))
            if added or modified or removed:
                changed.append(host_id)
                history[host_id] = (added, modified, removed)
        if old_items:
            old_items.sort()
            store.executemany(_DELETE_ITEM, old_items)
        if deletes:
            store.executemany(_DELETE_FACT, deletes)
        if updates:
            store.executemany(_UPDATE_FACT, updates)
        if inserts:
            inserts.sort()  # in primary-key order: appends to each key's range
            store.bulk_insert("host_facts", ["key_id", "host_id", "value", "num"], inserts)  # COPY on PostgreSQL
        if new_items:
            insert_items(store, new_items)
        if changed:
            stamp = now()
            # the only write to the host rows: when their facts changed
            # one statement per chunk of hosts, not one per host (a round trip each on PostgreSQL)
            for chunk in chunks(sorted(changed)):
                store.execute("UPDATE hosts SET ansible_facts_modified = ? WHERE id IN (%s)" % sql_marks(chunk), [stamp] + chunk)
            record_fact_changes(store, stamp, paths, history)
    return changed


def _host_label(store, host_id):
    row = store.execute("SELECT h.name, i.name FROM hosts h JOIN inventories i ON i.id = h.inventory_id WHERE h.id = ?",
                        (host_id,)).fetchone()
    return "'%s' of inventory '%s'" % (row[0], row[1]) if row else "id %s" % host_id


def clear_facts(store, host_id: int) -> bool:
    """Remove every fact of one host; whether it had any."""
    with store.transaction():
        keys = [r[0] for r in store.execute("SELECT key_id FROM host_facts WHERE host_id = ?", (host_id,)).fetchall()]
        delete_host_items(store, [host_id])  # by primary key: the leaf table has no index by host
        cur = store.execute("DELETE FROM host_facts WHERE host_id = ?", (host_id,))
        if cur.rowcount:
            stamp = now()
            store.execute("UPDATE hosts SET ansible_facts_modified = ? WHERE id = ?", (stamp, host_id))
            record_fact_changes(store, stamp, set(), {host_id: ([], [], keys)})
        return cur.rowcount > 0


def facts_to_original_hosts(store, by_host, merge):
    """``by_host`` with the facts of constructed hosts moved to the hosts they were made from (``instance_id``)."""
    if not by_host or store.execute("SELECT 1 FROM inventories WHERE kind = 'constructed' LIMIT 1").fetchone() is None:
        return by_host
    links = {}
    for chunk in chunks(sorted(by_host)):
        for host_id, instance_id in store.execute(
                "SELECT h.id, h.instance_id FROM hosts h JOIN inventories i ON i.id = h.inventory_id"
                " WHERE i.kind = 'constructed' AND h.id IN (%s)" % sql_marks(chunk), chunk):
            if str(instance_id).isdigit():
                links[host_id] = int(instance_id)
    if not links:
        return by_host
    existing = set()
    for chunk in chunks(sorted(set(links.values()))):
        existing.update(r[0] for r in store.execute(
            "SELECT h.id FROM hosts h JOIN inventories i ON i.id = h.inventory_id WHERE i.pending_delete = FALSE"
            " AND h.id IN (%s)" % sql_marks(chunk), chunk))
    out: dict = {}
    for host_id, facts in by_host.items():
        target = links.get(host_id)
        if target in existing:
            host_id = target
        if host_id in out:
            facts = dict(out[host_id], **facts) if merge else facts
        out[host_id] = facts
    return out


def record_fact_changes(store, stamp, paths, history):
    """In the transaction of a fact write: the catalogue gets ``paths`` (``{(key_id, path)}``),
    the history one entry per host of ``history`` (``{host_id: (added, changed, removed)}``, key ids)."""
    if paths:
        # INSERT-or-ignore of each distinct path of the call: no cache across calls, which a rollback could make wrong
        store.executemany(store.dialect.insert_ignore("fact_paths", ["key_id", "path"], ["key_id", "path"]), sorted(paths))
    record_fact_history(store, stamp, history)


def fact_path_warnings(store, host_filter) -> list:
    """Warnings for the fact paths ``host_filter`` names that no stored host has (with "did you mean")."""
    return filter_warnings(store, host_filter)


def fact_history(store, host_ids) -> dict:
    """``{host_id: [entries, newest first]}``, see :func:`fact_history.history_for_hosts`."""
    return history_for_hosts(store, host_ids)
