# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service with several web processes (``--processes N``, N > 1): the main process and its children.

One Python process serves its requests under one GIL: with every route
synchronous Python work (serializing, compiling a filter, reading rows), a
second core does nothing for it.  With ``--processes N`` the main process

1. opens the store once (created, migrated; a store that cannot be opened
   stops the service at once, exit 1),
2. binds the listening socket once (an address in use stops it, exit 1),
3. runs the update workers (service/workers.py, ``--workers``) and the
   deletion worker (service/deletion_worker.py) exactly once for the service,
   as the single-process service does in its one process,
4. starts N web processes (service/web_process.py: fresh interpreters, no
   fork of this threaded process) that inherit the socket and each serve the
   whole application with their own store connections; a web process that
   dies is started again,
5. reads the wake pipe of its web processes (service/wakeup.py): a POST that
   queued an update wakes this process's workers, a DELETE its deletion worker.

SIGTERM or SIGINT: the web processes get SIGTERM (each stops accepting and
finishes its requests in flight, at most 30 s), the deletion worker stops
between two batches, the update workers stop with their grace (as in one
process), then the main process waits for its web processes (killing one
that outlives the margin) and exits 0.  A web process whose main process
died sees its stdin close and stops; so do the update workers.

The listening socket is one socket shared by the web processes (not
SO_REUSEPORT sockets, one per process): the bind errors show at once, a web
process that dies loses no connection waiting in its own accept queue, and an
idle process (its event loop free) is the first to accept.
"""

from __future__ import annotations

import json
import logging
import math
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.postgresql import redact
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from ansible_collections.fleet.inventory.service import deletion_worker, wakeup, workers
from ansible_collections.fleet.inventory.service import web_process

LOG = logging.getLogger("fleet.inventory.service")
_MODULE = "ansible_collections.fleet.inventory.service.web_process"
#: the thread pools of all web processes together hold at most this many threads, i.e. store connections
#: (the single-process service's pool: anyio's default of 40)
THREADS_TOTAL = 40
#: seconds a web process may take to stop after SIGTERM (uvicorn's graceful shutdown is 30 s) before it is killed
STOP_MARGIN = 40.0
#: a web process that exits within this many seconds of its start failed to start; after
#: :data:`MAX_QUICK_FAILURES` such exits in a row the service gives up (exit 1)
QUICK_EXIT = 5.0
MAX_QUICK_FAILURES = 5
BACKLOG = 2048


def default_processes() -> int:
    """The number of CPUs this process may run on, at most 4 (see docs/service.md)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


def threads_per_process(processes) -> int:
    return max(4, math.ceil(THREADS_TOTAL / max(1, int(processes))))


