# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Leases of running updates: how long a node may go without renewing one, and how an expired one reads.

An inventory or project update that is ``pending`` or ``running`` carries
``lease_expires`` (and ``heartbeat``, the time of its last renewal) and the
node (``hostname``) that runs it.  The node renews the lease every
:func:`heartbeat_seconds` while the update runs (see runtime/heartbeat.py);
a record whose lease has passed belongs to a node that stopped (killed,
rebooted, cut off from the store) and reads as ``failed`` with
:func:`expired_reason`.  No process table is read: this holds across
machines.  A record without a lease (made before schema 6) is trusted.

A node that writes in one long transaction (a big import) cannot renew its
lease before that transaction commits: its heartbeat would wait for the
store's write lock.  So a passed lease is only a verdict when no connection
holds the write lock (:meth:`Store.writer_active`): the lock dies with its
holder, and the running update renews its lease inside each of its
transactions, just before it commits (rules/leasing.py).  :func:`lapsed`
reads the records again after asking, so a commit in between is seen.
A writer marks expired records failed inside its own write transaction,
where no other writer can be active.

``FLEET_INVENTORY_LEASE_SECONDS`` sets the lease length (default 30 s; the
heartbeat runs every third of it, 10 s by default), for tests mostly.
``FLEET_INVENTORY_NODE`` names this node in records (default: the host name).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta, timezone

from ansible_collections.fleet.inventory.plugins.module_utils.common import now

ENV_LEASE = "FLEET_INVENTORY_LEASE_SECONDS"
ENV_NODE = "FLEET_INVENTORY_NODE"
DEFAULT_LEASE = 30.0
ACTIVE = ("pending", "running")


def lease_seconds() -> float:
    """The lease length in seconds (``$FLEET_INVENTORY_LEASE_SECONDS``, default 30, at least 0.2)."""
    try:
        value = float(os.environ.get(ENV_LEASE, "") or DEFAULT_LEASE)
    except ValueError:
        value = DEFAULT_LEASE
    return max(value, 0.2)


def heartbeat_seconds() -> float:
    """How often a running update renews its lease: a third of the lease."""
    return lease_seconds() / 3.0


def node_name() -> str:
    """The name this node writes into the records it runs (``$FLEET_INVENTORY_NODE``, else the host name)."""
    return (os.environ.get(ENV_NODE) or "").strip() or socket.gethostname()


def _stamp(moment) -> str:
    return moment.isoformat(timespec="microseconds")


def lease_until(start=None) -> tuple:
    """``(now, now + lease)`` as the store's ISO-8601 UTC text."""
    moment = start or datetime.now(timezone.utc)
    return _stamp(moment), _stamp(moment + timedelta(seconds=lease_seconds()))


def expired(row, stamp) -> bool:
    """Whether the active record ``row`` has a lease that passed before ``stamp`` (ISO text)."""
    return bool(row.get("status") in ACTIVE and row.get("lease_expires") and row["lease_expires"] < stamp)


def lapsed(store, read) -> tuple:
    """``(rows, dead)``: the records ``read()`` returns and those among them whose lease has passed with no
    connection holding the store's write lock (dead: none while one does).

    ``read()`` runs again after the lock was asked for: a writer that committed
    just before has renewed its lease in that commit.
    """
    rows = [r for r in read() if r is not None]
    stamp = _stamp(datetime.now(timezone.utc))
    if not any(expired(r, stamp) for r in rows):
        return rows, []
    if store.writer_active():
        return rows, []
    rows = [r for r in read() if r is not None]
    stamp = _stamp(datetime.now(timezone.utc))
    return rows, [r for r in rows if expired(r, stamp)]


def expired_reason(row) -> str:
    """Why a record whose lease expired is failed: the node and the time of its last renewal."""
    return "node %s stopped renewing the lease of this update at %s" % (
        row.get("hostname") or "?", row.get("heartbeat") or row.get("started") or row.get("created") or "?")


def as_read(store, row, reread):
    """An update record as readers see it: one whose lease passed, with no writer holding the store's write lock,
    reads as failed with the reason (nothing is written). ``reread()`` reads the record again."""
    if row is None or not expired(row, _stamp(datetime.now(timezone.utc))):
        return row
    rows, dead = lapsed(store, lambda: [reread()])
    if dead:
        return dict(dead[0], status="failed", job_explanation=expired_reason(dead[0]))
    return rows[0] if rows else None


#: the tables of update records that carry a lease (the only names :func:`beat` and :func:`flag_cancel` take)
UPDATE_TABLES = ("inventory_updates", "project_updates")
# what an update record's status is mirrored on: the table and the record's column naming its row
_PARENTS = {"inventory_updates": ("inventory_sources", "inventory_source_id"), "project_updates": ("projects", "project_id")}


def beat(store, table, update_id, node, chunk):
    """The heartbeat of a running record of ``table``: renew its lease and append ``chunk`` to its log; returns
    ``{"cancel_flag"}``, or None when it is no longer this node's active record."""
    if table not in UPDATE_TABLES:
        raise ValueError("not an update table: %r" % (table,))
    stamp, until = lease_until()
    if not chunk:  # the log stays as it is (no new copy of it)
        return store.query_one(
            "UPDATE %s SET lease_expires = ?, heartbeat = ? WHERE id = ? AND hostname = ?"
            " AND status IN ('pending', 'running') RETURNING cancel_flag" % table, (until, stamp, int(update_id), node))
    return store.query_one(
        "UPDATE %s SET lease_expires = ?, heartbeat = ?, result_stdout = result_stdout || ?"
        " WHERE id = ? AND hostname = ? AND status IN ('pending', 'running') RETURNING cancel_flag" % table,
        (until, stamp, chunk, int(update_id), node))


def flag_cancel(store, table, update_id) -> bool:
    """Ask the node running the record of ``table`` to cancel it; False when it is not running."""
    if table not in UPDATE_TABLES:
        raise ValueError("not an update table: %r" % (table,))
    return store.query_one("UPDATE %s SET cancel_flag = TRUE WHERE id = ? AND status = 'running' RETURNING id" % table,
                           (int(update_id),)) is not None


def cancel_pending(store, table, update_id, explanation) -> bool:
    """A pending record of ``table`` becomes ``canceled``, and so does its source or project while that is pending.

    False when the record is not pending (it started or ended meanwhile): nothing is written then.
    """
    if table not in UPDATE_TABLES:
        raise ValueError("not an update table: %r" % (table,))
    parent, column = _PARENTS[table]
    stamp = now()
    row = store.query_one(
        "UPDATE %s SET status = 'canceled', finished = ?, job_explanation = ?, cancel_flag = TRUE,"
        " result_stdout = result_stdout || ? WHERE id = ? AND status = 'pending' RETURNING %s" % (table, column),
        (stamp, explanation, explanation + "\n", int(update_id)))
    if row is None:
        return False
    store.execute("UPDATE %s SET status = 'canceled', last_updated = ? WHERE id = ? AND status = 'pending'" % parent,
                  (stamp, row[column]))
    return True
