# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keeping the lease of a running update while it runs (see store/leases.py and runtime/heartbeat.py).

The heartbeat thread writes through its own connection to the store (a
:class:`Store` is not shared between threads), opened on its first beat and
closed when the update ends; an in-memory store (which no other connection
can see) is renewed through the caller's own connection, between its
transactions.

While the caller's own connection is inside a transaction it holds the
store's write lock, so a beat through another connection would only wait for
it: the beat is skipped, and the lease is renewed inside every transaction of
the caller's store just before it commits (a commit hook), so a long import
leaves no moment between its commit and the next beat with the lease passed.
Readers meanwhile see the write lock held and read the update running
(store/leases.py).
"""

from __future__ import annotations

import contextlib

from ansible_collections.fleet.inventory.plugins.module_utils.runtime.heartbeat import Heartbeat
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases


class _OwnConnection:
    def __init__(self, store):
        self.store = store
        self.own = None

    def __call__(self, renew):
        if self.store.in_transaction:
            return True  # the caller is in a transaction: its commit renews the lease
        if self.store.target == ":memory:":
            return self._shared(renew)
        if self.own is None:
            # a PostgreSQL store's target has no password: connect_target has
            self.own = type(self.store)(self.store.connect_target)
        with self.own.transaction():
            return renew(self.own)

    def _shared(self, renew):
        lock = getattr(self.store, "_lock", None)
        if lock is None or not lock.acquire(blocking=False):
            return True  # the caller is writing: try again at the next beat
        try:
            if self.store.in_transaction:
                return True
            with self.store.transaction():
                return renew(self.store)
        finally:
            lock.release()

    def close(self):
        if self.own is not None:
            self.own.close()
            self.own = None


@contextlib.contextmanager
def keep_lease(store, renew, interval=None):
    """Renew a lease every ``interval`` seconds (a third of the lease) while the block runs.

    ``renew(store)`` runs in a transaction of the heartbeat's own connection, and in every transaction of
    ``store`` before it commits; it returns False when the record is no longer this node's to renew.
    """
    conn = _OwnConnection(store)
    beat = Heartbeat(lambda: conn(renew), interval or leases.heartbeat_seconds(), on_close=conn.close)
    store.add_commit_hook(renew)
    try:
        with beat:
            yield beat
    finally:
        store.remove_commit_hook(renew)
