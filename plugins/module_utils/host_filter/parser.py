# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``host_filter`` language (AWX SmartFilter syntax plus extensions).

A filter is a boolean expression over ``key=value`` terms::

    expr    := or_expr
    or_expr := and_expr ("or" and_expr)*          left-associative
    and_expr:= not_expr ("and" not_expr)*         binds tighter than "or"
    not_expr:= "not" not_expr | primary           binds tightest
    primary := "(" expr ")" | term
    term    := key "=" [value]                    no value = empty string
    key, value := ATOM | "double quoted" | 'single quoted'

An ATOM is a run of characters other than Unicode whitespace, ``(``, ``)``,
``=`` and ``"`` (and not starting with ``'``).  Keywords are lowercase and
only recognised unquoted; a keyword directly after ``=`` (no space) is a
value (``name=and``).

:func:`parse_host_filter` turns the text into an immutable tree of
:class:`And`, :class:`Or`, :class:`Not` and :class:`Term` nodes in which every
term is fully resolved (field, relation, lookup, fact path, coerced value).
The SQL (:mod:`filter_sql`) and Python (:mod:`filter_python`) compilers only
consume that tree; they never look at the text again.

The tokenizer is a pyparsing 3 grammar; the precedence parser on top of it is
a small recursive-descent parser so that every error names the problem and
its 1-based column, and so that parsing is linear in the input.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Optional, Union

from ansible_collections.fleet.inventory.plugins.module_utils.errors import HostFilterError  # noqa: F401  (re-exported)

try:
    from pyparsing import MatchFirst, ParseException, Regex, ZeroOrMore
except ImportError as exc:  # reported when a filter is parsed, not on import
    PYPARSING_IMPORT_ERROR = exc
else:
    PYPARSING_IMPORT_ERROR = None

try:
    import re2
except ImportError as exc:  # reported when a filter uses regex/iregex, not on import
    RE2_IMPORT_ERROR = exc
    re2 = None
else:
    RE2_IMPORT_ERROR = None

__all__ = [
    'HostFilterError', 'Node', 'And', 'Or', 'Not', 'Term', 'FactStep',
    'parse_host_filter', 'string_to_type',
    'SEARCHABLE', 'RELATIONS', 'LOOKUPS', 'TEXT_LOOKUPS', 'COMPARISON_LOOKUPS',
    'FORBIDDEN', 'FACTS_FIELD', 'VARIABLES_FIELD', 'JSON_FIELDS', 'SEARCH_FIELDS', 'MAX_DEPTH',
    'MAX_LENGTH', 'MAX_TERMS', 'MAX_IN_ITEMS', 'MAX_VALUES', 'MAX_PATH_STEPS', 'MAX_DIGITS',
    'INT_MIN', 'INT_MAX', 'compile_regex', 'regex_test',
]


# ---------------------------------------------------------------------------
# Whitelists (data)
# ---------------------------------------------------------------------------

FACTS_FIELD = 'ansible_facts'
VARIABLES_FIELD = 'variables'
# Fields searched by a JSON path (``<field>__key__key[]__...``); the Term's
# ``field`` is one of these and its ``kind`` is 'json'.
JSON_FIELDS = (FACTS_FIELD, VARIABLES_FIELD)

# Searchable columns per object: name -> kind ('int', 'bool' or 'text').
SEARCHABLE = MappingProxyType({
    'host': MappingProxyType({
        'id': 'int',
        'name': 'text',
        'description': 'text',
        'instance_id': 'text',
        'enabled': 'bool',
        'ansible_facts_modified': 'text',
    }),
    'inventory': MappingProxyType({
        'id': 'int',
        'name': 'text',
        'description': 'text',
        'kind': 'text',
    }),
    'groups': MappingProxyType({
        'id': 'int',
        'name': 'text',
        'description': 'text',
    }),
    'all_groups': MappingProxyType({
        'id': 'int',
        'name': 'text',
        'description': 'text',
    }),
})

# Nullable host columns (the only ones whose SQL predicate can be NULL).
NULLABLE = frozenset({'ansible_facts_modified'})

