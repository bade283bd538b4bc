# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regular expressions of ``regex``/``iregex`` terms: RE2 syntax, one meaning on every store.

The SQLite function and the Python predicate search with RE2 (google-re2):
linear time, no backtracking.  The PostgreSQL compiler matches with
PostgreSQL's own engine the ARE that :func:`postgresql_regex` rewrites the
pattern into.  :func:`check_regex` is what the parser calls for every
pattern: it refuses what RE2 cannot compile and what has no rewriting of the
same meaning (docs/host_filter.md "Regular expressions").
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError, shorten

try:
    import re2
except ImportError as exc:  # reported when a filter uses regex/iregex, not on import
    RE2_IMPORT_ERROR = exc
    re2 = None
else:
    RE2_IMPORT_ERROR = None

__all__ = ['compile_regex', 'regex_test', 'check_regex', 'postgresql_regex', '_RegexUnsupported', 'MAX_PG_REPEAT',
           'RE2_IMPORT_ERROR']


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


def check_regex(pattern: str, icase: bool, col: int) -> None:
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
                              % (shorten(pattern, 80), detail, why), col) from None
    try:
        postgresql_regex(pattern, icase)
    except _RegexUnsupported as exc:
        raise HostFilterError('unsupported regular expression %r (%s; regex and iregex take the part of RE2 syntax that'
                              ' every store backend runs alike, see docs/host_filter.md "Regular expressions")'
                              % (shorten(pattern, 80), exc), col) from None


# ---------------------------------------------------------------------------
# The same regular expression for PostgreSQL
# ---------------------------------------------------------------------------
#
# PostgreSQL matches with its own engine (Henry Spencer's AREs), whose syntax
# and meaning differ from RE2's in many places: ``\b`` is a backspace there,
# ``.`` and ``[^a]`` match a newline, classes and case folding follow the
# collation, bounds stop at 255, ``(?i)`` only at the start.  Instead of
# trusting a shared subset, a pattern is rewritten into an ARE of the same
# meaning: every character class becomes an explicit set of code points
# (case-folded the way RE2 folds, when the match ignores case), every
# assertion an explicit ARE construct, every group non-capturing.  What has
# no faithful rewriting is refused when the filter is parsed (on every store,
# so a filter means the same everywhere): Unicode classes ``\p``/``\P``,
# ``\C``, and repetition counts above 255.

MAX_PG_REPEAT = 255                 # PostgreSQL's RE_DUP_MAX
_MAX_CP = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)
_WORD = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_PERL = {
    'd': ((0x30, 0x39),),
    's': ((0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)),     # RE2: [\t\n\f\r ], no \v
    'w': _WORD,
}
_POSIX = {
    'alnum': ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    'alpha': ((0x41, 0x5A), (0x61, 0x7A)),
    'ascii': ((0x00, 0x7F),),
    'blank': ((0x09, 0x09), (0x20, 0x20)),
    'cntrl': ((0x00, 0x1F), (0x7F, 0x7F)),
    'digit': ((0x30, 0x39),),
    'graph': ((0x21, 0x7E),),
    'lower': ((0x61, 0x7A),),
    'print': ((0x20, 0x7E),),
    'punct': ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    'space': ((0x09, 0x0D), (0x20, 0x20)),
    'upper': ((0x41, 0x5A),),
    'word': _WORD,
    'xdigit': ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
}
_SIMPLE_ESCAPES = {'a': 0x07, 'f': 0x0C, 't': 0x09, 'n': 0x0A, 'r': 0x0D, 'v': 0x0B}
_OCTAL = '01234567'
_HEX = '0123456789abcdefABCDEF'
_WORD_CLASS = '[0-9A-Za-z_]'
_NOT_WORD_CLASS = '[^0-9A-Za-z_]'
_REPEAT_RE = re.compile(r'\{([0-9]+)(,([0-9]*))?\}')
_GROUP_FLAGS_RE = re.compile(r'\(\?([imsU]*)(?:-([imsU]*))?([:)])')
_GROUP_NAME_RE = re.compile(r'\(\?P?<[A-Za-z0-9_]+>')
# RE2 folds these ASCII letters with a third character (Kelvin sign, long s).
_ASCII_EXTRA_FOLDS = {'k': '\u212a', 's': '\u017f'}


