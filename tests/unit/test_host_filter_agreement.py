# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Property test: the SQL compilers (SQLite, PostgreSQL) and the Python predicate of host_filter agree.

Random inventories/groups (nested, with cycles)/hosts/facts are loaded into a
fresh in-memory SQLite store created by the store's own migrations; the store's
side table of array leaves is filled with the rows the store writes
(``fact_items.item_rows``, ``insert_items``); random filters
are generated as TEXT from the generated data (so they match something), then
parsed, compiled both ways and the selected host ids compared.

The PostgreSQL compiler joins in when a PostgreSQL server is at hand: with
``FLEET_TEST_BACKEND=postgresql`` and ``FLEET_TEST_PG_URL`` (what the suite's
PostgreSQL run sets), or with ``FLEET_TEST_AGREEMENT_PG_URL`` alone (an admin
URL, to run it in a SQLite run too).  The same worlds, less NUL characters
outside host variables (a PostgreSQL store refuses facts holding one: tested apart), are loaded into
one scratch database, one transaction per example rolled back after it, and
every filter must select the same hosts in all three.  Otherwise those tests
skip.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import uuid

import pytest
from hypothesis import HealthCheck, Phase, assume, event, find, given, settings
from hypothesis import strategies as st

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import fact_number, insert_items, item_rows
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.predicate import compile_python
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import compile_sql
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_postgresql import search_statements
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_sqlite import fact_json_dumps
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.limits import INT_MAX, INT_MIN, MAX_PATH_STEPS
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.resolve import string_to_type
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.postgresql import rewrite_placeholders
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

TS = '2024-01-01T00:00:00Z'


# ---------------------------------------------------------------------------
# store
# ---------------------------------------------------------------------------

def make_db() -> sqlite3.Connection:
    """An empty in-memory store, created by the store's own migrations, ready for filters."""
    store = Store(':memory:')
    store.dialect.prepare_search(store.conn)
    return store.conn


def load(conn, world) -> list:
    """Insert ``world`` and return the Python host dicts."""
    inventories, groups, edges, hosts = world['inventories'], world['groups'], world['edges'], world['hosts']
    for inv in inventories:
        conn.execute('INSERT INTO inventories (id, name, description, kind, created, modified) VALUES (?, ?, ?, ?, ?, ?)',
                     (inv['id'], inv['name'], inv['description'], inv['kind'], TS, TS))
    for g in groups:
        conn.execute('INSERT INTO groups (id, inventory_id, name, description, created, modified) VALUES (?, ?, ?, ?, ?, ?)',
                     (g['id'], g['inventory_id'], g['name'], g['description'], TS, TS))
    for parent, child in edges:
        conn.execute('INSERT OR IGNORE INTO group_children (parent_id, child_id) VALUES (?, ?)', (parent, child))
    fact_keys = {}
    for h in hosts:
        # the store writes host variables both ways: json.dumps (\uXXXX escapes) and canonical_json (raw UTF-8)
        variables = (json.dumps if h['id'] % 2 else canonical_json)(h['variables'])
        conn.execute('INSERT INTO hosts (id, inventory_id, name, description, enabled, instance_id, ansible_facts_modified,'
                     ' variables, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
                     (h['id'], h['inventory_id'], h['name'], h['description'], 1 if h['enabled'] else 0,
                      h['instance_id'], h['ansible_facts_modified'], variables, TS, TS))
        for gid in h['group_ids']:
            conn.execute('INSERT OR IGNORE INTO group_hosts (group_id, host_id) VALUES (?, ?)', (gid, h['id']))
        for key, value in h['facts'].items():
            if key not in fact_keys:
                fact_keys[key] = len(fact_keys) + 1
                conn.execute('INSERT INTO fact_keys (id, name) VALUES (?, ?)', (fact_keys[key], key))
            conn.execute('INSERT INTO host_facts (key_id, host_id, value, num) VALUES (?, ?, ?, ?)',
                         (fact_keys[key], h['id'], fact_json_dumps(value), fact_number(value)))
            # the array-leaf side table, through the rows the store writes
            insert_items(conn, item_rows(h['id'], fact_keys[key], value))
    by_id = {g['id']: g for g in groups}
    parents = {}
    for parent, child in edges:
        parents.setdefault(child, set()).add(parent)
    invs = {i['id']: i for i in inventories}
    out = []
    for h in hosts:
        seen = set()
        todo = list(h['group_ids'])
        while todo:
            gid = todo.pop()
            if gid not in seen:
                seen.add(gid)
                todo.extend(parents.get(gid, ()))

        def public(g):
            return {'id': g['id'], 'name': g['name'], 'description': g['description']}
        out.append({
            'id': h['id'], 'name': h['name'], 'description': h['description'], 'enabled': h['enabled'],
            'instance_id': h['instance_id'], 'ansible_facts_modified': h['ansible_facts_modified'],
            'inventory': dict(invs[h['inventory_id']]),
            'groups': [public(by_id[i]) for i in sorted(set(h['group_ids']))],
            'all_groups': [public(by_id[i]) for i in sorted(seen)],
            'ansible_facts': h['facts'],
            'variables': h['variables'],
        })
    return out