# Relation prefix as written -> canonical relation.
RELATIONS = MappingProxyType({
    'inventory': 'inventory',
    'groups': 'groups',
    'group': 'groups',
    'all_groups': 'all_groups',
})

# Columns ``search=`` / ``<relation>__search=`` look at (icontains, OR-ed).
SEARCH_FIELDS = ('name', 'description')

TEXT_LOOKUPS = frozenset({
    'iexact', 'contains', 'icontains', 'startswith', 'istartswith',
    'endswith', 'iendswith', 'regex', 'iregex',
})
COMPARISON_LOOKUPS = frozenset({'gt', 'gte', 'lt', 'lte'})
LOOKUPS = frozenset({'exact', 'in', 'isnull'}) | TEXT_LOOKUPS | COMPARISON_LOOKUPS

# Lookups allowed per column kind.
KIND_LOOKUPS = MappingProxyType({
    'text': LOOKUPS,
    'int': frozenset({'exact', 'in', 'isnull'}) | COMPARISON_LOOKUPS,
    'bool': frozenset({'exact', 'in', 'isnull'}),
})

# Known (AWX) fields that exist but may not be filtered on.
FORBIDDEN = MappingProxyType({
    'host': frozenset({
        'created', 'modified', 'created_by', 'modified_by',
        'last_job', 'last_job_host_summary', 'insights_system_id',
        'inventory_sources', 'job_events', 'job_host_summaries',
        'smart_inventories', 'pending_delete', FACTS_FIELD,
    }),
    'inventory': frozenset({
        'variables', 'created', 'modified', 'created_by', 'modified_by',
        'pending_delete', 'host_filter', 'organization', 'hosts', 'groups',
        'inventory_sources',
    }),
    'groups': frozenset({
        'variables', 'created', 'modified', 'created_by', 'modified_by',
        'hosts', 'children', 'parents', 'inventory', 'inventory_sources',
    }),
})

# Maximum nesting of parentheses / ``not``.
MAX_DEPTH = 100
# Bounds on what a filter may be (documented in docs/host_filter.md).  Each
# is checked before the work it protects: the length before tokenizing.
MAX_LENGTH = 65536          # characters of filter text
MAX_TERMS = 5000            # key=value terms
MAX_IN_ITEMS = 1000         # items of one ``__in`` list
MAX_VALUES = 10000          # values compared with, in all (each ``__in`` item counts)
MAX_PATH_STEPS = 32         # keys of a fact / variables path
MAX_DIGITS = 100            # digits of an unquoted number
# Integers a filter may compare with: SQLite's (and PostgreSQL's bigint) range.
INT_MIN = -(2 ** 63)
INT_MAX = 2 ** 63 - 1

_KEYWORDS = frozenset({'and', 'or', 'not'})
_BOOL_TRUE = frozenset({'true', 't', '1'})
_BOOL_FALSE = frozenset({'false', 'f', '0'})
_INT_RE = re.compile(r'^[-+]?[0-9]+$')
_FLOAT_RE = re.compile(r'^[-+]?[0-9]+\.[0-9]+$')
# Characters a fact key may not contain: they need escaping inside a JSON
# document, and SQLite (< 3.45) compares JSON path labels with the raw text.
_BAD_FACT_KEY_RE = re.compile(r'["\\\x00-\x1f]')


# ---------------------------------------------------------------------------
# Errors and tree
# ---------------------------------------------------------------------------

# HostFilterError lives in errors (every engine error does) and is re-exported above under its old name.

@dataclass(frozen=True)
class Node:
    """Base class of the syntax tree nodes."""


@dataclass(frozen=True)
class And(Node):
    items: tuple
    position: int = 1


@dataclass(frozen=True)
class Or(Node):
    items: tuple
    position: int = 1


@dataclass(frozen=True)
class Not(Node):
    item: Node
    position: int = 1


@dataclass(frozen=True)
class FactStep:
    """One piece of a fact path: ``key`` or ``key[]`` (``array=True``)."""
    key: str
    array: bool = False


Scalar = Union[str, int, float, bool, None]


