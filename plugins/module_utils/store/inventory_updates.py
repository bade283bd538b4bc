# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``inventory_updates`` repository: update records of inventory sources, their claims and leases.

Every function takes the :class:`Store` and runs portable SQL through its
``execute``/``query``; writers expect to run inside ``store.transaction()``.

Claims are single statements, so that two nodes racing on one update or one
inventory never both run it: a new update is an ``INSERT ... ON CONFLICT DO
NOTHING RETURNING id`` guarded by the partial unique index
``inventory_updates_one_running`` (one running update per inventory), a
pending one becomes running with ``UPDATE ... WHERE status = 'pending' AND NOT
EXISTS (a running update of the inventory) RETURNING id``.  The losing side
gets no row.
"""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json, now
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases

ACTIVE = leases.ACTIVE
_FILTERS = {"status": "status", "inventory_source": "inventory_source_id", "inventory": "inventory_id", "launch_type": "launch_type"}


def get(store, update_id):
    return store.query_one("SELECT * FROM inventory_updates WHERE id = ?", (int(update_id),))


def ids_of_source(store, source_id) -> list:
    return [r["id"] for r in store.query("SELECT id FROM inventory_updates WHERE inventory_source_id = ? ORDER BY id",
                                         (int(source_id),))]


def active_of_source(store, source_id) -> list:
    return store.query("SELECT * FROM inventory_updates WHERE inventory_source_id = ? AND status IN ('pending', 'running')"
                       " ORDER BY id", (int(source_id),))


def last_explanation(store, source_id) -> str:
    row = store.query_one("SELECT job_explanation FROM inventory_updates WHERE inventory_source_id = ? ORDER BY id DESC LIMIT 1",
                          (int(source_id),))
    return (row["job_explanation"] or "") if row else ""


def last_successful(store, source_id):
    row = store.query_one("SELECT MAX(finished) AS finished FROM inventory_updates WHERE inventory_source_id = ?"
                          " AND status = 'successful'", (int(source_id),))
    return row["finished"] if row else None


def running(store, inventory_id):
    """The running record of an inventory whose lease holds, or None (an expired one does not count)."""
    rows, dead = leases.lapsed(store, lambda: store.query(
        "SELECT * FROM inventory_updates WHERE inventory_id = ? AND status = 'running' ORDER BY id", (int(inventory_id),)))
    dead_ids = {r["id"] for r in dead}
    return next((r for r in rows if r["id"] not in dead_ids), None)


def source_state(store, source_id, status):
    """``(status, explanation)`` of a source as readers see it (nothing is written).

    A source left ``pending``/``running`` whose active updates all lost their
    lease is ``failed`` with the reason of the last of them.
    """
    if status in ACTIVE:
        active, dead = leases.lapsed(store, lambda: active_of_source(store, source_id))
        if not active:
            return "failed", "no update of this source is running"
        if len(dead) == len(active):
            return "failed", leases.expired_reason(dead[-1])
        return status, ""
    return status, last_explanation(store, source_id)


def as_read(store, row):
    """A record as readers see it: an expired lease (no writer holding the store's write lock) reads as failed with
    the reason (nothing is written)."""
    return leases.as_read(store, row, lambda: get(store, row["id"]))


def expire(store, inventory_id):
    """Mark the active records of an inventory whose lease passed failed (and their sources); returns how many."""
    stamp = now()
    rows = store.query("SELECT * FROM inventory_updates WHERE inventory_id = ? AND status IN ('pending', 'running')"
                       " AND lease_expires < ? ORDER BY id", (int(inventory_id), stamp))
    for row in rows:
        reason = leases.expired_reason(row)
        done = store.query(
            "UPDATE inventory_updates SET status = 'failed', finished = ?, job_explanation = ?,"
            " result_stdout = result_stdout || ? WHERE id = ? AND status IN ('pending', 'running') AND lease_expires < ?"
            " RETURNING id", (stamp, reason, "\n%s\n" % reason, row["id"], stamp))
        if done:
            store.execute("UPDATE inventory_sources SET status = 'failed', last_updated = ? WHERE id = ?",
                          (stamp, row["inventory_source_id"]))
    return len(rows)


def insert_pending(store, source, launch_type, source_project_update_id, node):
    """A new ``pending`` record (leased by ``node`` until a worker claims it); returns its id."""
    stamp, until = leases.lease_until()
    row = store.query_one(
        "INSERT INTO inventory_updates (inventory_source_id, inventory_id, source_project_update_id, status, launch_type,"
        " created, hostname, lease_expires, heartbeat) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?) RETURNING id",
        (source["id"], source["inventory_id"], source_project_update_id, launch_type, stamp, node, until, stamp))
    store.execute("UPDATE inventory_sources SET status = 'pending' WHERE id = ?", (source["id"],))
    return row["id"]


def insert_queued(store, source, launch_type, source_project_update_id=None):
    """A new ``pending`` record in the service's queue (no lease: it waits for any worker); returns its id."""
    stamp = now()
    row = store.query_one(
        "INSERT INTO inventory_updates (inventory_source_id, inventory_id, source_project_update_id, status, launch_type,"
        " created, queued) VALUES (?, ?, ?, 'pending', ?, ?, TRUE) RETURNING id",
        (source["id"], source["inventory_id"], source_project_update_id, launch_type, stamp))
    store.execute("UPDATE inventory_sources SET status = 'pending' WHERE id = ?", (source["id"],))
    return row["id"]


def queued(store, limit=20) -> list:
    """The oldest pending records of the service's queue: ``id``, ``inventory_source_id``, ``inventory_id``, ``created``."""
    return store.query("SELECT id, inventory_source_id, inventory_id, created FROM inventory_updates"
                       " WHERE status = 'pending' AND queued = TRUE ORDER BY id LIMIT ?", (int(limit),))


def beat(store, update_id, node, chunk):
    """A running record's heartbeat (see :func:`leases.beat`)."""
    return leases.beat(store, "inventory_updates", update_id, node, chunk)


def cancel_pending(store, update_id, explanation) -> bool:
    """A pending record becomes ``canceled`` (and its source); False when it is not pending."""
    return leases.cancel_pending(store, "inventory_updates", update_id, explanation)


def flag_cancel(store, update_id) -> bool:
    """Ask the node running the record to cancel it; False when it is not running."""
    return leases.flag_cancel(store, "inventory_updates", update_id)


def claim_new(store, source, launch_type, source_project_update_id, pid, node):
    """A new ``running`` record, unless the inventory has a running update: its id, or None (the loser)."""
    stamp, until = leases.lease_until()
    row = store.query_one(
        "INSERT INTO inventory_updates (inventory_source_id, inventory_id, source_project_update_id, status, launch_type,"
        " created, started, pid, hostname, lease_expires, heartbeat) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING id",
        (source["id"], source["inventory_id"], source_project_update_id, launch_type, stamp, stamp, pid, node, until, stamp))
    if row is None:
        return None
    store.execute("UPDATE inventory_sources SET status = 'running' WHERE id = ?", (source["id"],))
    return row["id"]


def claim_pending(store, update_id, pid, node) -> bool:
    """Make the pending record ``update_id`` running for this node, unless it is no longer pending or its
    inventory has a running update; True when this caller won it."""
    stamp, until = leases.lease_until()
    row = store.query_one(
        "UPDATE inventory_updates SET status = 'running', started = ?, pid = ?, hostname = ?, lease_expires = ?, heartbeat = ?"
        " WHERE id = ? AND status = 'pending' AND NOT EXISTS (SELECT 1 FROM inventory_updates o"
        " WHERE o.inventory_id = inventory_updates.inventory_id AND o.status = 'running')"
        " RETURNING inventory_source_id", (stamp, pid, node, until, stamp, int(update_id)))
    if row is None:
        return False
    store.execute("UPDATE inventory_sources SET status = 'running' WHERE id = ?", (row["inventory_source_id"],))
    return True


def renew(store, update_id, node) -> bool:
    """Extend the lease of an active record that ``node`` holds; False when it is no longer its to renew."""
    stamp, until = leases.lease_until()
    return store.query_one(
        "UPDATE inventory_updates SET lease_expires = ?, heartbeat = ? WHERE id = ? AND hostname = ?"
        " AND status IN ('pending', 'running') RETURNING id", (until, stamp, int(update_id), node)) is not None


def set_runner(store, update_id, pid, node):
    """The pending record is now held by ``node``'s process ``pid`` (a background update that will claim it)."""
    stamp, until = leases.lease_until()
    store.execute("UPDATE inventory_updates SET pid = ?, hostname = ?, lease_expires = ?, heartbeat = ? WHERE id = ?",
                  (pid, node, until, stamp, int(update_id)))


def finish(store, update_id, source, status, counts, log, explanation, revision, project_update_id):
    """Write the outcome of an update and its source's status."""
    stamp = now()
    store.execute(
        "UPDATE inventory_updates SET status = ?, finished = ?, result_stdout = ?, job_explanation = ?, counts = ?,"
        " scm_revision = ?, source_project_update_id = COALESCE(?, source_project_update_id) WHERE id = ?",
        (status, stamp, log, explanation, canonical_json(counts), revision or "", project_update_id, int(update_id)))
    if status == "successful" and source["source"] == "scm":
        store.execute("UPDATE inventory_sources SET status = ?, last_updated = ?, scm_last_revision = ? WHERE id = ?",
                      (status, stamp, revision or "", source["id"]))
    else:
        store.execute("UPDATE inventory_sources SET status = ?, last_updated = ? WHERE id = ?", (status, stamp, source["id"]))


def page_ids(store, owner_ids, filters, offset, limit, descending=False) -> tuple:
    """``(count, ids)`` of one page of records, by id; ``owner_ids``: only those of these inventorys (None: all);
    ``filters``: column equality (status, inventory_source, inventory, launch_type)."""
    where, params = [], []
    for key, column in _FILTERS.items():
        if filters.get(key) is not None:
            where.append("%s = ?" % column)
            params.append(filters[key])
    sql = " WHERE " + " AND ".join(where) if where else ""
    rows = store.query("SELECT id, inventory_id FROM inventory_updates" + sql + " ORDER BY id" + (" DESC" if descending else ""),
                       tuple(params))
    if owner_ids is not None:
        rows = [r for r in rows if r["inventory_id"] in owner_ids]
    return len(rows), [r["id"] for r in rows[int(offset):int(offset) + int(limit)]]
