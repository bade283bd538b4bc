# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local locks of project checkouts, and the private directories that hold them.

A checkout belongs to one node (each node has its own projects root, see
runtime/checkouts.py), so its lock is a local ``flock``: two updates on this
node never move one checkout at the same time, and an update reading a
checkout holds it so that no project update moves it meanwhile.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from ansible_collections.fleet.inventory.plugins.module_utils.errors import LockTimeout  # noqa: F401  (re-exported)

LOCK_TIMEOUT = 600


def make_private_dir(path):
    """Create ``path`` (and missing parents) readable by its owner only (0700); an existing directory is left as it is.

    The projects root holds every project's checkout: no other user may read a
    repository (or a script's output) through it.
    """
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent and parent != path and not os.path.isdir(parent):
        make_private_dir(parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)


class NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_HELD = {}  # (lock path, thread id) -> depth: the lock is re-entrant within one thread
_HELD_GUARD = threading.Lock()


class _Lock:
    """An exclusive lock on ``path`` (waits up to ``timeout`` seconds).

    ``flock`` on a file: other processes and other threads wait; the thread
    that holds it may take it again (an inventory update that holds it can
    still run the project update it needs).
    """

    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        self.handle = None
        self.key = (os.path.abspath(path), threading.get_ident())

    def __enter__(self):
        with _HELD_GUARD:
            if _HELD.get(self.key):
                _HELD[self.key] += 1
                return self
        self.handle = open(self.path, "a")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.handle.close()
                    self.handle = None
                    raise LockTimeout("another update of this project holds %s for more than %s seconds" % (self.path, self.timeout))
                time.sleep(0.1)
        with _HELD_GUARD:
            _HELD[self.key] = 1
        return self

    def __exit__(self, *exc):
        with _HELD_GUARD:
            _HELD[self.key] -= 1
            if _HELD[self.key]:
                return
            del _HELD[self.key]
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        self.handle.close()
        self.handle = None


def checkout_lock(path, timeout=None):
    """The lock that serializes every change of the checkout at ``path`` (a ``<path>.lock`` file, ``flock``).

    Hold it while reading the checkout (``with checkout_lock(path): ...``) so
    that no project update moves it meanwhile; it is re-entrant within a thread.
    """
    make_private_dir(os.path.dirname(path))
    return _Lock(path + ".lock", timeout or LOCK_TIMEOUT)
