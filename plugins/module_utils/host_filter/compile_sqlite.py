# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host_filter compiler for SQLite (3.40+, JSON1, no JSONB).

Facts are read with SQLite's JSON functions over ``host_facts.value`` (JSON
text); regexes and case-insensitive lookups call Python functions registered
on the connection (:func:`register_sqlite_functions`), so they behave exactly
as the Python predicate: RE2 and ``str.lower``.

SQLite contract: the connection must have the functions of
:func:`register_sqlite_functions`, and ``host_facts.value`` must be written
with :func:`fact_json_dumps` (``ensure_ascii=False``): SQLite before 3.45
compares JSON path labels with the raw, still escaped, key text, so a
non-ASCII key stored as ``\\uXXXX`` would never be found.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Optional

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compiler import SqlFilterCompiler
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.regex import regex_test

__all__ = ['SqliteFilterCompiler', 'JsonCursor', 'register_sqlite_functions', 'fact_json_dumps']


def fact_json_dumps(value: Any) -> str:
    """Serialise one top-level fact value for ``host_facts.value``."""
    return json.dumps(value, ensure_ascii=False, separators=(',', ':'), allow_nan=False)


class JsonCursor(NamedTuple):
    """A position inside a JSON document, in dialect-specific terms.

    For SQLite: ``doc`` is the SQL expression of the document, ``prefix`` an
    optional SQL expression producing a JSON path, and ``suffix`` the rest of
    the path as plain text (bound when used).  ``element``, when set, is the
    alias of a ``json_each`` row and the cursor denotes that row's value.
    """
    doc: str
    prefix: Optional[str]
    suffix: str
    element: Optional[str] = None