def both(conn, hosts, text):
    node = parse_host_filter(text)
    where, params = compile_sql(node)
    sql_ids = {row[0] for row in conn.execute('SELECT h.id FROM hosts h WHERE ' + where, params)}
    predicate = compile_python(node)
    py_ids = {h['id'] for h in hosts if predicate(h)}
    return sql_ids, py_ids


# ---------------------------------------------------------------------------
# data strategies
# ---------------------------------------------------------------------------

_CHARS = st.characters(exclude_categories=('Cs',))  # NUL included: SQLite's text functions stop at it
WORDS = ['a', 'A', 'ab', 'Ab', 'aB', 'b', 'web', 'Web01', 'é', 'É', 'ß', 'ẞ', 'İ', 'ı', 'Σσς', 'x y', '', '8', '08',
         '3.10', 'true', 'null', 'a.b', 'a,b', "it's", '日本', 'abc\u1F5E3def', '-1', '+2',
         'a\x00b', '\x00', 'ab\x00', '\x00é', 'a' * 30 + '!',
         # around the longest text the index of short values and the member leaf rows hold (fact_items.SHORT_TEXT:
         # 128 characters of JSON, quotes and escapes included), and texts with escapes
         'b' * 126, 'b' * 127, 'é' * 126, 'b' * 125 + '"', 'b' * 126 + '\x00', 'c' * 200, 'a"b', 'a\\b', 'a\nb']
text = st.one_of(st.sampled_from(WORDS), st.text(_CHARS, max_size=5))
FACT_KEYS = ['a', 'b', 'c', 'key with space', 'dotted.key', 'ünï', 'x[0]', 'k$', 'Ω', 'in_x', 'ansible_lo']
BIG_INTS = [INT_MAX, INT_MIN, INT_MAX - 1, 2 ** 53 + 1]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10), st.sampled_from([0.5, 1.0, 2.5, -1.5, 8.0, 3.0]), text,
    st.sampled_from(BIG_INTS))
# what common.now() writes: UTC, microseconds, +00:00
STAMPS = ['2024-01-01T00:00:00.000000+00:00', '2024-06-01T12:00:00.000000+00:00', '2023-12-31T23:59:59.999999+00:00',
          '2024-06-01T11:59:59.500000+00:00']
# how a user may write a time: Z, offsets, a date alone, no offset
TIMES = ['2024-01-01', '2024-06', '2024', '2024-06-01T12:00:00Z', '2024-06-01T14:00:00+02:00', '2024-06-01T07:00:00-05:00',
         '2024-01-01T00:00:00', '2023-12-31T23:59:59.999999Z', '2024-06-01T12:00:00.000001+00:00', '2024-01-01T01:00:00+01:00']


def deep_value(draw, leaf):
    """A value with a long path of mappings and lists down to ``leaf`` (up to MAX_PATH_STEPS keys)."""
    value = leaf
    for dummy in range(draw(st.integers(1, MAX_PATH_STEPS - 1))):
        value = {draw(st.sampled_from(FACT_KEYS[:3])): [value] if draw(st.booleans()) else value}
    return value


facts_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(FACT_KEYS), inner, max_size=3)),
    max_leaves=8)


