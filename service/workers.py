# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service's worker processes: each claims queued updates from the store and runs them.

``--workers N`` starts N worker processes (:class:`WorkerPool`), fresh
interpreters (``python -m ansible_collections.fleet.inventory.service.workers``;
no fork of the threaded web process).  Each loops: claim the oldest queued
update (rules/update_queue.py: the engine's atomic claims, so workers of
several service nodes on one PostgreSQL store never run one update twice),
run it (its child processes in their own process group, the log streamed
into the record, its cancel flag read by the heartbeat), claim the next.
When nothing is queued a worker polls the store with a backoff (0.05 s
doubling up to :data:`IDLE_MAX` seconds); a POST that queues an update wakes
the workers of its own node at once (:func:`wake`).

Stopping (SIGTERM or SIGINT to the service, or to a worker itself, as
systemd's default ``KillMode=control-group`` sends it to every process of the
unit): the pool tells every worker to stop (``stop`` on its stdin).  A
worker stops claiming; the update it runs may finish within ``grace``
seconds, then it is canceled (its process group gets SIGTERM, then SIGKILL)
and its record ends ``canceled`` ("the service stopped ...").  The pool waits
for the workers and kills those still alive after the grace, the kill grace
and a margin: their running records then read failed once their lease
lapses (store/leases.py), as for any node that died.  A worker whose service
process dies sees its stdin close and stops the same way.  A worker that
dies while the service runs is started again.

The store's target goes to the workers through the environment, never their
command line (a PostgreSQL URL may hold a password).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError
from ansible_collections.fleet.inventory.plugins.module_utils.rules import update_queue
from ansible_collections.fleet.inventory.plugins.module_utils.runtime import process
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from ansible_collections.fleet.inventory.service import wakeup

LOG = logging.getLogger("fleet.inventory.service.workers")
ENV_STORE = "FLEET_INVENTORY_WORKER_STORE"
#: seconds an update may go on after the service was told to stop, before it is canceled
DEFAULT_GRACE = 10.0
IDLE_MIN = 0.05
IDLE_MAX = 1.0
STOPPED_EXPLANATION = "canceled: the service stopped before the update finished (grace %s s)"
_MODULE = "ansible_collections.fleet.inventory.service.workers"
_POOL = None


def collection_parent() -> str:
    """The directory holding ``ansible_collections`` (what the workers need on PYTHONPATH)."""
    parts = os.path.abspath(__file__).split(os.sep)
    index = len(parts) - 1 - parts[::-1].index("ansible_collections")
    return os.sep.join(parts[:index]) or os.sep


