# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compile a host_filter syntax tree into a SQL ``WHERE`` expression.

:func:`compile_sql` returns ``(where_sql, params)``; ``where_sql`` is a
boolean expression over the ``hosts`` table aliased ``h``::

    SELECT h.id FROM hosts h WHERE <where_sql>

Every user-supplied value -- including the JSON paths built from fact keys --
is a bound parameter.  The only things written into the SQL text are table
and column names from the whitelists, generated aliases and JSON type names.

:class:`SqlFilterCompiler` holds the portable part (boolean structure,
relations as uncorrelated ``IN (subquery)``, plain-column lookups, the fact
path walk); every dialect-specific spelling is an overridable method.
:class:`SqliteFilterCompiler` implements them for SQLite >= 3.40 with JSON1.
A PostgreSQL compiler only has to subclass and override the hooks.

Three-valued logic: every predicate handed to ``NOT`` is TRUE or FALSE, never
NULL -- relation and fact terms are ``h.id [NOT] IN (subquery)`` over non-NULL
ids, and predicates over the nullable ``ansible_facts_modified`` column are
wrapped in ``COALESCE(..., FALSE)``.

SQLite contract: the connection must have the functions of
:func:`register_sqlite_functions`, and ``host_facts.value`` must be written
with :func:`fact_json_dumps` (``ensure_ascii=False``): SQLite before 3.45
compares JSON path labels with the raw, still escaped, key text, so a
non-ASCII key stored as ``\\uXXXX`` would never be found.

Array containment with equality (``key[]...=value`` with the ``exact`` or
``in`` lookup) reads the ``host_fact_items`` side table instead of the JSON
(:meth:`SqlFilterCompiler.fact_items_term`); every writer of ``host_facts``
must keep that table in step through :func:`fact_items.item_rows`.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Callable, NamedTuple, Optional

from ansible_collections.fleet.inventory.plugins.module_utils.fact_items import ARRAY_STEP, item_path, item_value
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import (
    NULLABLE,
    SEARCH_FIELDS,
    And,
    Node,
    Not,
    Or,
    Term,
)

__all__ = [
    'SqlFilterCompiler', 'SqliteFilterCompiler', 'compile_sql',
    'register_sqlite_functions', 'fact_json_dumps', 'COMPILERS',
]

_MARKER_RE = re.compile('\x00([0-9]+)\x00')
_COMPARE_OPS = {'gt': '>', 'gte': '>=', 'lt': '<', 'lte': '<='}

# Abstract JSON kinds used by the portable fact code.
JSON_KINDS = ('null', 'true', 'false', 'number', 'string', 'array', 'object')


def fact_json_dumps(value: Any) -> str:
    """Serialise one top-level fact value for ``host_facts.value``."""
    return json.dumps(value, ensure_ascii=False, separators=(',', ':'), allow_nan=False)


class JsonCursor(NamedTuple):
    """A position inside a JSON document, in dialect-specific terms.

    For SQLite: ``doc`` is the SQL expression of the document, ``prefix`` an
    optional SQL expression producing a JSON path, and ``suffix`` the rest of
    the path as plain text (bound when used).  ``element``, when set, is the
    alias of a ``json_each`` row and the cursor denotes that row's value.
    """
    doc: str
    prefix: Optional[str]
    suffix: str
    element: Optional[str] = None


