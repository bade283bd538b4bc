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
