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

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import Node
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_postgresql import PostgresqlFilterCompiler
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_sqlite import SqliteFilterCompiler
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.predicate import compile_python

__all__ = ['HostFilterError', 'parse', 'parse_host_filter', 'compile_sql', 'compile_python', 'COMPILERS',
           'SqliteFilterCompiler', 'PostgresqlFilterCompiler']

#: The text -> tree function.
parse = parse_host_filter

#: The SQL compiler class of each store backend, by the backend's name.
COMPILERS = {
    SqliteFilterCompiler.dialect: SqliteFilterCompiler,
    PostgresqlFilterCompiler.dialect: PostgresqlFilterCompiler,
}


def compile_sql(node: Node, dialect: str = 'sqlite') -> tuple:
    """Compile ``node`` to ``(where_sql, params)`` for ``SELECT h.id FROM hosts h WHERE ...`` on ``dialect``."""
    try:
        compiler = COMPILERS[dialect]()
    except KeyError:
        raise ValueError('unsupported SQL dialect %r (known: %s)' % (dialect, ', '.join(sorted(COMPILERS)))) from None
    return compiler.compile(node)
