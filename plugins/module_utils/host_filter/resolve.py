# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Term resolution: a ``key=value`` as written -> a :class:`ast.Term`.

The key is split on ``__`` and resolved against the tables of :mod:`fields`
(field, relation, lookup, fact or variables path); the value is typed the way
AWX types unquoted values (:func:`string_to_type`) and coerced to what the
field and lookup need, within :mod:`limits`.  An unknown field or lookup is
an error that suggests the closest known one ("did you mean").
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timezone
from typing import Any

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import FactStep, Scalar, Term
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError, shorten
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.fields import (
    COMPARISON_LOOKUPS,
    FACTS_FIELD,
    FORBIDDEN,
    JSON_FIELDS,
    KIND_LOOKUPS,
    LOOKUPS,
    RELATIONS,
    SEARCHABLE,
    TEXT_LOOKUPS,
)
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.limits import (
    INT_MAX,
    INT_MIN,
    MAX_DIGITS,
    MAX_IN_ITEMS,
    MAX_PATH_STEPS,
)
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.regex import check_regex

__all__ = ['resolve_term', 'string_to_type']

_BOOL_TRUE = frozenset({'true', 't', '1'})
_BOOL_FALSE = frozenset({'false', 'f', '0'})
_INT_RE = re.compile(r'^[-+]?[0-9]+$')
_FLOAT_RE = re.compile(r'^[-+]?[0-9]+\.[0-9]+$')
# Characters a fact key may not contain: they need escaping inside a JSON
# document, and SQLite (< 3.45) compares JSON path labels with the raw text.
_BAD_FACT_KEY_RE = re.compile(r'["\\\x00-\x1f]')


def string_to_type(text: str) -> Scalar:
    """AWX's typing of unquoted values."""
    if text == 'null':
        return None
    if text == 'true':
        return True
    if text == 'false':
        return False
    if len(text) <= MAX_DIGITS + 1:  # longer digit runs stay text (int() refuses 4,300+ digits)
        if _INT_RE.search(text):
            return int(text)
        if _FLOAT_RE.search(text):
            return float(text)
    return text



def _pieces(key: str) -> list:
    """Split ``key`` on ``__`` into (piece, offset) pairs."""
    out = []
    offset = 0
    for piece in key.split('__'):
        out.append((piece, offset))
        offset += len(piece) + 2
    return out


def _coerce_bool(raw: str, what: str, col: int) -> bool:
    low = raw.lower()
    if low in _BOOL_TRUE:
        return True
    if low in _BOOL_FALSE:
        return False
    raise HostFilterError("expected true or false for %s, got '%s'" % (what, raw), col)


def _check_int(number: int, raw: str, col: int) -> int:
    if not INT_MIN <= number <= INT_MAX:
        raise HostFilterError("integer %s is out of range (integers must lie between %d and %d; quote a fact value to"
                              " compare it as text)" % (shorten(raw), INT_MIN, INT_MAX), col)
    return number


def _coerce_int(raw: str, what: str, col: int) -> int:
    if _INT_RE.search(raw):
        if len(raw.lstrip('+-')) > MAX_DIGITS:
            return _check_int(INT_MAX + 1, raw, col)
        return _check_int(int(raw), raw, col)
    raise HostFilterError("expected an integer for %s, got '%s'" % (what, shorten(raw)), col)


def _typed(raw: str, col: int) -> Scalar:
    """:func:`string_to_type` for a value the filter compares with; numbers outside what can be compared are errors."""
    if _INT_RE.search(raw):
        return _coerce_int(raw, 'a value', col)
    if _FLOAT_RE.search(raw):
        number = float(raw) if len(raw) <= 2 * MAX_DIGITS else float('inf')
        if number in (float('inf'), float('-inf')) or len(raw) > 2 * MAX_DIGITS:
            raise HostFilterError('number %s is out of range (quote a fact value to compare it as text)' % shorten(raw), col)
        return number
    return string_to_type(raw)


_UTC = timezone.utc
_PARTIAL_DATE_RE = re.compile(r'^[0-9]{4}(-[0-9]{2})?$')


