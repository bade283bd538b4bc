# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``hosts`` repository: read, create, update and delete hosts, and find them by name.

Functions take the :class:`~store.core.Store` as first argument; the Store's
methods of the same purpose delegate to them.  Searching hosts by a filter is
:mod:`store.search`.
"""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import chunks, load_mapping, now, sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store import groups as group_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import delete_host_items
from ansible_collections.fleet.inventory.plugins.module_utils.store.rows import host_row


def get(store, inventory, name, with_groups=True):
    """The host ``name`` of ``inventory`` (a dict with ``inventory`` and, with ``with_groups``, ``groups``), or None."""
    inv = store.require_inventory(inventory)
    row = host_row(store.query_one("SELECT * FROM hosts WHERE inventory_id = ? AND name = ?", (inv["id"], name)))
    if row is not None:
        row["inventory"] = inv["name"]
        if with_groups:
            row["groups"] = [r["name"] for r in store.query(
                "SELECT g.name FROM group_hosts gh JOIN groups g ON g.id = gh.group_id WHERE gh.host_id = ? ORDER BY g.name",
                (row["id"],))]
    return row


def list_in(store, inventory) -> list:
    """Every host of ``inventory``, by name."""
    inv = store.require_inventory(inventory)
    out = []
    for r in store.query("SELECT * FROM hosts WHERE inventory_id = ? ORDER BY name", (inv["id"],)):
        r = host_row(r)
        r["inventory"] = inv["name"]
        out.append(r)
    return out


def save(store, inventory, name, description=None, enabled=None, instance_id=None, variables=None, groups=None):
    """Create or update a host; ``groups`` (names) when given is the exact set of its groups.

    Returns ``(before, after)``.
    """
    if not name or not str(name).strip():
        raise ValidationError("host name must not be empty")
    with store.transaction():
        inv = store.require_normal_inventory(inventory, "hosts")
        before = get(store, inv["name"], name)
        new = {
            "description": before["description"] if before else "",
            "enabled": before["enabled"] if before else True,
            "instance_id": before["instance_id"] if before else "",
            "variables": before["variables"] if before else {},
        }
        for key, value in (("description", description), ("enabled", enabled), ("instance_id", instance_id)):
            if value is not None:
                new[key] = value
        if variables is not None:
            new["variables"] = load_mapping(variables, "variables")
        stamp = now()
        if before is None:
            host_id = store.execute(
                "INSERT INTO hosts (inventory_id, name, description, enabled, instance_id, variables, created, modified)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (inv["id"], name, new["description"], bool(new["enabled"]), new["instance_id"],
                 json.dumps(new["variables"]), stamp, stamp)).fetchone()[0]
        else:
            host_id = before["id"]
            if any(new[k] != before[k] for k in new):
                store.execute(
                    "UPDATE hosts SET description = ?, enabled = ?, instance_id = ?, variables = ?, modified = ? WHERE id = ?",
                    (new["description"], bool(new["enabled"]), new["instance_id"], json.dumps(new["variables"]), stamp, host_id))
        if groups is not None:
            group_ids = group_repo.ids(store, "groups", inv, groups)
            group_repo.replace_links(store, "group_hosts", "host_id", host_id, "group_id", group_ids)
        return before, get(store, inv["name"], name)


def delete(store, inventory, name):
    """Delete host ``name`` of ``inventory``; returns what was deleted (or None)."""
    with store.transaction():
        before = get(store, inventory, name)
        if before is not None:
            delete_host_items(store, [before["id"]])  # no cascade reaches the leaf rows (schema migration 7)
            store.execute("DELETE FROM hosts WHERE id = ?", (before["id"],))
        return before


def named(store, name) -> list:
    """Every stored host called ``name``, in any inventory not pending deletion (lowest id first)."""
    return [host_row(r) for r in store.query(
        "SELECT h.* FROM hosts h JOIN inventories i ON i.id = h.inventory_id WHERE h.name = ? AND i.pending_delete = FALSE"
        " ORDER BY h.id", (name,))]


def ids_named(store, name) -> list:
    """The ids of every stored host called ``name``, in any inventory not pending deletion (lowest first)."""
    return [r[0] for r in store.execute(
        "SELECT h.id FROM hosts h JOIN inventories i ON i.id = h.inventory_id WHERE h.name = ? AND i.pending_delete = FALSE"
        " ORDER BY h.id", (name,)).fetchall()]


def by_names(store, names, inventory=None) -> dict:
    """``{name: [host rows]}`` for the stored hosts called any of ``names`` (lowest id first).

    With ``inventory`` only that inventory's hosts (it must exist); without it
    every inventory's, as the fact cache does.  Hosts of inventories pending
    deletion are left out.  Each row has ``id``, ``name``, ``inventory``,
    ``inventory_id`` and ``ansible_facts_modified``.
    """
    inv_id = store.require_inventory(inventory)["id"] if inventory is not None else None
    names = list(dict.fromkeys(str(n) for n in names))
    out: dict = {}
    for chunk in chunks(names):
        sql = ("SELECT h.id, h.name, i.name AS inventory, h.inventory_id, h.ansible_facts_modified"
               " FROM hosts h JOIN inventories i ON i.id = h.inventory_id"
               " WHERE i.pending_delete = FALSE AND h.name IN (%s)" % sql_marks(chunk))
        params = list(chunk)
        if inv_id is not None:
            sql += " AND h.inventory_id = ?"
            params.append(inv_id)
        for row in store.query(sql + " ORDER BY h.id", params):
            out.setdefault(row["name"], []).append(row)
    return out