@st.composite
def worlds(draw):
    n_inv = draw(st.integers(1, 3))
    inventories = [{'id': i + 1, 'name': 'inv%d%s' % (i, draw(st.sampled_from(['', 'A', 'b', 'é']))),
                    'description': draw(text), 'kind': draw(st.sampled_from(['', 'smart', 'constructed']))}
                   for i in range(n_inv)]
    group_names = draw(st.lists(st.tuples(st.integers(1, n_inv), text), max_size=7, unique=True))
    groups = [{'id': i + 1, 'inventory_id': inv, 'name': name, 'description': draw(text)}
              for i, (inv, name) in enumerate(group_names)]
    gids = [g['id'] for g in groups]
    edges = draw(st.lists(st.tuples(st.sampled_from(gids), st.sampled_from(gids)), max_size=8)) if gids else []
    host_names = draw(st.lists(st.tuples(st.integers(1, n_inv), text), min_size=1, max_size=7, unique=True))
    hosts = []
    for i, (inv, name) in enumerate(host_names):
        hosts.append({
            'id': i + 1, 'inventory_id': inv, 'name': name, 'description': draw(text),
            'enabled': draw(st.booleans()), 'instance_id': draw(text),
            'ansible_facts_modified': draw(st.one_of(st.none(), st.sampled_from(STAMPS))),
            'group_ids': draw(st.lists(st.sampled_from(gids), max_size=3)) if gids else [],
            'facts': draw(st.dictionaries(st.sampled_from(FACT_KEYS), facts_values, max_size=4)),
            'variables': draw(st.dictionaries(st.sampled_from(FACT_KEYS), facts_values, max_size=4)),
        })
        if draw(st.integers(0, 3)) == 0:
            hosts[-1]['facts']['deep'] = deep_value(draw, draw(scalars))
        if draw(st.integers(0, 3)) == 0:
            hosts[-1]['variables']['deep'] = deep_value(draw, draw(scalars))
    return {'inventories': inventories, 'groups': groups, 'edges': edges, 'hosts': hosts}


# ---------------------------------------------------------------------------
# filter strategies (text)
# ---------------------------------------------------------------------------

_ATOM_RE = re.compile(r"^[^\s()=\"'][^\s()=\"]*\Z")  # \Z: "$" would let a final newline through


def quote(draw, value: str) -> str:
    """Write ``value`` so that it reads back as the same string."""
    if (value and _ATOM_RE.match(value) and value not in ('and', 'or', 'not') and string_to_type(value) == value
            and draw(st.booleans())):
        return value
    if '"' not in value:
        return '"%s"' % value
    if "'" not in value:
        return "'%s'" % value
    return '"x"'


def text_value(draw, pool: list) -> str:
    value = draw(st.sampled_from(pool)) if pool and draw(st.integers(0, 4)) else draw(text)
    if value and draw(st.integers(0, 3)) == 0:  # a piece of it
        start = draw(st.integers(0, len(value) - 1))
        value = value[start:draw(st.integers(start, len(value)))]
    if draw(st.integers(0, 5)) == 0:
        value = value.swapcase()
    return value


# exponential for a backtracking engine on 'aaa...a!'; linear with RE2
CATASTROPHIC = ['(a+)+$', '(a|aa)+$', '(a*)*b', '^(a|a?)+$', '(.*a){12}', '^(\\w+\\s?)*$', '(?i)(A+)+$']


def regex_value(draw, pool: list) -> str:
    base = re.escape(text_value(draw, pool))
    return draw(st.sampled_from([base, '^' + base, base + '$', '.', '^.$', '[a-z]', base + '|x', '\\x00', 'a\\x00'] + CATASTROPHIC))


TEXT_LOOKUPS = ['', '__exact', '__iexact', '__contains', '__icontains', '__startswith', '__istartswith',
                '__endswith', '__iendswith', '__regex', '__iregex', '__gt', '__gte', '__lt', '__lte', '__in', '__isnull']
INT_LOOKUPS = ['', '__exact', '__gt', '__gte', '__lt', '__lte', '__in', '__isnull']


def column_term(draw, key: str, kind: str, pool: list) -> str:
    if key == 'ansible_facts_modified' and draw(st.booleans()):
        lookup = draw(st.sampled_from(['__gt', '__gte', '__lt', '__lte']))
        return key + lookup + '=' + quote(draw, draw(st.sampled_from(TIMES + [s[:19] for s in STAMPS] + STAMPS)))
    if kind == 'int':
        lookup = draw(st.sampled_from(INT_LOOKUPS))
        if lookup == '__isnull':
            return key + lookup + '=' + draw(st.sampled_from(['true', 'false']))
        num = st.one_of(st.sampled_from(pool), st.integers(-1, 10)) if pool else st.integers(-1, 10)
        if lookup == '__in':
            return key + lookup + '=' + ','.join(str(draw(num)) for dummy in range(draw(st.integers(1, 3))))
        return key + lookup + '=' + str(draw(num))
    if kind == 'bool':
        lookup = draw(st.sampled_from(['', '__exact', '__in', '__isnull']))
        values = ['true', 'false', '1', '0', 'True', '"false"', 'F']
        if lookup == '__in':
            return key + lookup + '=' + ','.join(draw(st.sampled_from(values[:4])) for dummy in range(draw(st.integers(1, 2))))
        if lookup == '__isnull':
            return key + lookup + '=' + draw(st.sampled_from(['true', 'false']))
        return key + lookup + '=' + draw(st.sampled_from(values))
    lookup = draw(st.sampled_from(TEXT_LOOKUPS))
    if key == 'ansible_facts_modified' and lookup in ('__gt', '__gte', '__lt', '__lte'):
        return key + lookup + '=' + quote(draw, draw(st.sampled_from(TIMES + STAMPS)))
    if lookup == '__isnull':
        return key + lookup + '=' + draw(st.sampled_from(['true', 'false']))
    if lookup in ('__regex', '__iregex'):
        return key + lookup + '=' + quote(draw, regex_value(draw, pool))
    if lookup == '__in':
        values = [text_value(draw, pool).replace(',', '') for dummy in range(draw(st.integers(1, 3)))]
        return key + lookup + '=' + quote(draw, ','.join(values))
    return key + lookup + '=' + quote(draw, text_value(draw, pool))