def _time_value(raw: str, col: int) -> str:
    """An ISO-8601 time as the store writes ``ansible_facts_modified`` (UTC, microseconds, ``+00:00``).

    The store's timestamps (:func:`common.now`) all have that one shape, so
    comparing the texts compares the times.  A date alone (or a year, or a
    year and month) is its first instant in UTC, a time without an offset is
    UTC, ``Z`` and ``+hh:mm`` offsets are converted to UTC.
    """
    text = raw.strip()
    if _PARTIAL_DATE_RE.match(text):
        text = (text + '-01-01')[:10]
    try:
        if len(text) > 64:
            raise ValueError(text)
        stamp = datetime.fromisoformat(text[:-1] + '+00:00' if text[-1:] in ('Z', 'z') else text)
    except ValueError:
        raise HostFilterError("expected an ISO-8601 time for 'ansible_facts_modified' (e.g. 2025-01-31, 2025-01-31T12:00:00Z"
                              " or 2025-01-31T14:00:00+02:00), got '%s'" % shorten(raw), col) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=_UTC)
    return stamp.astimezone(_UTC).isoformat(timespec='microseconds')


# Lookups on ``ansible_facts_modified`` that compare times (the others look at the text as stored).
_TIME_LOOKUPS = COMPARISON_LOOKUPS


def _split_in(raw: str, col: int) -> list:
    parts = raw.split(',', MAX_IN_ITEMS)
    if len(parts) > MAX_IN_ITEMS:
        raise HostFilterError("'in' takes at most %d items" % MAX_IN_ITEMS, col)
    return parts


def _coerce_column(kind: str, lookup: str, raw: str, what: str, col: int, field: str = '') -> Any:
    """The value of a term on a plain column of kind ``kind``."""
    if lookup == 'isnull':
        return _coerce_bool(raw, "'isnull'", col)
    if lookup == 'in':
        parts = _split_in(raw, col)
        return tuple(_coerce_column(kind, 'exact', p, what, col, field) for p in parts)
    if kind == 'int':
        return _coerce_int(raw, what, col)
    if kind == 'bool':
        return _coerce_bool(raw, what, col)
    if field == 'ansible_facts_modified' and lookup in _TIME_LOOKUPS:
        return _time_value(raw, col)
    if lookup in ('regex', 'iregex'):
        check_regex(raw, lookup == 'iregex', col)
    return raw


def _coerce_fact(lookup: str, raw: str, quoted: bool, col: int) -> Any:
    if lookup == 'isnull':
        return _coerce_bool(raw, "'isnull'", col)
    if lookup == 'in':
        return tuple(p if quoted else _typed(p, col) for p in _split_in(raw, col))
    if lookup in TEXT_LOOKUPS:
        if lookup in ('regex', 'iregex'):
            check_regex(raw, lookup == 'iregex', col)
        return raw
    typed = raw if quoted else _typed(raw, col)
    if lookup in COMPARISON_LOOKUPS:
        if typed is None or isinstance(typed, bool):
            raise HostFilterError("'%s' needs a number or a string, got '%s'" % (lookup, shorten(raw)), col)
        return typed
    return typed