@dataclass(frozen=True)
class Term(Node):
    """A resolved ``key=value`` term.

    ``relation``: None (the host itself), 'inventory', 'groups' or
    'all_groups'.  ``field``: a column of that object from
    :data:`SEARCHABLE`, or 'search' (icontains over :data:`SEARCH_FIELDS`),
    or 'ansible_facts' (then ``path`` is the fact path, relation is None).
    ``kind``: 'int', 'bool', 'text' or 'json' (facts).  ``value``: the
    coerced value -- a str/int/float/bool/None scalar, a tuple of them for
    ``in``, a bool for ``isnull``.  ``raw``/``quoted``: the value text as
    written.  ``key``: the key as written.  ``position``: column of the key.
    """
    field: str
    lookup: str
    value: Any
    kind: str
    relation: Optional[str] = None
    path: tuple = ()
    raw: str = ''
    quoted: bool = False
    key: str = ''
    position: int = 1


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Tokenizer (pyparsing)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Token:
    kind: str      # 'ws', 'lpar', 'rpar', 'eq', 'quoted', 'atom', 'badquote'
    text: str      # the content (without the quotes for 'quoted')
    start: int     # 0-based index of the first character
    end: int       # 0-based index after the last character
    space_before: bool = False


def _tok(kind: str):
    def action(s, loc, toks):
        match = toks[0]
        return [(kind, match, loc)]
    return action


def _build_lexer():
    ws = Regex(r'\s+').set_parse_action(_tok('ws'))
    lpar = Regex(r'\(').set_parse_action(_tok('lpar'))
    rpar = Regex(r'\)').set_parse_action(_tok('rpar'))
    eq = Regex(r'=').set_parse_action(_tok('eq'))
    dquoted = Regex(r'"[^"]*"').set_parse_action(_tok('quoted'))
    squoted = Regex(r"'[^']*'").set_parse_action(_tok('quoted'))
    badquote = Regex(r'["\'].*', flags=re.S).set_parse_action(_tok('badquote'))
    atom = Regex(r"[^\s()=\"'][^\s()=\"]*").set_parse_action(_tok('atom'))
    token = MatchFirst([ws, lpar, rpar, eq, dquoted, squoted, atom, badquote])
    grammar = ZeroOrMore(token)
    grammar.leave_whitespace()
    grammar.parse_with_tabs()
    return grammar


_LEXER = None


def _tokenize(text: str) -> list:
    global _LEXER  # built on first use: importing this module must not need pyparsing
    if _LEXER is None:
        if PYPARSING_IMPORT_ERROR is not None:
            raise ImportError("the host_filter language needs the Python library pyparsing (pip install pyparsing): %s"
                              % PYPARSING_IMPORT_ERROR)
        _LEXER = _build_lexer()
    try:
        raw = _LEXER.parse_string(text, parse_all=True)
    except ParseException as exc:  # pragma: no cover - every character is a token
        raise HostFilterError('unexpected character', exc.loc + 1) from None
    tokens = []
    space = False
    for kind, match, loc in raw:
        end = loc + len(match)
        if kind == 'ws':
            space = True
            continue
        if kind == 'badquote':
            raise HostFilterError('unterminated quote %s' % match[0], loc + 1)
        content = match[1:-1] if kind == 'quoted' else match
        tokens.append(_Token(kind, content, loc, end, space))
        space = False
    return tokens


# ---------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------

