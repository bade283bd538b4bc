# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``inventory_sources`` repository: source rows, and what a source brought into its inventory.

Rows come back as dicts with AWX's field names: ``source_vars`` parsed,
booleans as bools, ``inventory`` and ``source_project`` as names, and the
status as readers see it (an update whose node stopped renewing its lease
reads as failed; see leases).
"""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates

BOOL_FIELDS = ("overwrite", "overwrite_vars", "update_on_launch", "update_on_project_update")
#: the columns a user sets, in the order of :func:`values`
COLUMNS = ("description", "source", "source_project_id", "source_path", "source_vars", "overwrite", "overwrite_vars",
           "update_on_launch", "update_on_project_update", "update_cache_timeout", "limit", "verbosity", "enabled_var",
           "enabled_value", "instance_id_var")


def _column(name):
    return '"limit"' if name == "limit" else name


def source_row(store, row, inventory_name=None):
    if row is None:
        return None
    row = dict(row)
    row["source_vars"] = json.loads(row["source_vars"] or "{}")
    for key in BOOL_FIELDS:
        row[key] = bool(row[key])
    if inventory_name is None:
        inv = store.query_one("SELECT name FROM inventories WHERE id = ?", (int(row["inventory_id"]),))
        inventory_name = inv["name"] if inv else None
    row["inventory"] = inventory_name
    if row.get("status") in inventory_updates.ACTIVE:
        row["status"] = inventory_updates.source_state(store, row["id"], row["status"])[0]
    row["source_project"] = None
    if row["source_project_id"] is not None:
        project = store.query_one("SELECT name FROM projects WHERE id = ?", (row["source_project_id"],))
        row["source_project"] = project["name"] if project else None
    return row


def get(store, inventory, name_or_id):
    """The source of inventory ``inventory`` (a dict with ``id`` and ``name``) by name or id, or None."""
    if isinstance(name_or_id, int):
        row = store.query_one("SELECT * FROM inventory_sources WHERE inventory_id = ? AND id = ?", (inventory["id"], name_or_id))
    else:
        row = store.query_one("SELECT * FROM inventory_sources WHERE inventory_id = ? AND name = ?",
                              (inventory["id"], name_or_id))
    return source_row(store, row, inventory["name"])


def get_by_id(store, source_id):
    return source_row(store, store.query_one("SELECT * FROM inventory_sources WHERE id = ?", (int(source_id),)))


def stored_status(store, source_id):
    row = store.query_one("SELECT status FROM inventory_sources WHERE id = ?", (int(source_id),))
    return row["status"] if row else ""


def of_inventory(store, inventory) -> list:
    return [source_row(store, r, inventory["name"]) for r in store.query(
        "SELECT * FROM inventory_sources WHERE inventory_id = ? ORDER BY id", (inventory["id"],))]


def of_project(store, project_id) -> list:
    return [source_row(store, r) for r in store.query(
        "SELECT * FROM inventory_sources WHERE source_project_id = ? ORDER BY id", (int(project_id),))]


def others(store, inventory_id, source_id) -> list:
    """``name``, ``source``, ``update_on_project_update`` of the inventory's other sources."""
    return [dict(r, update_on_project_update=bool(r["update_on_project_update"])) for r in store.query(
        "SELECT name, source, update_on_project_update FROM inventory_sources WHERE inventory_id = ? AND id != ? ORDER BY id",
        (int(inventory_id), int(source_id) if source_id is not None else -1))]


def values(fields) -> list:
    """The stored values of a source's user fields (see :data:`COLUMNS`)."""
    out = []
    for name in COLUMNS:
        value = fields[name]
        if name in BOOL_FIELDS:
            value = bool(value)
        elif name == "source_vars":
            value = canonical_json(value)
        out.append(value)
    return out


def insert(store, inventory_id, name, fields, stamp):
    vals = values(fields)
    return store.query_one(
        "INSERT INTO inventory_sources (inventory_id, name, %s, created, modified) VALUES (?, ?, %s, ?, ?) RETURNING id" % (
            ", ".join(_column(c) for c in COLUMNS), ", ".join(["?"] * len(vals))),
        [int(inventory_id), name] + vals + [stamp, stamp])["id"]


