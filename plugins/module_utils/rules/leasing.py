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
import threading

from ansible_collections.fleet.inventory.plugins.module_utils.runtime.heartbeat import Heartbeat
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases

#: how often a running update appends its new log lines to its record and reads its cancel flag (seconds)
STREAM_SECONDS = 1.0
CANCEL_REQUESTED = "canceled: a cancel of this update was requested"
LOG_LIMIT = 60000


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


class LiveLog(list):
    """The log lines of a running update (a list, as the engine builds logs), streamed into its record.

    What is appended, and the stderr of the update's processes (:meth:`output`,
    the :class:`process.ProcessControl` sink; with ``verbosity`` 0 only its
    WARNING and ERROR lines, as the final log), waits here until the
    heartbeat takes it (:meth:`take`) and appends it to ``result_stdout``.
    At most ``limit`` characters are streamed; the finished record holds the
    whole log (bounded by LOG_LIMIT) anyway.
    """

    def __init__(self, lines=(), verbosity=1, limit=LOG_LIMIT):
        super().__init__(lines)
        self.verbosity = verbosity
        self.limit = limit
        self.sent = 0
        self._new = [str(line) for line in lines]
        self._partial = b""
        self._lock = threading.Lock()

    def append(self, line):
        super().append(line)
        with self._lock:
            self._new.append(str(line))

    def output(self, data):
        with self._lock:
            lines = (self._partial + data).split(b"\n")
            self._partial = lines.pop()
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                if self.verbosity == 0 and "WARNING" not in line and "ERROR" not in line:
                    continue
                self._new.append(line)

    def take(self) -> str:
        """The text not streamed yet ('' when none, or when the streamed part reached ``limit``)."""
        with self._lock:
            if not self._new or self.sent >= self.limit:
                self._new = []
                return ""
            chunk = "\n".join(self._new) + "\n"
            self._new = []
            if self.sent + len(chunk) > self.limit:
                chunk = chunk[:self.limit - self.sent] + "\n... (the rest of the log is in the finished record)\n"
            self.sent += len(chunk)
            return chunk


def streaming_beat(beat, record_id, node, live, control):
    """The heartbeat of a running record: renew its lease, stream ``live``'s new lines, and cancel ``control``
    when its ``cancel_flag`` is set; ``beat`` is the repository's (inventory or project update) beat statement."""
    def renew(own):
        row = beat(own, record_id, node, live.take())
        if row is None:
            return False
        if row["cancel_flag"]:
            control.cancel(CANCEL_REQUESTED)
        return True
    return renew


def stream_interval() -> float:
    return min(leases.heartbeat_seconds(), STREAM_SECONDS)