def _describe(tok: _Token) -> str:
    if tok.kind == 'quoted':
        return 'quoted text'
    if tok.kind == 'atom':
        return "'%s'" % tok.text
    return "'%s'" % {'lpar': '(', 'rpar': ')', 'eq': '='}[tok.kind]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.terms = 0
        self.last_key = ''

    # -- helpers
    def peek(self, offset: int = 0) -> Optional[_Token]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def end_column(self) -> int:
        return len(self.text) + 1

    def column(self, tok: Optional[_Token]) -> int:
        return self.end_column() if tok is None else tok.start + 1

    def is_keyword(self, offset: int = 0, word: Optional[str] = None) -> bool:
        """Is the token at ``offset`` the keyword ``word`` (any keyword if None)?"""
        tok = self.peek(offset)
        if tok is None or tok.kind != 'atom' or tok.text not in _KEYWORDS:
            return False
        if word is not None and tok.text != word:
            return False
        # A keyword followed by '=' is a key (``not=1``: unknown field).
        nxt = self.peek(offset + 1)
        return not (nxt is not None and nxt.kind == 'eq')

    # -- grammar
    def parse(self) -> Node:
        if not self.tokens:
            raise HostFilterError('empty filter', 1)
        try:
            node = self.parse_or()
        except HostFilterError as exc:
            raise self.hint(exc) from None
        tok = self.peek()
        if tok is not None:
            if tok.kind == 'rpar':
                raise self.hint(HostFilterError("unbalanced ')'", self.column(tok)))
            if tok.kind == 'eq':
                raise HostFilterError("unexpected '='", self.column(tok))
            raise self.hint(HostFilterError("expected 'and' or 'or', found %s" % _describe(tok), self.column(tok)))
        return node

    def hint(self, exc: HostFilterError) -> HostFilterError:
        """Add a hint to quote the value when a parenthesis follows ``__regex=`` (an unquoted pattern was cut there)."""
        prev = self.tokens[self.i - 1] if 0 < self.i <= len(self.tokens) else None
        tok = self.peek()
        if tok is None or tok.kind not in ('lpar', 'rpar') or prev is None:
            return exc
        key = self.last_key
        if not key.endswith(('__regex', '__iregex')):
            return exc
        if prev.kind == 'eq' or (prev.kind == 'atom' and not tok.space_before):
            return HostFilterError('%s (a regular expression with parentheses or spaces must be quoted: %s="...")'
                                   % (exc.problem, key), exc.position)
        return exc

    def parse_or(self) -> Node:
        first = self.peek()
        items = [self.parse_and()]
        while self.is_keyword(0, 'or'):
            self.i += 1
            self.expect_operand('or')
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items), self.column(first))

    def parse_and(self) -> Node:
        first = self.peek()
        items = [self.parse_not()]
        while self.is_keyword(0, 'and'):
            self.i += 1
            self.expect_operand('and')
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items), self.column(first))

    def expect_operand(self, after: str) -> None:
        tok = self.peek()
        if tok is None or tok.kind in ('rpar', 'eq') or self.is_keyword(0, 'and') or self.is_keyword(0, 'or'):
            found = 'end of filter' if tok is None else _describe(tok)
            raise HostFilterError("expected a term after '%s', found %s" % (after, found), self.column(tok))

    def enter(self, tok: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise HostFilterError('filter nested too deeply (more than %d levels)' % MAX_DEPTH, self.column(tok))

    def parse_not(self) -> Node:
        tok = self.peek()
        if self.is_keyword(0, 'not'):
            self.i += 1
            self.enter(tok)
            self.expect_operand('not')
            item = self.parse_not()
            self.depth -= 1
            return Not(item, self.column(tok))
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise HostFilterError('expected a term, found end of filter', self.end_column())
        if tok.kind == 'lpar':
            self.i += 1
            self.enter(tok)
            inner = self.peek()
            if inner is not None and inner.kind == 'rpar':
                raise HostFilterError("empty parentheses", self.column(tok))
            if inner is None:
                raise HostFilterError("unbalanced '(': missing ')'", self.column(tok))
            node = self.parse_or()
            close = self.peek()
            if close is None:
                raise HostFilterError("unbalanced '(': missing ')'", self.column(tok))
            if close.kind == 'eq':
                raise HostFilterError("unexpected '='", self.column(close))
            if close.kind != 'rpar':
                raise HostFilterError("expected 'and', 'or' or ')', found %s" % _describe(close), self.column(close))
            self.i += 1
            self.depth -= 1
            return node
        if tok.kind == 'rpar':
            raise HostFilterError("unbalanced ')'", self.column(tok))
        if tok.kind == 'eq':
            raise HostFilterError("expected a key before '='", self.column(tok))
        if self.is_keyword(0):
            raise HostFilterError("expected a term, found '%s'" % tok.text, self.column(tok))
        return self.parse_term()

    def parse_term(self) -> Node:
        key = self.peek()
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise HostFilterError('filter has more than %d terms' % MAX_TERMS, self.column(key))
        self.last_key = key.text
        self.i += 1
        eq = self.peek()
        if eq is None or eq.kind != 'eq':
            raise HostFilterError("expected '=' after key '%s'" % key.text, key.end + 1)
        self.i += 1
        value = self.peek()
        if value is not None and value.kind in ('atom', 'quoted') and (
                not value.space_before or value.kind == 'quoted' or value.text not in _KEYWORDS):
            self.i += 1
            raw, quoted, vcol = value.text, value.kind == 'quoted', value.start + 1
        else:
            raw, quoted, vcol = '', False, eq.end + 1
        return _RawTerm(key.text, key.start + 1 + (1 if key.kind == 'quoted' else 0), key.start + 1,
                        raw, quoted, vcol)


@dataclass(frozen=True)
class _RawTerm(Node):
    """A term before resolution (syntax errors are reported first)."""
    key: str
    kcol: int
    tcol: int
    raw: str
    quoted: bool
    vcol: int


def _resolve_tree(node: Node) -> Node:
    if isinstance(node, _RawTerm):
        return _resolve(node.key, node.kcol, node.tcol, node.raw, node.quoted, node.vcol)
    if isinstance(node, Not):
        return Not(_resolve_tree(node.item), node.position)
    return type(node)(tuple(_resolve_tree(item) for item in node.items), node.position)


def _check_text(text: str) -> None:
    """Bounds checked before any parsing: the length first, so a huge filter is refused at once."""
    if len(text) > MAX_LENGTH:
        raise HostFilterError('filter is %d characters long, more than %d' % (len(text), MAX_LENGTH), MAX_LENGTH + 1)
    try:
        text.encode('utf-8')
    except UnicodeEncodeError as exc:
        raise HostFilterError('the filter holds a lone surrogate (U+%04X), which is not valid Unicode text'
                              % ord(text[exc.start]), exc.start + 1) from None


def _count_values(node: Node) -> None:
    total = 0
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, Term):
            total += len(item.value) if item.lookup == 'in' else 1
            if total > MAX_VALUES:
                raise HostFilterError('filter compares with more than %d values in all' % MAX_VALUES, item.position)
        elif isinstance(item, Not):
            todo.append(item.item)
        else:
            todo.extend(item.items)