class SqlFilterCompiler:
    """Portable part of the compiler.  Subclasses implement the hooks."""

    dialect = ''

    def __init__(self) -> None:
        self.params: list = []
        self._alias = 0

    # ------------------------------------------------------------------
    # entry point
    # ------------------------------------------------------------------
    def compile(self, node: Node) -> tuple:
        self.params = []
        self._alias = 0
        sql = self.node(node)
        # Fragments are built inside out, so parameters are bound as
        # markers and put in textual order here.
        ordered = []

        def place(match):
            ordered.append(self.params[int(match.group(1))])
            return self.placeholder()
        sql = _MARKER_RE.sub(place, sql)
        return sql, ordered

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    def bind(self, value: Any) -> str:
        """Bind ``value``; returns a marker that :meth:`compile` turns into a placeholder."""
        self.params.append(value)
        return '\x00%d\x00' % (len(self.params) - 1)

    def alias(self, stem: str) -> str:
        self._alias += 1
        return '%s%d' % (stem, self._alias)

    def chain(self, op: str, parts: list) -> str:
        """``(a OP b OP ...)`` as a balanced tree (keeps SQL expression depth logarithmic)."""
        if len(parts) == 1:
            return parts[0]
        mid = len(parts) // 2
        return '(%s %s %s)' % (self.chain(op, parts[:mid]), op, self.chain(op, parts[mid:]))

    # ------------------------------------------------------------------
    # boolean structure
    # ------------------------------------------------------------------
    def node(self, node: Node) -> str:
        if isinstance(node, And):
            return self.chain('AND', [self.node(item) for item in node.items])
        if isinstance(node, Or):
            return self.chain('OR', [self.node(item) for item in node.items])
        if isinstance(node, Not):
            return '(NOT %s)' % self.node(node.item)
        if isinstance(node, Term):
            return self.term(node)
        raise TypeError('not a host_filter node: %r' % (node,))

    def term(self, term: Term) -> str:
        if term.kind == 'json':
            return self.fact_term(term)
        if term.relation is None:
            return self.host_term(term)
        return self.relation_term(term)

    # ------------------------------------------------------------------
    # host columns
    # ------------------------------------------------------------------
    def host_term(self, term: Term) -> str:
        if term.field == 'search':
            return self.search_predicate('h', term.value)
        pred = self.column_predicate('h.%s' % term.field, term.kind, term.lookup, term.value)
        if term.field in NULLABLE and term.lookup != 'isnull':
            pred = self.coalesce_false(pred)
        return pred

    def column_predicate(self, column: str, kind: str, lookup: str, value: Any) -> str:
        """Predicate for ``column <lookup> value`` (TRUE/FALSE unless the column is NULL)."""
        if lookup == 'isnull':
            return '(%s IS %sNULL)' % (column, '' if value else 'NOT ')
        if lookup == 'exact':
            return '(%s = %s)' % (column, self.bind(self.column_value(kind, value)))
        if lookup == 'in':
            marks = ', '.join(self.bind(self.column_value(kind, v)) for v in value)
            return '(%s IN (%s))' % (column, marks)
        if lookup in _COMPARE_OPS:
            return '(%s %s %s)' % (column, _COMPARE_OPS[lookup], self.bind(value))
        return self.text_predicate(column, lookup, value)

    def column_value(self, kind: str, value: Any) -> Any:
        return self.bool_value(value) if kind == 'bool' else value

    def text_predicate(self, expr: str, lookup: str, value: str) -> str:
        """Text lookups (iexact, [i]contains, [i]startswith, [i]endswith, [i]regex)."""
        if lookup == 'exact':
            return '(%s = %s)' % (expr, self.bind(value))
        if lookup in ('regex', 'iregex'):
            return self.regex_match(expr, value, lookup == 'iregex')
        if lookup.startswith('i'):
            expr = self.lower(expr)
            value = self.lower_value(value)
            lookup = lookup[1:]
        if lookup == 'exact':
            return '(%s = %s)' % (expr, self.bind(value))
        if lookup == 'contains':
            return self.text_contains(expr, value)
        if lookup == 'startswith':
            return self.text_startswith(expr, value)
        if lookup == 'endswith':
            return self.text_endswith(expr, value)
        raise ValueError('unsupported text lookup %r' % lookup)

    # ------------------------------------------------------------------
    # relations
    # ------------------------------------------------------------------
    def relation_term(self, term: Term) -> str:
        rel = term.relation
        if term.lookup == 'isnull':
            return self.relation_isnull(rel, term.value)
        if rel == 'inventory':
            i = self.alias('i')
            return '(h.inventory_id IN (SELECT %s.id FROM inventories %s WHERE %s))' % (
                i, i, self.related_predicate(i, term))
        if rel == 'groups':
            gh = self.alias('gh')
            if term.field == 'id':
                return '(h.id IN (SELECT %s.host_id FROM group_hosts %s WHERE %s))' % (
                    gh, gh, self.column_predicate('%s.group_id' % gh, 'int', term.lookup, term.value))
            g = self.alias('g')
            return '(h.id IN (SELECT %s.host_id FROM group_hosts %s JOIN groups %s ON %s.id = %s.group_id WHERE %s))' % (
                gh, gh, g, g, gh, self.related_predicate(g, term))
        if rel == 'all_groups':
            return '(h.id IN (SELECT %s))' % self.all_groups_hosts(term)
        raise ValueError('unknown relation %r' % rel)

    def related_predicate(self, table: str, term: Term) -> str:
        if term.field == 'search':
            return self.search_predicate(table, term.value)
        return self.column_predicate('%s.%s' % (table, term.field), term.kind, term.lookup, term.value)

    def relation_isnull(self, relation: str, isnull: bool) -> str:
        """Django semantics: ``groups__isnull=true`` = the host has no related row."""
        if relation == 'inventory':
            return self.false_literal() if isnull else self.true_literal()
        gh = self.alias('gh')
        return '(h.id %sIN (SELECT %s.host_id FROM group_hosts %s))' % ('NOT ' if isnull else '', gh, gh)

    def all_groups_hosts(self, term: Term) -> str:
        """Host ids in a group matching ``term`` or in any descendant of one.

        One uncorrelated recursive CTE; ``UNION`` (not ``UNION ALL``) makes
        it terminate on cycles in ``group_children``.
        """
        cte, g, gc, gh = self.alias('ag'), self.alias('g'), self.alias('gc'), self.alias('gh')
        return ('%(gh)s.host_id FROM group_hosts %(gh)s WHERE %(gh)s.group_id IN ('
                'WITH RECURSIVE %(cte)s(id) AS ('
                'SELECT %(g)s.id FROM groups %(g)s WHERE %(pred)s '
                'UNION SELECT %(gc)s.child_id FROM group_children %(gc)s JOIN %(cte)s ON %(gc)s.parent_id = %(cte)s.id) '
                'SELECT id FROM %(cte)s)') % dict(
                    gh=gh, cte=cte, g=g, gc=gc, pred=self.related_predicate(g, term))

    # ------------------------------------------------------------------
    # search
    # ------------------------------------------------------------------
    def search_predicate(self, table: str, value: str) -> str:
        """``search=``: any of SEARCH_FIELDS icontains ``value``."""
        return self.chain('OR', [self.text_predicate('%s.%s' % (table, f), 'icontains', value) for f in SEARCH_FIELDS])

    # ------------------------------------------------------------------
    # facts
    # ------------------------------------------------------------------
    def fact_term(self, term: Term) -> str:
        steps = term.path
        if term.lookup in ('exact', 'in') and any(step.array for step in steps):
            return self.fact_items_term(steps, (term.value,) if term.lookup == 'exact' else term.value)
        if term.lookup == 'isnull':
            leaf = self.json_present
            negate = term.value
        else:
            def leaf(cursor):
                return self.json_leaf(cursor, term.lookup, term.value)
            negate = False
        hf, fk = self.alias('hf'), self.alias('fk')
        root = self.json_root('%s.value' % hf)
        key = self.bind(steps[0].key)
        pred = self.fact_walk(root, steps, 0, leaf)
        return '(h.id %sIN (SELECT %s.host_id FROM host_facts %s JOIN fact_keys %s ON %s.id = %s.key_id WHERE %s.name = %s AND %s))' % (
            'NOT ' if negate else '', hf, hf, fk, fk, hf, fk, key, pred)

    def fact_items_term(self, steps: tuple, values: tuple) -> str:
        """Array containment with type-strict equality, from the ``host_fact_items`` side table.

        ``key[]__sub=value`` holds when some scalar leaf reached through the
        path equals ``value``: one indexed lookup of (key, path signature,
        normalized value) -- see :mod:`fact_items` -- instead of walking every
        host's array.  Uncorrelated, so the planner runs it once.
        """
        signature = []
        for index, step in enumerate(steps):
            if index:
                signature.append(step.key)
            if step.array:
                signature.append(ARRAY_STEP)
        texts = list(dict.fromkeys(item_value(v) for v in values))
        if not texts:
            return self.false_literal()
        x, fk = self.alias('x'), self.alias('fk')
        if len(texts) == 1:
            test = '%s.value = %s' % (x, self.bind(texts[0]))
        else:
            test = '%s.value IN (%s)' % (x, ', '.join(self.bind(t) for t in texts))
        return ('(h.id IN (SELECT %s.host_id FROM host_fact_items %s WHERE %s.key_id = (SELECT %s.id FROM fact_keys %s'
                ' WHERE %s.name = %s) AND %s.path = %s AND %s))') % (
                    x, x, x, fk, fk, fk, self.bind(steps[0].key), x, self.bind(item_path(signature)), test)

    def fact_walk(self, cursor: Any, steps: tuple, index: int, leaf: Callable) -> str:
        """Predicate: the value at ``cursor`` (the value of ``steps[index].key``) continues the match."""
        step = steps[index]

        def rest(element):
            if index + 1 == len(steps):
                return leaf(element)
            return self.fact_walk(self.json_member(element, steps[index + 1].key), steps, index + 1, leaf)

        if step.array:
            return self.json_array_any(cursor, rest)
        return rest(cursor)

    def json_leaf(self, cursor: Any, lookup: str, value: Any) -> str:
        """Predicate on the JSON value at ``cursor`` (FALSE or NULL when no match)."""
        if lookup == 'exact':
            return self.json_equals(cursor, (value,))
        if lookup == 'in':
            return self.json_equals(cursor, value)
        if lookup in _COMPARE_OPS:
            kind = 'string' if isinstance(value, str) else 'number'
            return '(%s AND %s)' % (self.json_type_in(cursor, (kind,)), '(%s %s %s)' % (
                self.json_scalar(cursor), _COMPARE_OPS[lookup], self.bind(value)))
        return '(%s AND %s)' % (self.json_type_in(cursor, ('string',)),
                                self.text_predicate(self.json_scalar(cursor), lookup, value))

    def json_equals(self, cursor: Any, values: tuple) -> str:
        """Type-strict equality with any of ``values`` (jsonb containment of a scalar)."""
        parts = []
        strings = [v for v in values if isinstance(v, str)]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
        kinds = []
        if None in values:
            kinds.append('null')
        if any(v is True for v in values):
            kinds.append('true')
        if any(v is False for v in values):
            kinds.append('false')
        if kinds:
            parts.append(self.json_type_in(cursor, tuple(kinds)))
        for kind, group in (('string', strings), ('number', numbers)):
            if group:
                scalar = self.json_scalar(cursor)
                if len(group) == 1:
                    test = '(%s = %s)' % (scalar, self.bind(group[0]))
                else:
                    test = '(%s IN (%s))' % (scalar, ', '.join(self.bind(v) for v in group))
                parts.append('(%s AND %s)' % (self.json_type_in(cursor, (kind,)), test))
        return self.chain('OR', parts)

    # ------------------------------------------------------------------
    # dialect hooks
    # ------------------------------------------------------------------
    def placeholder(self) -> str:
        raise NotImplementedError

    def true_literal(self) -> str:
        return 'TRUE'

    def false_literal(self) -> str:
        return 'FALSE'

    def coalesce_false(self, pred: str) -> str:
        return 'COALESCE(%s, %s)' % (pred, self.false_literal())

    def bool_value(self, value: bool) -> Any:
        return bool(value)

    def lower(self, expr: str) -> str:
        raise NotImplementedError

    def lower_value(self, value: str) -> str:
        raise NotImplementedError

    def regex_match(self, expr: str, pattern: str, icase: bool) -> str:
        raise NotImplementedError

    def text_contains(self, expr: str, needle: str) -> str:
        raise NotImplementedError

    def text_startswith(self, expr: str, prefix: str) -> str:
        raise NotImplementedError

    def text_endswith(self, expr: str, suffix: str) -> str:
        raise NotImplementedError

    def json_root(self, doc: str) -> Any:
        """Cursor at the root of the JSON document in column expression ``doc``."""
        raise NotImplementedError

    def json_member(self, cursor: Any, key: str) -> Any:
        """Cursor at member ``key`` of the object at ``cursor`` (nothing if not an object)."""
        raise NotImplementedError

    def json_array_any(self, cursor: Any, element_pred: Callable) -> str:
        """TRUE when the value at ``cursor`` is an array with an element satisfying ``element_pred(cursor)``."""
        raise NotImplementedError

    def json_type_in(self, cursor: Any, kinds: tuple) -> str:
        """TRUE when the value at ``cursor`` exists and is one of the abstract ``kinds`` (see JSON_KINDS)."""
        raise NotImplementedError

    def json_present(self, cursor: Any) -> str:
        """TRUE when the value at ``cursor`` exists and is not JSON null."""
        return self.json_type_in(cursor, tuple(k for k in JSON_KINDS if k != 'null'))

    def json_scalar(self, cursor: Any) -> str:
        """The SQL value of the scalar at ``cursor`` (text for strings, numeric for numbers)."""
        raise NotImplementedError