class SqliteFilterCompiler(SqlFilterCompiler):
    """SQLite 3.40+ (JSON1, no JSONB).  Needs :func:`register_sqlite_functions`."""

    dialect = 'sqlite'
    _SQLITE_TYPES = {
        'null': ('null',), 'true': ('true',), 'false': ('false',),
        'number': ('integer', 'real'), 'string': ('text',),
        'array': ('array',), 'object': ('object',),
    }

    def placeholder(self) -> str:
        return '?'

    def true_literal(self) -> str:
        return '1'

    def false_literal(self) -> str:
        return '0'

    def bool_value(self, value: bool) -> Any:
        return 1 if value else 0

    def lower(self, expr: str) -> str:
        return 'py_lower(%s)' % expr

    def lower_value(self, value: str) -> str:
        return value.lower()

    def regex_match(self, expr: str, pattern: str, icase: bool) -> str:
        return '%s(%s, %s)' % ('iregexp' if icase else 'regexp', self.bind(pattern), expr)

    # Text lookups compare the UTF-8 bytes (a BLOB): SQLite's text functions
    # (instr, substr, length) stop at a NUL character, its BLOB functions do
    # not, and byte containment / prefix / suffix of UTF-8 is exactly that of
    # the code points, so a value holding NUL is searched like Python does.
    def text_contains(self, expr: str, needle: str) -> str:
        return '(instr(CAST(%s AS BLOB), %s) > 0)' % (expr, self.bind(needle.encode('utf-8')))

    def text_startswith(self, expr: str, prefix: str) -> str:
        if not prefix:
            return '(%s IS NOT NULL)' % expr
        data = prefix.encode('utf-8')
        # substr() of an empty BLOB is NULL, not an empty BLOB: hence the COALESCE
        return 'COALESCE(substr(CAST(%s AS BLOB), 1, %s) = %s, 0)' % (expr, self.bind(len(data)), self.bind(data))

    def text_endswith(self, expr: str, suffix: str) -> str:
        if not suffix:
            return '(%s IS NOT NULL)' % expr
        data = suffix.encode('utf-8')
        return 'COALESCE(substr(CAST(%s AS BLOB), %s) = %s, 0)' % (expr, self.bind(-len(data)), self.bind(data))

    # -- JSON
    def json_path(self, cursor: JsonCursor) -> str:
        if cursor.prefix is None:
            return self.bind('$' + cursor.suffix)
        if cursor.suffix:
            return '(%s || %s)' % (cursor.prefix, self.bind(cursor.suffix))
        return cursor.prefix

    def json_root(self, doc: str) -> JsonCursor:
        return JsonCursor(doc, None, '')

    def json_document(self, cursor: JsonCursor) -> JsonCursor:
        """A path-based cursor for ``cursor`` (turns a json_each element into a document)."""
        if cursor.element is None:
            return cursor
        # A container element's value is its JSON text; a primitive can have
        # no member, so it becomes an empty object (never unparseable text).
        doc = "(CASE %s.type WHEN 'object' THEN %s.value ELSE json_object() END)" % (cursor.element, cursor.element)
        return JsonCursor(doc, None, '')

    def json_member(self, cursor: JsonCursor, key: str) -> JsonCursor:
        # Keys never contain '"' or '\\' (the parser rejects them), so a
        # quoted label is exact; quoting also covers dots, spaces, brackets.
        cursor = self.json_document(cursor)
        return cursor._replace(suffix='%s."%s"' % (cursor.suffix, key))

    def json_each_source(self, cursor: JsonCursor) -> tuple:
        """``(alias, "json_each(...) AS alias")`` over the value at ``cursor``."""
        j = self.alias('j')
        if cursor.element is not None:
            # a json_each row: containers have their JSON text as value; a
            # primitive yields no array element and no member
            doc = "(CASE WHEN %s.type IN ('object', 'array') THEN %s.value ELSE 'null' END)" % (cursor.element, cursor.element)
            return j, 'json_each(%s) AS %s' % (doc, j)
        return j, 'json_each(%s, %s) AS %s' % (cursor.doc, self.json_path(cursor), j)

    def json_elements(self, cursor: JsonCursor) -> tuple:
        # json_each also walks objects (text keys) and yields one row for a
        # primitive (NULL key): only array elements have integer keys.  The
        # element is read from the json_each row (type/atom/value), so the
        # document is not parsed again per element.
        j, source = self.json_each_source(cursor)
        return source, "typeof(%s.key) = 'integer'" % j, JsonCursor('', None, '', j)

    def json_member_row(self, cursor: JsonCursor, key: str) -> tuple:
        # json_each decodes object keys; array elements have integer keys and
        # a primitive a NULL key, which never equal a text key
        j, source = self.json_each_source(cursor)
        return source, '%s.key = %s' % (j, self.bind(key)), JsonCursor('', None, '', j)

    def _json_type_expr(self, cursor: JsonCursor) -> str:
        if cursor.element is not None:
            return '%s.type' % cursor.element
        return 'json_type(%s, %s)' % (cursor.doc, self.json_path(cursor))

    def json_type_in(self, cursor: JsonCursor, kinds: tuple) -> str:
        names = [n for k in kinds for n in self._SQLITE_TYPES[k]]
        expr = self._json_type_expr(cursor)
        if len(names) == 1:
            return "(%s = '%s')" % (expr, names[0])
        return '(%s IN (%s))' % (expr, ', '.join("'%s'" % n for n in names))

    def json_present(self, cursor: JsonCursor) -> str:
        return "(%s <> 'null')" % self._json_type_expr(cursor)

    def json_scalar(self, cursor: JsonCursor) -> str:
        if cursor.element is not None:
            return '%s.atom' % cursor.element
        return 'json_extract(%s, %s)' % (cursor.doc, self.json_path(cursor))



# ----------------------------------------------------------------------
# SQLite functions
# ----------------------------------------------------------------------

def _regexp(pattern, value):
    if not isinstance(value, str) or not isinstance(pattern, str):
        return 0
    return 1 if regex_test(pattern, False)(value) else 0


def _iregexp(pattern, value):
    if not isinstance(value, str) or not isinstance(pattern, str):
        return 0
    return 1 if regex_test(pattern, True)(value) else 0


def _py_lower(value):
    return value.lower() if isinstance(value, str) else value


def register_sqlite_functions(conn) -> None:
    """Register ``regexp``, ``iregexp`` (RE2, as the Python predicate) and ``py_lower`` (``str.lower``) on ``conn``."""
    conn.create_function('regexp', 2, _regexp, deterministic=True)
    conn.create_function('iregexp', 2, _iregexp, deterministic=True)
    conn.create_function('py_lower', 1, _py_lower, deterministic=True)