def bind(host, port) -> socket.socket:
    """The listening socket of ``host``:``port`` (IPv4 or IPv6), inheritable by the web processes."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class StartError(Exception):
    """The service cannot start: its store cannot be opened or its address cannot be bound (the message says which)."""


class _Slot:
    """One web process: its Popen, when it started, how many quick failures in a row."""

    def __init__(self, number):
        self.number = number
        self.proc = None
        self.started = 0.0
        self.quick_failures = 0


class Supervisor:
    """The main process of a service with several web processes (see the module's description)."""

    def __init__(self, target, host, port, processes, workers_count=0, config=None, log_level="info"):
        self.target = target
        self.host = host
        self.port = port
        self.processes = int(processes)
        self.workers_count = int(workers_count)
        self.config = dict(config or {})
        self.log_level = log_level
        self.threads = threads_per_process(self.processes)
        self.slots = [_Slot(n) for n in range(self.processes)]
        self.sock = None
        self.pool = None
        self.label = redact(target)
        self._stop = threading.Event()
        self._wake_read = self._wake_write = None
        self.failed = False

    # -- start --------------------------------------------------------------------------------
    def _spawn(self, slot):
        env = dict(os.environ)
        env[web_process.ENV_STORE] = self.target
        env[web_process.ENV_CONFIG] = json.dumps(self.config, default=str)
        env["PYTHONPATH"] = os.pathsep.join([workers.collection_parent()] +
                                            [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        argv = [sys.executable, "-m", _MODULE, "--fd", str(self.sock.fileno()), "--wake-fd", str(self._wake_write),
                "--number", str(slot.number), "--workers", str(self.workers_count), "--threads", str(self.threads),
                "--log-level", self.log_level]
        # stdin: the web process's line to this one; its end (EOF) tells it that this process is gone
        slot.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env,  # pylint: disable=consider-using-with
                                     pass_fds=(self.sock.fileno(), self._wake_write))
        slot.started = time.monotonic()

    def _read_wakes(self):
        while not self._stop.is_set():
            try:
                ready, _w, _x = select.select([self._wake_read], [], [], 0.5)
                if not ready:
                    continue
                data = os.read(self._wake_read, 4096)
            except (OSError, ValueError):
                return
            if not data:
                return
            if wakeup.UPDATES in data:
                workers.wake()
            if wakeup.DELETION in data:
                deletion_worker.wake()

    def start(self):
        """Open the store, bind, start the background workers and the web processes; raises on a broken store or address."""
        try:
            store = Store.open(self.target)
        except FleetInventoryError as exc:
            raise StartError("cannot open the store: %s" % exc) from exc
        try:
            self.label = store.target
        finally:
            store.close()
        try:
            self.sock = bind(self.host, self.port)
        except OSError as exc:
            # uvicorn's words, which tools (and the tests' retry on a taken port) look for
            raise StartError("[Errno %s] error while attempting to bind on address %r: %s" % (
                exc.errno, (self.host, self.port), (exc.strerror or str(exc)).lower())) from exc
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)
        grace = float(self.config.get("stop_grace", workers.DEFAULT_GRACE))
        interval = float(self.config.get("deletion_interval", deletion_worker.DEFAULT_INTERVAL))
        self.pool = workers.start_workers(self.target, self.workers_count, grace)
        deletion_worker.start(self.target, interval=interval)
        threading.Thread(target=self._read_wakes, name="fleet-inventory-wakes", daemon=True).start()
        for slot in self.slots:
            self._spawn(slot)
        LOG.info("fleet.inventory service on %s:%d, store %s, %d workers, %d web processes of %d threads",
                 self.host, self.port, self.label, self.workers_count, self.processes, self.threads)
        return self

    # -- run ----------------------------------------------------------------------------------
    def request_stop(self, *_args):
        self._stop.set()

    def _check(self):
        for slot in self.slots:
            code = slot.proc.poll()
            if code is None or self._stop.is_set():
                continue
            quick = time.monotonic() - slot.started < QUICK_EXIT
            slot.quick_failures = slot.quick_failures + 1 if quick else 0
            if slot.quick_failures >= MAX_QUICK_FAILURES:
                LOG.error("web process %d exited with %s %d times right after its start: stopping the service",
                          slot.number, code, slot.quick_failures)
                self.failed = True
                self._stop.set()
                return
            LOG.warning("web process %d exited with %s: starting it again", slot.number, code)
            if quick:
                time.sleep(min(1.0, QUICK_EXIT / MAX_QUICK_FAILURES))
            self._spawn(slot)

    def run(self):
        """Supervise until SIGTERM/SIGINT (:meth:`request_stop`), then :meth:`stop`; the exit code."""
        while not self._stop.wait(0.5):
            self._check()
        self.stop()
        return 1 if self.failed else 0

    # -- stop ---------------------------------------------------------------------------------
    def stop(self):
        self._stop.set()
        procs = [slot.proc for slot in self.slots if slot.proc is not None]
        for proc in procs:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGTERM)
                except OSError:
                    pass
        deletion_worker.stop()
        if self.pool is not None:
            self.pool.stop()
        deadline = time.monotonic() + STOP_MARGIN
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                LOG.error("web process pid %d did not stop in time: killed", proc.pid)
                proc.kill()
                proc.wait()
            try:
                proc.stdin.close()
            except (OSError, ValueError):
                pass
        for fd in (self._wake_read, self._wake_write):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._wake_read = self._wake_write = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def serve(target, host, port, processes, workers_count=0, config=None, log_level="info") -> int:
    """Run the service with ``processes`` web processes until SIGTERM/SIGINT; the exit code (0 stopped cleanly,
    1 the store or the address could not be had, or the web processes could not start)."""
    supervisor = Supervisor(target, host, port, processes, workers_count, config, log_level)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, supervisor.request_stop)
    try:
        supervisor.start()
    except (StartError, OSError) as exc:
        LOG.error("%s", exc if isinstance(exc, StartError) else "cannot start: %s" % exc)
        supervisor.stop()
        return 1
    code = supervisor.run()
    LOG.info("stopped")
    return code
