# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compile a host_filter syntax tree into a Python predicate.

:func:`compile_python` returns ``predicate(host) -> bool`` over an in-memory
host of this shape (the same data the store holds)::

    {"id": int, "name": str, "description": str, "enabled": bool,
     "instance_id": str, "ansible_facts_modified": str | None (optional),
     "inventory": {"id", "name", "description", "kind"},
     "groups": [{"id", "name", "description"}, ...],       # direct groups
     "all_groups": [...],                                  # direct + ancestors
     "ansible_facts": {...},
     "variables": {...}}                                   # the host's own variables

It agrees exactly with the SQL compilers (:mod:`compile_sqlite`, :mod:`compile_postgresql`) on the same data: type-strict JSON
comparisons (``True`` is not ``1``), ``str.lower`` for case-insensitive
lookups, RE2 (:func:`regex.regex_test`) for regexes, code-point
order for text comparisons.  It also reads JSON strings the way SQLite's JSON
functions do: up to their first NUL character (see :func:`_sqlite_text`).
"""

from __future__ import annotations

import operator
from typing import Any, Callable

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import And, Node, Not, Or, Term
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compiler import indexed_fact_equality
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.fields import FACTS_FIELD, SEARCH_FIELDS
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.regex import regex_test

__all__ = ['compile_python']

_COMPARE = {'gt': operator.gt, 'gte': operator.ge, 'lt': operator.lt, 'lte': operator.le}
# Host text columns that are NOT NULL in the store ('' when absent here).
_TEXT_DEFAULTS = {'description': '', 'instance_id': '', 'kind': ''}


def _regex(pattern: str, icase: bool):
    return regex_test(pattern, icase)


def _sqlite_text(value: Any) -> Any:
    """A JSON string as SQLite 3.40's JSON functions return it: cut at its first NUL (``\\u0000``)."""
    if value.__class__ is str and '\x00' in value:
        return value[:value.index('\x00')]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text_test(lookup: str, value: str) -> Callable[[Any], bool]:
    """Test for a text lookup; the tested value must be a str (else False)."""
    if lookup in ('regex', 'iregex'):
        found = _regex(value, lookup == 'iregex')
        return lambda x: isinstance(x, str) and found(x)
    lower = lookup.startswith('i')
    if lower:
        value = value.lower()
        lookup = lookup[1:]
    test = {
        'exact': operator.eq,
        'contains': lambda x, v: v in x,
        'startswith': str.startswith,
        'endswith': str.endswith,
    }[lookup]
    if lower:
        return lambda x: isinstance(x, str) and test(x.lower(), value)
    return lambda x: isinstance(x, str) and test(x, value)


def _column_test(kind: str, lookup: str, value: Any) -> Callable[[Any], bool]:
    """Test on a plain column value (None = SQL NULL)."""
    if lookup == 'isnull':
        return lambda x: (x is None) is value
    if kind == 'bool':
        if lookup == 'exact':
            return lambda x: x is not None and bool(x) is value
        values = frozenset(value)
        return lambda x: x is not None and bool(x) in values
    if lookup == 'exact':
        return lambda x: x is not None and x == value
    if lookup == 'in':
        values = frozenset(value)
        return lambda x: x is not None and x in values
    if lookup in _COMPARE:
        compare = _COMPARE[lookup]
        return lambda x: x is not None and compare(x, value)
    return _text_test(lookup, value)


def _search_test(value: str) -> Callable[[dict], bool]:
    test = _text_test('icontains', value)
    return lambda obj: any(test(_get(obj, f)) for f in SEARCH_FIELDS)


def _get(obj: dict, field: str) -> Any:
    value = obj.get(field)
    if value is None and field in _TEXT_DEFAULTS:
        return _TEXT_DEFAULTS[field]
    return value


def _json_equals(value: Any, wanted: Any) -> bool:
    """Type-strict equality of a JSON value with a filter scalar."""
    if wanted is None:
        return value is None
    if isinstance(wanted, bool):
        return isinstance(value, bool) and value is wanted
    if _is_number(wanted):
        return _is_number(value) and value == wanted
    return isinstance(value, str) and value == wanted


