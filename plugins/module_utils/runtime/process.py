# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a child process (ansible-inventory, git) for the engine.

(Whether an update still runs is told by its lease, see store/leases.py, not by
this machine's process table.)

Not ``AnsibleModule.run_command``: the engine runs in modules, inventory
plugins and the service alike, and a timeout must stop the child's whole
process group (inventory scripts started by ansible-inventory, ssh started by
git), which only a child started in its own session allows.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import selectors
import signal
import subprocess
import sys
import threading
import time

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ProcessTimeout  # noqa: F401  (re-exported)
from ansible_collections.fleet.inventory.plugins.module_utils.errors import UpdateCanceled

PR_SET_PDEATHSIG = 1
# The watchdog: a shell outside the child's group that reads a pipe whose write end only the
# parent holds.  EOF before the "done" line means the parent died (SIGKILL included): it kills the
# child's whole process group then.  Terminal signals are ignored: only the parent's end counts.
_WATCHDOG = 'trap "" INT TERM HUP; read -r done || kill -9 "-$1" 2>/dev/null; exit 0'
_libc = None
#: seconds between SIGTERM and SIGKILL to the process group of a canceled run
KILL_GRACE = 5.0
_POLL = 0.2
_current = contextvars.ContextVar("fleet_inventory_process_control", default=None)


class ProcessControl:
    """What the code running an update may do to the child processes started meanwhile (see :func:`controlled`).

    ``on_output(data)`` receives the child's stderr as it comes (bytes; not
    merged output, which may hold what a caller masks first, as git's does).
    :meth:`cancel` (from any thread) makes every controlled run of the update
    stop: the child's process group gets SIGTERM at once, SIGKILL after
    ``kill_grace`` seconds, and the run raises :class:`UpdateCanceled`; so does
    every later run and :func:`check_canceled`.
    """

    def __init__(self, on_output=None, kill_grace=KILL_GRACE, parent=None):
        self.on_output = on_output
        self.kill_grace = kill_grace
        self.reason = ""
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._groups = set()
        self._children = []
        if parent is not None:
            parent._adopt(self)  # pylint: disable=protected-access

    def child(self, on_output=None):
        """A control for one step of this one (its own output sink) that a cancel of this one cancels too."""
        return ProcessControl(on_output=on_output, kill_grace=self.kill_grace, parent=self)

    def _adopt(self, child):
        with self._lock:
            self._children.append(child)
            canceled, reason = self._event.is_set(), self.reason
        if canceled:
            child.cancel(reason)

    @property
    def canceled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason="canceled"):
        """Ask the runs to stop (idempotent; the first reason stays)."""
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            groups = list(self._groups)
            children = list(self._children)
        for group in groups:
            _signal_group(group, signal.SIGTERM)
        for child in children:
            child.cancel(reason)

    def check(self):
        if self.canceled:
            raise UpdateCanceled(self.reason)

    def _add(self, group):
        with self._lock:
            self._groups.add(group)
            return self._event.is_set()

    def _remove(self, group):
        with self._lock:
            self._groups.discard(group)

    def output(self, data):
        if self.on_output is not None and data:
            try:
                self.on_output(data)
            except Exception:  # pylint: disable=broad-except
                pass  # a broken log sink must not break the run


def _signal_group(group, sig):
    try:
        os.killpg(group, sig)
    except OSError:
        pass


def current_control():
    """The :class:`ProcessControl` of the running update of this thread (context), or None."""
    return _current.get()


@contextlib.contextmanager
def controlled(control):
    """Run the block with ``control`` over every :func:`run_process` it makes (this thread's context)."""
    token = _current.set(control)
    try:
        yield control
    finally:
        _current.reset(token)


def check_canceled():
    """Raise :class:`UpdateCanceled` when the current update was canceled (between its steps)."""
    control = _current.get()
    if control is not None:
        control.check()


def _die_with_parent():  # pragma: no cover - runs in the child between fork and exec
    """preexec: the kernel sends SIGKILL to the child when the thread that started it ends (Linux)."""
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _load_libc():
    global _libc  # pylint: disable=global-statement
    if _libc is None and sys.platform.startswith("linux"):
        try:
            import ctypes

            _libc = ctypes.CDLL(None, use_errno=True)
            _libc.prctl  # pylint: disable=pointless-statement
        except (OSError, AttributeError):
            _libc = False
    return _libc or None


