# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host_filter compiler for PostgreSQL (13+, built with ICU: every Debian/PGDG build is).

It selects the same hosts as the SQLite compiler and the Python predicate
(the property test ``tests/unit/test_host_filter_agreement.py`` runs all
three over the same random worlds).  What it relies on and why:

- ``host_facts.value`` is ``jsonb``; ``hosts.variables`` is text holding
  JSON, cast ``::jsonb`` where a ``variables__`` term walks it.  A member step
  is ``doc -> key`` (decoded keys, NULL for a missing key or a non-object), a
  ``[]`` step one ``jsonb_array_elements`` row source (guarded: only arrays
  have elements).  ``host_fact_items`` serves array containment as on SQLite.
- Type-strict equality is jsonb equality with the value as JSON (``1`` meets
  ``1.0``, never ``true`` or ``"1"``); number comparisons are ``numeric`` (a
  filter's decimal is its shortest repr, as the store writes a float).
- Text order is code-point order: comparisons are ``COLLATE "C"`` (byte order
  of UTF-8), whatever the database's collation.
- Lower-casing is ICU's root locale (``lower(x COLLATE "und-x-icu")``): full
  Unicode case mapping with the final-sigma rule, equal to Python's
  ``str.lower`` for every code point (checked against the server in the tests).
- Text lookups are ``=``, ``strpos``, ``starts_with`` and ``right``: byte
  comparisons for deterministic collations (a PostgreSQL text has no NUL).
- Regexes: the pattern is rewritten from the RE2 syntax the filter is written
  in to an ARE of the same meaning (:func:`regex.postgresql_regex`) and
  matched with ``~`` under ``COLLATE "C"`` (no locale-dependent class).  A
  search that holds a regex runs under ``SET LOCAL statement_timeout``
  (:func:`search_statements`): PostgreSQL's engine can be slow where RE2 is
  linear.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Callable

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import Node, walk_terms
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compiler import (
    COMPARE_OPS, SqlFilterCompiler, indexed_fact_equality)
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.regex import postgresql_regex

__all__ = ['PostgresqlFilterCompiler', 'uses_regex', 'statement_timeout_ms', 'search_statements', 'REGEX_TIMEOUT_MS',
           'ICU_COLLATION']

#: The collation whose ``lower()`` is Python's ``str.lower``.
ICU_COLLATION = 'und-x-icu'
#: ``statement_timeout`` of a search that holds a regex (milliseconds).
REGEX_TIMEOUT_MS = 10000

# In JSON text: an escaped NUL (preceded by an even number of backslashes) and the rest of its string
_NUL_TO_END_OF_STRING = r'(?<!\\)((?:\\\\)*)\\u0000(?:[^"\\]|\\.)*"'
# a filter that is one subquery of host_facts rows (no nested SELECT: the fact key's id is bound)
_ONE_FACT_SUBQUERY = re.compile(r'\(h\.id IN \((SELECT (hf[0-9]+)\.host_id FROM host_facts \2 WHERE (?:(?!SELECT).)*)\)\)\Z', re.S)
# jsonb_typeof names of the abstract JSON kinds (true and false are values, see json_type_in)
_PG_TYPES = {'null': 'null', 'number': 'number', 'string': 'string', 'array': 'array', 'object': 'object'}


def _has_nul(value: Any) -> bool:
    return isinstance(value, str) and '\x00' in value


def uses_regex(node: Node) -> bool:
    """Whether the filter has a ``regex``/``iregex`` term."""
    return any(term.lookup in ('regex', 'iregex') for term in walk_terms(node))


def statement_timeout_ms(node: Node):
    """The ``statement_timeout`` a search for ``node`` runs under on PostgreSQL (None: the server's own)."""
    return REGEX_TIMEOUT_MS if uses_regex(node) else None


def search_statements(node: Node) -> list:
    """Statements to run in the search's transaction before it (``SET LOCAL statement_timeout`` for a regex)."""
    timeout = statement_timeout_ms(node)
    return [] if timeout is None else ["SET LOCAL statement_timeout = %d" % int(timeout)]


class PostgresqlFilterCompiler(SqlFilterCompiler):
    """PostgreSQL 13+ with ICU.  Needs nothing registered on the connection."""

    dialect = 'postgresql'
    #: subquery terms a filter may hold before each is fenced (see :meth:`fence`)
    FENCE_AFTER = 4

    #: ``SELECT COUNT(*) ...`` of the hosts the last compiled filter selects, taking the same parameters, when that
    #: count needs no ``hosts`` row (see :meth:`compile`); None otherwise
    count_sql = None

    def compile(self, node: Node) -> tuple:
        """As the base class; also sets :attr:`count_sql` for a filter that is one term over ``host_facts``.

        ``h.id IN (SELECT hf.host_id FROM host_facts hf WHERE hf.key_id = ? AND ...)``
        counts the rows of that subquery: ``host_facts`` holds one row per (key, host)
        (its primary key) and only rows of existing hosts (its reference triggers).  The
        count is then one index-only range of ``host_facts_value`` or ``host_facts_num``
        (``Ubuntu`` at 100k hosts: 50k index entries, 8 ms) instead of a join of those
        entries with every host id (19 ms).  Valid only when nothing else restricts the
        hosts (the caller checks: no hidden inventories, no other condition).
        """
        self.count_sql = None
        sql, params = super().compile(node)
        match = _ONE_FACT_SUBQUERY.match(sql)
        if match:  # the subquery holds every placeholder of the filter: the same parameters
            self.count_sql = 'SELECT COUNT(*) FROM (%s) c' % match.group(1)
        return sql, params

    def fence(self) -> str:
        """``OFFSET 0`` in each term's subquery once a filter holds more than :attr:`FENCE_AFTER` of them.

        PostgreSQL turns ``h.id IN (SELECT ...)`` into a semi-join, which lets an
        index drive a selective term; but every such join adds ``h.id`` to one
        equivalence class, and planning grows much faster than the number of
        terms (200 fact terms: a minute).  ``OFFSET 0`` keeps a subquery apart
        (a hashed SubPlan, run once): planning stays linear.
        """
        return ' OFFSET 0' if self.subqueries > self.FENCE_AFTER else ''

    def merges_equality(self, term) -> bool:
        """An Or's equalities of one fact path are one ``in`` wherever an index is read by value (array
        containment and :func:`indexed_fact_equality`): one semi-join of one index range, instead of two
        subqueries whose results PostgreSQL can only OR row by row (two hashed SubPlans tested for every
        host)."""
        return any(step.array for step in term.path) or indexed_fact_equality(term)

    # -- plain values.  A PostgreSQL text never holds NUL (nor does a stored fact,
    # see the store), so a filter value with one is resolved here, never bound:
    # nothing equals or contains it, and it orders right after its part before the NUL.
    def column_predicate(self, column: str, kind: str, lookup: str, value: Any) -> str:
        if lookup == 'exact' and _has_nul(value):
            return self.false_literal()
        if lookup == 'in' and any(_has_nul(v) for v in value):
            value = tuple(v for v in value if not _has_nul(v))
            if not value:
                return self.false_literal()
        return super().column_predicate(column, kind, lookup, value)

    def text_predicate(self, expr: str, lookup: str, value: str) -> str:
        if lookup not in ('regex', 'iregex') and _has_nul(value):
            return self.false_literal()
        return super().text_predicate(expr, lookup, value)

    def compare(self, expr: str, op: str, value: Any) -> str:
        if isinstance(value, str):
            if _has_nul(value):
                # for a text x without NUL: x < 'ab\0c' is x <= 'ab', x > 'ab\0c' is x > 'ab'
                value = value[:value.index('\x00')]
                op = '<=' if op in ('<', '<=') else '>'
            return '(%s COLLATE "C" %s %s)' % (expr, op, self.bind(value))
        return super().compare(expr, op, value)

    def lower(self, expr: str) -> str:
        return 'lower((%s) COLLATE "%s")' % (expr, ICU_COLLATION)

    def lower_value(self, value: str) -> str:
        return value.lower()

    def regex_match(self, expr: str, pattern: str, icase: bool) -> str:
        return '((%s) COLLATE "C" ~ %s)' % (expr, self.bind(postgresql_regex(pattern, icase)))

    def text_contains(self, expr: str, needle: str) -> str:
        return '(strpos(%s, %s) > 0)' % (expr, self.bind(needle))

    def text_startswith(self, expr: str, prefix: str) -> str:
        return 'starts_with(%s, %s)' % (expr, self.bind(prefix))

    def text_endswith(self, expr: str, suffix: str) -> str:
        if not suffix:
            return '(%s IS NOT NULL)' % expr
        return '(right(%s, %s) = %s)' % (expr, self.bind(len(suffix)), self.bind(suffix))

    def fact_rows(self, hf: str, fk: str, key: str) -> tuple:
        # the key's id as a value (bound, or an InitPlan): the (key_id, host_id) primary key then serves
        # both plans, all rows of one key or one row per host of a host-driven join (a join with
        # fact_keys let the planner read every fact of each host and compare their values first)
        return 'host_facts %s' % hf, self.key_test(hf, key)

    def scalar_fact_text(self, value) -> Any:
        if _has_nul(value):
            return None  # no stored fact holds NUL
        # jsonb's text of a string escapes what Python's encoder escapes: the same length
        return json.dumps(value, ensure_ascii=False)

    def fact_value_in(self, column: str, texts: list) -> str:
        if len(texts) == 1:
            return '%s = %s::jsonb' % (column, self.bind(texts[0]))
        return '%s IN (%s)' % (column, ', '.join('%s::jsonb' % self.bind(t) for t in texts))

    # -- JSON: a cursor is a jsonb SQL expression (NULL where the path leads nowhere)
    def json_root(self, doc: str) -> str:
        return doc

    def variables_term(self, term) -> str:
        """``variables__<path>``: the walk over the host's variables, parsed once per host (not once per use).

        Host variables are JSON text, and may hold ``\\u0000`` (jsonb refuses it):
        such strings are cut at their NUL before the cast, as SQLite's JSON
        functions read them (and the Python predicate does).
        """
        leaf, negate = self.term_leaf(term)
        v = self.alias('v')
        doc = ("(CASE WHEN strpos(h.variables, %s) > 0 THEN regexp_replace(h.variables, %s, %s, 'g')"
               " ELSE h.variables END)::jsonb" % (self.bind('\\u0000'), self.bind(_NUL_TO_END_OF_STRING), self.bind('\\1"')))
        pred = self.json_walk('%s.doc' % v, self.walk_ops(term.path, first_member=True), leaf)
        found = 'EXISTS (SELECT 1 FROM (SELECT %s AS doc OFFSET 0) %s WHERE %s)' % (doc, v, pred)
        return '(NOT %s)' % found if negate else found

    def json_walk(self, cursor: Any, ops: list, leaf: Callable, decoded_keys: bool = False) -> str:
        # ``->`` compares decoded keys: no member ever needs a row of its own
        return super().json_walk(cursor, ops, leaf, decoded_keys=False)

    def json_member(self, cursor: str, key: str) -> str:
        return '(%s -> %s::text)' % (cursor, self.bind(key))

    def json_member_row(self, cursor: str, key: str) -> tuple:  # pragma: no cover - json_walk never asks
        raise NotImplementedError('PostgreSQL members are found by their decoded key')

    def json_elements(self, cursor: str) -> tuple:
        j = self.alias('j')
        source = "jsonb_array_elements(CASE WHEN jsonb_typeof(%s) = 'array' THEN %s END) AS %s(value)" % (cursor, cursor, j)
        return source, 'TRUE', '%s.value' % j

    def json_type_in(self, cursor: str, kinds: tuple) -> str:
        names = [_PG_TYPES[k] for k in kinds if k in _PG_TYPES]
        parts = []
        if 'true' in kinds and 'false' in kinds:
            names.append('boolean')
        elif 'true' in kinds:
            parts.append("(%s = 'true'::jsonb)" % cursor)
        elif 'false' in kinds:
            parts.append("(%s = 'false'::jsonb)" % cursor)
        if len(names) == 1:
            parts.append("(jsonb_typeof(%s) = '%s')" % (cursor, names[0]))
        elif names:
            parts.append('(jsonb_typeof(%s) IN (%s))' % (cursor, ', '.join("'%s'" % n for n in names)))
        return self.chain('OR', parts)

    def json_present(self, cursor: str) -> str:
        return "(jsonb_typeof(%s) <> 'null')" % cursor

    def json_scalar(self, cursor: str) -> str:
        """The text of the string at ``cursor`` (NULL for anything else)."""
        return "(CASE WHEN jsonb_typeof(%s) = 'string' THEN %s #>> '{}' END)" % (cursor, cursor)

    def json_number(self, cursor: str) -> str:
        return "(CASE WHEN jsonb_typeof(%s) = 'number' THEN (%s)::numeric END)" % (cursor, cursor)

    def json_leaf(self, cursor: str, lookup: str, value: Any) -> str:
        if lookup in COMPARE_OPS and not isinstance(value, str):
            return '(%s %s %s::numeric)' % (self.json_number(cursor), COMPARE_OPS[lookup], self.bind(self.number(value)))
        if lookup in COMPARE_OPS:
            return self.compare(self.json_scalar(cursor), COMPARE_OPS[lookup], value)
        return super().json_leaf(cursor, lookup, value)

    def number_param(self, value: Any) -> str:
        return '%s::numeric' % self.bind(self.number(value))

    @staticmethod
    def number(value: Any) -> Any:
        """A filter number as PostgreSQL compares it with a stored one: a float as its shortest repr."""
        return Decimal(repr(value)) if isinstance(value, float) else value

    def json_equals(self, cursor: str, values: tuple) -> str:
        texts = list(dict.fromkeys(json.dumps(v) for v in values if not _has_nul(v)))
        if not texts:
            return self.false_literal()
        if len(texts) == 1:
            return '(%s = %s::jsonb)' % (cursor, self.bind(texts[0]))
        return '(%s IN (%s))' % (cursor, ', '.join('%s::jsonb' % self.bind(t) for t in texts))
