# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service's queue of updates: pending records that any worker of any node may claim and run.

A request to the service records a ``pending`` inventory or project update
with ``queued`` set (:func:`updates.queue_source_update`,
:func:`project_updates.queue_project_update`) and answers at once.  A worker
(service/workers.py) calls :func:`claim_next` in a loop: the oldest queued
record of either kind that it can claim becomes ``running`` for its node,
with the engine's atomic claims (store/inventory_updates.py: one statement
``WHERE status = 'pending'``, under the inventory's lock, guarded by the
partial unique index of running updates), so two workers, on one machine or
on several sharing a PostgreSQL store, never run one update twice.  A queued
inventory update whose inventory has another running update stays queued
and is tried again later; the next record is tried meanwhile.

:func:`run_claimed` runs the claimed update in the calling process: its child
processes (ansible-inventory, inventory scripts, git) run in their own
process group; the heartbeat streams the log into the record and reads its
cancel flag (rules/leasing.py); ``control`` (a
:class:`process.ProcessControl`) lets the worker cancel it too (the service
stopping).  A project update that succeeds updates its
``update_on_project_update`` sources afterwards, in the same worker, as
:func:`projects.update_project` does
(:func:`updates.update_sources_for_project`: a source whose last revision is
the project's is skipped).

A queued record has no lease until it is claimed: it waits as long as no
worker runs (AWX's pending jobs wait for capacity the same way).  A worker
that dies leaves its running record to the lease rules (store/leases.py).
"""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.rules import project_updates, updates
from ansible_collections.fleet.inventory.plugins.module_utils.runtime import process
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates as inventory_update_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import project_updates as project_update_repo

INVENTORY_UPDATE = "inventory_update"
PROJECT_UPDATE = "project_update"
#: how many of the oldest queued records of each kind one claim looks at
CANDIDATES = 20


class Claim:
    """A queued update this node has claimed: ``kind`` (inventory_update|project_update), ``id``, the source or project."""

    def __init__(self, kind, record_id, subject):
        self.kind = kind
        self.id = int(record_id)
        self.subject = subject

    def __repr__(self):
        return "Claim(%s %d)" % (self.kind, self.id)


def queued(store, limit=CANDIDATES) -> list:
    """The oldest queued records of both kinds, oldest first: ``(created, kind, row)``."""
    rows = [(r["created"], INVENTORY_UPDATE, r) for r in inventory_update_repo.queued(store, limit)]
    rows += [(r["created"], PROJECT_UPDATE, r) for r in project_update_repo.queued(store, limit)]
    rows.sort(key=lambda item: (item[0], item[1], item[2]["id"]))
    return rows


def claim_next(store):
    """Claim the oldest queued update this node can run now; a :class:`Claim`, or None when there is none."""
    busy = set()
    for _created, kind, row in queued(store):
        if kind == PROJECT_UPDATE:
            project = project_updates.claim_queued(store, row["id"])
            if project is not None:
                return Claim(kind, row["id"], project)
            continue
        if row["inventory_id"] in busy:
            continue
        source = updates.claim_queued(store, row["id"], row["inventory_source_id"])
        if source is not None:
            return Claim(kind, row["id"], source)
        busy.add(row["inventory_id"])
    return None


def run_claimed(store, claim, control=None) -> dict:
    """Run a claimed update to its end in this process; returns its finished record (``kind`` added).

    ``control``: the worker's :class:`process.ProcessControl` (its cancel
    cancels the update: the service stopping).
    """
    control = control or process.ProcessControl()
    with process.controlled(control):
        if claim.kind == INVENTORY_UPDATE:
            record = updates.run_queued_update(store, claim.id, claim.subject)
        else:
            row = project_update_repo.get(store, claim.id)
            record = project_updates.run_project_update(store, claim.subject, launch_type=row["launch_type"] if row else "manual",
                                                        record_id=claim.id)
            if record["status"] == "successful" and not control.canceled:
                record["inventory_updates"] = list(updates.update_sources_for_project(store, record["project"], record["id"]) or [])
    record["kind"] = claim.kind
    return record


def run_next(store, control=None):
    """Claim and run the oldest queued update; its finished record, or None when nothing was queued."""
    claim = claim_next(store)
    return None if claim is None else run_claimed(store, claim, control)


def queue_project_update(store, project, launch_type="manual") -> dict:
    """See :func:`project_updates.queue_project_update` (here for the service's one import)."""
    return project_updates.queue_project_update(store, project, launch_type)


def queue_source_update(store, source, launch_type="manual") -> dict:
    """See :func:`updates.queue_source_update`."""
    return updates.queue_source_update(store, source, launch_type)

