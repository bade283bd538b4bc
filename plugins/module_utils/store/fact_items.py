# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The leaves of stored facts (``host_fact_items``): what makes array
containment and object member searches indexable.

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

Since schema version 11 the table also holds the scalar *direct members of a
top-level object* whose value text is at most :data:`SHORT_TEXT` characters
(``ansible_default_ipv4`` -> ``address``: path ``["address"]``, no
:data:`ARRAY_STEP`, so no array path collides with it): an ``exact``/``in``
term on such a path (``ansible_facts__ansible_default_ipv4__address=10.0.0.42``)
is then one index lookup instead of a text pre-test of every host's value.
A filter value whose text is longer cannot be in the table (equal values have
equal texts), and such a term reads the JSON as before.

Everything that writes these rows -- :meth:`Store.set_facts_many`, the schema
migration's back-fill, the SQL/Python agreement test -- goes through
:func:`item_rows` and :func:`insert_items`, and the SQL compiler builds its search keys with
:func:`item_path` and :func:`item_value`, so writers and readers cannot drift
apart.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from json.encoder import encode_basestring

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json, chunks, sql_marks

__all__ = ['ARRAY_STEP', 'item_path', 'item_value', 'fact_items', 'item_rows', 'might_have_items', 'insert_items',
           'backfill_fact_items', 'fact_number', 'delete_host_items', 'backfill_fact_numbers', 'DELETE_ITEM',
           'SHORT_TEXT', 'short_scalar_sql', 'member_item', 'backfill_member_items', 'normalize_fact_texts',
           'create_fact_value_index']

#: The step "any element of the array" in an item path (member keys are strings).
ARRAY_STEP = 0
#: The longest value text (characters) a member leaf row or the ``host_facts_value`` index holds.
SHORT_TEXT = 128
#: the rows of ``host_facts`` the partial index ``host_facts_value`` holds: short strings, booleans and
#: nulls (numbers have ``host_facts_num``).  A query uses the index only when its WHERE repeats this
#: condition (both planners prove a partial index usable from the query's own terms).
_SHORT_SCALAR = {
    'sqlite': "length(%(v)s) <= %(n)d AND substr(%(v)s, 1, 1) IN ('\"', 't', 'f', 'n')",
    'postgresql': "jsonb_typeof(%(v)s) IN ('string', 'boolean', 'null') AND length(CAST(%(v)s AS TEXT)) <= %(n)d",
}

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
#: one leaf row by its primary key (the table has no index by host: see :func:`delete_host_items`)
DELETE_ITEM = 'DELETE FROM host_fact_items WHERE key_id = ? AND path = ? AND value = ? AND host_id = ?'
#: the primary key of ``host_fact_items`` (a leaf row of :func:`item_rows`) and its column types, for Store.delete_keys
ITEM_COLUMNS = ('key_id', 'path', 'value', 'host_id')
ITEM_TYPES = ('integer', 'text', 'text', 'integer')
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_NUMBER_START = "('-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9')"


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


def short_scalar_sql(column: str, dialect: str) -> str:
    """The condition of the partial index ``host_facts_value`` on ``column`` (``value`` or ``hf.value``)."""
    return _SHORT_SCALAR[dialect] % {'v': column, 'n': SHORT_TEXT}


def member_item(key: str, member):
    """The ``(path, value)`` row of a scalar direct member of a top-level object, or None (a container, or too long)."""
    if isinstance(member, (dict, list, tuple)):
        return None
    text = item_value(member)
    if len(text) > SHORT_TEXT:
        return None
    return item_path((key,)), text


def _walk(value, path, under, out, members=False):
    """Add the scalar leaves under arrays of the container ``value`` (at ``path``) to ``out``.

    ``members``: ``value`` is a top-level object: its short scalar members are leaves too.
    """
    if isinstance(value, dict):
        for key, member in value.items():
            if not isinstance(key, str):
                raise _NotJsonShaped()
            if isinstance(member, (dict, list, tuple)):
                _walk(member, path + (key,), under, out)
            elif under:
                out.add((item_path(path + (key,)), item_value(member)))
            elif members:
                row = member_item(key, member)
                if row is not None:
                    out.add(row)
    else:
        path = path + (ARRAY_STEP,)
        text = item_path(path)
        for element in value:
            if isinstance(element, (dict, list, tuple)):
                _walk(element, path, True, out)
            else:
                out.add((text, item_value(element)))