def parse_host_filter(text: str) -> Node:
    """Parse a host_filter into a syntax tree; raise :class:`HostFilterError`."""
    if not isinstance(text, str):
        raise HostFilterError('the filter must be a string, not %s' % type(text).__name__, 1)
    _check_text(text)
    tree = _resolve_tree(_Parser(text).parse())
    _count_values(tree)
    return tree


# ---------------------------------------------------------------------------
# Term resolution
# ---------------------------------------------------------------------------

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


def _short(text: str, limit: int = 40) -> str:
    """``text`` for an error message: long values are cut (a 4,400-digit value is not repeated)."""
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))


def _check_int(number: int, raw: str, col: int) -> int:
    if not INT_MIN <= number <= INT_MAX:
        raise HostFilterError("integer %s is out of range (integers must lie between %d and %d; quote a fact value to"
                              " compare it as text)" % (_short(raw), INT_MIN, INT_MAX), col)
    return number


def _coerce_int(raw: str, what: str, col: int) -> int:
    if _INT_RE.search(raw):
        if len(raw.lstrip('+-')) > MAX_DIGITS:
            return _check_int(INT_MAX + 1, raw, col)
        return _check_int(int(raw), raw, col)
    raise HostFilterError("expected an integer for %s, got '%s'" % (what, _short(raw)), col)


def _typed(raw: str, col: int) -> Scalar:
    """:func:`string_to_type` for a value the filter compares with; numbers outside what can be compared are errors."""
    if _INT_RE.search(raw):
        return _coerce_int(raw, 'a value', col)
    if _FLOAT_RE.search(raw):
        number = float(raw) if len(raw) <= 2 * MAX_DIGITS else float('inf')
        if number in (float('inf'), float('-inf')) or len(raw) > 2 * MAX_DIGITS:
            raise HostFilterError('number %s is out of range (quote a fact value to compare it as text)' % _short(raw), col)
        return number
    return string_to_type(raw)