def scalar_text(draw, value) -> str:
    """Filter text for a JSON scalar (typed), or a string variant."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return repr(value)
    return quote(draw, value)


def fact_paths(value, prefix=()):
    """(path pieces, leaf value) for every scalar reachable in ``value``."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from fact_paths(v, prefix + (k,))
    elif isinstance(value, list):
        if prefix:
            for v in value:
                inner = list(fact_paths(v, ()))
                for path, leaf in inner:
                    yield prefix[:-1] + (prefix[-1] + '[]',) + path, leaf
                if not isinstance(v, (dict, list)):
                    yield prefix[:-1] + (prefix[-1] + '[]',), v
        yield prefix, value
    else:
        yield prefix, value


def fact_term(draw, world, field='ansible_facts', data='facts') -> str:
    candidates = []
    for h in world['hosts']:
        for path, leaf in fact_paths(h[data]):
            if path and not any(p in ('in_x',) for p in path):
                candidates.append((path, leaf))
    if candidates and draw(st.integers(0, 5)):
        path, leaf = draw(st.sampled_from(candidates))
        path = list(path)
    else:
        path = draw(st.lists(st.sampled_from(FACT_KEYS + ['c[]', 'a[]']), min_size=1, max_size=3))
        leaf = draw(scalars)
    if draw(st.integers(0, 6)) == 0 and len(path) > 1:  # mutate the path
        i = draw(st.integers(0, len(path) - 1))
        path[i] = path[i][:-2] if path[i].endswith('[]') else path[i] + '[]'
    if draw(st.integers(0, 9)) == 0:  # a deep path, up to the limit
        path = path + draw(st.lists(st.sampled_from(FACT_KEYS[:3] + ['a[]', 'b[]']), max_size=MAX_PATH_STEPS - len(path)))
        path = path[:MAX_PATH_STEPS]
    base = field + '__' + '__'.join(path)
    lookup = draw(st.sampled_from(['', '', '__exact', '__in', '__isnull', '__gt', '__gte', '__lt', '__lte',
                                   '__iexact', '__contains', '__icontains', '__startswith', '__istartswith',
                                   '__endswith', '__iendswith', '__regex', '__iregex']))
    if lookup == '':
        lookup = '__exact' if path[-1] in ('exact', 'in', 'isnull') else ''
    if isinstance(leaf, (list, dict)):
        leaf = draw(scalars)
    if lookup == '__isnull':
        return quote(draw, base + lookup) + '=' + draw(st.sampled_from(['true', 'false']))
    if lookup in ('', '__exact', '__in'):
        if draw(st.integers(0, 4)) == 0:  # type confusion: same text, other type
            leaf = str(leaf).lower() if not isinstance(leaf, str) else leaf
            value = quote(draw, leaf) if draw(st.booleans()) else (leaf if _ATOM_RE.match(leaf or '-') else '"x"')
        else:
            value = scalar_text(draw, leaf)
        if lookup == '__in':
            other = scalar_text(draw, draw(scalars))
            if value.startswith(('"', "'")) or other.startswith(('"', "'")) or ',' in value + other:
                return quote(draw, base + lookup) + '=' + value
            return quote(draw, base + lookup) + '=' + value + ',' + other
        return quote(draw, base + lookup) + '=' + value
    if lookup in ('__gt', '__gte', '__lt', '__lte'):
        if leaf is None or isinstance(leaf, bool):
            leaf = draw(st.integers(-1, 9))
        return quote(draw, base + lookup) + '=' + scalar_text(draw, leaf)
    pool = [leaf] if isinstance(leaf, str) else [str(leaf)]
    if lookup in ('__regex', '__iregex'):
        return quote(draw, base + lookup) + '=' + quote(draw, regex_value(draw, pool))
    return quote(draw, base + lookup) + '=' + quote(draw, text_value(draw, pool))