class SqliteFilterCompiler(SqlFilterCompiler):
    """SQLite 3.40+ (JSON1, no JSONB).  Needs :func:`register_sqlite_functions`."""

    dialect = 'sqlite'
    _SQLITE_TYPES = {
        'null': ('null',), 'true': ('true',), 'false': ('false',),
        'number': ('integer', 'real'), 'string': ('text',),
        'array': ('array',), 'object': ('object',),
    }

    def placeholder(self) -> str:
        return '?'

    def true_literal(self) -> str:
        return '1'

    def false_literal(self) -> str:
        return '0'

    def bool_value(self, value: bool) -> Any:
        return 1 if value else 0

    def lower(self, expr: str) -> str:
        return 'py_lower(%s)' % expr

    def lower_value(self, value: str) -> str:
        return value.lower()

    def regex_match(self, expr: str, pattern: str, icase: bool) -> str:
        return '%s(%s, %s)' % ('iregexp' if icase else 'regexp', self.bind(pattern), expr)

    def text_contains(self, expr: str, needle: str) -> str:
        return '(instr(%s, %s) > 0)' % (expr, self.bind(needle))

    def text_startswith(self, expr: str, prefix: str) -> str:
        return '(substr(%s, 1, %s) = %s)' % (expr, self.bind(len(prefix)), self.bind(prefix))

    def text_endswith(self, expr: str, suffix: str) -> str:
        if not suffix:
            return '(%s IS NOT NULL)' % expr
        return '(substr(%s, %s) = %s)' % (expr, self.bind(-len(suffix)), self.bind(suffix))

    # -- JSON
    def json_path(self, cursor: JsonCursor) -> str:
        if cursor.prefix is None:
            return self.bind('$' + cursor.suffix)
        if cursor.suffix:
            return '(%s || %s)' % (cursor.prefix, self.bind(cursor.suffix))
        return cursor.prefix

    def json_root(self, doc: str) -> JsonCursor:
        return JsonCursor(doc, None, '')

    def json_document(self, cursor: JsonCursor) -> JsonCursor:
        """A path-based cursor for ``cursor`` (turns a json_each element into a document)."""
        if cursor.element is None:
            return cursor
        # A container element's value is its JSON text; a primitive can have
        # no member, so it becomes an empty object (never unparseable text).
        doc = "(CASE %s.type WHEN 'object' THEN %s.value ELSE json_object() END)" % (cursor.element, cursor.element)
        return JsonCursor(doc, None, '')

    def json_member(self, cursor: JsonCursor, key: str) -> JsonCursor:
        # Keys never contain '"' or '\\' (the parser rejects them), so a
        # quoted label is exact; quoting also covers dots, spaces, brackets.
        cursor = self.json_document(cursor)
        return cursor._replace(suffix='%s."%s"' % (cursor.suffix, key))

    def json_array_any(self, cursor: JsonCursor, element_pred: Callable) -> str:
        if cursor.element is not None:  # pragma: no cover - a fact path never has two [] in a row
            raise ValueError('nested array step without a key')
        j = self.alias('j')
        each = 'json_each(%s, %s)' % (cursor.doc, self.json_path(cursor))
        # json_each also walks objects (text keys) and yields one row for a
        # primitive (NULL key): only array elements have integer keys.  The
        # element is read from the json_each row (type/atom/value), so the
        # document is not parsed again per element.
        element = JsonCursor('', None, '', j)
        return "EXISTS (SELECT 1 FROM %s AS %s WHERE typeof(%s.key) = 'integer' AND %s)" % (each, j, j, element_pred(element))

    def _json_type_expr(self, cursor: JsonCursor) -> str:
        if cursor.element is not None:
            return '%s.type' % cursor.element
        return 'json_type(%s, %s)' % (cursor.doc, self.json_path(cursor))

    def json_type_in(self, cursor: JsonCursor, kinds: tuple) -> str:
        names = [n for k in kinds for n in self._SQLITE_TYPES[k]]
        expr = self._json_type_expr(cursor)
        if len(names) == 1:
            return "(%s = '%s')" % (expr, names[0])
        return '(%s IN (%s))' % (expr, ', '.join("'%s'" % n for n in names))

    def json_present(self, cursor: JsonCursor) -> str:
        return "(%s <> 'null')" % self._json_type_expr(cursor)

    def json_scalar(self, cursor: JsonCursor) -> str:
        if cursor.element is not None:
            return '%s.atom' % cursor.element
        return 'json_extract(%s, %s)' % (cursor.doc, self.json_path(cursor))


