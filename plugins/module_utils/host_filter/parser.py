# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host_filter parser: tokens -> one syntax tree (AWX SmartFilter syntax plus extensions).

A filter is a boolean expression over ``key=value`` terms::

    expr    := or_expr
    or_expr := and_expr ("or" and_expr)*          left-associative
    and_expr:= not_expr ("and" not_expr)*         binds tighter than "or"
    not_expr:= "not" not_expr | primary           binds tightest
    primary := "(" expr ")" | term
    term    := key "=" [value]                    no value = empty string
    key, value := ATOM | "double quoted" | 'single quoted'

Tokens come from :mod:`scanner`.  Keywords are lowercase and only recognised
unquoted; a keyword directly after ``=`` (no space) is a value (``name=and``).

:func:`parse_host_filter` returns the tree of :mod:`ast` nodes with every
term resolved by :mod:`resolve`.  The precedence parser is a small
recursive-descent parser so that every error names the problem and its
1-based column, and so that parsing is linear in the input.  Syntax errors
are reported before resolution errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import And, Node, Not, Or, Term
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.limits import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_TERMS,
    MAX_VALUES,
)
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.resolve import resolve_term
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.scanner import KEYWORDS, Token, tokenize

__all__ = ['parse_host_filter']


def _describe(tok: Token) -> str:
    if tok.kind == 'quoted':
        return 'quoted text'
    if tok.kind == 'atom':
        return "'%s'" % tok.text
    return "'%s'" % {'lpar': '(', 'rpar': ')', 'eq': '='}[tok.kind]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.terms = 0
        self.last_key = ''

    # -- helpers
    def peek(self, offset: int = 0) -> Optional[Token]:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def end_column(self) -> int:
        return len(self.text) + 1

    def column(self, tok: Optional[Token]) -> int:
        return self.end_column() if tok is None else tok.start + 1

    def is_keyword(self, offset: int = 0, word: Optional[str] = None) -> bool:
        """Is the token at ``offset`` the keyword ``word`` (any keyword if None)?"""
        tok = self.peek(offset)
        if tok is None or tok.kind != 'atom' or tok.text not in KEYWORDS:
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

    def enter(self, tok: Token) -> None:
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
                not value.space_before or value.kind == 'quoted' or value.text not in KEYWORDS):
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
        return resolve_term(node.key, node.kcol, node.tcol, node.raw, node.quoted, node.vcol)
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