@lru_cache(maxsize=256)
def _re2_compile(pattern: str, icase: bool):
    options = re2.Options()
    options.log_errors = False          # the error is raised to the caller, not printed on stderr
    options.case_sensitive = not icase
    options.never_capture = True        # only "is it found" is asked: no group positions to track
    return re2.compile(pattern, options)


def compile_regex(pattern: str, icase: bool):
    """The RE2 regular expression of a ``regex``/``iregex`` term (linear time, no backtracking).

    Raises ``re2.error`` for what RE2 cannot express.
    """
    if re2 is None:
        raise ImportError('regex and iregex lookups need the Python library google-re2 (pip install google-re2): %s'
                          % RE2_IMPORT_ERROR)
    return _re2_compile(pattern, icase)


@lru_cache(maxsize=256)
def regex_test(pattern: str, icase: bool):
    """``test(text) -> bool``: whether the RE2 regex of a ``regex``/``iregex`` term is found in ``text``.

    Both compilers use it (the SQLite functions and the Python predicate), so
    they match the same way.  It calls RE2's matcher directly when the
    binding exposes it (about a third faster than ``search``, which builds a
    match object), else ``search``.
    """
    rx = compile_regex(pattern, icase)
    match = getattr(getattr(rx, '_regexp', None), 'Match', None)
    anchor = getattr(getattr(re2, '_Anchor', None), 'UNANCHORED', None)
    if match is None or anchor is None:
        def test(text):
            return rx.search(text) is not None
        return test

    def fast(text):
        data = text.encode('utf-8', 'surrogatepass')
        return match(anchor, data, 0, len(data))[0][0] != -1
    return fast


_RE2_UNSUPPORTED = (
    (re.compile(r'\\[1-9]|\(\?P='), 'backreferences are not supported'),
    (re.compile(r'\(\?<?[=!]'), 'lookahead and lookbehind are not supported'),
    (re.compile(r'\(\?>'), 'atomic groups are not supported'),
    (re.compile(r'[*+?}][+]'), 'possessive quantifiers are not supported'),
)


def _check_regex(pattern: str, icase: bool, col: int) -> None:
    if re2 is None:
        raise HostFilterError('regex and iregex lookups need the Python library google-re2 on the controller'
                              ' (pip install google-re2)', col)
    try:
        compile_regex(pattern, icase)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode('utf-8', 'replace')
        why = ''
        for shape, text in _RE2_UNSUPPORTED:
            if shape.search(pattern):
                why = '; %s' % text
                break
        raise HostFilterError('invalid regular expression %r (%s%s; regex and iregex use RE2 syntax, see docs/host_filter.md)'
                              % (_short(pattern, 80), detail, why), col) from None


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
                              " or 2025-01-31T14:00:00+02:00), got '%s'" % _short(raw), col) from None
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
        _check_regex(raw, lookup == 'iregex', col)
    return raw


def _coerce_fact(lookup: str, raw: str, quoted: bool, col: int) -> Any:
    if lookup == 'isnull':
        return _coerce_bool(raw, "'isnull'", col)
    if lookup == 'in':
        return tuple(p if quoted else _typed(p, col) for p in _split_in(raw, col))
    if lookup in TEXT_LOOKUPS:
        if lookup in ('regex', 'iregex'):
            _check_regex(raw, lookup == 'iregex', col)
        return raw
    typed = raw if quoted else _typed(raw, col)
    if lookup in COMPARISON_LOOKUPS:
        if typed is None or isinstance(typed, bool):
            raise HostFilterError("'%s' needs a number or a string, got '%s'" % (lookup, _short(raw)), col)
        return typed
    return typed


def _suggest(word: str, candidates, prefix: str = '') -> str:
    """`` (did you mean <prefix>X?)`` for the closest of ``candidates``, or ''."""
    close = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.75)
    return ' (did you mean %s%s?)' % (prefix, close[0]) if close else ''


def _resolve(key: str, kcol: int, tcol: int, raw: str, quoted: bool, vcol: int) -> Term:
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
                raise HostFilterError('empty %s key in %r' % (what, _short(key, 80)), col_of(index))
            if _BAD_FACT_KEY_RE.search(name):
                raise HostFilterError('%s key %r may not contain a double quote, a backslash or a control character' % (
                    what, _short(name)), col_of(index))
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