def relation_term(draw, world) -> str:
    rel = draw(st.sampled_from(['inventory', 'groups', 'group', 'all_groups']))
    objs = world['inventories'] if rel == 'inventory' else world['groups']
    fields = ['id', 'name', 'description', 'search'] + (['kind'] if rel == 'inventory' else [])
    field = draw(st.sampled_from(fields + ['']))
    if field == '':
        if draw(st.integers(0, 3)) == 0:
            return rel + '__isnull=' + draw(st.sampled_from(['true', 'false']))
        return column_term(draw, rel, 'int', [o['id'] for o in objs])
    if field == 'search':
        return rel + '__search=' + quote(draw, text_value(draw, [o['name'] for o in objs] + [o['description'] for o in objs]))
    kind = 'int' if field == 'id' else 'text'
    return column_term(draw, rel + '__' + field, kind, [o[field] for o in objs])


def host_term(draw, world) -> str:
    hosts = world['hosts']
    field = draw(st.sampled_from(['id', 'name', 'description', 'instance_id', 'enabled', 'ansible_facts_modified', 'search']))
    if field == 'search':
        return 'search=' + quote(draw, text_value(draw, [h['name'] for h in hosts] + [h['description'] for h in hosts]))
    kind = {'id': 'int', 'enabled': 'bool'}.get(field, 'text')
    pool = [h[field] for h in hosts if h[field] is not None]
    return column_term(draw, field, kind, pool)


def term(draw, world) -> str:
    which = draw(st.integers(0, 11))
    if which >= 10:
        return fact_term(draw, world, 'variables', 'variables')
    if which < 4:
        return fact_term(draw, world)
    if which < 7:
        return relation_term(draw, world)
    return host_term(draw, world)


def expression(draw, world, depth=0) -> str:
    choice = draw(st.integers(0, 5 if depth < 3 else 0))
    if choice <= 1:
        return term(draw, world)
    if choice == 2:
        return 'not ' + expression(draw, world, depth + 1)
    if choice == 3:
        return '(' + expression(draw, world, depth + 1) + ')'
    op = ' and ' if choice == 4 else ' or '
    return expression(draw, world, depth + 1) + op + expression(draw, world, depth + 1)


def postgresql_world(world):
    """``world`` as a PostgreSQL store can hold it: no NUL in facts nor in text columns (host variables are
    JSON text there, where a NUL is an escape: they keep theirs)."""
    out = without_nul({k: v for k, v in world.items() if k != 'hosts'})
    out['hosts'] = [dict(without_nul({k: v for k, v in h.items() if k != 'variables'}), variables=h['variables'])
                    for h in world['hosts']]
    return out


def without_nul(value):
    """``value`` with every NUL of its strings replaced."""
    if isinstance(value, str):
        return value.replace('\x00', '\ue000')
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(without_nul(v) for v in value)
    return value


@st.composite
def cases(draw, nul=True):
    world = draw(worlds() if nul else worlds().map(postgresql_world))
    filters = [expression(draw, world) for dummy in range(draw(st.integers(1, 6)))]
    return world, filters


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_sql_and_python_agree(case):
    world, filters = case
    conn = make_db()
    hosts = load(conn, world)
    all_ids = {h['id'] for h in hosts}
    for text_ in filters:
        sql_ids, py_ids = both(conn, hosts, text_)
        assert sql_ids == py_ids, (text_, sql_ids, py_ids)
        if py_ids and py_ids != all_ids:
            event('proper nonempty subset')
        elif py_ids:
            event('all hosts')
        else:
            event('no host')


def _matches_proper_subset(kind):
    def condition(case):
        world, filters = case
        conn = make_db()
        hosts = load(conn, world)
        all_ids = {h['id'] for h in hosts}
        for text_ in filters:
            if kind not in text_:
                continue
            sql_ids, py_ids = both(conn, hosts, text_)
            assert sql_ids == py_ids
            if py_ids and py_ids != all_ids:
                return True
        return False
    return condition