def _suggest(word: str, candidates, prefix: str = '') -> str:
    """`` (did you mean <prefix>X?)`` for the closest of ``candidates``, or ''."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.75)
    return ' (did you mean %s%s?)' % (prefix, close[0]) if close else ''


def resolve_term(key: str, kcol: int, tcol: int, raw: str, quoted: bool, vcol: int) -> Term:
    """Resolve ``key`` (text at column ``kcol``) and the value into a Term."""
    pieces = _pieces(key)
    names = [piece[0] for piece in pieces]

    def col_of(index: int) -> int:
        return kcol + pieces[index][1]

    common = dict(raw=raw, quoted=quoted, key=key, position=tcol)

    # -- search
    if names[0] == 'search':
        if len(names) > 1:
            raise HostFilterError("'search' does not take a lookup ('%s')" % '__'.join(names[1:]), col_of(1))
        return Term(field='search', lookup='icontains', value=raw, kind='text', **common)

    # -- facts and host variables: a JSON path
    if names[0] in JSON_FIELDS:
        field = names[0]
        rest = list(range(1, len(names)))
        lookup = 'exact'
        if rest and names[rest[-1]] in LOOKUPS:
            lookup = names[rest[-1]]
            rest = rest[:-1]
        what = 'fact' if field == FACTS_FIELD else 'variable'
        if not rest:
            raise HostFilterError("Filtering on '%s' is not allowed (give a %s path: %s__<key>)" % (
                _strip_lookup(names), what, field), kcol)
        if len(rest) > MAX_PATH_STEPS:
            raise HostFilterError('%s path has %d steps, more than %d' % (what, len(rest), MAX_PATH_STEPS), kcol)
        steps = []
        for index in rest:
            piece = names[index]
            array = piece.endswith('[]')
            name = piece[:-2] if array else piece
            if name == '':
                raise HostFilterError('empty %s key in %r' % (what, shorten(key, 80)), col_of(index))
            if _BAD_FACT_KEY_RE.search(name):
                raise HostFilterError('%s key %r may not contain a double quote, a backslash or a control character' % (
                    what, shorten(name)), col_of(index))
            steps.append(FactStep(name, array))
        value = _coerce_fact(lookup, raw, quoted, vcol)
        return Term(field=field, lookup=lookup, value=value, kind='json', path=tuple(steps), **common)

    # -- relations
    if names[0] in RELATIONS:
        relation = RELATIONS[names[0]]
        columns = SEARCHABLE[relation]
        forbidden = FORBIDDEN['groups' if relation == 'all_groups' else relation]
        if len(names) == 1 or names[1] in LOOKUPS:
            field, lookup_index = 'id', 1           # ``inventory=3``, ``groups__in=1,2``
        elif names[1] == 'search':
            if len(names) > 2:
                raise HostFilterError("'search' does not take a lookup ('%s')" % '__'.join(names[2:]), col_of(2))
            return Term(field='search', lookup='icontains', value=raw, kind='text', relation=relation, **common)
        elif names[1] in columns:
            field, lookup_index = names[1], 2
        elif names[1] in forbidden:
            raise HostFilterError("Filtering on '%s' is not allowed" % _strip_lookup(names), kcol)
        else:
            close = _suggest(names[1], tuple(columns) + ('search',), names[0] + '__')
            raise HostFilterError("unknown field '%s'%s" % ('__'.join(names[:2]), close), kcol)
        kind = columns[field]
    else:
        relation = None
        columns = SEARCHABLE['host']
        if names[0] in columns:
            field, lookup_index = names[0], 1
        elif names[0] == 'pk':
            field, lookup_index = 'id', 1
        elif names[0] in FORBIDDEN['host']:
            raise HostFilterError("Filtering on '%s' is not allowed" % _strip_lookup(names), kcol)
        else:
            raise HostFilterError("unknown field '%s'%s" % (_strip_lookup(names), _suggest(
                names[0], tuple(columns) + ('pk', 'search') + JSON_FIELDS + tuple(RELATIONS))), kcol)
        kind = columns[field]

    # -- lookup
    lookup_names = names[lookup_index:]
    if not lookup_names:
        lookup = 'exact'
    elif len(lookup_names) == 1 and lookup_names[0] in LOOKUPS:
        lookup = lookup_names[0]
    else:
        bad = '__'.join(lookup_names)
        raise HostFilterError("unknown lookup '%s'%s" % (bad, _suggest(bad, KIND_LOOKUPS[kind])), col_of(lookup_index))
    if lookup not in KIND_LOOKUPS[kind]:
        what = {'int': 'integer', 'bool': 'boolean'}[kind]
        raise HostFilterError("lookup '%s' is not valid for %s field '%s'" % (lookup, what, field), col_of(lookup_index))
    what = "'%s'" % field if relation is None else "'%s__%s'" % (relation, field)
    value = _coerce_column(kind, lookup, raw, what, vcol, field if relation is None else '')
    return Term(field=field, lookup=lookup, value=value, kind=kind, relation=relation, **common)


def _strip_lookup(names: list) -> str:
    if len(names) > 1 and names[-1] in LOOKUPS:
        names = names[:-1]
    return '__'.join(names)
