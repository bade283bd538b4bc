# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``project_updates`` repository: records of project updates (git fetches) and their leases.

Several nodes may update one project at once, each in its own checkout (see
runtime/checkouts.py): a running record is never taken over by another node;
it ends when its node finishes it or when its lease passes (see leases).
"""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.common import now
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases

ACTIVE = leases.ACTIVE
_FILTERS = {"status": "status", "project": "project_id", "launch_type": "launch_type"}


def get(store, update_id):
    return store.query_one("SELECT * FROM project_updates WHERE id = ?", (int(update_id),))


def of_project(store, project_id) -> list:
    return store.query("SELECT * FROM project_updates WHERE project_id = ? ORDER BY id", (int(project_id),))


def active_of_project(store, project_id) -> list:
    return store.query("SELECT * FROM project_updates WHERE project_id = ? AND status IN ('pending', 'running') ORDER BY id",
                       (int(project_id),))


def as_read(store, row):
    """A record as readers see it: one whose lease passed (no writer holding the store's write lock) reads as
    failed with the reason (nothing is written)."""
    return leases.as_read(store, row, lambda: get(store, row["id"]))


def project_state(store, project_id, status):
    """``(status, explanation)`` of a project left ``pending``/``running``, as readers see it."""
    if status not in ACTIVE:
        return status, ""
    active, dead = leases.lapsed(store, lambda: active_of_project(store, project_id))
    if active and len(dead) < len(active):
        return status, ""
    if not dead:
        return "failed", "no update of the project is running"
    return "failed", "%s (project update %s)" % (leases.expired_reason(dead[-1]), dead[-1]["id"])


def expire(store, project_id):
    """Mark the project's active records whose lease passed failed; returns how many."""
    stamp = now()
    rows = store.query("SELECT * FROM project_updates WHERE project_id = ? AND status IN ('pending', 'running')"
                       " AND lease_expires < ?", (int(project_id), stamp))
    for row in rows:
        store.execute("UPDATE project_updates SET status = 'failed', finished = ?, job_explanation = ? WHERE id = ?"
                      " AND status IN ('pending', 'running')", (stamp, leases.expired_reason(row), row["id"]))
    return len(rows)


def start(store, project_id, launch_type, pid, node):
    """A new ``running`` record leased by ``node``; returns its id (the project reads ``running``)."""
    stamp, until = leases.lease_until()
    row = store.query_one(
        "INSERT INTO project_updates (project_id, status, launch_type, created, started, pid, hostname, lease_expires, heartbeat)"
        " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?) RETURNING id", (int(project_id), launch_type, stamp, stamp, pid, node, until,
                                                                     stamp))
    store.execute("UPDATE projects SET status = 'running' WHERE id = ?", (int(project_id),))
    return row["id"]


def insert_queued(store, project_id, launch_type):
    """A new ``pending`` record in the service's queue (no lease until a worker claims it); returns its id."""
    row = store.query_one("INSERT INTO project_updates (project_id, status, launch_type, created, queued)"
                          " VALUES (?, 'pending', ?, ?, TRUE) RETURNING id", (int(project_id), launch_type, now()))
    store.execute("UPDATE projects SET status = 'pending' WHERE id = ? AND status != 'running'", (int(project_id),))
    return row["id"]


def queued(store, limit=20) -> list:
    """The oldest pending records of the service's queue: ``id``, ``project_id``, ``created``."""
    return store.query("SELECT id, project_id, created FROM project_updates WHERE status = 'pending' AND queued = TRUE"
                       " ORDER BY id LIMIT ?", (int(limit),))


def claim_pending(store, update_id, pid, node):
    """Make a pending record ``running`` for this node; its project id, or None when it is no longer pending."""
    stamp, until = leases.lease_until()
    row = store.query_one(
        "UPDATE project_updates SET status = 'running', started = ?, pid = ?, hostname = ?, lease_expires = ?, heartbeat = ?"
        " WHERE id = ? AND status = 'pending' RETURNING project_id", (stamp, pid, node, until, stamp, int(update_id)))
    if row is None:
        return None
    store.execute("UPDATE projects SET status = 'running' WHERE id = ?", (row["project_id"],))
    return row["project_id"]


def beat(store, update_id, node, chunk):
    """A running record's heartbeat (see :func:`leases.beat`)."""
    return leases.beat(store, "project_updates", update_id, node, chunk)


def cancel_pending(store, update_id, explanation) -> bool:
    """A pending record becomes ``canceled``; False when it is not pending."""
    return leases.cancel_pending(store, "project_updates", update_id, explanation)


def flag_cancel(store, update_id) -> bool:
    """Ask the node running the record to cancel it; False when it is not running."""
    return leases.flag_cancel(store, "project_updates", update_id)


def insert_failed(store, project_id, launch_type, reason):
    """A record of an update that could not start; returns its id."""
    stamp = now()
    return store.query_one(
        "INSERT INTO project_updates (project_id, status, launch_type, result_stdout, job_explanation, created, started,"
        " finished) VALUES (?, 'failed', ?, ?, ?, ?, ?, ?) RETURNING id",
        (int(project_id), launch_type, reason, reason, stamp, stamp, stamp))["id"]


def renew(store, update_id, node) -> bool:
    stamp, until = leases.lease_until()
    return store.query_one(
        "UPDATE project_updates SET lease_expires = ?, heartbeat = ? WHERE id = ? AND hostname = ?"
        " AND status IN ('pending', 'running') RETURNING id", (until, stamp, int(update_id), node)) is not None


def finish(store, update_id, project_id, status, revision, log, explanation, files_json):
    """Write the outcome of a project update, and the project's revision/status when it is the last to finish."""
    finished = now()
    store.execute(
        "UPDATE project_updates SET status = ?, scm_revision = ?, result_stdout = ?, job_explanation = ?, finished = ?"
        " WHERE id = ?", (status, revision if status == "successful" else "", log, explanation, finished, int(update_id)))
    # another node's update still running (its lease holds): the project stays running until the last one ends
    others = store.query_one("SELECT COUNT(*) AS n FROM project_updates WHERE project_id = ? AND id != ?"
                             " AND status IN ('pending', 'running') AND lease_expires >= ?",
                             (int(project_id), int(update_id), finished))["n"]
    if status == "successful":
        store.execute(
            "UPDATE projects SET scm_revision = ?, status = ?, last_updated = ?, inventory_files = ? WHERE id = ?",
            (revision, "running" if others else status, finished, files_json, int(project_id)))
    else:
        store.execute("UPDATE projects SET status = ?, last_updated = ? WHERE id = ?",
                      ("running" if others else status, finished, int(project_id)))
    return finished


def page_ids(store, owner_ids, filters, offset, limit, descending=False) -> tuple:
    """``(count, ids)`` of one page of records, by id; ``owner_ids``: only those of these projects (None: all);
    ``filters``: column equality (status, project, launch_type)."""
    where, params = [], []
    for key, column in _FILTERS.items():
        if filters.get(key) is not None:
            where.append("%s = ?" % column)
            params.append(filters[key])
    sql = " WHERE " + " AND ".join(where) if where else ""
    rows = store.query("SELECT id, project_id FROM project_updates" + sql + " ORDER BY id" + (" DESC" if descending else ""),
                       tuple(params))
    if owner_ids is not None:
        rows = [r for r in rows if r["project_id"] in owner_ids]
    return len(rows), [r["id"] for r in rows[int(offset):int(offset) + int(limit)]]