class _RegexUnsupported(ValueError):
    """A valid RE2 pattern that has no rewriting of the same meaning for PostgreSQL."""


def _normalize(ranges) -> list:
    """Sorted, merged ``[(lo, hi)]`` without the surrogates (which no text holds)."""
    out = []
    for lo, hi in sorted(ranges):
        for a, b in ((lo, min(hi, _SURROGATES[0] - 1)), (max(lo, _SURROGATES[1] + 1), hi)):
            if a > b:
                continue
            if out and a <= out[-1][1] + 1:
                out[-1] = (out[-1][0], max(out[-1][1], b))
            else:
                out.append((a, b))
    return out


def _complement(ranges) -> list:
    out, start = [], 0
    for lo, hi in _normalize(ranges):
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= _MAX_CP:
        out.append((start, _MAX_CP))
    return _normalize(out)


_CASED = None


def _cased_table():
    """``(sorted code points that have a case, {cp: python orbit})``, built on first need.

    The orbits join every character with its single-character lower, upper,
    title and case-folded forms (both ways); RE2's orbits are subsets of these
    (checked by the tests), and :func:`_orbit` keeps the members RE2 folds.
    Cased characters all lie below U+20000.
    """
    global _CASED
    if _CASED is None:
        links: dict = {}
        for cp in range(0x20000):
            if _SURROGATES[0] <= cp <= _SURROGATES[1]:
                continue
            char = chr(cp)
            for other in (char.lower(), char.upper(), char.title(), char.casefold()):
                if len(other) == 1 and other != char:
                    links.setdefault(cp, set()).add(ord(other))
                    links.setdefault(ord(other), set()).add(cp)
        orbits: dict = {}
        for cp in links:
            if cp in orbits:
                continue
            group, todo = {cp}, [cp]
            while todo:
                for nxt in links[todo.pop()]:
                    if nxt not in group:
                        group.add(nxt)
                        todo.append(nxt)
            frozen = frozenset(group)
            for member in group:
                orbits[member] = frozen
        _CASED = (sorted(orbits), orbits)
    return _CASED


@lru_cache(maxsize=4096)
def _orbit(cp: int) -> frozenset:
    """The code points RE2 matches for ``cp`` when it ignores case (``cp`` included)."""
    char = chr(cp)
    if cp < 0x80:
        if not char.isalpha():
            return frozenset((cp,))
        low = char.lower()
        return frozenset(ord(c) for c in (low, low.upper()) + tuple(_ASCII_EXTRA_FOLDS.get(low, '')))
    candidates = _cased_table()[1].get(cp)
    if not candidates:
        return frozenset((cp,))
    rx = compile_regex('^\\x{%x}$' % cp, True)
    return frozenset(c for c in candidates if c == cp or rx.search(chr(c)) is not None)


def _fold(ranges) -> list:
    """``ranges`` plus every character RE2 folds one of them to."""
    ranges = _normalize(ranges)
    extra = []
    if all(hi < 0x80 for lo, hi in ranges):
        for lo, hi in ranges:
            for cp in range(lo, hi + 1):
                extra.extend((c, c) for c in _orbit(cp))
        return _normalize(ranges + extra)
    cased = _cased_table()[0]
    for lo, hi in ranges:
        for cp in cased[bisect.bisect_left(cased, lo):bisect.bisect_right(cased, hi)]:
            extra.extend((c, c) for c in _orbit(cp))
        for cp in range(lo, min(hi, 0x7F) + 1):      # ASCII letters (Kelvin sign, long s)
            extra.extend((c, c) for c in _orbit(cp))
    return _normalize(ranges + extra)


def _char(cp: int) -> str:
    char = chr(cp)
    if char.isascii() and char.isalnum():
        return char
    return '\\U%08X' % cp