def fact_items(value, members: bool = True) -> set:
    """``{(path, value)}``: the distinct scalar leaves of ``value`` that lie under an array, and (``members``)
    the short scalar direct members of ``value`` when it is an object (see :func:`member_item`)."""
    out: set = set()
    if not isinstance(value, (dict, list, tuple)):
        return out
    try:
        _walk(value, (), False, out, members)
    except _NotJsonShaped:
        # non-string keys: the stored JSON has them as strings; walk that form
        out.clear()
        _walk(json.loads(json.dumps(value, ensure_ascii=False)), (), False, out, members)
    return out


def item_rows(host_id: int, key_id: int, value, members: bool = True) -> list:
    """The ``host_fact_items`` rows of one stored fact value, as :func:`insert_items` takes them."""
    return [(key_id, path, text, host_id) for path, text in fact_items(value, members)]


def might_have_items(text: str) -> bool:
    """Whether a stored fact's JSON text can have leaf rows (cheap: an object, or it has a ``[``)."""
    return text[:1] == '{' or '[' in text


#: the stored values :func:`might_have_items` lets through, in SQL
_MIGHT_HAVE_ITEMS = "(CAST(%(v)s AS TEXT) LIKE '{%%' OR CAST(%(v)s AS TEXT) LIKE '%%[%%')"


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
    def rows_of(host_id, key_id, text):
        return item_rows(host_id, key_id, json.loads(text), members=False)

    def write(rows):
        db.executemany(_INSERT.replace('host_fact_items', 'host_fact_items_backfill'), rows)

    _backfill(db, "SELECT host_id, key_id, value FROM host_facts WHERE CAST(value AS TEXT) LIKE '%[%'", rows_of, write)


def _backfill(db, select_sql, rows_of, write) -> None:
    """Fill ``host_fact_items`` with ``rows_of(host_id, key_id, text)`` of each row ``select_sql`` reads.

    The rows go through a temporary table (``write(rows)`` puts a batch there)
    and are copied in primary-key order in one statement.
    """
    db.execute('CREATE TEMP TABLE host_fact_items_backfill (key_id INTEGER, path TEXT, value TEXT, host_id INTEGER)')
    cur = db.execute(select_sql)
    while True:
        batch = cur.fetchmany(_BACKFILL_BATCH)
        if not batch:
            break
        rows = []
        for host_id, key_id, text in batch:
            rows.extend(rows_of(host_id, key_id, text))
        if rows:
            write(rows)
    db.execute('INSERT INTO host_fact_items (key_id, path, value, host_id) SELECT key_id, path, value, host_id'
               ' FROM host_fact_items_backfill ORDER BY key_id, path, value, host_id')
    db.execute('DROP TABLE host_fact_items_backfill')


# -- the typed number of a top-level fact (``host_facts.num``) ------------------------------------

