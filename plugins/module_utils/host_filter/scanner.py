# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host_filter scanner: filter text -> tokens.

A pyparsing 3 grammar cuts the text into tokens: ``(``, ``)``, ``=``, quoted
text (``"..."`` or ``'...'``, the quotes removed) and ATOMs -- runs of
characters other than Unicode whitespace, ``(``, ``)``, ``=`` and ``"`` (not
starting with ``'``).  Whitespace is dropped, but each token records whether
some came before it (the parser needs that for keywords after ``=``).  An
unterminated quote is an error at its column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError

try:
    from pyparsing import MatchFirst, ParseException, Regex, ZeroOrMore
except ImportError as exc:  # reported when a filter is parsed, not on import
    PYPARSING_IMPORT_ERROR = exc
else:
    PYPARSING_IMPORT_ERROR = None

__all__ = ['Token', 'tokenize', 'KEYWORDS', 'PYPARSING_IMPORT_ERROR']

#: Words that are operators when unquoted (lowercase only).
KEYWORDS = frozenset({'and', 'or', 'not'})


@dataclass(frozen=True)
class Token:
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


def tokenize(text: str) -> list:
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
        tokens.append(Token(kind, content, loc, end, space))
        space = False
    return tokens

