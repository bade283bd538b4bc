# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The array leaves of stored facts (``host_fact_items``): what makes array
containment searches indexable.

A host_filter term such as ``ansible_facts__ansible_processor[]="GenuineIntel"``
or ``ansible_facts__ansible_lo__ipv6[]__scope=host`` asks whether *some*
element reached through the arrays of a fact holds a scalar.  Answering that
from ``host_facts.value`` means parsing every host's array on every search.
Instead the store keeps one row per distinct scalar leaf that lies under at
least one array::

    host_fact_items(key_id, path, value, host_id)

``key_id`` is the top-level fact key (as in ``host_facts``); ``path`` is the
signature of the steps from that key's value down to the leaf (:func:`item_path`:
a JSON list in which a member key is its string and "each element of an
array" is :data:`ARRAY_STEP`, an integer, so no key can be mistaken for it);
``value`` is the leaf as normalized JSON text (:func:`item_value`: an integral
float is written as the integer it equals, so ``1`` and ``1.0`` meet, while
``true`` stays apart from ``1`` and ``"1"``).  Equality of ``value`` texts is
then exactly the type-strict equality the Python filter uses.

Everything that writes these rows -- :meth:`Store.set_facts_many`, the schema
migration's back-fill, the SQL/Python agreement test -- goes through
:func:`item_rows` and :func:`insert_items`, and the SQL compiler builds its search keys with
:func:`item_path` and :func:`item_value`, so writers and readers cannot drift
apart.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring

__all__ = ['ARRAY_STEP', 'item_path', 'item_value', 'fact_items', 'item_rows', 'might_have_items', 'insert_items',
           'backfill_fact_items']

#: The step "any element of the array" in an item path (member keys are strings).
ARRAY_STEP = 0

# allow_nan: a filter value may be inf or nan; its text then matches no stored
# leaf (stored facts are finite, host_facts rejects NaN/Infinity), which is
# what type-strict equality says.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(',', ':'), allow_nan=True)
_encode = _ENCODER.encode
_encode_str = encode_basestring  # what the encoder writes for a str with ensure_ascii=False
_PATHS: dict = {}
_PATHS_MAX = 10000
_BACKFILL_BATCH = 2000
_INSERT = 'INSERT INTO host_fact_items (key_id, path, value, host_id) VALUES (?, ?, ?, ?)'


class _NotJsonShaped(Exception):
    """A mapping key that is not a string: walk the value's JSON form instead."""


def item_path(steps) -> str:
    """The ``path`` text for ``steps``: member keys (str) and :data:`ARRAY_STEP` markers."""
    steps = tuple(steps)
    text = _PATHS.get(steps)
    if text is None:
        text = _encode(list(steps))
        if len(_PATHS) < _PATHS_MAX:  # fact shapes repeat: a few hundred distinct paths
            _PATHS[steps] = text
    return text


def item_value(value) -> str:
    """The ``value`` text of a scalar leaf (or of a filter value looked up)."""
    cls = value.__class__
    if cls is str:
        return _encode_str(value)
    if cls is float and value.is_integer():
        return int.__repr__(int(value))
    if cls is int:
        return int.__repr__(value)
    # other floats, true/false/null, subclasses: what the encoder writes
    return _encode(value)


def _walk(value, path, under, out):
    """Add the scalar leaves under arrays of the container ``value`` (at ``path``) to ``out``."""
    if isinstance(value, dict):
        for key, member in value.items():
            if not isinstance(key, str):
                raise _NotJsonShaped()
            if isinstance(member, (dict, list, tuple)):
                _walk(member, path + (key,), under, out)
            elif under:
                out.add((item_path(path + (key,)), item_value(member)))
    else:
        path = path + (ARRAY_STEP,)
        text = item_path(path)
        for element in value:
            if isinstance(element, (dict, list, tuple)):
                _walk(element, path, True, out)
            else:
                out.add((text, item_value(element)))


def fact_items(value) -> set:
    """``{(path, value)}``: the distinct scalar leaves of ``value`` that lie under an array."""
    out: set = set()
    if not isinstance(value, (dict, list, tuple)):
        return out
    try:
        _walk(value, (), False, out)
    except _NotJsonShaped:
        # non-string keys: the stored JSON has them as strings; walk that form
        out.clear()
        _walk(json.loads(json.dumps(value, ensure_ascii=False)), (), False, out)
    return out


def item_rows(host_id: int, key_id: int, value) -> list:
    """The ``host_fact_items`` rows of one stored fact value, as :func:`insert_items` takes them."""
    return [(key_id, path, text, host_id) for path, text in fact_items(value)]


def might_have_items(text: str) -> bool:
    """Whether a stored fact's JSON text can have array leaves (cheap: it has a ``[``)."""
    return '[' in text


def insert_items(db, rows: list) -> None:
    """Insert :func:`item_rows` rows (sorted here, in primary-key order: a sweep, not random writes).

    ``db`` is anything with ``executemany`` taking ``?`` parameters: a
    :class:`Store` or a sqlite3 connection.
    """
    rows.sort()
    if hasattr(db, "bulk_insert"):  # a Store: COPY on PostgreSQL
        db.bulk_insert("host_fact_items", ["key_id", "path", "value", "host_id"], rows)
    else:
        db.executemany(_INSERT, rows)


def backfill_fact_items(db) -> None:
    """Fill ``host_fact_items`` from ``host_facts`` (schema migration 2).

    The rows are collected in a temporary table and copied in primary-key
    order in one statement (SQLite sorts them), instead of being inserted
    in host order at random places of the table.  ``db`` as for :func:`insert_items`.
    """
    db.execute('CREATE TEMP TABLE host_fact_items_backfill (key_id INTEGER, path TEXT, value TEXT, host_id INTEGER)')
    cur = db.execute("SELECT host_id, key_id, value FROM host_facts WHERE CAST(value AS TEXT) LIKE '%[%'")
    while True:
        batch = cur.fetchmany(_BACKFILL_BATCH)
        if not batch:
            break
        rows = []
        for host_id, key_id, text in batch:
            rows.extend(item_rows(host_id, key_id, json.loads(text)))
        if rows:
            db.executemany(_INSERT.replace('host_fact_items', 'host_fact_items_backfill'), rows)
    db.execute('INSERT INTO host_fact_items (key_id, path, value, host_id) SELECT key_id, path, value, host_id'
               ' FROM host_fact_items_backfill ORDER BY key_id, path, value, host_id')
    db.execute('DROP TABLE host_fact_items_backfill')
