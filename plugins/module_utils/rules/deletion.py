# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Background deletion of inventories, as AWX does it (``Inventory.schedule_deletion`` and its task).

:func:`request_delete` marks an inventory ``pending_delete`` in one statement.
From its commit on, the inventory and its hosts are gone for every reader:
searches, smart inventories, constructed inventories (it is no longer one of
their inputs), ``host_info``, the inventory plugins, the fact cache and the
listings (the store's read paths leave pending inventories out; a read by
name says the inventory is being deleted).  Its name stays taken until the
row is gone, as in AWX.  AWX's rules: a second request is refused
(:class:`PendingDeletion`, HTTP 400), and so is a request while an update of
the inventory is pending or running (:class:`DeletionConflict`, HTTP 409).  An
inventory that is an input of a constructed inventory may be deleted (AWX
drops the link with it): the constructed inventory loses that input at once.

:func:`delete_pending` then removes its rows in batches, each batch a short
transaction of its own, so that the store's write lock is never held long
(another writer waits for one batch, not for the whole inventory).  The batch
size adapts to keep each transaction near ``target_seconds``.  Every batch
works on what is left, so a run that stopped half way (a crash, a stopped
service) is continued by the next run, and two workers on one inventory only
share the work.
"""

from __future__ import annotations

import time

from ansible_collections.fleet.inventory.plugins.module_utils.common import now
from ansible_collections.fleet.inventory.plugins.module_utils.errors import DeletionConflict, NotFound, PendingDeletion
from ansible_collections.fleet.inventory.plugins.module_utils.store import deletion as repo
from ansible_collections.fleet.inventory.plugins.module_utils.store.rows import quote

#: AWX's message for a second deletion request
ALREADY_PENDING = "Inventory is already pending deletion."
#: the time one batch transaction aims at (the batch size grows or shrinks to stay near it)
TARGET_SECONDS = 0.1
#: the longest pause between two batches: the time a waiting writer needs to notice the lock is free.  SQLite's busy
#: handler retries at growing intervals of up to 100 ms, so a writer that waits misses a lock that is taken again at
#: once; after a pause as long as the batch (at most this) it gets its turn.
MAX_PAUSE = 0.1
DEFAULT_BATCH = 100
MAX_BATCH = 20000


def _inventory(store, inventory):
    inv = store.get_inventory(inventory)
    if inv is None:
        raise NotFound("inventory %s does not exist in store %s" % (quote(inventory), store.label))
    return inv


def check_delete(store, inventory):
    """The inventory row when it may be marked now; PendingDeletion / DeletionConflict / NotFound otherwise."""
    inv = _inventory(store, inventory)
    if inv["pending_delete"]:
        raise PendingDeletion(ALREADY_PENDING)
    active = repo.active_updates(store, inv["id"])
    if active:
        raise DeletionConflict(
            "Resource is being used by running jobs: inventory '%s' has %s update%s (%s); cancel %s or wait for %s to finish"
            % (inv["name"], "a %s" % active[0]["status"] if len(active) == 1 else "%d pending or running" % len(active),
               "" if len(active) == 1 else "s", ", ".join("inventory_update %d" % r["id"] for r in active),
               "it" if len(active) == 1 else "them", "it" if len(active) == 1 else "them"),
            active=[{"type": "inventory_update", "id": r["id"]} for r in active])
    return inv


def request_delete(store, inventory, dry_run=False):
    """Mark ``inventory`` (a name or id) for deletion; returns its row as it was (``pending_delete`` false).

    One transaction (the store's write lock, the inventory's lock) holding
    the checks and the one ``UPDATE``: no update can be claimed between the
    check and the mark, and no update of a pending inventory is claimed later
    (``rules.updates.can_update`` refuses it).
    """
    with store.transaction(dry_run=dry_run):
        inv = _inventory(store, inventory)
        store.lock_inventory(inv["id"])
        inv = check_delete(store, inv["id"])
        if not repo.mark_pending(store, inv["id"], now()):
            raise PendingDeletion(ALREADY_PENDING)  # marked by another writer meanwhile
        return inv


def delete_pending(store, inventory_id, batch_size=DEFAULT_BATCH, target_seconds=TARGET_SECONDS, on_batch=None,
                   max_pause=MAX_PAUSE) -> dict:
    """Remove the rows of a pending inventory in batches of short transactions; returns what was removed.

    ``{"hosts": n, "groups": n, "updates": n, "sources": n, "batches": n,
    "longest_batch": seconds, "deleted": bool}``; ``deleted`` is false when
    the inventory was not pending (or was already gone).  ``batch_size`` is
    the first batch's number of rows; later batches grow or shrink so that a
    batch takes about ``target_seconds``.  ``on_batch(stats)`` is called after
    each committed batch (the tests stop a run there to resume it).  Between
    two batches it pauses as long as the last batch took (at most
    ``max_pause``), so that the writers waiting for the store get their turn.
    """
    stats = {"hosts": 0, "groups": 0, "updates": 0, "sources": 0, "batches": 0, "longest_batch": 0.0, "deleted": False}
    if not repo.is_pending(store, inventory_id):
        return stats
    size = max(1, int(batch_size))
    for key, step in (("hosts", repo.delete_hosts), ("groups", repo.delete_groups), ("updates", repo.delete_updates)):
        while True:
            started = time.monotonic()
            with store.transaction():
                if not repo.is_pending(store, inventory_id):
                    return stats
                done = step(store, inventory_id, size)
            took = time.monotonic() - started
            stats[key] += done
            stats["batches"] += 1
            stats["longest_batch"] = max(stats["longest_batch"], took)
            if on_batch is not None:
                on_batch(dict(stats))
            if done < size:
                break
            time.sleep(min(took, max_pause))
            size = _next_size(size, took, target_seconds)
    with store.transaction():
        if repo.is_pending(store, inventory_id):
            stats["sources"] = repo.delete_sources(store, inventory_id)
            repo.delete_input_links(store, inventory_id)
            stats["deleted"] = repo.delete_inventory_row(store, inventory_id)
    stats["batches"] += 1
    return stats


def _next_size(size, took, target):
    # shrink at once to what fits the target; grow slowly (the cost of a row varies: facts, links, the load)
    if took > target and size > 1:
        return max(1, int(size * target / took))
    if took < target / 2:
        return min(MAX_BATCH, int(size * 1.5) + 1)
    return size


def delete_all_pending(store, batch_size=DEFAULT_BATCH, target_seconds=TARGET_SECONDS) -> list:
    """Finish every pending deletion of the store (the service's deletion worker); returns ``[(inventory_id, stats)]``."""
    done = []
    for inventory_id in repo.pending_ids(store):
        done.append((inventory_id, delete_pending(store, inventory_id, batch_size=batch_size, target_seconds=target_seconds)))
    return done


def pending_inventories(store) -> list:
    """The ids of the inventories pending deletion (oldest first)."""
    return repo.pending_ids(store)


def remaining(store, inventory_id) -> dict:
    """What is left of inventory ``inventory_id``: ``{table: rows}`` (see :func:`store.deletion.remaining`)."""
    return repo.remaining(store, inventory_id)
