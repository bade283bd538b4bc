# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bulk statements of an import: one inventory's whole content read at once, and written in batches.

:mod:`rules.importer` decides what changes (AWX's matching and overwrite
rules); the statements it runs are these.  Rows are plain tuples, in the
column order each function names.
"""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.common import chunks, sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import delete_host_items


def load(store, inventory_id, source_id=None) -> dict:
    """One inventory's content, as the importer compares it.

    ``{"hosts": {id: (name, description, enabled, instance_id, variables_text)},
    "groups": {name: (id, variables_text)}, "group_hosts": {(group_id, host_id)},
    "children": {(parent_id, child_id)}}``; with ``source_id`` also
    ``owned_hosts``/``owned_groups``: the ids that inventory source brought.
    """
    ex = store.execute
    out = {
        "hosts": {row[0]: (row[1], row[2], bool(row[3]), row[4], row[5]) for row in ex(
            "SELECT id, name, description, enabled, instance_id, variables FROM hosts WHERE inventory_id = ?", (inventory_id,))},
        "groups": {row[1]: (row[0], row[2]) for row in ex(
            "SELECT id, name, variables FROM groups WHERE inventory_id = ?", (inventory_id,))},
        "group_hosts": {tuple(r) for r in ex(
            "SELECT gh.group_id, gh.host_id FROM group_hosts gh JOIN groups g ON g.id = gh.group_id WHERE g.inventory_id = ?",
            (inventory_id,))},
        "children": {tuple(r) for r in ex(
            "SELECT gc.parent_id, gc.child_id FROM group_children gc JOIN groups g ON g.id = gc.parent_id WHERE g.inventory_id = ?",
            (inventory_id,))},
    }
    if source_id is not None:
        out["owned_hosts"] = {r[0] for r in ex("SELECT host_id FROM inventory_source_hosts WHERE inventory_source_id = ?", (source_id,))}
        out["owned_groups"] = {r[0] for r in ex(
            "SELECT group_id FROM inventory_source_groups WHERE inventory_source_id = ?", (source_id,))}
    return out


def names(store, inventory_id) -> dict:
    """``{"hosts": [names], "groups": [names]}`` of one inventory, sorted."""
    return {
        "hosts": sorted(r[0] for r in store.execute("SELECT name FROM hosts WHERE inventory_id = ?", (inventory_id,))),
        "groups": sorted(r[0] for r in store.execute("SELECT name FROM groups WHERE inventory_id = ?", (inventory_id,))),
    }


def _ids_by_name(store, table, inventory_id, wanted) -> dict:
    return {name: row_id for name, row_id in store.execute("SELECT name, id FROM %s WHERE inventory_id = ?" % table, (inventory_id,))
            if name in wanted}


def delete_rows(store, table, ids):
    """Delete the ``hosts`` or ``groups`` (``table``) of ``ids`` (their links and facts go with them)."""
    if table == "hosts":
        delete_host_items(store, ids)  # no cascade reaches the leaf rows (schema migration 7)
    for chunk in chunks(ids):
        store.execute("DELETE FROM %s WHERE id IN (%s)" % (table, sql_marks(chunk)), chunk)


def rename_hosts(store, renames):
    """``renames``: ``[(new name, host id)]``, in two steps so that swapped names never collide on (inventory_id, name)."""
    store.executemany("UPDATE hosts SET name = ? WHERE id = ?", [("\x1ffleet-rename-%d" % hid, hid) for _n, hid in renames])
    store.executemany("UPDATE hosts SET name = ? WHERE id = ?", renames)


def update_hosts(store, rows):
    """``rows``: ``[(variables_text, enabled, instance_id, modified, host id)]``."""
    store.executemany("UPDATE hosts SET variables = ?, enabled = ?, instance_id = ?, modified = ? WHERE id = ?", rows)


def insert_hosts(store, inventory_id, rows) -> dict:
    """``rows``: ``[(name, description, enabled, instance_id, variables_text, stamp)]``; returns ``{name: new id}``."""
    store.bulk_insert(
        "hosts", ["inventory_id", "name", "description", "enabled", "instance_id", "variables", "created", "modified"],
        [(inventory_id, name, desc, enabled, iid, vtext, stamp, stamp) for name, desc, enabled, iid, vtext, stamp in rows])
    return _ids_by_name(store, "hosts", inventory_id, {row[0] for row in rows})


def update_groups(store, rows):
    """``rows``: ``[(variables_text, modified, group id)]``."""
    store.executemany("UPDATE groups SET variables = ?, modified = ? WHERE id = ?", rows)


def insert_groups(store, inventory_id, rows) -> dict:
    """``rows``: ``[(name, description, variables_text, stamp)]``; returns ``{name: new id}``."""
    store.bulk_insert(
        "groups", ["inventory_id", "name", "description", "variables", "created", "modified"],
        [(inventory_id, name, desc, vtext, stamp, stamp) for name, desc, vtext, stamp in rows])
    return _ids_by_name(store, "groups", inventory_id, {row[0] for row in rows})


def touch_groups(store, stamp, group_ids):
    """Set ``modified`` of the groups ``group_ids``."""
    store.executemany("UPDATE groups SET modified = ? WHERE id = ?", [(stamp, g) for g in sorted(group_ids)])


def change_links(store, drop_hosts=(), drop_children=(), add_hosts=(), add_children=()):
    """Delete and insert ``(group_id, host_id)`` memberships and ``(parent_id, child_id)`` child links."""
    if drop_hosts:
        store.executemany("DELETE FROM group_hosts WHERE group_id = ? AND host_id = ?", sorted(drop_hosts))
    if drop_children:
        store.executemany("DELETE FROM group_children WHERE parent_id = ? AND child_id = ?", sorted(drop_children))
    if add_hosts:
        store.bulk_insert("group_hosts", ["group_id", "host_id"], sorted(add_hosts))
    if add_children:
        store.bulk_insert("group_children", ["parent_id", "child_id"], sorted(add_children))


def record_ownership(store, source_id, host_ids=(), group_ids=()):
    """Record hosts and groups as brought by inventory source ``source_id``."""
    if host_ids:
        store.bulk_insert("inventory_source_hosts", ["inventory_source_id", "host_id"],
                          [(source_id, h) for h in host_ids])
    if group_ids:
        store.bulk_insert("inventory_source_groups", ["inventory_source_id", "group_id"],
                          [(source_id, g) for g in group_ids])
