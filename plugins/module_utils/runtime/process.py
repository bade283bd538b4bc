# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a child process (ansible-inventory, git) for the engine, and telling whether
the process named by a record (an inventory or project update) still runs.

Not ``AnsibleModule.run_command``: the engine runs in modules, inventory
plugins and the service alike, and a timeout must stop the child's whole
process group (inventory scripts started by ansible-inventory, ssh started by
git), which only a child started in its own session allows.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ProcessTimeout  # noqa: F401  (re-exported)

PR_SET_PDEATHSIG = 1
# The watchdog: a shell outside the child's group that reads a pipe whose write end only the
# parent holds.  EOF before the "done" line means the parent died (SIGKILL included): it kills the
# child's whole process group then.  Terminal signals are ignored: only the parent's end counts.
_WATCHDOG = 'trap "" INT TERM HUP; read -r done || kill -9 "-$1" 2>/dev/null; exit 0'
_libc = None


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
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT if stderr_to_stdout else subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True,
                            preexec_fn=_die_with_parent if _libc else None)  # pylint: disable=subprocess-popen-preexec-fn
    dog, write_end = _start_watchdog(proc.pid)
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


# -- the process named by a record -------------------------------------------------------------


def proc_stat(pid):
    """``(state, start time)`` of a process from /proc, or None where /proc is not available."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            data = handle.read()
    except OSError:
        return None
    fields = data.rsplit(")", 1)[-1].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]


def this_process():
    """``(pid, start time, hostname)`` of this process, as an update record stores them (``pid``, ``pid_start``, ``hostname``)."""
    pid = os.getpid()
    stat = proc_stat(pid)
    return pid, (stat[1] if stat else ""), socket.gethostname()


def record_alive(row) -> bool:
    """Whether the process named by a record (``pid``, ``pid_start``, ``hostname``) still runs it.

    A record without a pid, or of another machine, is trusted; one whose pid is
    gone, a zombie, or now a process started at another time is not.
    """
    pid = row["pid"]
    if pid is None:
        return True
    if row["hostname"] and row["hostname"] != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    stat = proc_stat(int(pid))
    if stat is not None:
        state, start = stat
        if state == "Z":
            return False
        if row["pid_start"] and start != row["pid_start"]:
            return False
    return True