COMPILERS = {'sqlite': SqliteFilterCompiler}


def compile_sql(node: Node, dialect: str = 'sqlite') -> tuple:
    """Compile ``node`` to ``(where_sql, params)`` for ``SELECT h.id FROM hosts h WHERE ...``."""
    try:
        compiler = COMPILERS[dialect]()
    except KeyError:
        raise ValueError('unsupported SQL dialect %r (known: %s)' % (dialect, ', '.join(sorted(COMPILERS)))) from None
    return compiler.compile(node)


# ----------------------------------------------------------------------
# SQLite functions
# ----------------------------------------------------------------------

@lru_cache(maxsize=256)
def _compiled(pattern: str, flags: int):
    return re.compile(pattern, flags)


def _regexp(pattern, value):
    if not isinstance(value, str) or not isinstance(pattern, str):
        return 0
    return 1 if _compiled(pattern, 0).search(value) else 0


def _iregexp(pattern, value):
    if not isinstance(value, str) or not isinstance(pattern, str):
        return 0
    return 1 if _compiled(pattern, re.IGNORECASE).search(value) else 0


def _py_lower(value):
    return value.lower() if isinstance(value, str) else value


def register_sqlite_functions(conn) -> None:
    """Register ``regexp``, ``iregexp`` and ``py_lower`` (Python semantics) on ``conn``."""
    conn.create_function('regexp', 2, _regexp, deterministic=True)
    conn.create_function('iregexp', 2, _iregexp, deterministic=True)
    conn.create_function('py_lower', 1, _py_lower, deterministic=True)
