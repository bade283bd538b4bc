# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``groups`` repository: groups, their memberships (``group_hosts``) and child links (``group_children``).

Functions take the :class:`~store.core.Store` as first argument; the Store's
methods of the same purpose delegate to them.
"""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import chunks, load_mapping, now, sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store.rows import variables as parse_variables


def get(store, inventory, name):
    """The group ``name`` of ``inventory`` with its ``hosts`` and ``children`` (names), or None."""
    inv = store.require_inventory(inventory)
    row = store.query_one("SELECT * FROM groups WHERE inventory_id = ? AND name = ?", (inv["id"], name))
    if row is None:
        return None
    row["variables"] = parse_variables(row["variables"])
    row["inventory"] = inv["name"]
    row["hosts"] = [r["name"] for r in store.query(
        "SELECT h.name FROM group_hosts gh JOIN hosts h ON h.id = gh.host_id WHERE gh.group_id = ? ORDER BY h.name",
        (row["id"],))]
    row["children"] = [r["name"] for r in store.query(
        "SELECT g.name FROM group_children gc JOIN groups g ON g.id = gc.child_id WHERE gc.parent_id = ? ORDER BY g.name",
        (row["id"],))]
    return row


def list_in(store, inventory) -> list:
    """Every group of ``inventory`` (as :func:`get` returns them), by name."""
    inv = store.require_inventory(inventory)
    return [get(store, inv["name"], r["name"]) for r in store.query(
        "SELECT name FROM groups WHERE inventory_id = ? ORDER BY name", (inv["id"],))]


def save(store, inventory, name, description=None, variables=None, hosts=None, children=None,
         preserve_existing_hosts=False, preserve_existing_children=False):
    """Create or update a group.  ``hosts``/``children`` (names, which must exist in
    the same inventory) set the memberships exactly, or add to them with the
    ``preserve_existing_*`` flags.  Returns ``(before, after)``."""
    if not name or not str(name).strip():
        raise ValidationError("group name must not be empty")
    if name in ("all", "ungrouped"):
        raise ValidationError("'%s' is a group every inventory has implicitly; it cannot be stored" % name)
    with store.transaction():
        inv = store.require_normal_inventory(inventory, "groups")
        before = get(store, inv["name"], name)
        new = {
            "description": before["description"] if before else "",
            "variables": before["variables"] if before else {},
        }
        if description is not None:
            new["description"] = description
        if variables is not None:
            new["variables"] = load_mapping(variables, "variables")
        stamp = now()
        if before is None:
            group_id = store.execute(
                "INSERT INTO groups (inventory_id, name, description, variables, created, modified) VALUES (?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (inv["id"], name, new["description"], json.dumps(new["variables"]), stamp, stamp)).fetchone()[0]
        else:
            group_id = before["id"]
            if any(new[k] != before[k] for k in new):
                store.execute("UPDATE groups SET description = ?, variables = ?, modified = ? WHERE id = ?",
                              (new["description"], json.dumps(new["variables"]), stamp, group_id))
        if hosts is not None:
            host_ids = ids(store, "hosts", inv, hosts)
            replace_links(store, "group_hosts", "group_id", group_id, "host_id", host_ids, keep=preserve_existing_hosts)
        if children is not None:
            child_ids = ids(store, "groups", inv, children)
            if group_id in child_ids:
                raise ValidationError("group '%s' cannot be its own child" % name)
            ancestors = ancestor_ids(store, [group_id])
            loops = [c for c, cid in zip(dict.fromkeys(str(c) for c in children), child_ids) if cid in ancestors]
            if loops:
                raise ValidationError("group '%s' cannot have %s as a child: that would make a cycle" % (
                    name, ", ".join("'%s'" % c for c in loops)))
            replace_links(store, "group_children", "parent_id", group_id, "child_id", child_ids, keep=preserve_existing_children)
        return before, get(store, inv["name"], name)


def delete(store, inventory, name):
    """Delete group ``name`` of ``inventory``; returns what was deleted (or None)."""
    with store.transaction():
        before = get(store, inventory, name)
        if before is not None:
            store.execute("DELETE FROM groups WHERE id = ?", (before["id"],))
        return before


def ancestor_ids(store, group_ids) -> set:
    """The groups that contain any of ``group_ids``, transitively (cycle-safe)."""
    seen, frontier = set(), set(group_ids)
    while frontier:
        rows = []
        for chunk in chunks(sorted(frontier)):
            rows += store.execute("SELECT parent_id FROM group_children WHERE child_id IN (%s)" % sql_marks(chunk), chunk).fetchall()
        frontier = {r[0] for r in rows} - seen
        seen |= frontier
    return seen


_WHAT = {"hosts": "host", "groups": "group"}


def ids(store, table, inv, names) -> list:
    """The ids of the hosts or groups (``table``) called ``names`` in inventory ``inv``, in order; NotFound names the missing."""
    names = list(dict.fromkeys(str(n) for n in names))
    found = {}
    for chunk in chunks(names):
        for row in store.execute("SELECT name, id FROM %s WHERE inventory_id = ? AND name IN (%s)" % (table, sql_marks(chunk)),
                                 [inv["id"]] + chunk).fetchall():
            found[row[0]] = row[1]
    missing = [n for n in names if n not in found]
    if missing:
        raise NotFound("no %s named %s in inventory '%s'" % (_WHAT[table], ", ".join("'%s'" % n for n in missing), inv["name"]))
    return [found[n] for n in names]


def replace_links(store, table, own_col, own_id, other_col, other_ids, keep=False):
    """Make the links of ``own_id`` in ``table`` exactly ``other_ids`` (only add them with ``keep``)."""
    current = {r[0] for r in store.execute("SELECT %s FROM %s WHERE %s = ?" % (other_col, table, own_col), (own_id,)).fetchall()}
    wanted = set(other_ids)
    if not keep:
        gone = current - wanted
        for chunk in chunks(sorted(gone)):
            store.execute("DELETE FROM %s WHERE %s = ? AND %s IN (%s)" % (table, own_col, other_col, sql_marks(chunk)), [own_id] + chunk)
    store.executemany("INSERT INTO %s (%s, %s) VALUES (?, ?)" % (table, own_col, other_col),
                      [(own_id, o) for o in sorted(wanted - current)])


def for_hosts(store, host_ids) -> dict:
    """The groups the hosts belong to, with their ancestors, for building an inventory.

    Returns ``{"groups": {group_id: {"name", "variables", "inventory_id"}},
    "children": [(parent_id, child_id)], "memberships": [(group_id, host_id)]}``.
    """
    memberships = []
    for chunk in chunks(list(host_ids)):
        memberships += store.execute(
            "SELECT group_id, host_id FROM group_hosts WHERE host_id IN (%s)" % sql_marks(chunk), chunk).fetchall()
    direct = {link[0] for link in memberships}
    all_ids = direct | ancestor_ids(store, direct)
    groups, children = {}, []
    for chunk in chunks(sorted(all_ids)):
        for row in store.query("SELECT id, inventory_id, name, variables FROM groups WHERE id IN (%s)" % sql_marks(chunk), chunk):
            groups[row["id"]] = {"name": row["name"], "inventory_id": row["inventory_id"], "variables": parse_variables(row["variables"])}
        children += store.execute(
            "SELECT parent_id, child_id FROM group_children WHERE child_id IN (%s)" % sql_marks(chunk), chunk).fetchall()
    children = [(p, c) for p, c in children if p in all_ids]
    return {"groups": groups, "children": sorted(children), "memberships": sorted(memberships)}
