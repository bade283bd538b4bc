# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wake line from a web process to the service's main process (``--processes`` above 1).

With several web processes the update workers and the deletion worker run
once, in the main process (service/supervisor.py), while the requests that
queue an update or mark an inventory for deletion run in a web process.  The
main process gives each web process the write end of one pipe; a route's
``workers.wake()`` / ``deletion_worker.wake()`` then writes one byte to it
(:data:`UPDATES`, :data:`DELETION`), and the main process wakes its pool or its
deletion worker.  The pipe is non-blocking: when it is full a wake is pending
already, and a write that fails (the main process is gone) is dropped; the
workers also poll the store, so a lost wake only delays the work.
"""

from __future__ import annotations

import os

#: the byte that wakes the update workers
UPDATES = b"u"
#: the byte that wakes the deletion worker
DELETION = b"d"
_FD = None


def connect(fd):
    """This process sends its wakes to the pipe ``fd`` (a web process of the supervisor calls it once)."""
    global _FD  # pylint: disable=global-statement
    _FD = None if fd is None else int(fd)


def connected() -> bool:
    return _FD is not None


def send(what) -> bool:
    """Write the wake ``what`` to the main process; False when this process has no line or the write failed."""
    fd = _FD
    if fd is None:
        return False
    try:
        os.write(fd, what)
    except (BlockingIOError, InterruptedError):
        return True  # the pipe is full: the main process has wakes to read already
    except OSError:
        return False
    return True