def fact_number(value, exact: bool = False):
    """``host_facts.num`` of a top-level fact value: the value when it is a JSON number, else None.

    A comparison term (``ansible_facts__ansible_processor_vcpus__gte=8``) on a
    top-level fact is then one range of the partial index ``host_facts_num``
    instead of a JSON parse of every host's value.  The number is written as
    each backend's old JSON comparison saw it: on SQLite (``exact`` false) an
    integer outside the 64-bit range becomes a float, as ``json_extract``
    reads it; on PostgreSQL (``exact``, a ``numeric`` column) a float is its
    shortest decimal (``Decimal(repr(x))``), as ``jsonb``'s number.  Booleans
    and everything else are None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = int(value)
        if exact or _INT64_MIN <= value <= _INT64_MAX:
            return value
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return Decimal(repr(float(value))) if exact else float(value)
    return None


def backfill_fact_numbers(store) -> None:
    """Fill ``host_facts.num`` from the stored values (schema migration 7)."""
    exact = store.dialect.name != "sqlite"
    cur = store.execute("SELECT key_id, host_id, CAST(value AS TEXT) FROM host_facts"
                        " WHERE substr(CAST(value AS TEXT), 1, 1) IN %s" % _NUMBER_START)
    rows = []
    for key_id, host_id, text in cur.fetchall():
        number = fact_number(json.loads(text), exact)
        if number is not None:
            rows.append((number, key_id, host_id))
    if rows:
        store.executemany("UPDATE host_facts SET num = ? WHERE key_id = ? AND host_id = ?", rows)


# -- removing hosts -----------------------------------------------------------------------------

def delete_host_items(store, host_ids=(), inventory_id=None) -> int:
    """Delete the leaf rows of ``host_ids`` (or of every host of ``inventory_id``) by their primary keys.

    ``host_fact_items`` has neither an index by host nor a foreign key to
    ``hosts`` (schema migration 7: a quarter of a bulk load's b-tree work, and
    22 MB of 128 at 10k hosts), so nothing removes these rows when a host goes:
    whatever deletes hosts or all of a host's facts calls this first, in the
    same transaction, while ``host_facts`` still holds the values the rows are
    computed from (as a rewrite of one fact does).  Returns the rows deleted.
    """
    count = 0
    if inventory_id is not None:
        selects = [("SELECT hf.host_id, hf.key_id, hf.value FROM host_facts hf JOIN hosts h ON h.id = hf.host_id"
                    " WHERE h.inventory_id = ? AND " + _MIGHT_HAVE_ITEMS % {'v': 'hf.value'}, [inventory_id])]
    else:
        selects = [("SELECT host_id, key_id, value FROM host_facts WHERE host_id IN (%s) AND %s"
                    % (sql_marks(chunk), _MIGHT_HAVE_ITEMS % {'v': 'value'}), chunk)
                   for chunk in chunks(sorted(set(int(h) for h in host_ids)))]
    for sql, params in selects:
        cur = store.execute(sql, params)
        while True:
            batch = cur.fetchmany(_BACKFILL_BATCH)
            if not batch:
                break
            rows = []
            for host_id, key_id, value in batch:
                rows.extend(item_rows(host_id, key_id, json.loads(value) if isinstance(value, (str, bytes)) else value))
            if rows:
                rows.sort()
                count += store.delete_keys('host_fact_items', ITEM_COLUMNS, ITEM_TYPES, rows)
    return count


# -- schema migration 11: member leaves, canonical texts, the index of short scalars ---------------

def normalize_fact_texts(store) -> None:
    """Rewrite stored fact texts that are not canonical JSON (schema migration 11, SQLite only).

    Every writer of ``host_facts`` has written :func:`common.canonical_json`
    (raw UTF-8, no ``\\uXXXX`` escape of a printable character), and the
    SQLite compiler's text tests rely on it (a string without escapes is its
    text in quotes); a store whose rows were written by other means with
    ``json.dumps``' defaults gets them rewritten here once.  Only a text with
    ``\\u`` can differ in a way those tests see.  PostgreSQL's ``jsonb`` is
    normalized by the server.
    """
    if store.dialect.name != 'sqlite':
        return
    rows = []
    for key_id, host_id, text in store.execute("SELECT key_id, host_id, value FROM host_facts WHERE value LIKE '%\\u%'"):
        canonical = canonical_json(json.loads(text))
        if canonical != text:
            rows.append((canonical, key_id, host_id))
    if rows:
        store.executemany("UPDATE host_facts SET value = ? WHERE key_id = ? AND host_id = ?", rows)


def backfill_member_items(store) -> None:
    """Add the member leaf rows (:func:`member_item`) of every stored top-level object (schema migration 11)."""
    def rows_of(host_id, key_id, text):
        value = json.loads(text)
        if not isinstance(value, dict):
            return []
        items = (member_item(key, member) for key, member in value.items())
        return [(key_id, item[0], item[1], host_id) for item in items if item is not None]

    def write(rows):  # COPY on PostgreSQL
        store.bulk_insert('host_fact_items_backfill', ['key_id', 'path', 'value', 'host_id'], rows)

    _backfill(store, "SELECT host_id, key_id, CAST(value AS TEXT) FROM host_facts WHERE CAST(value AS TEXT) LIKE '{%'",
              rows_of, write)


def create_fact_value_index(store) -> None:
    """The partial index of short scalar top-level facts by key and value (schema migration 11).

    On PostgreSQL also the statistics its planner needs to see how many rows a
    term reads from it: the frequent values of each key (``key_id`` and
    ``value`` together: a value's share of all rows says little about one key)
    and the index's condition (without them a range of half the hosts was
    estimated at 31 rows, and joined to ``hosts`` row by row), collected at once.
    """
    store.execute('CREATE INDEX host_facts_value ON host_facts (key_id, value, host_id) WHERE '
                  + short_scalar_sql('value', store.dialect.name))
    if store.dialect.name == 'postgresql':
        store.execute('CREATE STATISTICS host_facts_key_value (mcv) ON key_id, value FROM host_facts')
        store.execute('CREATE STATISTICS host_facts_short (mcv) ON (jsonb_typeof(value)), (length(CAST(value AS TEXT)))'
                      ' FROM host_facts')
        # filled now when the store holds facts: one only read after the migration would otherwise plan without
        # them until autovacuum happens to analyze host_facts (which the migration did not change enough to
        # trigger).  Not on a new store: statistics of empty tables would tell the planner they stay empty.
        if store.execute('SELECT EXISTS (SELECT 1 FROM host_facts)').fetchone()[0]:
            store.execute('ANALYZE host_facts')
            store.execute('ANALYZE host_fact_items')