def _json_leaf(lookup: str, value: Any) -> Callable[[Any], bool]:
    if lookup == 'exact':
        return lambda x: _json_equals(x, value)
    if lookup == 'in':
        return lambda x: any(_json_equals(x, v) for v in value)
    if lookup in _COMPARE:
        compare = _COMPARE[lookup]
        if isinstance(value, str):
            return lambda x: isinstance(x, str) and compare(x, value)
        return lambda x: _is_number(x) and compare(x, value)
    return _text_test(lookup, value)


def _fact_test(term: Term) -> Callable[[dict], bool]:
    steps = term.path
    if term.lookup == 'isnull':
        def leaf(x):
            return x is not None
        negate = term.value
    else:
        test = _json_leaf(term.lookup, term.value)
        if term.field == FACTS_FIELD and term.lookup in ('exact', 'in') and (
                any(s.array for s in steps) or indexed_fact_equality(term)):
            leaf = test     # the SQL side table of leaves and the index of top-level values keep the whole string
        else:
            def leaf(x):
                return test(_sqlite_text(x))
        negate = False

    def walk(value: Any, index: int) -> bool:
        # ``value`` is the value of steps[index].key
        step = steps[index]

        def rest(v: Any) -> bool:
            if index + 1 == len(steps):
                return leaf(v)
            key = steps[index + 1].key
            if isinstance(v, dict) and key in v:
                return walk(v[key], index + 1)
            return False

        if step.array:
            return isinstance(value, list) and any(rest(e) for e in value)
        return rest(value)

    first = steps[0].key
    field = term.field

    def test_host(host: dict) -> bool:
        doc = host.get(field) or {}
        found = isinstance(doc, dict) and first in doc and walk(doc[first], 0)
        return not found if negate else found
    return test_host


def _relation_test(term: Term) -> Callable[[dict], bool]:
    rel = term.relation
    if term.lookup == 'isnull':
        if rel == 'inventory':
            result = not term.value
            return lambda host: result
        key = 'groups'
        return lambda host: (len(host.get(key) or ()) == 0) is term.value
    if term.field == 'search':
        obj_test = _search_test(term.value)
    else:
        col_test = _column_test(term.kind, term.lookup, term.value)
        field = term.field

        def obj_test(obj: dict) -> bool:
            return col_test(_get(obj, field))
    if rel == 'inventory':
        return lambda host: obj_test(host['inventory'])
    key = 'groups' if rel == 'groups' else 'all_groups'
    return lambda host: any(obj_test(g) for g in host.get(key) or ())


def _term_test(term: Term) -> Callable[[dict], bool]:
    if term.kind == 'json':
        return _fact_test(term)
    if term.relation is not None:
        return _relation_test(term)
    if term.field == 'search':
        return _search_test(term.value)
    test = _column_test(term.kind, term.lookup, term.value)
    field = term.field
    return lambda host: test(_get(host, field))


def _compile(node: Node) -> Callable[[dict], bool]:
    negate = False
    while isinstance(node, Not):  # ``not not x`` is ``x``: no recursion per ``not``
        negate = not negate
        node = node.item
    if isinstance(node, And):
        tests = [_compile(item) for item in node.items]

        def test(host):
            return all(t(host) for t in tests)
    elif isinstance(node, Or):
        tests = [_compile(item) for item in node.items]

        def test(host):
            return any(t(host) for t in tests)
    elif isinstance(node, Term):
        test = _term_test(node)
    else:
        raise TypeError('not a host_filter node: %r' % (node,))
    if negate:
        inner = test

        def test(host):
            return not inner(host)
    return test


def compile_python(node: Node) -> Callable[[dict], bool]:
    """Compile ``node`` to ``predicate(host_dict) -> bool``."""
    test = _compile(node)
    return lambda host: bool(test(host))
