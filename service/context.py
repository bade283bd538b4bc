# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store connections of the service: one :class:`Store` per thread, opened on first use.

FastAPI runs sync dependencies and endpoints in a thread pool, and a Store is
not shared between threads (its connection and transaction state are the
thread's).  Opening a Store per request costs a connection and a schema check
every time (see docs/service.md for the measurement); a Store per pool thread
is opened once and reused, and every statement runs in autocommit (SQLite
without an open transaction, PostgreSQL ``autocommit=True``), so each request
sees what was committed before it.  A thread's dependency and its endpoint may
run on different pool threads: each uses the Store of the thread it runs on.

The pool's threads come and go (anyio ends a thread idle for 10 s and starts
new ones for the next burst): a thread without a Store takes over the Store
of a thread that ended (no new connection, no schema check) before it opens
one, so a process holds at most as many connections as it ever had threads
at once, never one per thread it ever had.
"""

from __future__ import annotations

import threading

from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.postgresql import redact
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store


class StoreProvider:
    """One :class:`Store` of ``target`` per thread; :meth:`close_all` at shutdown."""

    def __init__(self, target: str):
        self.target = target
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list = []
        #: id(store) -> the thread that uses it
        self._owner: dict = {}
        #: the store's name as shown (a PostgreSQL URL without its password)
        self.label = redact(target)

    def open_first(self):
        """Open (create, migrate) the store once in the calling thread, so that a broken store fails the start."""
        store = self.get()
        self.label = store.target
        return store

    def get(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None or store.conn is None:
            store = self._adopt()
            if store is None:
                store = Store.open(self.target)
                with self._lock:
                    self._opened.append(store)
                    self._owner[id(store)] = threading.current_thread()
            self._local.store = store
        return store

    def _adopt(self):
        """The open Store of a thread that ended, now this thread's; None when there is none."""
        me = threading.current_thread()
        with self._lock:
            for store in self._opened:
                owner = self._owner.get(id(store))
                if owner is not me and (owner is None or not owner.is_alive()) and store.conn is not None:
                    self._owner[id(store)] = me
                    return store
        return None

    def discard(self):
        """Forget this thread's Store (after a connection error: the next request opens a new one)."""
        store = getattr(self._local, "store", None)
        self._local.store = None
        if store is not None:
            with self._lock:
                if store in self._opened:
                    self._opened.remove(store)
                self._owner.pop(id(store), None)
            try:
                store.close()
            except (StoreError, OSError):
                pass

    def close_all(self):
        with self._lock:
            opened, self._opened = self._opened, []
            self._owner.clear()
        for store in opened:
            try:
                store.close()
            except Exception:  # noqa: BLE001 - closing at shutdown: a broken connection is closed anyway
                pass
