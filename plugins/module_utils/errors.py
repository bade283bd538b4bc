# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors raised by the fleet.inventory engine.

Adapters (modules, plugins, the service) catch :class:`FleetInventoryError`
and turn it into their own error form (``fail_json``, ``AnsibleParserError``,
an HTTP status), so every message here is written for the user.
"""

from __future__ import annotations


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