def _ranges_text(ranges) -> str:
    return ''.join(_char(lo) if lo == hi else '%s-%s' % (_char(lo), _char(hi)) for lo, hi in ranges)


def _bracket(ranges) -> str:
    """An ARE bracket for the code points ``ranges`` (negated when that is shorter)."""
    ranges = _normalize(ranges)
    if not ranges:
        return '[^\\U00000000-\\U0010FFFF]'      # matches nothing, as RE2's empty class
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _char(ranges[0][0])
    others = _complement(ranges)
    if not others:
        return '.'                                # an ARE's '.' matches every character, newline included
    if len(others) < len(ranges):
        return '[^%s]' % _ranges_text(others)
    return '[%s]' % _ranges_text(ranges)


class _Translator:
    """One pass over a pattern RE2 has accepted (so its syntax is known to be valid)."""

    def __init__(self, pattern: str, icase: bool) -> None:
        self.p = pattern
        self.i = 0
        self.flags = {'i': icase, 's': False, 'm': False}
        self.stack: list = []
        self.out: list = []

    # -- output
    def atom(self, text: str) -> None:
        self.out.append(text)

    def assertion(self, text: str) -> None:
        self.out.append('(?:%s)' % text)      # wrapped: RE2 lets an assertion take a quantifier, PostgreSQL does not

    def char_set(self, ranges) -> None:
        self.atom(_bracket(_fold(ranges) if self.flags['i'] else ranges))

    def negated_set(self, ranges) -> None:
        positive = _fold(ranges) if self.flags['i'] else ranges
        self.atom(_bracket(_complement(positive)))

    def literal(self, cp: int) -> None:
        self.char_set([(cp, cp)])

    # -- input
    def run(self) -> str:
        p = self.p
        while self.i < len(p):
            c = p[self.i]
            if c == '\\':
                self.escape()
            elif c == '[':
                self.bracket()
            elif c == '(':
                self.group()
            elif c == ')':
                self.i += 1
                self.flags = self.stack.pop()
                self.atom(')')
            elif c == '|':
                self.i += 1
                self.atom('|')
            elif c == '.':
                self.i += 1
                if self.flags['s']:
                    self.atom('.')             # an ARE's '.' matches a newline too (no newline-sensitive flag)
                else:
                    self.atom('[^\\U0000000A]')
            elif c == '^':
                self.i += 1
                self.assertion('^|(?<=\\n)' if self.flags['m'] else '^')
            elif c == '$':
                self.i += 1
                self.assertion('$|(?=\\n)' if self.flags['m'] else '$')
            elif c in '*+?':
                self.i += 1
                self.atom(c)
                self.lazy()
            elif c == '{' and _REPEAT_RE.match(p, self.i):
                self.repeat(_REPEAT_RE.match(p, self.i))
            else:
                self.i += 1
                self.literal(ord(c))
        return ''.join(self.out)

    def lazy(self) -> None:
        # only whether the pattern is found matters: a lazy quantifier finds what a greedy one finds
        if self.p.startswith('?', self.i):
            self.i += 1

    def repeat(self, match) -> None:
        low = int(match.group(1))
        high = match.group(3)
        for count in (low, int(high) if high else 0):
            if count > MAX_PG_REPEAT:
                raise _RegexUnsupported('repetition count %d is above %d, the most PostgreSQL takes' % (count, MAX_PG_REPEAT))
        self.i = match.end()
        self.atom(match.group(0))
        self.lazy()

    def group(self) -> None:
        p = self.p
        self.stack.append(dict(self.flags))
        flags = _GROUP_FLAGS_RE.match(p, self.i)
        if flags:
            on, off, end = flags.group(1), flags.group(2) or '', flags.group(3)
            self.i = flags.end()
            target = self.flags
            for name in on:
                if name in target:
                    target[name] = True
            for name in off:
                if name in target:
                    target[name] = False
            if end == ')':
                # ``(?i)``: the flags hold to the end of the enclosing group
                self.stack.pop()
            else:
                self.atom('(?:')
            return
        named = _GROUP_NAME_RE.match(p, self.i)
        if named:
            self.i = named.end()
        elif p.startswith('(?:', self.i):
            self.i += 3
        else:
            self.i += 1
        self.atom('(?:')

    # -- escapes
    def escape_char(self):
        """Read one escape at ``self.i`` (the backslash); return a code point or a list of ranges."""
        p = self.p
        c = p[self.i + 1]
        self.i += 2
        if c in _PERL:
            return list(_PERL[c])
        if c in 'DSW':
            return _complement(_fold(_PERL[c.lower()]) if self.flags['i'] else _PERL[c.lower()])
        if c in 'pP':
            raise _RegexUnsupported('Unicode classes (\\%s) are not supported' % c)
        if c == 'C':
            raise _RegexUnsupported('\\C (any byte) is not supported')
        if c in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[c]
        if c == 'x':
            if p.startswith('{', self.i):
                end = p.index('}', self.i)
                value = int(p[self.i + 1:end], 16)
                self.i = end + 1
                return value
            value = int(p[self.i:self.i + 2], 16)
            self.i += 2
            return value
        if c in _OCTAL:
            digits = c
            while len(digits) < 3 and self.i < len(p) and p[self.i] in _OCTAL:
                digits += p[self.i]
                self.i += 1
            return int(digits, 8)
        return ord(c)       # an escaped punctuation character stands for itself

    def escape(self) -> None:
        p = self.p
        c = p[self.i + 1]
        if c == 'Q':
            end = p.find('\\E', self.i + 2)
            text = p[self.i + 2:] if end < 0 else p[self.i + 2:end]
            self.i = len(p) if end < 0 else end + 2
            for char in text:
                self.literal(ord(char))
            return
        if c == 'E':            # a \E without \Q is ignored by RE2
            self.i += 2
            return
        if c in 'bB':
            self.i += 2
            boundary = ('(?<=%s)(?!%s)|(?<!%s)(?=%s)' if c == 'b' else '(?<=%s)(?=%s)|(?<!%s)(?!%s)')
            word = _WORD_CLASS
            self.assertion(boundary % (word, word, word, word))
            return
        if c == 'A':
            self.i += 2
            self.assertion('^')
            return
        if c == 'z':
            self.i += 2
            self.assertion('$')
            return
        value = self.escape_char()
        if isinstance(value, int):
            self.literal(value)
        elif c in 'DSW':
            self.atom(_bracket(value))
        else:
            self.char_set(value)

    # -- classes
    def bracket(self) -> None:
        p = self.p
        self.i += 1
        negated = p.startswith('^', self.i)
        if negated:
            self.i += 1
        ranges: list = []
        first = True
        while True:
            c = p[self.i]
            if c == ']' and not first:
                self.i += 1
                break
            first = False
            if p.startswith('[:', self.i):
                end = p.find(':]', self.i + 2)
                name = p[self.i + 2:end]
                if end > 0 and name.lstrip('^') in _POSIX:
                    self.i = end + 2
                    members = _POSIX[name.lstrip('^')]
                    if name.startswith('^'):
                        members = _complement(_fold(members) if self.flags['i'] else members)
                    ranges.extend(members)
                    continue
            low = self.class_char()
            if isinstance(low, list):
                ranges.extend(low)
                continue
            if p.startswith('-', self.i) and not p.startswith('-]', self.i):
                self.i += 1
                high = self.class_char()
                ranges.append((low, high))
            else:
                ranges.append((low, low))
        if negated:
            self.negated_set(ranges)
        else:
            self.char_set(ranges)

    def class_char(self):
        p = self.p
        if p[self.i] == '\\':
            return self.escape_char()
        self.i += 1
        return ord(p[self.i - 1])


@lru_cache(maxsize=256)
def postgresql_regex(pattern: str, icase: bool) -> str:
    """The ARE that PostgreSQL's ``~`` (under ``COLLATE "C"``) matches exactly where RE2 finds ``pattern``.

    ``pattern`` must be one RE2 compiles (:func:`check_regex` checks both);
    raises :class:`_RegexUnsupported` for what has no rewriting.
    """
    return _Translator(pattern, icase).run()