class WorkerPool:
    """``count`` worker processes on the store ``target``; :meth:`start`, :meth:`wake`, :meth:`stop`."""

    def __init__(self, target, count, grace=DEFAULT_GRACE, kill_grace=process.KILL_GRACE):
        self.target = target
        self.count = max(0, int(count))
        self.grace = float(grace)
        self.kill_grace = float(kill_grace)
        self.procs = []
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._monitor = None

    def _spawn(self, number):
        env = dict(os.environ)
        env[ENV_STORE] = self.target
        env["PYTHONPATH"] = os.pathsep.join([collection_parent()] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        argv = [sys.executable, "-m", _MODULE, "--number", str(number), "--grace", repr(self.grace),
                "--kill-grace", repr(self.kill_grace)]
        # stdin is the worker's line to the pool: "wake", "stop"; its end (EOF) means the service is gone
        return subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)  # pylint: disable=consider-using-with

    def start(self):
        global _POOL  # pylint: disable=global-statement
        self.procs = [self._spawn(n) for n in range(self.count)]
        _POOL = self
        self._monitor = threading.Thread(target=self._watch, name="fleet-inventory-workers", daemon=True)
        self._monitor.start()
        return self

    def _watch(self):
        while not self._stopping.wait(1.0):
            with self._lock:
                for n, proc in enumerate(self.procs):
                    if proc.poll() is not None and not self._stopping.is_set():
                        LOG.warning("worker %d exited with %s: starting it again", n, proc.returncode)
                        self.restarts += 1
                        self.procs[n] = self._spawn(n)

    def _tell(self, proc, line):
        try:
            proc.stdin.write(line.encode() + b"\n")
            proc.stdin.flush()
        except (OSError, ValueError):
            pass

    def wake(self):
        """Wake the idle workers (something was queued)."""
        with self._lock:
            for proc in self.procs:
                if proc.poll() is None:
                    self._tell(proc, "wake")

    def stop(self):
        """Stop every worker: finish or cancel what they run (see the module's doc); returns the exit codes."""
        global _POOL  # pylint: disable=global-statement
        self._stopping.set()
        with self._lock:
            procs = list(self.procs)
        for proc in procs:
            self._tell(proc, "stop")
        deadline = time.monotonic() + self.grace + self.kill_grace + 10.0
        codes = []
        for proc in procs:
            try:
                codes.append(proc.wait(max(0.0, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                LOG.error("worker pid %d did not stop in time: killed (its update's lease will lapse)", proc.pid)
                proc.kill()
                codes.append(proc.wait())
            try:
                proc.stdin.close()
            except (OSError, ValueError):
                pass
        if _POOL is self:
            _POOL = None
        return codes


def start_workers(target, count, grace=DEFAULT_GRACE):
    """Start a :class:`WorkerPool` (``count`` 0: none, the pool still answers :meth:`WorkerPool.stop`)."""
    return WorkerPool(target, count, grace).start()


def wake():
    """Wake this node's workers (a route that queued an update calls it): this process's pool, or in a web
    process of several (``--processes``) the pool of the main process, through service/wakeup.py."""
    pool = _POOL
    if pool is not None:
        pool.wake()
    else:
        wakeup.send(wakeup.UPDATES)


# -- the worker process ------------------------------------------------------------------------------


class Worker:
    """One worker's loop: claim -> run -> finish, idle polling with backoff, stop with a grace."""

    def __init__(self, target, number=0, grace=DEFAULT_GRACE, kill_grace=process.KILL_GRACE):
        self.target = target
        self.number = number
        self.grace = grace
        self.kill_grace = kill_grace
        self.stopping = threading.Event()
        self.woken = threading.Event()
        self.control = None
        self.ran = 0

    def request_stop(self, *_args):
        """Stop claiming; the running update gets ``grace`` seconds, then it is canceled (safe in a signal handler)."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.woken.set()
        control = self.control
        if control is not None:
            threading.Thread(target=self._cancel_after_grace, args=(control,), daemon=True).start()

    def _cancel_after_grace(self, control):
        deadline = time.monotonic() + self.grace
        while self.control is control and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.control is control:
            control.cancel(STOPPED_EXPLANATION % self.grace)

    def read_commands(self, stream):
        """Read the pool's commands from ``stream`` (stdin) until EOF (the service is gone: stop)."""
        for line in stream:
            word = line.strip()
            if word == b"wake":
                self.woken.set()
            elif word == b"stop":
                break
        self.request_stop()

    def run(self):
        store = None
        idle = IDLE_MIN
        try:
            while not self.stopping.is_set():
                try:
                    if store is None:
                        store = Store(self.target)
                    claim = update_queue.claim_next(store)
                except FleetInventoryError as exc:
                    LOG.error("worker %d: cannot claim from the store: %s", self.number, exc)
                    store = _close(store)
                    claim = None
                    idle = IDLE_MAX
                if claim is None:
                    self.woken.wait(idle)
                    if self.woken.is_set():
                        self.woken.clear()
                        idle = IDLE_MIN
                    else:
                        idle = min(idle * 2, IDLE_MAX)
                    continue
                idle = IDLE_MIN
                self._run(store, claim)
        finally:
            _close(store)

    def _run(self, store, claim):
        control = process.ProcessControl(kill_grace=self.kill_grace)
        self.control = control
        if self.stopping.is_set():  # the stop came while claiming: the grace starts now
            threading.Thread(target=self._cancel_after_grace, args=(control,), daemon=True).start()
        try:
            record = update_queue.run_claimed(store, claim, control)
            self.ran += 1
            LOG.info("worker %d: %s %d %s", self.number, claim.kind, claim.id, record["status"])
        except Exception:  # pylint: disable=broad-except
            LOG.exception("worker %d: %s %d failed unexpectedly", self.number, claim.kind, claim.id)
        finally:
            self.control = None


def _close(store):
    if store is not None:
        try:
            store.close()
        except Exception:  # pylint: disable=broad-except
            pass
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fleet-inventory-worker")
    parser.add_argument("--number", type=int, default=0)
    parser.add_argument("--grace", type=float, default=DEFAULT_GRACE)
    parser.add_argument("--kill-grace", type=float, default=process.KILL_GRACE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    target = os.environ.pop(ENV_STORE, "")
    if not target:
        parser.error("%s is not set (the service starts its workers)" % ENV_STORE)
    worker = Worker(target, args.number, args.grace, args.kill_grace)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, worker.request_stop)
    threading.Thread(target=worker.read_commands, args=(sys.stdin.buffer,), daemon=True).start()
    worker.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
