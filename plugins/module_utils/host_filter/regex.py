# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Regular expressions of ``regex``/``iregex`` terms.

The SQLite function and the Python predicate search with RE2 (google-re2):
linear time, no backtracking.  :func:`check_regex` is what the parser calls
for every pattern: it refuses what RE2 cannot compile.
"""

from __future__ import annotations

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

__all__ = ['compile_regex', 'regex_test', 'check_regex', 'RE2_IMPORT_ERROR']


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

