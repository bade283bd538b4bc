# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host_filter language: one parser, one syntax tree, a compiler per SQL backend and a Python predicate.

The package, in the order a filter goes through it::

    scanner.py             text -> tokens (pyparsing)
    parser.py              tokens -> tree (precedence, nesting, limits)
    resolve.py             key=value -> Term (fields, lookups, typed values, did-you-mean)
    ast.py                 the tree's nodes (And, Or, Not, Term, FactStep)
    fields.py, limits.py   what may be named, how big a filter may be
    regex.py               regex/iregex: RE2, and the subset PostgreSQL runs alike
    errors.py              HostFilterError
    compiler.py            the SQL every backend shares (the hooks below)
    compile_sqlite.py      SQLite's spelling of the hooks
    compile_postgresql.py  PostgreSQL's spelling of the hooks
    predicate.py           the same filter as a Python function over host dicts

Use :func:`parse`, then :func:`compile_sql` (``dialect`` = the store
backend's name, a key of :data:`COMPILERS`) or :func:`compile_python`.
"""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import Node, walk_terms
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_postgresql import (
    PostgresqlFilterCompiler,
    statement_timeout_ms,
)
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_sqlite import SqliteFilterCompiler
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.fields import FACTS_FIELD
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.predicate import compile_python

__all__ = ['HostFilterError', 'parse', 'parse_host_filter', 'compile_sql', 'group_terms', 'compile_python', 'COMPILERS', 'CompiledFilter',
           'SqliteFilterCompiler', 'PostgresqlFilterCompiler', 'fact_keys']

#: The text -> tree function.
parse = parse_host_filter

#: The SQL compiler class of each store backend, by the backend's name.
COMPILERS = {
    SqliteFilterCompiler.dialect: SqliteFilterCompiler,
    PostgresqlFilterCompiler.dialect: PostgresqlFilterCompiler,
}


class CompiledFilter(tuple):
    """``(where_sql, params)``, and ``timeout_ms``: the time limit the search must run under (None: none).

    PostgreSQL's regex engine can take long where RE2 is linear: a search with
    a regex runs under ``statement_timeout`` there (the store's backend sets it).
    ``count_sql``: a ``SELECT COUNT(*)`` of the matching hosts with the same
    ``params`` that reads no ``hosts`` row, for a count with no other condition
    (None: count over ``hosts``; see :meth:`PostgresqlFilterCompiler.compile`).
    """

    timeout_ms = None
    count_sql = None

    def __new__(cls, where: str, params: list, timeout_ms=None, count_sql=None):
        self = super().__new__(cls, (where, params))
        self.timeout_ms = timeout_ms
        self.count_sql = count_sql
        return self


def fact_keys(node: Node) -> list:
    """The top-level fact keys the filter ``node`` names (``ansible_facts__<key>...``), sorted."""
    return sorted({term.path[0].key for term in walk_terms(node) if term.field == FACTS_FIELD and term.path})


def group_terms(node: Node) -> list:
    """The terms of ``node`` that name groups by a column other than ``id`` (``groups__name=web``), in no order.

    The store may look up their group ids first (:meth:`SqlFilterCompiler.group_select`) and
    pass them to :func:`compile_sql`, which then writes each such term as a range of ``group_hosts``.
    """
    return [term for term in walk_terms(node) if term.relation == 'groups' and term.field != 'id' and term.lookup != 'isnull']


def compile_sql(node: Node, dialect: str = 'sqlite', key_ids: dict = None, group_ids: dict = None) -> CompiledFilter:
    """Compile ``node`` to ``(where_sql, params)`` for ``SELECT h.id FROM hosts h WHERE ...`` on ``dialect``.

    ``key_ids``: ``{fact key: id}`` of the store for the fact keys the filter names (see
    :func:`fact_keys`; a key missing from it is one the store does not have), or None (looked up in the SQL).
    ``group_ids``: ``{term: [group id, ...]}`` for terms of :func:`group_terms` (the others join ``groups``).
    """
    try:
        compiler = COMPILERS[dialect](key_ids, group_ids)
    except KeyError:
        raise ValueError('unsupported SQL dialect %r (known: %s)' % (dialect, ', '.join(sorted(COMPILERS)))) from None
    where, params = compiler.compile(node)
    return CompiledFilter(where, params, statement_timeout_ms(node) if dialect == 'postgresql' else None,
                          getattr(compiler, 'count_sql', None))
