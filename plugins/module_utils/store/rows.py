# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stored rows as the plain dicts every repository returns (AWX's field names), and names for messages."""

from __future__ import annotations

import json


def variables(text) -> dict:
    """A stored ``variables`` JSON text as a dict (most hosts have none: skip the parser)."""
    if not text or text == "{}":
        return {}
    return json.loads(text)


def inventory_row(row):
    """An ``inventories`` row as a dict: parsed variables, a real boolean ``pending_delete``."""
    if row is None:
        return None
    row = dict(row)
    row["variables"] = variables(row["variables"])
    row["pending_delete"] = bool(row["pending_delete"])
    return row


def host_row(row):
    """A ``hosts`` row as a dict: parsed variables, a real boolean ``enabled``."""
    if row is None:
        return None
    row = dict(row)
    row["variables"] = variables(row["variables"])
    row["enabled"] = bool(row["enabled"])
    return row


def quote(value) -> str:
    """An inventory named by id or by name, for messages."""
    return "id %d" % value if isinstance(value, int) else "'%s'" % value


def kind_name(kind) -> str:
    """An inventory kind for messages ('' is a normal inventory)."""
    return kind or "normal"
