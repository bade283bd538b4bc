# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service's deletion worker: a thread that removes the rows of inventories pending deletion.

``DELETE /api/v2/inventories/{id}/`` only marks an inventory (rules/deletion.py
``request_delete``) and answers 202; this thread, started by the service
program, finds the inventories pending deletion (polling every
:data:`DEFAULT_INTERVAL` seconds, and at once when the route wakes it) and
removes their rows with ``rules.deletion.delete_pending``: batches of short
transactions, so the web requests and the update workers writing to the store
meanwhile wait for one batch at most.

Several service nodes on one PostgreSQL store each run one: every batch works
on what is left, so two workers on one inventory share it and never fail on
each other's deletes.  Stopping (the service's SIGTERM) ends the thread
between two batches; the inventory stays pending, and the next worker (of
this node when it starts again, or of another node) continues.  The thread
has a Store (connection) of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError
from ansible_collections.fleet.inventory.plugins.module_utils.rules import deletion
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from ansible_collections.fleet.inventory.service import wakeup

LOG = logging.getLogger("fleet.inventory.service.deletion")
#: seconds between two looks for inventories pending deletion (a DELETE of this node wakes the worker at once)
DEFAULT_INTERVAL = 5.0
_WORKER = None


class _Stopping(Exception):
    """Raised between two batches when the worker is told to stop."""


class DeletionWorker:
    """Removes the rows of pending inventories of the store ``target`` in a thread: :meth:`start`, :meth:`wake`, :meth:`stop`."""

    def __init__(self, target, interval=DEFAULT_INTERVAL, batch_size=deletion.DEFAULT_BATCH):
        self.target = target
        self.interval = float(interval)
        self.batch_size = batch_size
        self.deleted = []  # ids of the inventories this worker finished (for tests and logs)
        self.errors = []
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name="fleet-inventory-deletion", daemon=True)
        self._thread.start()
        return self

    def wake(self):
        """Look for pending inventories now (the DELETE route calls it after its mark)."""
        self._wake.set()

    def stop(self, timeout=30.0):
        """Stop between two batches; True when the thread ended within ``timeout``."""
        self._stopping.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _check_stop(self, _stats):
        if self._stopping.is_set():
            raise _Stopping()

    def run_once(self, store) -> list:
        """Finish every pending deletion of ``store`` now; returns the ids finished (stops early when told to stop)."""
        done = []
        for inventory_id in deletion.pending_inventories(store):
            if self._stopping.is_set():
                break
            stats = deletion.delete_pending(store, inventory_id, batch_size=self.batch_size, on_batch=self._check_stop)
            if stats["deleted"]:
                LOG.info("inventory %s deleted: %d hosts, %d groups in %d batches (longest %.3f s)", inventory_id,
                         stats["hosts"], stats["groups"], stats["batches"], stats["longest_batch"])
                done.append(inventory_id)
        return done

    def _run(self):
        store = None
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    if store is None:
                        store = Store.open(self.target)
                    self.deleted.extend(self.run_once(store))
                except _Stopping:
                    break
                except FleetInventoryError as exc:  # a busy or unreachable store: try again at the next round
                    LOG.warning("deleting inventories pending deletion: %s", exc)
                    self.errors.append(str(exc))
                    if store is not None:
                        store.close()
                        store = None
                self._wake.wait(self.interval)
        finally:
            if store is not None:
                store.close()


def start(target, interval=DEFAULT_INTERVAL) -> DeletionWorker:
    """Start this process's deletion worker for the store ``target`` (the service program calls it once)."""
    global _WORKER  # pylint: disable=global-statement
    _WORKER = DeletionWorker(target, interval=interval).start()
    return _WORKER


def wake():
    """Wake this process's deletion worker, if it runs; in a web process of several (``--processes``) the one of
    the main process, through service/wakeup.py."""
    if _WORKER is not None:
        _WORKER.wake()
    else:
        wakeup.send(wakeup.DELETION)


def stop(timeout=30.0) -> bool:
    """Stop this process's deletion worker (the service's shutdown calls it)."""
    global _WORKER  # pylint: disable=global-statement
    worker, _WORKER = _WORKER, None
    return worker.stop(timeout) if worker is not None else True


def lifespan(target, interval=DEFAULT_INTERVAL, inner=None):
    """A FastAPI/Starlette ``lifespan``: the deletion worker starts with the app and stops in its shutdown.

    ``inner`` is another lifespan to run inside it (the update workers' one:
    ``lifespan(target, inner=workers.lifespan(target, n, grace))``).
    """
    @contextlib.asynccontextmanager
    async def run(app):
        app.state.deletion_worker = start(target, interval=interval)
        try:
            if inner is None:
                yield
            else:
                async with inner(app):
                    yield
        finally:
            await asyncio.get_running_loop().run_in_executor(None, stop)
    return run