def test_generated_filters_are_not_trivial():
    """The generator produces filters that select a nonempty proper subset, for every term family."""
    for kind in ('ansible_facts__', '[]', 'groups__', 'all_groups__', 'inventory', 'name', 'not ', '__isnull', '__in',
                 'variables__', '__regex', 'ansible_facts_modified__'):
        world, filters = find(cases(), _matches_proper_subset(kind),
                              settings=settings(max_examples=1000, deadline=None, database=None, phases=[Phase.generate],
                                                suppress_health_check=list(HealthCheck)))
        assert any(kind in f for f in filters)


# ---------------------------------------------------------------------------
# hostile filters: beyond a limit is a host_filter: error, within it the compilers agree
# ---------------------------------------------------------------------------

HUGE_NUMBERS = st.one_of(
    st.integers(INT_MAX + 1, 10 ** 30).map(str), st.integers(-10 ** 30, INT_MIN - 1).map(str),
    st.integers(4301, 4500).map(lambda n: '9' * n), st.integers(0, 9).map(lambda n: '1.' + '5' * (201 + n)))


@st.composite
def hostile_filters(draw):
    """A hostile term inside a random filter: huge numbers, over-long paths, inexpressible regexes, surrogates."""
    world = draw(worlds())
    kind = draw(st.sampled_from(['number', 'path', 'regex', 'surrogate']))
    if kind == 'number':
        key = draw(st.sampled_from(['id', 'id__in', 'groups__id__gte', 'ansible_facts__a', 'ansible_facts__a__lt',
                                    'variables__a__in', 'ansible_facts__c[]']))
        bad = key + '=' + draw(HUGE_NUMBERS)
    elif kind == 'path':
        steps = draw(st.lists(st.sampled_from(FACT_KEYS[:3] + ['a[]']), min_size=MAX_PATH_STEPS + 1, max_size=600))
        bad = draw(st.sampled_from(['ansible_facts__', 'variables__'])) + '__'.join(steps) + '=1'
    elif kind == 'regex':
        bad = draw(st.sampled_from(['name', 'groups__name', 'ansible_facts__a', 'variables__b[]'])) + draw(
            st.sampled_from(['__regex', '__iregex'])) + '=' + quote(draw, draw(st.sampled_from(
                ['(a)\\1', '(?=a)', '(?!a)b', '(?<=a)b', '(?<!a)b', 'a++', '(?>a)', 'a{1001}', '(?P<x>a)(?P=x)'])))
    else:
        bad = 'name="%s"' % draw(st.sampled_from(['\ud800', 'a\udfff', '\udbff\udc00']))
    good = expression(draw, world)
    text = draw(st.sampled_from(['%s and %s', '%s or (%s)', 'not (%s or %s)'])) % (
        (good, bad) if draw(st.booleans()) else (bad, good))
    return world, text, good


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_filters())
def test_hostile_filters_are_refused_and_the_rest_agrees(case):
    world, text, good = case
    try:
        parse_host_filter(text)
    except HostFilterError as exc:
        assert str(exc).startswith('host_filter: ')
    else:
        raise AssertionError('accepted: %r' % text)
    conn = make_db()
    hosts = load(conn, world)
    sql_ids, py_ids = both(conn, hosts, good)
    assert sql_ids == py_ids, (good, sql_ids, py_ids)


# ---------------------------------------------------------------------------
# PostgreSQL: the third compiler, over the same worlds (less NUL)
# ---------------------------------------------------------------------------

def _pg_admin_url():
    if os.environ.get('FLEET_TEST_AGREEMENT_PG_URL'):
        return os.environ['FLEET_TEST_AGREEMENT_PG_URL']
    if os.environ.get('FLEET_TEST_BACKEND') == 'postgresql':
        return os.environ.get('FLEET_TEST_PG_URL')
    return None


PG_ADMIN_URL = _pg_admin_url()
needs_pg = pytest.mark.skipif(not PG_ADMIN_URL, reason='no PostgreSQL server (FLEET_TEST_BACKEND=postgresql with'
                              ' FLEET_TEST_PG_URL, or FLEET_TEST_AGREEMENT_PG_URL)')


@pytest.fixture(scope='module')
def pg():
    """A psycopg connection to a scratch PostgreSQL store (created by the store's backend, dropped at the end)."""
    psycopg = pytest.importorskip('psycopg')
    from backends import pg_url  # tests/backends.py

    name = 'fleet_agreement_%s' % uuid.uuid4().hex[:12]
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
    admin.execute('CREATE DATABASE %s' % name)
    store = Store(pg_url(name, PG_ADMIN_URL))
    try:
        yield store.conn.raw
    finally:
        store.close()
        admin.execute('DROP DATABASE IF EXISTS %s WITH (FORCE)' % name)
        admin.close()


