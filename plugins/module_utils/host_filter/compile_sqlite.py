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
import re
import sqlite3
from json.encoder import encode_basestring
from typing import Any, NamedTuple, Optional

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import And, Or, Term, walk_terms
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compiler import SqlFilterCompiler, indexed_fact_equality
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.fields import FACTS_FIELD
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.regex import regex_test

__all__ = ['SqliteFilterCompiler', 'HostSetPlan', 'HostSetStatements', 'JsonCursor', 'register_sqlite_functions', 'fact_json_dumps', 'prefix_upper_bound']

#: a plain column of a table alias (``h.name``, ``g3.name``): a prefix is also an index range on it
_PLAIN_COLUMN = re.compile(r'^[a-z]+[0-9]*\.[a-z_]+$')
#: ``SELECT x.host_id FROM <source> WHERE <condition>`` of one membership subquery (the first WHERE at depth 0)
_SUBQUERY = re.compile(r'^SELECT ([a-z]+[0-9]+)\.host_id FROM ((?:(?! WHERE ).)*) WHERE (.*)$', re.DOTALL)


def prefix_upper_bound(prefix: str) -> Optional[str]:
    """The least text above every text that starts with ``prefix`` (code-point order), or None (no bound).

    SQLite compares TEXT in its default BINARY collation by the UTF-8 bytes,
    which is code-point order, so ``prefix <= x < bound`` holds exactly for
    the ``x`` that start with ``prefix``.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if code <= 0x10FFFF:
            if 0xD800 <= code <= 0xDFFF:  # surrogates are no text: the next code point after them
                code = 0xE000
            chars[-1] = chr(code)
            return ''.join(chars)
        chars.pop()
    return None


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
        test = 'COALESCE(substr(CAST(%s AS BLOB), 1, %s) = %s, 0)' % (expr, self.bind(len(data)), self.bind(data))
        if _PLAIN_COLUMN.match(expr):
            # the same hosts, but an index on the column (hosts_name, groups_name) can serve the range
            upper = prefix_upper_bound(prefix)
            bound = '%s >= %s' % (expr, self.bind(prefix))
            if upper is not None:
                bound += ' AND %s < %s' % (expr, self.bind(upper))
            test = '(%s AND %s)' % (bound, test)
        return test

    # -- OR: equalities of one top-level fact are one ``IN`` (one index range, one probe)
    def merges_equality(self, term) -> bool:
        """An Or's equalities of one top-level fact are one ``in``: one range of ``host_facts_value`` (or
        ``host_facts_num``), or one probe of a candidate host, instead of two."""
        return len(term.path) == 1 and indexed_fact_equality(term)

    # -- AND: one term drives, the others are probed per candidate host
    def conjunction(self, items: list, parts: list) -> list:
        """One operand of the AND selects the candidate hosts; the others are tested per candidate.

        SQLite runs each uncorrelated ``h.id IN (SELECT ...)`` in full (every
        host of the fleet with that fact value, into a temporary b-tree) before
        it intersects them, so ``(Ubuntu or Debian) and groups__name=web and
        vcpus >= 8`` read three broad sets over 1M hosts.  Here the operand
        most likely to be selective keeps its ``IN`` (SQLite reads its list and
        looks each host up) and every other membership test becomes the same
        subquery correlated on the host (``EXISTS (... AND x.host_id = h.id)``),
        a primary-key probe per candidate.  ``h.id IN (S)`` and ``EXISTS (S
        correlated)`` hold for exactly the same hosts (the subquery's ids are
        never NULL), so only the plan changes.  The guess: a host column test
        (an index on ``hosts``) > a group or inventory relation > a fact
        equality > a comparison > anything else.
        """
        if len(parts) < 2:
            return parts
        ranks = [self._selectivity_rank(item, part[0]) for item, part in zip(items, parts)]
        driver = ranks.index(min(ranks))
        out = []
        for index, part in enumerate(parts):
            out.append(part if index == driver else (_correlate(part[0]),) + tuple(part[1:]))
        return out

    @staticmethod
    def selectivity_rank(item, sql: str) -> int:
        """The guess of :meth:`conjunction`: 0 (a host column equality: fewest hosts) to 6 (cannot drive)."""
        return SqliteFilterCompiler._selectivity_rank(item, sql)

    @staticmethod
    def _selectivity_rank(item, sql: str) -> int:
        if not isinstance(item, Term):
            return 5
        if item.lookup == 'isnull' or not sql.startswith('(h.'):
            return 6
        if item.kind != 'json' and item.relation is None:
            return 0 if item.lookup in ('exact', 'in') else 4
        if item.relation is not None:
            return 1 if item.lookup in ('exact', 'in') else 4
        if item.lookup in ('exact', 'in'):
            return 2
        return 3 if item.lookup in ('gt', 'gte', 'lt', 'lte') else 4

    # -- plans of lists and counts that read index ranges instead of every matching hosts row
    def host_set_plan(self, node) -> Optional['HostSetPlan']:
        """The filter ``node`` as a :class:`HostSetPlan`, or None when no operand of it selects hosts from an index.

        The operands are those of a top-level AND (the filter itself otherwise).
        An operand that is one membership test ``h.id IN (SELECT x.host_id ...)``
        or an OR of such tests can select the candidate hosts; the store picks one
        (``store/search.py``) and the plan's statements test the others per
        candidate.  A filter that needed CTEs (very large ones) has no plan.
        """
        self.params = []
        self._alias = 0
        self.ctes = []
        self.subqueries = sum(1 for term in walk_terms(node) if term.relation is not None or term.field == FACTS_FIELD)
        items = self.operands(node) if isinstance(node, And) else [node]
        parts = [self.node(item)[0] for item in items]
        if any(self.selectivity_rank(item, part) == 0 for item, part in zip(items, parts)):
            return None  # a host column equality: the compiled filter drives from its index on hosts
        candidates = {}
        for index, (item, sql) in enumerate(zip(items, parts)):
            pieces = None
            if _membership(sql) is not None:
                pieces = [_membership(sql)]
            elif isinstance(item, Or):
                pieces = [_membership(self.node(sub)[0]) for sub in self.operands(item)]
            if pieces and all(p is not None and not _HOSTS_REF.search(p[2]) for p in pieces):
                candidates[index] = pieces
        if self.ctes or not candidates:
            return None
        return HostSetPlan(self, items, parts, candidates)

    # -- fact equality: index ranges (top level, object members), else text pre-tests before parsing
    def fact_term(self, term) -> str:
        """String equality on a deeper fact path without arrays, tested on the JSON text before it is parsed.

        Top-level facts and the members of a top-level object are looked up in
        indexes by the portable compiler (:meth:`SqlFilterCompiler.fact_scalar_term`,
        the member rows of ``host_fact_items``).  For a deeper path (or a value
        too long for a member row): a stored fact is canonical JSON
        (:func:`common.canonical_json`, the store rewrote any other text once,
        schema migration 11): a string equal to the filter string appears in
        it verbatim, in quotes, so a value whose text does not contain the
        quoted string (``LIKE '%"10.0.0.42"%'``) cannot match and costs a byte
        comparison, not a JSON parse; the JSON functions decide the rest (and
        read a string only up to a NUL: a value holding ``\\u0000`` is parsed too).
        """
        values = ((term.value,) if term.lookup == 'exact' else tuple(term.value)) if term.lookup in ('exact', 'in') else ()
        if (term.field != FACTS_FIELD or not values or any(step.array for step in term.path) or indexed_fact_equality(term)
                or not all(isinstance(v, str) for v in values)):
            return super().fact_term(term)
        texts = list(dict.fromkeys(encode_basestring(v) for v in values))
        if any('\\' in t for t in texts):
            return super().fact_term(term)
        leaf, _negate = self.term_leaf(term)
        hf, fk = self.alias('hf'), self.alias('fk')
        value = '%s.value' % hf
        pred = self.json_walk(self.json_root(value), self.walk_ops(term.path, first_member=False), leaf)
        # LIKE as a pre-test only (what it lets through is decided by ``pred``): its ASCII case
        # folding and its wildcards (% and _) can only let more through, never less; no ESCAPE
        # clause, so a backslash is a plain character; it is cheaper than instr() on SQLite.
        found = ' OR '.join('%s LIKE %s' % (value, self.bind('%' + t + '%')) for t in texts)
        # a string the JSON functions read as equal without it being there verbatim holds a NUL (they cut it there)
        escaped = '%s LIKE %s' % (value, self.bind('%\\u0000%'))
        test = '(%s OR %s) AND %s' % (found, escaped, pred)
        return ('(h.id IN (SELECT %s.host_id FROM host_facts %s WHERE %s.key_id = (SELECT %s.id FROM fact_keys %s'
                ' WHERE %s.name = %s) AND %s))') % (hf, hf, hf, fk, fk, fk, self.bind(term.path[0].key), test)

    def scalar_fact_text(self, value) -> Any:
        if isinstance(value, str):
            return encode_basestring(value)
        return 'null' if value is None else ('true' if value else 'false')

    def fact_value_in(self, column: str, texts: list) -> str:
        if len(texts) == 1:
            return '%s = %s' % (column, self.bind(texts[0]))
        return '%s IN (%s)' % (column, ', '.join(self.bind(t) for t in texts))

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


#: a reference to the outer ``hosts h`` row (``h.id``, ``h.name``), not to an alias ending in h (``gh5.``)
_HOSTS_REF = re.compile(r'(?<![A-Za-z0-9_.])h\.')
#: the compiler's parameter marker (see SqlFilterCompiler.bind)
_MARKER = re.compile('\x00([0-9]+)\x00')
#: membership sources whose host ids are ids of stored hosts (a foreign key with ON DELETE CASCADE); the rows of
#: ``host_fact_items`` are deleted by their writers (schema 7 dropped that key), so its ids are checked against hosts
_TRUSTED_SOURCES = ('host_facts ', 'group_hosts ')


def _membership(sql: str):
    """``(alias, source, where)`` when ``sql`` is exactly one ``(h.id IN (SELECT x.host_id FROM f WHERE w))``, else None."""
    if not sql.startswith(_MEMBERSHIP) or _closing(sql, 0) != len(sql) - 1:
        return None
    match = _SUBQUERY.match(sql[len('(h.id IN ('):-2])
    return match.groups() if match else None


class HostSetPlan:
    """A host filter as index ranges: the statements of a count and of a page that need not read every matching host.

    ``items`` are the filter's AND operands and ``parts`` their SQL over ``hosts h``;
    ``candidates`` maps the index of each operand that can select the candidate
    hosts to its ``pieces``: ``(alias, source, where)`` of one membership subquery
    each (one for a term, one per operand of an OR: their union).  Host conditions
    of the caller (the list's own filters, the pending-delete inventories) are
    added with :meth:`add_condition`.  Every statement is ``(sql, params)``.

    Why the results are those of ``SELECT ... FROM hosts h WHERE <filter>``: a
    host matches the AND exactly when its id is in the driver's subquery and
    every other operand holds for it; an operand that is a membership test holds
    exactly when the correlated probe ``EXISTS (... AND x.host_id = <id>)`` does
    (the subquery's ids are never NULL); an operand or condition that reads a
    host column is tested on the host's row (one ``hosts`` probe).  The ids of
    ``host_facts`` and ``group_hosts`` rows are ids of stored hosts (foreign keys
    with ``ON DELETE CASCADE``); others are checked against ``hosts``.  A host has
    one ``host_facts`` row per key, so a range of one key counts hosts; anything
    else is counted ``DISTINCT`` or as a ``UNION``.
    """

    def __init__(self, compiler, items, parts, candidates):
        self.compiler = compiler
        self.items = items
        self.parts = parts
        self.candidates = candidates
        self.conditions = []

    def add_condition(self, sql: str, params) -> None:
        """AND the host condition ``sql`` (over ``hosts h``, ``?`` placeholders for ``params``) to the filter."""
        values = iter(params)
        self.conditions.append(re.sub(r'\?', lambda _m: self.compiler.bind(next(values)), sql))

    def rank(self, index: int) -> int:
        """The compiler's guess of how selective operand ``index`` is (lower: fewer hosts), for the order of the estimates."""
        return self.compiler.selectivity_rank(self.items[index], self.parts[index])

    def finish(self, sql: str) -> tuple:
        """``(sql, params)`` of a statement written with the compiler's markers."""
        ordered = []

        def place(match):
            ordered.append(self.compiler.params[int(match.group(1))])
            return '?'
        return _MARKER.sub(place, sql), ordered

    def estimates(self, index: int, cap: int) -> list:
        """Statements counting the rows of each piece of operand ``index``, at most ``cap`` each (index ranges only)."""
        return [self.finish('SELECT COUNT(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT %d)' % (source, where, int(cap)))
                for _alias, source, where in self.candidates[index]]

    def walk_where(self) -> tuple:
        """``(sql, params)``: the whole filter and the conditions over ``hosts h``, every membership a correlated probe.

        A page by this condition can walk an index in the requested order and stop after its rows.
        """
        return self.finish(' AND '.join(self.conditions + [_correlate(part) for part in self.parts]))

    def driven(self, driver: int) -> 'HostSetStatements':
        """The statements with operand ``driver`` selecting the candidates."""
        selects, probed = [], False
        pieces = self.candidates[driver]
        for alias, source, where in pieces:
            outer = '%s.host_id' % alias
            probes, on_host = [], list(self.conditions)
            for index, part in enumerate(self.parts):
                if index == driver:
                    continue
                correlated = _correlate(part, outer)
                if _HOSTS_REF.search(correlated):
                    on_host.append(_correlate(part))
                else:
                    probes.append(correlated)
            if on_host:
                probes.append('EXISTS (SELECT 1 FROM hosts h WHERE h.id = %s AND %s)' % (outer, ' AND '.join(on_host)))
            elif not source.startswith(_TRUSTED_SOURCES):
                probes.append('EXISTS (SELECT 1 FROM hosts h WHERE h.id = %s)' % outer)
            probed = probed or bool(probes)
            selects.append((alias, source, ' AND '.join(['(%s)' % where] + probes)))
        if len(selects) == 1:
            alias, source, where = selects[0]
            ids = 'SELECT %s.host_id FROM %s WHERE %s' % (alias, source, where)
            unique = source.startswith('host_facts ')
            count = 'SELECT COUNT(%s) FROM %s WHERE %s' % ('*' if unique else 'DISTINCT %s.host_id' % alias, source, where)
        else:
            ids = ' UNION '.join('SELECT %s.host_id FROM %s WHERE %s' % s for s in selects)
            unique = True
            count = 'SELECT COUNT(*) FROM (%s)' % ids
        return HostSetStatements(self, ids, count, unique, cheap=not probed)


class HostSetStatements(NamedTuple):
    """The statements of a :class:`HostSetPlan` with its driver chosen.

    ``cheap``: the count reads index ranges only (no probe per candidate);
    ``unique``: ``ids`` never repeats a host id.
    """
    plan: HostSetPlan
    ids: str
    count_sql: str
    unique: bool
    cheap: bool

    def count(self) -> tuple:
        """How many hosts match."""
        return self.plan.finish(self.count_sql)

    def page(self, order: str, limit: int, offset: int) -> tuple:
        """The page of the matching hosts read by id and sorted (``order``: an ``ORDER BY`` clause over ``h``)."""
        return self.plan.finish('SELECT h.* FROM hosts h WHERE h.id IN (%s)%s LIMIT %d OFFSET %d' % (self.ids, order, int(limit), int(offset)))

    def counted_page(self, order: str, limit: int, offset: int, walk: bool, counted: bool = True) -> tuple:
        """The page and the count in one statement (the filter evaluated once): every row carries ``plan_count``
        (with ``counted``; without, the page alone).

        ``walk``: the page walks ``hosts`` in ``order`` (an index) and tests each host against the
        materialized ids (a lookup in memory per host); otherwise it reads the matches by id and sorts them.
        """
        count = '(SELECT COUNT(%sid) FROM plan_ids) AS plan_count, ' % ('' if self.unique else 'DISTINCT ') if counted else ''
        return self.plan.finish(
            'WITH plan_ids(id) AS %s(%s) SELECT %sh.* FROM hosts h WHERE %sh.id IN (SELECT id FROM plan_ids)%s LIMIT %d OFFSET %d' % (
                _MATERIALIZED, self.ids, count, '+' if walk else '', order, int(limit), int(offset)))


#: a CTE read twice is computed once (the keyword exists from SQLite 3.35 on; before, it is the default)
_MATERIALIZED = 'MATERIALIZED ' if sqlite3.sqlite_version_info >= (3, 35) else ''


_MEMBERSHIP = '(h.id IN (SELECT '


def _correlate(sql: str, outer: str = 'h.id') -> str:
    """``sql`` with every ``(h.id IN (SELECT x.host_id FROM f WHERE w))`` as ``EXISTS (SELECT 1 FROM f WHERE (w) AND x.host_id = <outer>)``.

    Membership tests of other shapes (``NOT IN``, CTE references, ``h.inventory_id IN``) are left as they are.
    ``outer`` is the host id the probes are correlated on (``h.id``, or a host id column of another table).
    """
    out, pos = [], 0
    while True:
        start = sql.find(_MEMBERSHIP, pos)
        if start < 0:
            out.append(sql[pos:])
            return ''.join(out)
        end = _closing(sql, start)
        inner = sql[start + len('(h.id IN ('):end - 1]  # SELECT x.host_id FROM ... WHERE ...
        match = _SUBQUERY.match(inner)
        if match is None:
            out.append(sql[pos:start + len(_MEMBERSHIP)])
            pos = start + len(_MEMBERSHIP)
            continue
        alias, source, where = match.group(1), match.group(2), _correlate(match.group(3), outer)
        out.append(sql[pos:start])
        out.append('EXISTS (SELECT 1 FROM %s WHERE (%s) AND %s.host_id = %s)' % (source, where, alias, outer))
        pos = end + 1


def _closing(sql: str, start: int) -> int:
    """The index of the parenthesis that closes the one at ``start`` (no parenthesis is ever inside a literal here)."""
    depth = 0
    for index in range(start, len(sql)):
        char = sql[index]
        if char == '(':
            depth += 1
        elif char == ')':
            depth -= 1
            if depth == 0:
                return index
    raise ValueError('unbalanced SQL fragment')


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
