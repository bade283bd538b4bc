# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every error the fleet.inventory engine raises, in one module at the bottom of the layers.

Adapters (modules, plugins, the service) catch :class:`FleetInventoryError`
(and :class:`HostFilterError` for a filter given in a file) and turn it into
their own error form (``fail_json``, ``AnsibleParserError``, an HTTP status),
so every message here is written for the user.  The modules that raise an
error re-export it under its old name (``host_filter.parser.HostFilterError``,
``runtime.process.ProcessTimeout``, ...), so that callers need not change.
This module imports nothing of the engine: any layer may import it.
"""

from __future__ import annotations

import os


class FleetInventoryError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class StoreError(FleetInventoryError):
    """The store cannot be opened, created, migrated or written."""


class NotFound(FleetInventoryError):
    """A named object (inventory, host, group, ...) does not exist."""


class ValidationError(FleetInventoryError):
    """A request breaks a rule (wrong kind, missing field, forbidden change)."""


class InventorySourceError(FleetInventoryError):
    """An inventory source could not be read; nothing was written."""


class ConstructError(InventorySourceError):
    """The constructed logic failed (a strict template error, a limit that matches nothing)."""


class UpdateBusy(FleetInventoryError):
    """Another update of the same inventory is running and did not finish in time."""


class NotPending(ValidationError):
    """The pending update was claimed by another worker (or ended) before this one could claim it."""


class PendingDeletion(ValidationError):
    """The inventory is already pending deletion (AWX answers 400 {"error": "Inventory is already pending deletion."})."""


class DeletionConflict(FleetInventoryError):
    """The inventory cannot be deleted now: an update of it is pending or running (AWX's 409, active jobs);
    ``active`` lists them as ``[{"type": "inventory_update", "id": n}]``."""

    def __init__(self, message, active=()):
        super().__init__(message)
        self.active = list(active)


class UpdateCanceled(FleetInventoryError):
    """A running update was canceled (a cancel request, or the service stopping): its processes were killed."""


class LockTimeout(FleetInventoryError):
    """Another update held the lock for longer than the caller waits."""


class GitError(FleetInventoryError):
    """git failed (or timed out); ``log`` holds the commands run and their output, secrets masked."""

    def __init__(self, message, log=""):
        super().__init__(message)
        self.log = log


class PermissionDenied(FleetInventoryError):
    """The service's user lacks the role an action needs (rules/access.py; the service answers 403)."""


class SecretKeyError(StoreError):
    """The key that encrypts project credentials is missing, unreadable or not the one they were encrypted with."""


class HostFilterError(ValueError):
    """A host_filter that cannot be parsed or resolved.

    ``str(err)`` (and ``err.message``) is ``host_filter: <problem> at column
    <n>``; ``err.problem`` is the bare problem and ``err.position`` the
    1-based column (in code points) where it was found.  (A ValueError, not
    a FleetInventoryError: the store turns it into a ValidationError.)
    """

    def __init__(self, message: str, position: int) -> None:
        self.problem = message
        self.position = position
        self.message = 'host_filter: %s at column %d' % (message, position)
        super().__init__(self.message)

    def __reduce__(self):
        return (type(self), (self.problem, self.position))


class ProcessTimeout(Exception):
    """A child process did not finish in time; its process group was killed."""

    def __init__(self, argv, timeout):
        super().__init__("%s did not finish within %s seconds" % (os.path.basename(argv[0]), timeout))
        self.argv = argv
        self.timeout = timeout