def load_pg(conn, world) -> None:
    """``world`` into the PostgreSQL store, as :func:`load` does for SQLite."""
    cur = conn.cursor()
    cur.executemany('INSERT INTO inventories (id, name, description, kind, created, modified) VALUES (%s, %s, %s, %s, %s, %s)',
                    [(i['id'], i['name'], i['description'], i['kind'], TS, TS) for i in world['inventories']])
    cur.executemany('INSERT INTO groups (id, inventory_id, name, description, created, modified) VALUES (%s, %s, %s, %s, %s, %s)',
                    [(g['id'], g['inventory_id'], g['name'], g['description'], TS, TS) for g in world['groups']])
    cur.executemany('INSERT INTO group_children (parent_id, child_id) VALUES (%s, %s) ON CONFLICT DO NOTHING', world['edges'])
    fact_keys = {}
    for h in world['hosts']:
        variables = (json.dumps if h['id'] % 2 else canonical_json)(h['variables'])
        cur.execute('INSERT INTO hosts (id, inventory_id, name, description, enabled, instance_id, ansible_facts_modified,'
                    ' variables, created, modified) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)',
                    (h['id'], h['inventory_id'], h['name'], h['description'], h['enabled'], h['instance_id'],
                     h['ansible_facts_modified'], variables, TS, TS))
        cur.executemany('INSERT INTO group_hosts (group_id, host_id) VALUES (%s, %s) ON CONFLICT DO NOTHING',
                        [(gid, h['id']) for gid in h['group_ids']])
        for key, value in h['facts'].items():
            if key not in fact_keys:
                fact_keys[key] = len(fact_keys) + 1
                cur.execute('INSERT INTO fact_keys (id, name) VALUES (%s, %s)', (fact_keys[key], key))
            cur.execute('INSERT INTO host_facts (key_id, host_id, value, num) VALUES (%s, %s, %s::jsonb, %s)',
                        (fact_keys[key], h['id'], fact_json_dumps(value), fact_number(value, exact=True)))
            cur.executemany('INSERT INTO host_fact_items (key_id, path, value, host_id) VALUES (%s, %s, %s, %s)',
                            item_rows(h['id'], fact_keys[key], value))


def pg_ids(conn, node) -> set:
    for statement in search_statements(node):
        conn.execute(statement)
    # both ways of naming a fact key: a subquery of fact_keys, and the ids the store resolves before
    # compiling (store/search.py; -1 for a key the store does not have)
    key_ids = dict(conn.execute('SELECT name, id FROM fact_keys').fetchall())
    out = []
    for ids in (None, key_ids):
        where, params = compile_sql(node, 'postgresql', key_ids=ids)
        out.append({row[0] for row in conn.execute(rewrite_placeholders('SELECT h.id FROM hosts h WHERE ' + where), params)})
    assert out[0] == out[1], out
    return out[0]


def _unique_names(world) -> bool:
    return all(len({(o['inventory_id'], o['name']) for o in world[kind]}) == len(world[kind]) for kind in ('groups', 'hosts'))


@needs_pg
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(cases(nul=False))
def test_sqlite_postgresql_and_python_agree(pg, case):
    world, filters = case
    assume(_unique_names(world))    # replacing NUL may have made two names one
    conn = make_db()
    hosts = load(conn, world)
    with pg.transaction(force_rollback=True):
        load_pg(pg, world)
        for text_ in filters:
            sql_ids, py_ids = both(conn, hosts, text_)
            with pg.transaction():
                postgresql_ids = pg_ids(pg, parse_host_filter(text_))
            assert sql_ids == py_ids == postgresql_ids, (text_, sql_ids, py_ids, postgresql_ids)


# ---------------------------------------------------------------------------
# regular expressions: RE2 (SQLite, Python) and the rewritten ARE (PostgreSQL) agree
# ---------------------------------------------------------------------------

RE_CHARS = ['a', 'b', 'k', 'K', '\u212a', 's', 'S', '\u017f', 'σ', 'ς', 'Σ', 'é', 'É', 'ß', 'ẞ', 'ı', 'i', 'I', 'İ', 'ǅ', 'ǆ',
            '\n', ' ', '_', '-', '0', '7', '😀', '.', ']', '^', '\\', '\t', '\x0b']
