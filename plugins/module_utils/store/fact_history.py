# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bounded history of fact changes per host, and the store's settings.

Each time a host's facts change (:meth:`Store.set_facts_many`,
:meth:`Store.clear_facts`), one entry is written for it: when
(``modified``, the same time stamp as the host's ``ansible_facts_modified``)
and which top-level keys were ``added``, ``changed`` and ``removed`` -- the
keys only, never the values, so an entry costs a few bytes per key.  A write
that changes nothing writes no entry.

How many entries are kept per host is the store setting
``fact_history_entries`` (table ``store_settings``, default
:data:`DEFAULT_ENTRIES`; ``0`` keeps none), set with the
``fleet.inventory.settings`` module.  Older entries of a host are removed when
a new one is written; reading returns at most that many, newest first.
"""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import chunks, sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError

DEFAULT_ENTRIES = 20
MAX_ENTRIES = 10000

#: name -> (default, validator) of every store setting
SETTINGS = {
    "fact_history_entries": DEFAULT_ENTRIES,
}


def _check(name, value):
    if name not in SETTINGS:
        raise ValidationError("unknown store setting '%s' (known: %s)" % (name, ", ".join(sorted(SETTINGS))))
    if name == "fact_history_entries":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ENTRIES:
            raise ValidationError("fact_history_entries must be a whole number from 0 to %d, not %r" % (MAX_ENTRIES, value))
    return value


def get_settings(store) -> dict:
    """Every store setting with its value (the default when it was never set)."""
    out = dict(SETTINGS)
    for name, value in store.execute("SELECT name, value FROM store_settings").fetchall():
        if name in out:
            out[name] = json.loads(value)
    return out


def get_setting(store, name):
    row = store.execute("SELECT value FROM store_settings WHERE name = ?", (name,)).fetchone()
    return json.loads(row[0]) if row else SETTINGS[name]


def save_settings(store, settings) -> tuple:
    """Set the store settings given (a mapping); returns ``(before, after)`` (all settings)."""
    if not isinstance(settings, dict) or not settings:
        raise ValidationError("settings must be a non-empty mapping of setting names to values")
    settings = {name: _check(name, value) for name, value in settings.items()}
    with store.transaction():
        before = get_settings(store)
        for name, value in sorted(settings.items()):
            if before[name] != value or store.execute("SELECT 1 FROM store_settings WHERE name = ?", (name,)).fetchone() is None:
                store.execute(store.dialect.upsert("store_settings", ["name", "value"], ["name"], ["value"]),
                              (name, json.dumps(value)))
        return before, get_settings(store)


# -- writing -------------------------------------------------------------------------------


def record(store, stamp, changes):
    """Write one entry per host of ``changes`` (``{host_id: (added, changed, removed)}``, key ids) and trim.

    Called inside the transaction that changed the facts.
    """
    if not changes:
        return
    keep = get_setting(store, "fact_history_entries")
    if keep <= 0:
        return
    rows = [(host_id, stamp, json.dumps(sorted(added)), json.dumps(sorted(changed)), json.dumps(sorted(removed)))
            for host_id, (added, changed, removed) in sorted(changes.items())]
    # COPY on PostgreSQL; the trim is one statement per chunk of hosts, not one per host
    store.bulk_insert("host_fact_history", ["host_id", "modified", "added", "changed", "removed"], rows)
    for chunk in chunks(sorted(changes)):
        marks = sql_marks(chunk)
        store.execute(
            "DELETE FROM host_fact_history WHERE host_id IN (%s) AND id IN (SELECT id FROM ("
            "SELECT id, ROW_NUMBER() OVER (PARTITION BY host_id ORDER BY id DESC) AS newer"
            " FROM host_fact_history WHERE host_id IN (%s)) ranked WHERE newer > ?)" % (marks, marks),
            chunk + chunk + [keep])


# -- reading -------------------------------------------------------------------------------


def history_for_hosts(store, host_ids) -> dict:
    """``{host_id: [entry, ...]}`` newest first, at most ``fact_history_entries`` per host.

    An entry is ``{"modified": ts, "added": [keys], "changed": [keys], "removed": [keys]}``.
    """
    keep = get_setting(store, "fact_history_entries")
    out = {host_id: [] for host_id in host_ids}
    if keep <= 0 or not out:
        return out
    names = {}
    rows = []
    for chunk in chunks(sorted(out)):
        rows += store.execute(
            "SELECT host_id, id, modified, added, changed, removed FROM host_fact_history WHERE host_id IN (%s)"
            " ORDER BY host_id, id DESC" % sql_marks(chunk), chunk).fetchall()
    wanted = set()
    parsed = []
    for host_id, _id, modified, added, changed, removed in rows:
        lists = [json.loads(added), json.loads(changed), json.loads(removed)]
        for ids in lists:
            wanted.update(ids)
        parsed.append((host_id, modified, lists))
    ids = sorted(wanted)
    for chunk in chunks(ids):
        names.update(store.execute("SELECT id, name FROM fact_keys WHERE id IN (%s)" % sql_marks(chunk), chunk).fetchall())
    for host_id, modified, (added, changed, removed) in parsed:
        entries = out[host_id]
        if len(entries) < keep:
            entries.append({
                "modified": modified,
                "added": sorted(names.get(i, "?") for i in added),
                "changed": sorted(names.get(i, "?") for i in changed),
                "removed": sorted(names.get(i, "?") for i in removed),
            })
    return out
