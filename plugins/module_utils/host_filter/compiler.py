# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The part of the host_filter SQL compilers that every database shares.

A compiler turns a syntax tree (:mod:`ast`) into ``(where_sql, params)``;
``where_sql`` is a boolean expression over the ``hosts`` table aliased ``h``::

    SELECT h.id FROM hosts h WHERE <where_sql>

Every user-supplied value -- including the JSON paths built from fact keys --
is a bound parameter (written ``?``; the store's backend turns it into its
driver's placeholder).  The only things written into the SQL text are table
and column names from the whitelists, generated aliases and JSON type names.

:class:`SqlFilterCompiler` holds the portable part (boolean structure,
relations as uncorrelated ``IN (subquery)``, plain-column lookups, the fact
path walk, array containment through ``host_fact_items``); every
database-specific spelling is a hook method that raises NotImplementedError
here.  :mod:`compile_sqlite` and :mod:`compile_postgresql` implement them.

Three-valued logic: every predicate handed to ``NOT`` is TRUE or FALSE, never
NULL -- relation and fact terms are ``h.id [NOT] IN (subquery)`` over non-NULL
ids, and predicates over the nullable ``ansible_facts_modified`` column are
wrapped in ``COALESCE(..., FALSE)``.

Array containment with equality (``key[]...=value`` with the ``exact`` or
``in`` lookup) reads the ``host_fact_items`` side table instead of the JSON
(:meth:`SqlFilterCompiler.fact_items_term`); every writer of ``host_facts``
must keep that table in step through :func:`fact_items.item_rows`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any, Callable

from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import (
    ARRAY_STEP, SHORT_TEXT, item_path, item_value, short_scalar_sql)
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import And, Node, Not, Or, Term, walk_terms
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.fields import FACTS_FIELD, NULLABLE, SEARCH_FIELDS

__all__ = ['SqlFilterCompiler', 'JSON_KINDS', 'COMPARE_OPS', 'indexed_fact_equality']

_MARKER_RE = re.compile('\x00([0-9]+)\x00')
COMPARE_OPS = {'gt': '>', 'gte': '>=', 'lt': '<', 'lte': '<='}


def _scalar(value) -> bool:
    return value is None or isinstance(value, (str, int, float))


def _values(term: Term) -> tuple:
    """The values an ``exact`` or ``in`` term compares with."""
    return (term.value,) if term.lookup == 'exact' else tuple(term.value)


def indexed_fact_equality(term: Term) -> bool:
    """Whether ``term`` is an ``exact``/``in`` fact term that the SQL compilers answer from an index:
    a top-level fact (``host_facts_value``, ``host_facts_num``) or a member of a top-level object whose
    values a member leaf row can hold (``host_fact_items``, :func:`fact_items.member_item`).

    Such a term compares whole strings, as array containment does (the Python predicate follows:
    elsewhere a JSON string is read as SQLite's JSON functions return it, cut at a NUL).
    """
    if term.field != FACTS_FIELD or term.lookup not in ('exact', 'in') or any(step.array for step in term.path):
        return False
    values = (term.value,) if term.lookup == 'exact' else tuple(term.value)
    if not all(_scalar(v) for v in values):
        return False
    if len(term.path) == 1:
        return True
    return len(term.path) == 2 and bool(values) and all(len(item_value(v)) <= SHORT_TEXT for v in values)


# Abstract JSON kinds used by the portable fact code.
JSON_KINDS = ('null', 'true', 'false', 'number', 'string', 'array', 'object')


class SqlFilterCompiler:
    """Portable part of the compiler.  Subclasses implement the hooks."""

    dialect = ''

    #: the most group ids one ``groups__`` term is written with (more: the term joins ``groups``)
    MAX_GROUP_IDS = 100

    def __init__(self, key_ids: dict = None, group_ids: dict = None) -> None:
        #: ``{fact key: id}`` resolved by the store before compiling (PostgreSQL), or None: looked up in the SQL
        self.key_ids = key_ids
        #: ``{term: [group id, ...]}`` of ``groups__`` terms (see :func:`group_terms`) resolved by the store before
        #: compiling (PostgreSQL), or None: each such term joins ``groups``
        self.group_ids = group_ids or {}
        self.params: list = []
        self.ctes: list = []
        self._alias = 0
        self.subqueries = 0

    # ------------------------------------------------------------------
    # entry point
    # ------------------------------------------------------------------
    def compile(self, node: Node) -> tuple:
        self.params = []
        self._alias = 0
        self.ctes = []
        self.subqueries = sum(1 for term in walk_terms(node) if term.relation is not None or term.field == FACTS_FIELD)
        sql = self.node(node)[0]
        if self.ctes:
            sql = '(h.id IN (WITH %s SELECT h.id FROM hosts h WHERE %s))' % (', '.join(self.ctes), sql)
        return self.finish(sql)

    def finish(self, sql: str) -> tuple:
        """``(sql, params)`` of SQL written with :meth:`bind` markers: placeholders, and the values in textual order
        (fragments are built inside out, so the parameters are bound as markers and put in order here)."""
        ordered = []

        def place(match):
            ordered.append(self.params[int(match.group(1))])
            return self.placeholder()
        return _MARKER_RE.sub(place, sql), ordered

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

    #: items joined flat (``a AND b AND c``) before grouping: SQLite parses a
    #: flat chain in constant stack but builds a left-deep expression tree
    CHAIN_FLAT = 8
    #: boolean levels a fragment may hold before it becomes a CTE (see :meth:`node`)
    HOIST_LEVELS = 5
    #: terms a fragment may hold before it is split into CTEs
    HOIST_TERMS = 200

    def chain(self, op: str, parts: list) -> str:
        """``(a OP b OP ...)``: flat runs of :attr:`CHAIN_FLAT`, grouped as a balanced tree.

        Flat runs keep SQLite's parser stack shallow; the balanced grouping keeps
        the expression tree's height (at most 1,000 in SQLite) logarithmic.
        """
        if len(parts) == 1:
            return parts[0]
        if len(parts) <= self.CHAIN_FLAT:
            return '(%s)' % (' %s ' % op).join(parts)
        size = -(-len(parts) // self.CHAIN_FLAT)
        return self.chain(op, [self.chain(op, parts[i:i + size]) for i in range(0, len(parts), size)])

    # ------------------------------------------------------------------
    # boolean structure
    # ------------------------------------------------------------------
    def operands(self, node: Node) -> list:
        """The items of an And/Or, with nested nodes of the same kind merged in and ``not not`` folded.

        In an Or, the ``exact``/``in`` fact terms of one path that :meth:`merges_equality`
        accepts become one ``in`` term where the first of them stood: ``key="a" or
        key="b"`` holds exactly when ``key__in=a,b`` does (an ``in`` term is the OR of
        its values' equalities, in the SQL and in the Python predicate), and is one
        index range to read, or one probe of a candidate host, instead of two.
        """
        kind = And if isinstance(node, And) else Or
        out, todo = [], list(reversed(node.items))
        while todo:
            item = todo.pop()
            while isinstance(item, Not) and isinstance(item.item, Not):
                item = item.item.item
            if isinstance(item, kind):
                todo.extend(reversed(item.items))
            else:
                out.append(item)
        if kind is And:
            return out
        merged, first = [], {}
        for item in out:
            if (isinstance(item, Term) and item.field == FACTS_FIELD and item.lookup in ('exact', 'in') and item.path
                    and self.merges_equality(item)):
                at = first.get(item.path)
                if at is not None:
                    merged[at] = dataclasses.replace(merged[at], lookup='in', value=_values(merged[at]) + _values(item))
                    continue
                first[item.path] = len(merged)
            merged.append(item)
        return merged

    def merges_equality(self, term: Term) -> bool:  # pylint: disable=unused-argument
        """Whether an Or merges this fact equality with the others of its path (see :meth:`operands`): the
        backends say yes where the merged ``in`` is one index range (none here)."""
        return False

    def node(self, node: Node) -> tuple:
        """``(sql, levels, terms)``: the predicate of ``node``, how many boolean levels its SQL
        nests and how many terms it holds.

        ``not not x`` is ``x``; nested ``and``s (``or``s) are one n-ary ``AND``
        (``OR``).  A fragment nesting more than :attr:`HOIST_LEVELS` levels, or
        holding more than :attr:`HOIST_TERMS` terms, becomes a CTE
        (``cteN(id) AS (SELECT h.id FROM hosts h WHERE ...)``) that the filter
        refers to as ``h.id IN (SELECT id FROM cteN)``.  The CTEs are siblings
        in one ``WITH``, so the SQL never nests deeper than a few levels and no
        ``WHERE`` grows past a few hundred terms, whatever the filter: SQLite's
        parser stack holds about 100 entries (31 nested ``(a AND (b OR ...``
        overflowed it) and its planner gives up on expressions of about 1,000
        levels.
        """
        negate = False
        while isinstance(node, Not):
            negate = not negate
            node = node.item
        if isinstance(node, (And, Or)):
            op = 'AND' if isinstance(node, And) else 'OR'
            items = self.operands(node)
            parts = [self.node(item) for item in items]
            if op == 'AND':
                parts = self.conjunction(items, parts)
            if sum(p[2] for p in parts) > self.HOIST_TERMS:
                parts = self.hoist_groups(op, parts)
            sql = self.chain(op, [p[0] for p in parts])
            level = 1 + max(p[1] for p in parts)
            terms = sum(p[2] for p in parts)
        elif isinstance(node, Term):
            sql, level, terms = self.term(node), 0, 1
        else:
            raise TypeError('not a host_filter node: %r' % (node,))
        if negate:
            sql, level = '(NOT %s)' % sql, level + 1
        if level > self.HOIST_LEVELS:
            sql, level, terms = self.hoist(sql), 0, 1
        return sql, level, terms

    def conjunction(self, items: list, parts: list) -> list:
        """The compiled ``parts`` of an AND's ``items``, rewritten for how this database plans them (as they are here)."""
        return parts

    def hoist(self, sql: str) -> str:
        """Make ``sql`` a CTE; returns the predicate that refers to it."""
        cte = self.alias('cte')
        self.ctes.append('%s(id) AS (SELECT h.id FROM hosts h WHERE %s)' % (cte, sql))
        return '(h.id IN (SELECT id FROM %s))' % cte

    def hoist_groups(self, op: str, parts: list) -> list:
        """``parts`` of one AND/OR regrouped: consecutive runs of at most HOIST_TERMS terms, each a CTE."""
        out, run, weight = [], [], 0
        for part in parts + [None]:
            if part is None or (run and weight + part[2] > self.HOIST_TERMS):
                if len(run) > 1:
                    out.append((self.hoist(self.chain(op, [p[0] for p in run])), 0, 1))
                else:
                    out.extend(run)
                run, weight = [], 0
            if part is not None:
                run.append(part)
                weight += part[2]
        return out

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
        if lookup in COMPARE_OPS:
            return self.compare(column, COMPARE_OPS[lookup], value)
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
            return '(h.inventory_id IN (SELECT %s.id FROM inventories %s WHERE %s%s))' % (
                i, i, self.related_predicate(i, term), self.fence())
        if rel == 'groups':
            gh = self.alias('gh')
            if term.field == 'id':
                return '(h.id IN (SELECT %s.host_id FROM group_hosts %s WHERE %s%s))' % (
                    gh, gh, self.column_predicate('%s.group_id' % gh, 'int', term.lookup, term.value), self.fence())
            ids = self.group_ids.get(term)
            if ids is not None and len(ids) <= self.MAX_GROUP_IDS:
                if not ids:
                    return self.false_literal()
                return '(h.id IN (SELECT %s.host_id FROM group_hosts %s WHERE %s%s))' % (
                    gh, gh, self.column_predicate('%s.group_id' % gh, 'int', 'in', tuple(ids)), self.fence())
            g = self.alias('g')
            return '(h.id IN (SELECT %s.host_id FROM group_hosts %s JOIN groups %s ON %s.id = %s.group_id WHERE %s%s))' % (
                gh, gh, g, g, gh, self.related_predicate(g, term), self.fence())
        if rel == 'all_groups':
            return '(h.id IN (SELECT %s%s))' % (self.all_groups_hosts(term), self.fence())
        raise ValueError('unknown relation %r' % rel)

    def group_select(self, term: Term) -> tuple:
        """``(sql, params)``: ``SELECT g.id FROM groups g WHERE ...``, the ids of the groups a ``groups__`` term names."""
        self.params = []
        return self.finish('SELECT g.id FROM groups g WHERE %s' % self.related_predicate('g', term))

    def related_predicate(self, table: str, term: Term) -> str:
        if term.field == 'search':
            return self.search_predicate(table, term.value)
        return self.column_predicate('%s.%s' % (table, term.field), term.kind, term.lookup, term.value)

    def relation_isnull(self, relation: str, isnull: bool) -> str:
        """Django semantics: ``groups__isnull=true`` = the host has no related row."""
        if relation == 'inventory':
            return self.false_literal() if isnull else self.true_literal()
        gh = self.alias('gh')
        return '(h.id %sIN (SELECT %s.host_id FROM group_hosts %s%s))' % ('NOT ' if isnull else '', gh, gh, self.fence())

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
        if term.field != FACTS_FIELD:
            return self.variables_term(term)
        steps = term.path
        if term.lookup in ('exact', 'in'):
            values = (term.value,) if term.lookup == 'exact' else tuple(term.value)
            if any(step.array for step in steps):
                return self.fact_items_term(steps, values)
            if indexed_fact_equality(term):
                if len(steps) == 2:  # a short scalar member of a top-level object: a leaf row (fact_items.member_item)
                    return self.fact_items_term(steps, values)
                return self.fact_scalar_term(steps[0].key, values)
        if (term.lookup in COMPARE_OPS and len(steps) == 1 and not steps[0].array and isinstance(term.value, (int, float))
                and not isinstance(term.value, bool)):
            return self.fact_number_term(steps[0].key, COMPARE_OPS[term.lookup], term.value)
        leaf, negate = self.term_leaf(term)
        hf, fk = self.alias('hf'), self.alias('fk')
        root = self.json_root('%s.value' % hf)
        source, key_test = self.fact_rows(hf, fk, steps[0].key)
        pred = self.json_walk(root, self.walk_ops(steps, first_member=False), leaf)
        return '(h.id %sIN (SELECT %s.host_id FROM %s WHERE %s AND %s%s))' % (
            'NOT ' if negate else '', hf, source, key_test, pred, self.fence())

    def fact_number_term(self, key: str, op: str, value: Any) -> str:
        """A number comparison on a top-level fact: one range of the partial index ``host_facts_num``.

        ``host_facts.num`` holds the value of every top-level fact that is a
        JSON number (NULL for anything else: strings, booleans, containers, see
        :func:`fact_items.fact_number`), so ``num <op> value`` is exactly "a
        number, and <op> value" of the Python predicate.
        """
        hf = self.alias('hf')
        return '(h.id IN (SELECT %s.host_id FROM host_facts %s WHERE %s AND %s.num %s %s%s))' % (
            hf, hf, self.key_test(hf, key), hf, op, self.number_param(value), self.fence())

    def fact_scalar_term(self, key: str, values: tuple) -> str:
        """Type-strict equality of a top-level fact with scalars: index ranges, not a read of every row of the key.

        Strings, booleans and null compare the stored value itself (SQLite: the
        canonical JSON text, which is unique for a scalar; PostgreSQL: ``jsonb``
        equality), whole strings (see :func:`indexed_fact_equality`); a value
        whose text is at most ``SHORT_TEXT`` characters is looked up in the
        partial index ``host_facts_value`` (the query repeats its condition,
        :func:`fact_items.short_scalar_sql`: an equal stored value has the same
        text, so it is in the index), a longer one over the rows of the key.
        Numbers compare ``host_facts.num`` (the index ``host_facts_num``), which
        is exactly "a JSON number equal to it"; a number outside the 64-bit
        range (or not finite) is compared as JSON, as before.
        """
        short, long_, numbers, odd = [], [], [], []
        for value in values:
            if isinstance(value, bool) or value is None or isinstance(value, str):
                text = self.scalar_fact_text(value)
                if text is not None:  # None: nothing equals it (PostgreSQL: a NUL)
                    (short if len(text) <= SHORT_TEXT else long_).append(text)
            elif self.exact_number(value):
                numbers.append(value)
            else:
                odd.append(value)
        parts = []
        if short:
            parts.append(lambda hf, texts=tuple(dict.fromkeys(short)): '%s AND %s' % (
                self.fact_value_in('%s.value' % hf, texts), short_scalar_sql('%s.value' % hf, self.dialect)))
        if long_:
            parts.append(lambda hf, texts=tuple(dict.fromkeys(long_)): self.fact_value_in('%s.value' % hf, texts))
        if numbers:
            parts.append(lambda hf, group=tuple(dict.fromkeys(numbers)): '%s.num IN (%s) AND %s.num IS NOT NULL' % (
                hf, ', '.join(self.number_param(v) for v in group), hf))
        if odd:
            parts.append(lambda hf, group=tuple(odd): self.json_equals(self.json_root('%s.value' % hf), group))
        if not parts:
            return self.false_literal()
        out = []
        for part in parts:
            hf = self.alias('hf')
            out.append('(h.id IN (SELECT %s.host_id FROM host_facts %s WHERE %s AND %s%s))' % (
                hf, hf, self.key_test(hf, key), part(hf), self.fence()))
        return self.chain('OR', out)

    def scalar_fact_text(self, value) -> Any:
        """The stored text of a top-level string, boolean or null fact equal to ``value`` (None: nothing equals it)."""
        raise NotImplementedError

    def fact_value_in(self, column: str, texts: list) -> str:
        """``column`` (a ``host_facts.value``) equals one of the stored texts ``texts``."""
        raise NotImplementedError

    @staticmethod
    def exact_number(value) -> bool:
        """Whether ``host_facts.num`` compares with ``value`` as the JSON comparison did (finite, in the 64-bit range)."""
        if not isinstance(value, (int, float)):
            return False
        if isinstance(value, float):
            return math.isfinite(value)
        return -(1 << 63) <= value < (1 << 63)

    def key_test(self, table: str, key: str) -> str:
        """``table.key_id`` is the id of fact key ``key``.

        Without :attr:`key_ids` the id is a scalar subquery of ``fact_keys``; with
        them it is a bound value (-1, no key's id, for a key the store does not
        have: the term's subquery then selects nothing, as the subquery would).
        PostgreSQL plans a known value with the statistics of ``host_facts``
        (how many rows of this key have this value), an InitPlan's result with
        a guess (docs/performance.md).
        """
        if self.key_ids is not None:
            return '%s.key_id = %s' % (table, self.bind(self.key_ids.get(key, -1)))
        fk = self.alias('fk')
        return '%s.key_id = (SELECT %s.id FROM fact_keys %s WHERE %s.name = %s)' % (table, fk, fk, fk, self.bind(key))

    def number_param(self, value: Any) -> str:
        """A filter number bound for a comparison with ``host_facts.num``."""
        return self.bind(value)

    def fact_rows(self, hf: str, fk: str, key: str) -> tuple:
        """``(from_sql, condition)``: the ``host_facts`` rows (alias ``hf``) of the top-level fact named ``key``."""
        if self.key_ids is not None:
            return 'host_facts %s' % hf, self.key_test(hf, key)
        return 'host_facts %s JOIN fact_keys %s ON %s.id = %s.key_id' % (hf, fk, fk, hf), '%s.name = %s' % (fk, self.bind(key))

    def variables_term(self, term: Term) -> str:
        """``variables__<path>``: the same walk as a fact term, over the host's own ``variables`` document.

        Host variables are written both with and without ``\\uXXXX`` escapes
        (``json.dumps`` defaults and :func:`canonical_json`), so a key that is
        not plain ASCII is matched by the decoded key of a ``json_each`` row
        rather than by a JSON path label (compared undecoded before SQLite 3.45).
        """
        leaf, negate = self.term_leaf(term)
        pred = self.coalesce_false(self.json_walk(self.json_root('h.variables'), self.walk_ops(term.path, first_member=True),
                                                  leaf, decoded_keys=True))
        return '(NOT %s)' % pred if negate else pred

    def term_leaf(self, term: Term) -> tuple:
        """``(leaf(cursor) -> sql, negate)`` of a JSON term."""
        if term.lookup == 'isnull':
            return self.json_present, term.value

        def leaf(cursor):
            return self.json_leaf(cursor, term.lookup, term.value)
        return leaf, False

    @staticmethod
    def walk_ops(steps: tuple, first_member: bool) -> list:
        """The path as operations: ``('member', key)`` steps into a mapping, ``('each', None)`` into a list's elements."""
        ops = []
        for index, step in enumerate(steps):
            if index or first_member:
                ops.append(('member', step.key))
            if step.array:
                ops.append(('each', None))
        return ops

    def json_walk(self, cursor: Any, ops: list, leaf: Callable, decoded_keys: bool = False) -> str:
        """Predicate: following ``ops`` from ``cursor`` reaches a value for which ``leaf`` holds.

        Every ``[]`` step is one more row source of a single ``EXISTS (SELECT 1
        FROM a, b, ... WHERE ...)``, not a nested subquery, so eight (or 32) ``[]``
        steps nest no deeper than one.
        """
        sources, conditions = [], []
        for op, key in ops:
            if op == 'member' and not (decoded_keys and not key.isascii()):
                cursor = self.json_member(cursor, key)
                continue
            if op == 'member':
                source, condition, cursor = self.json_member_row(cursor, key)
            else:
                source, condition, cursor = self.json_elements(cursor)
            sources.append(source)
            conditions.append(condition)
        pred = leaf(cursor)
        if not sources:
            return pred
        return 'EXISTS (SELECT 1 FROM %s WHERE %s)' % (', '.join(sources), ' AND '.join(conditions + [pred]))

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
        x = self.alias('x')
        key_test = self.key_test(x, steps[0].key)
        if len(texts) == 1:
            test = '%s.value = %s' % (x, self.bind(texts[0]))
        else:
            test = '%s.value IN (%s)' % (x, ', '.join(self.bind(t) for t in texts))
        return '(h.id IN (SELECT %s.host_id FROM host_fact_items %s WHERE %s AND %s.path = %s AND %s%s))' % (
            x, x, key_test, x, self.bind(item_path(signature)), test, self.fence())

    def json_leaf(self, cursor: Any, lookup: str, value: Any) -> str:
        """Predicate on the JSON value at ``cursor`` (FALSE or NULL when no match)."""
        if lookup == 'exact':
            return self.json_equals(cursor, (value,))
        if lookup == 'in':
            return self.json_equals(cursor, value)
        if lookup in COMPARE_OPS:
            kind = 'string' if isinstance(value, str) else 'number'
            return '(%s AND %s)' % (self.json_type_in(cursor, (kind,)),
                                    self.compare(self.json_scalar(cursor), COMPARE_OPS[lookup], value))
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
    def fence(self) -> str:
        """Text that ends each ``IN (subquery)`` of a term ('' here; see the PostgreSQL compiler)."""
        return ''

    def placeholder(self) -> str:
        """The parameter placeholder: ``?`` (every backend of the store rewrites it for its driver)."""
        return '?'

    def true_literal(self) -> str:
        return 'TRUE'

    def false_literal(self) -> str:
        return 'FALSE'

    def coalesce_false(self, pred: str) -> str:
        return 'COALESCE(%s, %s)' % (pred, self.false_literal())

    def bool_value(self, value: bool) -> Any:
        return bool(value)

    def compare(self, expr: str, op: str, value: Any) -> str:
        """``expr <op> value`` (op: < <= > >=): numbers numerically, text in code-point order."""
        return '(%s %s %s)' % (expr, op, self.bind(value))

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

    def json_elements(self, cursor: Any) -> tuple:
        """``(row_source, condition, element_cursor)``: the elements of the array at ``cursor`` as rows.

        ``row_source`` goes into a ``FROM`` list (it may refer to row sources
        before it); ``condition`` holds for the rows that are array elements.
        Nothing (no row) when the value is not an array.
        """
        raise NotImplementedError

    def json_member_row(self, cursor: Any, key: str) -> tuple:
        """``(row_source, condition, member_cursor)``: member ``key`` of the object at ``cursor`` as a row,
        found by its decoded key."""
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