RE_CLASS_ITEMS = ['a', 'k', 'é', 'σ', '_', '\\-', '\\]', '\\\\', '\\^', 'a-z', 'A-Z', 'à-ÿ', '\\x{100}-\\x{17f}', '0-9', '\\d', '\\w',
                  '\\s', '\\D', '\\W', '\\S', '[:alpha:]', '[:^space:]', '[:upper:]', '[:word:]', '[:punct:]', '\\n', '\\x{212a}']
RE_ESCAPES = ['\\d', '\\D', '\\w', '\\W', '\\s', '\\S', '\\b', '\\B', '\\A', '\\z', '\\n', '\\t', '\\v', '\\x41', '\\x{212a}', '\\101',
              '\\.', '\\\\', '\\Qa.b\\E', '\\x{1F600}']
RE_FLAGS = ['(?i)', '(?s)', '(?m)', '(?-i)', '(?is)', '(?U)']


def _re_piece(draw, depth):
    kind = draw(st.integers(0, 9 if depth < 3 else 5))
    if kind <= 1:
        char = draw(st.sampled_from(RE_CHARS))
        return re.escape(char) if char in '.^\\[]()|*+?{}$' else char
    if kind == 2:
        return draw(st.sampled_from(RE_ESCAPES))
    if kind == 3:
        items = draw(st.lists(st.sampled_from(RE_CLASS_ITEMS), min_size=1, max_size=3))
        return '[%s%s]' % ('^' if draw(st.booleans()) else '', ''.join(items))
    if kind == 4:
        return draw(st.sampled_from(['.', '^', '$']))
    if kind == 5:
        return draw(st.sampled_from(RE_FLAGS))
    inner = _re_sequence(draw, depth + 1)
    if kind == 6:
        inner += '|' + _re_sequence(draw, depth + 1)
    opener = draw(st.sampled_from(['(', '(?:', '(?i:', '(?-i:', '(?s:', '(?m:']))
    return opener + inner + ')'


def _re_sequence(draw, depth=0):
    out = ''
    for dummy in range(draw(st.integers(0, 4))):
        piece = _re_piece(draw, depth)
        if not piece.startswith('(?') or piece.endswith(':)') or ':' in piece[:6]:
            if draw(st.integers(0, 3)) == 0:
                piece += draw(st.sampled_from(['*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?', '{2,}?']))
        out += piece
    return out


@st.composite
def regex_cases(draw):
    pattern = _re_sequence(draw)
    if draw(st.integers(0, 3)) == 0:
        pattern += '|' + _re_sequence(draw)
    texts = draw(st.lists(st.text(st.sampled_from(RE_CHARS), max_size=8), min_size=1, max_size=12))
    return pattern, draw(st.booleans()), texts


@pytest.fixture(scope='module')
def pg_plain():
    psycopg = pytest.importorskip('psycopg')
    conn = psycopg.connect(PG_ADMIN_URL, autocommit=True)
    yield conn
    conn.close()


@needs_pg
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(regex_cases())
def test_regexes_match_alike_in_re2_and_postgresql(pg_plain, case):
    from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.regex import (
        compile_regex, postgresql_regex, regex_test)

    pattern, icase, texts = case
    try:
        compile_regex(pattern, icase)
    except Exception:   # re2.error: not a pattern RE2 takes (a repeated assertion, ...)
        assume(False)
    are = postgresql_regex(pattern, icase)
    got = [row[0] for row in pg_plain.execute(
        'SELECT t COLLATE "C" ~ %s FROM unnest(%s::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n', (are, texts))]
    want = [regex_test(pattern, icase)(t) for t in texts]
    assert got == want, (pattern, icase, are, [(t, w, g) for t, w, g in zip(texts, want, got) if w != g])


@needs_pg
def test_postgresql_lower_is_python_lower(pg_plain):
    """The PostgreSQL compiler's lower() (ICU root) is ``str.lower`` for every code point, and for final sigma."""
    from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_postgresql import ICU_COLLATION

    chars = [chr(cp) for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF]
    chars += ['ΑΣ', 'ΑΣ Α', 'aΣ', 'ΑΣΑ', "a'Σ", 'İ', 'Σσς', 'ǅǄǆ', 'ẞß']
    bad = []
    for start in range(0, len(chars), 100000):
        batch = chars[start:start + 100000]
        rows = pg_plain.execute('SELECT lower(t COLLATE "%s") FROM unnest(%%s::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n'
                                % ICU_COLLATION, (batch,)).fetchall()
        bad += [(c, c.lower(), row[0]) for c, row in zip(batch, rows) if row[0] != c.lower()]
    assert not bad, bad[:20]