def update(store, source_id, fields, stamp, forget_revision=False):
    sets = ", ".join("%s = ?" % _column(c) for c in COLUMNS)
    store.execute("UPDATE inventory_sources SET %s, modified = ? WHERE id = ?" % sets, values(fields) + [stamp, int(source_id)])
    if forget_revision:
        store.execute("UPDATE inventory_sources SET scm_last_revision = '' WHERE id = ?", (int(source_id),))


def delete(store, source_id):
    store.execute("DELETE FROM inventory_sources WHERE id = ?", (int(source_id),))


def find_by_name(store, name, inventory_name=None) -> list:
    """The raw rows of the sources named ``name`` (of the inventory named ``inventory_name``), with ``inventory_name``.

    Sources of inventories pending deletion are left out.
    """
    sql = ("SELECT s.*, i.name AS inventory_name FROM inventory_sources s JOIN inventories i ON i.id = s.inventory_id"
           " WHERE s.name = ? AND i.pending_delete = FALSE")
    params = [name]
    if inventory_name:
        sql += " AND i.name = ?"
        params.append(inventory_name)
    return store.query(sql + " ORDER BY s.id", params)


def served_inventory(store, source, include_disabled=False) -> dict:
    """Hosts and groups a source brought into its inventory (the whole inventory when it is its only source).

    Returns ``all_vars``, ``hosts`` [(name, vars)] and ``groups`` [(name, vars, host names, child names)].
    """
    inv_id = source["inventory_id"]
    owned = store.query_one("SELECT COUNT(*) AS n FROM inventory_sources WHERE inventory_id = ? AND id != ?",
                            (inv_id, source["id"]))["n"]
    inv = store.query_one("SELECT variables FROM inventories WHERE id = ?", (inv_id,))
    if owned:
        host_rows = store.query(
            "SELECT h.id, h.name, h.enabled, h.variables FROM hosts h JOIN inventory_source_hosts o ON o.host_id = h.id"
            " WHERE o.inventory_source_id = ? ORDER BY h.name", (source["id"],))
        group_rows = store.query(
            "SELECT g.id, g.name, g.variables FROM groups g JOIN inventory_source_groups o ON o.group_id = g.id"
            " WHERE o.inventory_source_id = ? ORDER BY g.name", (source["id"],))
    else:
        host_rows = store.query("SELECT id, name, enabled, variables FROM hosts WHERE inventory_id = ? ORDER BY name", (inv_id,))
        group_rows = store.query("SELECT id, name, variables FROM groups WHERE inventory_id = ? ORDER BY name", (inv_id,))
    hosts = {r["id"]: r for r in host_rows if include_disabled or r["enabled"]}
    groups = {r["id"]: r for r in group_rows}
    members = {gid: [] for gid in groups}
    children = {gid: [] for gid in groups}
    for row in store.query("SELECT gh.group_id, gh.host_id FROM group_hosts gh JOIN groups g ON g.id = gh.group_id"
                           " WHERE g.inventory_id = ?", (inv_id,)):
        if row["group_id"] in members and row["host_id"] in hosts:
            members[row["group_id"]].append(hosts[row["host_id"]]["name"])
    for row in store.query("SELECT gc.parent_id, gc.child_id FROM group_children gc JOIN groups g ON g.id = gc.parent_id"
                           " WHERE g.inventory_id = ?", (inv_id,)):
        if row["parent_id"] in children and row["child_id"] in groups:
            children[row["parent_id"]].append(groups[row["child_id"]]["name"])
    return {
        "all_vars": json.loads(inv["variables"] or "{}"),
        "hosts": [(r["name"], json.loads(r["variables"] or "{}")) for r in hosts.values()],
        "groups": [(g["name"], json.loads(g["variables"] or "{}"), sorted(members[gid]), sorted(children[gid]))
                   for gid, g in groups.items()],
    }
