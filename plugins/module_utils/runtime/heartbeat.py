# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A heartbeat: a daemon thread that calls ``renew()`` every ``interval`` seconds while a task runs.

A running update renews its lease with it (see store/leases.py).  ``renew``
returns False when there is nothing left to renew (the record finished or
was taken away): the thread stops then.  An exception in ``renew`` (the
store busy for a moment, a dropped connection) is retried at the next beat;
the lease is three beats long, so one missed beat costs nothing.
"""

from __future__ import annotations

import threading


class Heartbeat:
    """``with Heartbeat(renew, interval): ...`` renews while the block runs."""

    def __init__(self, renew, interval, on_close=None):
        self.renew = renew
        self.interval = interval
        self.on_close = on_close
        self.beats = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fleet-inventory-heartbeat", daemon=True)

    def _run(self):
        try:
            while not self._stop.wait(self.interval):
                try:
                    if self.renew() is False:
                        return
                    self.beats += 1
                except Exception:  # pylint: disable=broad-except
                    self.failures += 1
        finally:
            if self.on_close is not None:
                try:
                    self.on_close()
                except Exception:  # pylint: disable=broad-except
                    pass

    def start(self):
        self._thread.start()
        return self

    def stop(self, wait=5.0):
        """Stop beating; waits up to ``wait`` seconds for a beat in flight (a late one renews nothing that ended)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(wait)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
