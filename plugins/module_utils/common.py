# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers shared by the engine and its adapters."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError


def now() -> str:
    """The current time as an ISO-8601 UTC timestamp (what the store keeps)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


# one encoder for every call: json.dumps with options builds a new one each time
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(value) -> str:
    """JSON text that is equal for equal values: used to detect real changes."""
    return _CANONICAL.encode(value)


#: how deeply a mapping given to a module may nest (mappings and lists); deeper is refused, not a crash
MAX_NESTING = 200


def _nesting(value, limit: int) -> int:
    """The nesting depth of ``value`` (mappings and lists), walked without recursion; stops past ``limit``."""
    deepest = 0
    todo = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        todo.extend((child, depth + 1) for child in children)
    return deepest


def load_mapping(value, what: str) -> dict:
    """Accept a mapping or a YAML/JSON string holding one, as modules allow.

    ``None`` and the empty string are an empty mapping.  Anything else that is
    not a mapping is a :class:`ValidationError` naming ``what``, and so is a
    value nested more than :data:`MAX_NESTING` levels deep.
    """
    too_deep = "%s is nested more than %d levels deep" % (what, MAX_NESTING)
    if value is None:
        return {}
    if isinstance(value, dict):
        data = value
    elif isinstance(value, (str, bytes)):
        text = value.decode("utf-8") if isinstance(value, bytes) else value
        if not text.strip():
            return {}
        try:
            data = json.loads(text)
        except RecursionError:
            raise ValidationError(too_deep) from None
        except ValueError:
            import yaml  # PyYAML ships with ansible-core

            try:
                data = yaml.safe_load(text)
            except RecursionError:
                raise ValidationError(too_deep) from None
            except yaml.YAMLError as exc:
                raise ValidationError("%s is neither JSON nor YAML: %s" % (what, exc)) from exc
        if data is None:
            return {}
    else:
        raise ValidationError("%s must be a mapping or a YAML/JSON string, not %s" % (what, type(value).__name__))
    if not isinstance(data, dict):
        raise ValidationError("%s must be a mapping, got %s" % (what, type(data).__name__))
    if _nesting(data, MAX_NESTING) > MAX_NESTING:
        raise ValidationError(too_deep)
    try:
        # round trip: rejects values that cannot live in the store (sets, NaN, ...)
        return json.loads(json.dumps(data, ensure_ascii=False, allow_nan=False))
    except RecursionError:
        raise ValidationError(too_deep) from None
    except (TypeError, ValueError) as exc:
        raise ValidationError("%s cannot be stored as JSON: %s" % (what, exc)) from exc


# SQLite's default limit of bound parameters is 32766 (3.32+); IN lists stay well below it
CHUNK = 900


def chunks(items, size=CHUNK):
    """``items`` in lists of at most ``size``, for ``IN (...)`` lists of bound parameters."""
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def sql_marks(chunk) -> str:
    """``?, ?, ...``: one placeholder per item of ``chunk``."""
    return ", ".join(["?"] * len(chunk))