def _start_watchdog(group):
    """Start the watchdog of process group ``group``; returns ``(process, write end)`` or ``(None, None)``."""
    read_end, write_end = os.pipe()
    try:
        dog = subprocess.Popen(["/bin/sh", "-c", _WATCHDOG, "fleet-inventory-watchdog", str(group)], stdin=read_end,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        os.close(write_end)
        dog = write_end = None
    finally:
        os.close(read_end)
    return dog, write_end


def _stop_watchdog(dog, write_end):
    if write_end is None:
        return
    try:
        os.write(write_end, b"done\n")
    except OSError:
        pass
    os.close(write_end)
    try:
        dog.wait(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - it exits on the line
        dog.kill()
        dog.wait()


def run_process(argv, timeout=None, env=None, cwd=None, input_bytes=None, stderr_to_stdout=False):
    """Run ``argv`` in a new session; returns ``(returncode, stdout, stderr)`` as bytes.

    ``stderr_to_stdout`` merges the two (``stderr`` is then ``b""``).  With
    ``timeout`` (seconds; None or 0 = no limit) the whole process group is
    killed when it passes and :class:`ProcessTimeout` raised.  Raises
    ``OSError`` when the program cannot be started.

    Nothing outlives the caller: the child gets ``PR_SET_PDEATHSIG`` (SIGKILL
    when the caller's thread ends, however it ends), and a watchdog process
    kills the child's whole process group (an inventory script started by
    ansible-inventory, ssh started by git) when the caller dies before the
    child has finished.
    """
    _load_libc()
    control = _current.get()
    if control is not None:
        control.check()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT if stderr_to_stdout else subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True,
                            preexec_fn=_die_with_parent if _libc else None)  # pylint: disable=subprocess-popen-preexec-fn
    dog, write_end = _start_watchdog(proc.pid)
    if control is not None:
        try:
            return _controlled_run(proc, control, argv, timeout, input_bytes, stderr_to_stdout)
        finally:
            _stop_watchdog(dog, write_end)
    try:
        try:
            out, err = proc.communicate(input=input_bytes, timeout=timeout or None)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            proc.communicate()
            raise ProcessTimeout(argv, timeout) from None
        except BaseException:  # interrupted (KeyboardInterrupt, a signal turned into an exception)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
            raise
    finally:
        _stop_watchdog(dog, write_end)
    return proc.returncode, out, err or b""


def _feed(proc, input_bytes):
    if input_bytes is None or proc.stdin is None:
        return
    try:
        proc.stdin.write(input_bytes)
    except OSError:
        pass
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass


def _controlled_run(proc, control, argv, timeout, input_bytes, stderr_to_stdout):
    """:func:`run_process` under a :class:`ProcessControl`: stderr streamed, cancel and timeout polled."""
    group = proc.pid
    term_sent = control._add(group)  # pylint: disable=protected-access
    if term_sent:
        _signal_group(group, signal.SIGTERM)
    term_at = time.monotonic() if term_sent else None
    deadline = time.monotonic() + timeout if timeout else None
    out, err = [], []
    _feed(proc, input_bytes)
    sel = selectors.DefaultSelector()
    try:
        sel.register(proc.stdout, selectors.EVENT_READ, out)
        if not stderr_to_stdout:
            sel.register(proc.stderr, selectors.EVENT_READ, err)
        timed_out = False
        while True:
            now = time.monotonic()
            if control.canceled and term_at is None:
                _signal_group(group, signal.SIGTERM)
                term_at = now
            if term_at is not None and now - term_at >= control.kill_grace:
                _signal_group(group, signal.SIGKILL)
            if deadline is not None and now >= deadline and not timed_out:
                timed_out = True
                _signal_group(group, signal.SIGKILL)
            if not sel.get_map():
                if proc.poll() is not None:
                    break
                time.sleep(_POLL / 4)
                continue
            for key, _mask in sel.select(_POLL):
                data = os.read(key.fileobj.fileno(), 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                key.data.append(data)
                if key.data is err:
                    control.output(data)
    except BaseException:
        _signal_group(group, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        sel.close()
        control._remove(group)  # pylint: disable=protected-access
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    proc.wait()
    if term_at is not None:
        raise UpdateCanceled(control.reason)
    if timed_out:
        raise ProcessTimeout(argv, timeout)
    return proc.returncode, b"".join(out), b"".join(err)
