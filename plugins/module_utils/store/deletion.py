# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The statements of background deletion (see :mod:`rules.deletion`).

Marking an inventory for deletion is one statement
(:func:`mark_pending`).  Its rows then go in batches, each a statement the
caller runs in a short transaction of its own: a batch of hosts (their fact
leaves first, by primary key, as every host delete does since schema 7: no
cascade reaches ``host_fact_items``; their facts, fact history, group links and
source links go with them through the schema's ``ON DELETE CASCADE``), a
batch of groups, a batch of update records, then the sources, the input links
of constructed inventories, and last the inventory row itself
(:func:`delete_inventory_row`, only once nothing of it is left).  Every
statement selects what is left of one pending inventory, so two workers on one
inventory (two service nodes) only share the work, and a run that stopped half
way is continued by the next one.
"""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.store import leases
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import delete_host_items

#: the tables whose rows :func:`remaining` counts (what a pending inventory still has)
COUNTED = ("hosts", "groups", "inventory_sources", "inventory_updates")


def mark_pending(store, inventory_id, stamp) -> bool:
    """Set ``pending_delete`` of inventory ``inventory_id`` in one statement; False when it was set already."""
    cur = store.execute("UPDATE inventories SET pending_delete = TRUE, modified = ? WHERE id = ? AND pending_delete = FALSE",
                        (stamp, int(inventory_id)))
    return cur.rowcount > 0


def active_updates(store, inventory_id) -> list:
    """The pending or running update records of the inventory whose lease holds (by id)."""
    marks = ", ".join("?" * len(leases.ACTIVE))
    rows, dead = leases.lapsed(store, lambda: store.query(
        "SELECT * FROM inventory_updates WHERE inventory_id = ? AND status IN (%s) ORDER BY id" % marks,
        [int(inventory_id)] + list(leases.ACTIVE)))
    dead_ids = {r["id"] for r in dead}
    return [r for r in rows if r["id"] not in dead_ids]


def pending_ids(store) -> list:
    """The ids of the inventories pending deletion, oldest mark first."""
    return [r[0] for r in store.execute("SELECT id FROM inventories WHERE pending_delete = TRUE ORDER BY modified, id").fetchall()]


def is_pending(store, inventory_id) -> bool:
    row = store.execute("SELECT pending_delete FROM inventories WHERE id = ?", (int(inventory_id),)).fetchone()
    return bool(row and row[0])


def _batch(store, table, inventory_id, limit) -> int:
    # the rows of one inventory, lowest ids first; the subquery is evaluated before the delete on both backends
    cur = store.execute("DELETE FROM %s WHERE id IN (SELECT id FROM %s WHERE inventory_id = ? ORDER BY id LIMIT %d)"
                        % (table, table, int(limit)), (int(inventory_id),))
    return max(cur.rowcount, 0)


def delete_hosts(store, inventory_id, limit) -> int:
    """Delete up to ``limit`` hosts of the inventory with everything that hangs on them; returns how many."""
    ids = [r[0] for r in store.execute("SELECT id FROM hosts WHERE inventory_id = ? ORDER BY id LIMIT %d" % int(limit),
                                       (int(inventory_id),)).fetchall()]
    if not ids:
        return 0
    delete_host_items(store, ids)  # no cascade reaches the leaf rows (schema migration 7)
    marks = ", ".join("?" * len(ids))
    return max(store.execute("DELETE FROM hosts WHERE id IN (%s)" % marks, ids).rowcount, 0)


def delete_groups(store, inventory_id, limit) -> int:
    """Delete up to ``limit`` groups of the inventory (their links go with them); returns how many."""
    return _batch(store, "groups", inventory_id, limit)


def delete_updates(store, inventory_id, limit) -> int:
    """Delete up to ``limit`` inventory update records of the inventory (with their logs); returns how many."""
    return _batch(store, "inventory_updates", inventory_id, limit)


def delete_sources(store, inventory_id) -> int:
    """Delete the inventory's sources (an inventory has a few; their remaining records go with them)."""
    return max(store.execute("DELETE FROM inventory_sources WHERE inventory_id = ?", (int(inventory_id),)).rowcount, 0)


def delete_input_links(store, inventory_id) -> int:
    """Delete the input links of the inventory: its own inputs (a constructed one) and its place as an input of others."""
    return max(store.execute("DELETE FROM inventory_input_inventories WHERE inventory_id = ? OR input_inventory_id = ?",
                             (int(inventory_id), int(inventory_id))).rowcount, 0)


def delete_inventory_row(store, inventory_id) -> bool:
    """Delete the row of a pending inventory once no host, group, source or update of it is left."""
    cur = store.execute(
        "DELETE FROM inventories WHERE id = ? AND pending_delete = TRUE"
        " AND NOT EXISTS (SELECT 1 FROM hosts WHERE inventory_id = ?)"
        " AND NOT EXISTS (SELECT 1 FROM groups WHERE inventory_id = ?)"
        " AND NOT EXISTS (SELECT 1 FROM inventory_updates WHERE inventory_id = ?)",
        (int(inventory_id),) * 4)
    return cur.rowcount > 0


def remaining(store, inventory_id) -> dict:
    """``{table: rows of the inventory left}`` for :data:`COUNTED`."""
    return {table: store.execute("SELECT COUNT(*) FROM %s WHERE inventory_id = ?" % table, (int(inventory_id),)).fetchone()[0]
            for table in COUNTED}
