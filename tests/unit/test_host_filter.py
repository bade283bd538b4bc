# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_filter: parser, SQL compiler and Python compiler.

Behaviour tests run every filter against a real in-memory SQLite store created
by the store's own migrations AND through the Python predicate, and require both
to select exactly the expected hosts.
"""

from __future__ import annotations

import pickle
import sqlite3
import sys

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import fact_number, insert_items, item_rows
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.predicate import compile_python
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import compile_sql
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import And, FactStep, Not, Or, Term
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_sqlite import SqliteFilterCompiler, fact_json_dumps, register_sqlite_functions
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compiler import SqlFilterCompiler
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.fields import LOOKUPS, SEARCHABLE
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.limits import MAX_DEPTH
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.resolve import string_to_type
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

TS = '2024-01-01T00:00:00Z'
U = 'abc\u1F5E3def'

# ---------------------------------------------------------------------------
# fixture world
# ---------------------------------------------------------------------------

INVENTORIES = [
    (1, 'prod', 'Production', ''),
    (2, 'smart', 'smart inv', 'smart'),
]
GROUPS = [  # id, name, description
    (1, 'east', 'East'),
    (2, 'west coast', ''),
    (3, 'local', 'local machines'),
    (4, 'east-sub', ''),
    (5, 'east-subsub', ''),
    (6, 'cyc_a', ''),
    (7, 'cyc_b', ''),
    (8, 'Foo Group', 'has foo'),
]
EDGES = [(1, 4), (4, 5), (6, 7), (7, 6)]  # parent, child: east > east-sub > east-subsub; cyc_a <-> cyc_b
C_ARRAY = [3, 3.14, True, False, 'true', 'hello world', {'d': ['foobar']}, {'d': 'foobar'}, {'d': {'e': 'foobar'}},
           {'d': {'e': ['foobar']}}, {'d': {'e': {'f': ['foobar']}}}]
HOSTS = [
    # id, name, inventory, description, enabled, instance_id, facts_modified, groups, facts
    (1, 'localhost', 1, '', True, '', '2024-01-01T00:00:00Z', [3, 1], {
        'ansible_date_time': {'weekday_number': '3'},
        'ansible_processor': ['GenuineIntel', 'Intel(R) Xeon(R) CPU'],
        'ansible_lo': {'ipv6': [{'scope': 'host', 'address': '::1'}]},
        'ansible_processor_vcpus': 8,
        'ansible_env': {'PYTHONUNBUFFERED': 'true'},
        'ansible_distribution': 'Fedora',
        'a': None,
        'c': 'null',
    }),
    (2, 'database', 1, 'main DB', True, 'i-db', '2024-06-01T00:00:00Z', [2], {
        'ansible_processor': ['AuthenticAMD'],
        'ansible_processor_vcpus': 8.0,
        'ansible_env': {'PYTHONUNBUFFERED': True},
        'ansible_lo': {'ipv6': {'scope': 'host'}},
        'ansible_distribution': 'Ubuntu',
        'ansible_memtotal_mb': 2048,
        'a': {'b': {'c': [4, {'d': ['nope']}, {'d': {'e': 'nope'}}]}},
    }),
    (3, 'web 01', 1, 'Foo server', True, '', None, [5], {
        'ansible_processor_vcpus': '8',
        'ansible_processor': 'GenuineIntel',
        'ansible_date_time': {'weekday_number': 3},
        'ansible_distribution': 'fedora',
        'a': {'b': {'c': 3}},
        'ansible_memtotal_mb': 512,
    }),
    (4, '3.10', 2, '', False, '', None, [], {
        'a': {'b': {'c': C_ARRAY}},
        'ansible_processor_vcpus': 1,
    }),
    (5, '007', 2, '', True, '', None, [7], {
        'blank': '',
        'contains': 'yes',
    }),
    (6, U, 2, 'ÜBER', True, '', None, [4, 6], {
        'a': U,
        'key with space': {'dotted.key': 1, 'ünï': 'x', '[x]': 'br', 'Ω': {'é': [1, 2]}},
        'ansible_processor_vcpus': True,
    }),
    (7, 'foobar', 1, '', False, 'i-123', None, [8], {}),
]
ALL = {h[1] for h in HOSTS}


def make_db():
    """An empty in-memory store, created by the store's own migrations, ready for filters."""
    store = Store(':memory:')
    store.dialect.prepare_search(store.conn)
    return store.conn


def build():
    conn = make_db()
    for iid, name, desc, kind in INVENTORIES:
        conn.execute('INSERT INTO inventories (id, name, description, kind, created, modified) VALUES (?,?,?,?,?,?)',
                     (iid, name, desc, kind, TS, TS))
    for gid, name, desc in GROUPS:
        conn.execute('INSERT INTO groups (id, inventory_id, name, description, created, modified) VALUES (?,1,?,?,?,?)',
                     (gid, name, desc, TS, TS))
    conn.executemany('INSERT INTO group_children (parent_id, child_id) VALUES (?,?)', EDGES)
    keys = {}
    for hid, name, inv, desc, enabled, iid, fmod, gids, facts in HOSTS:
        conn.execute('INSERT INTO hosts (id, inventory_id, name, description, enabled, instance_id, ansible_facts_modified,'
                     ' created, modified) VALUES (?,?,?,?,?,?,?,?,?)',
                     (hid, inv, name, desc, int(enabled), iid, fmod, TS, TS))
        for gid in gids:
            conn.execute('INSERT INTO group_hosts (group_id, host_id) VALUES (?,?)', (gid, hid))
        for key, value in facts.items():
            kid = keys.setdefault(key, len(keys) + 1)
            conn.execute('INSERT OR IGNORE INTO fact_keys (id, name) VALUES (?,?)', (kid, key))
            conn.execute('INSERT INTO host_facts (key_id, host_id, value, num) VALUES (?,?,?,?)',
                         (kid, hid, fact_json_dumps(value), fact_number(value)))
            insert_items(conn, item_rows(hid, kid, value))
    groups = {gid: {'id': gid, 'name': n, 'description': d} for gid, n, d in GROUPS}
    parents = {}
    for p, c in EDGES:
        parents.setdefault(c, set()).add(p)
    invs = {i[0]: dict(zip(('id', 'name', 'description', 'kind'), i)) for i in INVENTORIES}
    dicts = []
    for hid, name, inv, desc, enabled, iid, fmod, gids, facts in HOSTS:
        seen, todo = set(), list(gids)
        while todo:
            g = todo.pop()
            if g not in seen:
                seen.add(g)
                todo.extend(parents.get(g, ()))
        dicts.append({'id': hid, 'name': name, 'description': desc, 'enabled': enabled, 'instance_id': iid,
                      'ansible_facts_modified': fmod, 'inventory': invs[inv], 'groups': [groups[g] for g in gids],
                      'all_groups': [groups[g] for g in sorted(seen)], 'ansible_facts': facts})
    return conn, dicts


CONN, HOST_DICTS = build()
NAMES = {h['id']: h['name'] for h in HOST_DICTS}


def select(text):
    """Names selected by ``text``, asserting that SQL and Python agree."""
    node = parse_host_filter(text)
    where, params = compile_sql(node)
    sql = {NAMES[r[0]] for r in CONN.execute('SELECT h.id FROM hosts h WHERE ' + where, params)}
    predicate = compile_python(node)
    py = {h['name'] for h in HOST_DICTS if predicate(h)}
    assert sql == py, (text, where, params)
    return sql


def check(text, expected):
    assert select(text) == set(expected), text


# ---------------------------------------------------------------------------
# AWX documentation examples
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('name=localhost', {'localhost'}),
    ('ansible_facts__ansible_date_time__weekday_number="3"', {'localhost'}),
    ('ansible_facts__ansible_processor[]="GenuineIntel"', {'localhost'}),
    ('ansible_facts__ansible_lo__ipv6[]__scope="host"', {'localhost'}),
    ('ansible_facts__ansible_processor_vcpus=8', {'localhost', 'database'}),
    ('ansible_facts__ansible_env__PYTHONUNBUFFERED="true"', {'localhost'}),
    ('(name=localhost or name=database) and (groups__name=east or groups__name="west coast") '
     'and ansible_facts__ansible_processor_vcpus=8', {'localhost', 'database'}),
    ('group__name=local', {'localhost'}),
    ('search=foo', {'web 01', 'foobar'}),
    ('group__search=foo', {'foobar'}),
    ('search=foo and group__search=foo', {'foobar'}),
    ('search=foo or ansible_facts__a=null', {'web 01', 'foobar', 'localhost'}),
])
def test_awx_doc_examples(text, expected):
    check(text, expected)


@pytest.mark.parametrize('text, expected', [
    # the type and the shape matter: weekday_number 3 (int), processor string, ipv6 object
    ('ansible_facts__ansible_date_time__weekday_number=3', {'web 01'}),
    ('ansible_facts__ansible_processor="GenuineIntel"', {'web 01'}),
    ('ansible_facts__ansible_lo__ipv6__scope="host"', {'database'}),
    ('ansible_facts__ansible_processor_vcpus="8"', {'web 01'}),
    ('ansible_facts__ansible_processor_vcpus=8.0', {'localhost', 'database'}),
    ('ansible_facts__ansible_processor_vcpus=true', {U}),
    ('ansible_facts__ansible_processor_vcpus=1', {'3.10'}),
    ('ansible_facts__ansible_env__PYTHONUNBUFFERED=true', {'database'}),
    ('ansible_facts__ansible_processor__exact="GenuineIntel"', {'web 01'}),
])
def test_facts_are_type_strict(text, expected):
    check(text, expected)


# ---------------------------------------------------------------------------
# AWX's own test_filters.py cases, as behaviour
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    # blank values
    ('description=""', {'localhost', '3.10', '007', 'foobar'}),
    ('description=', {'localhost', '3.10', '007', 'foobar'}),
    ('ansible_facts__blank=""', {'007'}),
    ('ansible_facts__blank=', {'007'}),
    # quoted keys, with spaces
    ('"ansible_facts__key with space__dotted.key"=1', {U}),
    ('"ansible_facts__key with space__ünï"=x', {U}),
    ('"ansible_facts__key with space__[x]"="br"', {U}),
    ('"ansible_facts__key with space__Ω__é[]"=2', {U}),
    ('"name"="web 01"', {'web 01'}),
    ('"name"=localhost', {'localhost'}),
    # typed values
    ('ansible_facts__a__b__c=3', {'web 01'}),
    ('ansible_facts__a__b__c=3.0', {'web 01'}),
    ('ansible_facts__a__b__c="3"', set()),
    ('ansible_facts__a="true"', set()),
    ('ansible_facts__a__exact="true"', set()),
    ('ansible_facts__ansible_env__PYTHONUNBUFFERED__exact="true"', {'localhost'}),
    ('ansible_facts__a=null', {'localhost'}),
    ('ansible_facts__c=null', set()),
    ('ansible_facts__c="null"', {'localhost'}),  # deviation: AWX searches for the text "null" WITH quotes
    # unicode
    ('name=%s' % U, {U}),
    ('(name=%s)' % U, {U}),
    ('(ansible_facts__a=%s)' % U, {U}),
    # contains / arrays
    ('ansible_facts__a__b__c[]=3', {'3.10'}),
    ('ansible_facts__a__b__c[]=3.14', {'3.10'}),
    ('ansible_facts__a__b__c[]=true', {'3.10'}),
    ('ansible_facts__a__b__c[]=false', {'3.10'}),
    ('ansible_facts__a__b__c[]="true"', {'3.10'}),
    ('ansible_facts__a__b__c[]="hello world"', {'3.10'}),
    ('ansible_facts__a__b__c[]__d[]="foobar"', {'3.10'}),
    ('ansible_facts__a__b__c[]__d="foobar"', {'3.10'}),
    ('ansible_facts__a__b__c[]__d__e="foobar"', {'3.10'}),
    ('ansible_facts__a__b__c[]__d__e[]="foobar"', {'3.10'}),
    ('ansible_facts__a__b__c[]__d__e__f[]="foobar"', {'3.10'}),
    ('(ansible_facts__a__b__c[]__d__e__f[]="foobar") and (ansible_facts__a__b__c[]__d__e[]="foobar")', {'3.10'}),
    ('ansible_facts__a__b__c[]=4', {'database'}),
    ('ansible_facts__a__b__c[]__d[]="nope"', {'database'}),
    ('ansible_facts__a__b__c[]__d__e="nope"', {'database'}),
    ('ansible_facts__a__b__c[]=1', set()),
    ('ansible_facts__a__b__c[]="3"', set()),
    ('ansible_facts__a__b__c[]=null', set()),
    ('ansible_facts__a__b__c[]__d="nope"', set()),  # d is an array there: no implicit array match
    ('ansible_facts__a__b__c[]__d__e__f="foobar"', set()),
])
def test_awx_filter_cases(text, expected):
    check(text, expected)


@pytest.mark.parametrize('text, expected', [
    ('(name=localhost)', {'localhost'}),
    ('name=localhost and enabled=true', {'localhost'}),
    ('(name=localhost and enabled=false)', set()),
    ('name=localhost or name=database', {'localhost', 'database'}),
    ('(name=localhost and enabled=true) or (name=database)', {'localhost', 'database'}),
    # a=b or a=d or a=e or a=z and b=h and b=i and b=j and b=k
    ('name=localhost or name=database or name=3.10 or name=foobar and enabled=false and instance_id=i-123 '
     'and description="" and id=7', {'localhost', 'database', '3.10', 'foobar'}),
    ('name=localhost or name=database or name=3.10 or name=foobar and enabled=true and instance_id=i-123',
     {'localhost', 'database', '3.10'}),
    ('(name=localhost or name=database or name=3.10 or name=foobar) and enabled=true', {'localhost', 'database'}),
    # not binds tightest
    ('not name=localhost and name=database', {'database'}),
    ('not name=localhost or name=localhost', ALL),
    ('not (name=localhost or name=database)', ALL - {'localhost', 'database'}),
    ('not not name=localhost', {'localhost'}),
    ('not(name=localhost)', ALL - {'localhost'}),
    ('name=database and not enabled=false or name=foobar', {'database', 'foobar'}),
    ('name=database and not (enabled=true or name=foobar)', set()),
])
def test_boolean_precedence(text, expected):
    check(text, expected)


def test_tree_shapes():
    node = parse_host_filter('name=a or name=b and not id=3')
    assert isinstance(node, Or) and len(node.items) == 2
    left, right = node.items
    assert left == Term(field='name', lookup='exact', value='a', kind='text', raw='a', key='name', position=1)
    assert isinstance(right, And) and right.position == 11
    assert isinstance(right.items[1], Not) and right.items[1].position == 22
    assert right.items[1].item.value == 3 and right.items[1].item.position == 26
    chain = parse_host_filter('name=a and name=b and name=c')
    assert isinstance(chain, And) and len(chain.items) == 3
    fact = parse_host_filter('ansible_facts__a__b__c[]__d__e[]__icontains="Foo"')
    assert fact.path == (FactStep('a'), FactStep('b'), FactStep('c', True), FactStep('d'), FactStep('e', True))
    assert (fact.field, fact.lookup, fact.value, fact.kind, fact.quoted) == ('ansible_facts', 'icontains', 'Foo', 'json', True)
    rel = parse_host_filter('group__name__in=a,b')
    assert (rel.relation, rel.field, rel.lookup, rel.value) == ('groups', 'name', 'in', ('a', 'b'))
    assert parse_host_filter('inventory=3') == Term(field='id', lookup='exact', value=3, kind='int', relation='inventory',
                                                    raw='3', key='inventory', position=1)
    assert parse_host_filter('groups=5').relation == 'groups'
    assert hash(node) == hash(parse_host_filter('name=a or name=b and not id=3'))


def test_typed_values():
    assert [string_to_type(v) for v in ('null', 'true', 'false', '3', '-3', '+3', '3.14', '3.', '.5', 'True', '1e3', 'x')] == [
        None, True, False, 3, -3, 3, 3.14, '3.', '.5', 'True', '1e3', 'x']
    assert parse_host_filter('ansible_facts__a=3.14').value == 3.14
    assert parse_host_filter('ansible_facts__a="3.14"').value == '3.14'
    assert parse_host_filter("ansible_facts__a='null'").value == 'null'
    assert parse_host_filter('ansible_facts__a=null').value is None
    # plain host text fields use the text as written
    assert parse_host_filter('name=3.10').value == '3.10'
    assert parse_host_filter('name=null').value == 'null'


@pytest.mark.parametrize('text, expected', [
    ('name=3.10', {'3.10'}),
    ('name=007', {'007'}),
    ('name="007"', {'007'}),
    ('id=007', {'foobar'}),
    ('id="7"', {'foobar'}),
    ('id=+7', {'foobar'}),
])
def test_raw_text_for_host_fields(text, expected):
    check(text, expected)


# ---------------------------------------------------------------------------
# syntax
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ("name='web 01'", {'web 01'}),
    ("'name'='web 01'", {'web 01'}),
    ("'name'=\"web 01\"", {'web 01'}),
    ("name = localhost", {'localhost'}),
    ('name=localhost\u3000or\u00a0name=database', {'localhost', 'database'}),
    ('name=localhost\tor\nname=database', {'localhost', 'database'}),
    ('  (  name=localhost  )  ', {'localhost'}),
    ('((name=localhost))', {'localhost'}),
    ('name=and', set()),
    ('name= and id=1', set()),
    ('description= and id=1', {'localhost'}),
    ('name="and" or name=or', set()),
    ('description=""and id=1', {'localhost'}),
])
def test_syntax(text, expected):
    check(text, expected)


def test_quoted_values_keep_everything():
    node = parse_host_filter('name="a\tb (c) = \'d\'"')
    assert node.value == "a\tb (c) = 'd'"
    assert parse_host_filter("name='say \"hi\"'").value == 'say "hi"'
    assert parse_host_filter('name=it\'s').value == "it's"
    assert parse_host_filter('name=x,y').value == 'x,y'


@pytest.mark.parametrize('text, message', [
    ('', 'empty filter at column 1'),
    ('   ', 'empty filter at column 1'),
    ('name', "expected '=' after key 'name' at column 5"),
    ('name=a and name', "expected '=' after key 'name' at column 16"),
    ('(name=a', "unbalanced '(': missing ')' at column 1"),
    ('name=a and (id=1 or (id=2)', "unbalanced '(': missing ')' at column 12"),
    ('name=a)', "unbalanced ')' at column 7"),
    (')', "unbalanced ')' at column 1"),
    ('()', 'empty parentheses at column 1'),
    ('name="abc', 'unterminated quote " at column 6'),
    ("name='abc", "unterminated quote ' at column 6"),
    ('"name=abc', 'unterminated quote " at column 1'),
    ('a==b', "unexpected '=' at column 3"),
    ('name=a=b', "unexpected '=' at column 7"),
    ('=a', "expected a key before '=' at column 1"),
    ('name=a and', "expected a term after 'and', found end of filter at column 11"),
    ('name=a or', "expected a term after 'or', found end of filter at column 10"),
    ('name=a and or name=b', "expected a term after 'and', found 'or' at column 12"),
    ('name=a and )', "expected a term after 'and', found ')' at column 12"),
    ('not', "expected a term after 'not', found end of filter at column 4"),
    ('and name=a', "expected a term, found 'and' at column 1"),
    ('name=a name=b', "expected 'and' or 'or', found 'name' at column 8"),
    ('(name=a name=b)', "expected 'and', 'or' or ')', found 'name' at column 9"),
    ('name=a AND name=b', "expected 'and' or 'or', found 'AND' at column 8"),
    ('name=a "b"=c', "expected 'and' or 'or', found quoted text at column 8"),
    ('ansible_facts__facts__facts__blank=ansible_facts__a__b__c__ space  =ggg',
     "expected 'and' or 'or', found 'space' at column 61"),
    ('created_by__password__icontains=pbkdf2search=foo or created_by__password__icontains=pbkdf2',
     "unexpected '=' at column 45"),
    ('(' * (MAX_DEPTH + 1) + 'name=a' + ')' * (MAX_DEPTH + 1), 'nested too deeply'),
    ('not ' * (MAX_DEPTH + 1) + 'name=a', 'nested too deeply'),
])
def test_syntax_errors(text, message):
    with pytest.raises(HostFilterError) as err:
        parse_host_filter(text)
    assert message in str(err.value)
    assert str(err.value).startswith('host_filter: ')
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize('text, message', [
    ('created_by__password__icontains=pbkdf2', "Filtering on 'created_by__password' is not allowed at column 1"),
    ('created_by__password__icontains=pbkdf2 or search=foo', "Filtering on 'created_by__password' is not allowed at column 1"),
    ('name=a or modified_by__username=x', "Filtering on 'modified_by__username' is not allowed at column 11"),
    ('variables__icontains=foo', "Filtering on 'variables' is not allowed (give a variable path: variables__<key>) at column 1"),
    ('created__gt=2020', "Filtering on 'created' is not allowed at column 1"),
    ('modified=x', "Filtering on 'modified' is not allowed"),
    ('pending_delete=true', "Filtering on 'pending_delete' is not allowed"),
    ('ansible_facts=x', "Filtering on 'ansible_facts' is not allowed"),
    ('ansible_facts__contains=x', "Filtering on 'ansible_facts' is not allowed"),
    ('inventory__variables__contains=x', "Filtering on 'inventory__variables' is not allowed"),
    ('inventory__pending_delete=false', "Filtering on 'inventory__pending_delete' is not allowed"),
    ('groups__variables=x', "Filtering on 'groups__variables' is not allowed"),
    ('group__hosts__name=x', "Filtering on 'group__hosts__name' is not allowed"),
    ('all_groups__created=x', "Filtering on 'all_groups__created' is not allowed"),
])
def test_forbidden(text, message):
    with pytest.raises(HostFilterError, match='not allowed') as err:
        parse_host_filter(text)
    assert message in str(err.value)


@pytest.mark.parametrize('text, message', [
    ('foo=1', "unknown field 'foo' at column 1"),
    ('name=a and foo__bar=1', "unknown field 'foo__bar' at column 12"),
    ('foo__icontains=1', "unknown field 'foo' at column 1"),
    ('inventory__foo=1', "unknown field 'inventory__foo' at column 1"),
    ('groups__foo__icontains=1', "unknown field 'groups__foo' at column 1"),
    ('name__foo=1', "unknown lookup 'foo' at column 7"),
    ('name__icontains__x=1', "unknown lookup 'icontains__x' (did you mean icontains?) at column 7"),
    ('"name__foo"=1', "unknown lookup 'foo' at column 8"),
    ('groups__name__like=1', "unknown lookup 'like' at column 15"),
    ('not=1', "unknown field 'not' at column 1"),
    ('search__icontains=x', "'search' does not take a lookup ('icontains') at column 9"),
    ('groups__search__exact=x', "'search' does not take a lookup ('exact') at column 17"),
])
def test_unknown(text, message):
    with pytest.raises(HostFilterError) as err:
        parse_host_filter(text)
    assert message in str(err.value)


@pytest.mark.parametrize('text, message', [
    ('id=abc', "expected an integer for 'id', got 'abc' at column 4"),
    ('id=3.5', "expected an integer for 'id', got '3.5' at column 4"),
    ('id=', "expected an integer for 'id', got '' at column 4"),
    ('id=null', "expected an integer for 'id', got 'null'"),
    ('id__in=1,x', "expected an integer for 'id', got 'x' at column 8"),
    ('inventory=prod', "expected an integer for 'inventory__id', got 'prod' at column 11"),
    ('groups__id__gt=x', "expected an integer for 'groups__id'"),
    ('enabled=maybe', "expected true or false for 'enabled', got 'maybe' at column 9"),
    ('enabled=2', "expected true or false for 'enabled', got '2'"),
    ('id__icontains=3', "lookup 'icontains' is not valid for integer field 'id' at column 5"),
    ('enabled__gt=0', "lookup 'gt' is not valid for boolean field 'enabled' at column 10"),
    ('enabled__startswith=t', "lookup 'startswith' is not valid for boolean field 'enabled'"),
    ('inventory__regex=1', "lookup 'regex' is not valid for integer field 'id' at column 12"),
    ('name__isnull=3', "expected true or false for 'isnull', got '3' at column 14"),
    ('ansible_facts__a__isnull=maybe', "expected true or false for 'isnull', got 'maybe'"),
    ('ansible_facts__a__gt=true', "'gt' needs a number or a string, got 'true' at column 22"),
    ('ansible_facts__a__lte=null', "'lte' needs a number or a string, got 'null'"),
    ('name__regex="("', 'invalid regular expression'),
    ('name__regex=(', "expected 'and' or 'or', found '(' (a regular expression with parentheses or spaces must be quoted: name__regex=\"...\") at column 13"),
    ('ansible_facts__a__iregex="[a-"', 'invalid regular expression'),
    ('ansible_facts__a____b=1', "empty fact key in 'ansible_facts__a____b' at column 19"),
    ('ansible_facts__a__[]=1', 'empty fact key'),
    ("'ansible_facts__a\"b'=1", 'may not contain a double quote'),
    ("'ansible_facts__a\\\\b'=1", 'may not contain a double quote, a backslash'),
])
def test_wrong_kind(text, message):
    with pytest.raises(HostFilterError) as err:
        parse_host_filter(text)
    assert message in str(err.value)


def test_error_attributes():
    with pytest.raises(HostFilterError) as err:
        parse_host_filter('name=localhost and foo=12')
    assert err.value.position == 20
    assert err.value.problem == "unknown field 'foo'"
    assert err.value.message == str(err.value) == "host_filter: unknown field 'foo' at column 20"
    copy = pickle.loads(pickle.dumps(err.value))
    assert (copy.problem, copy.position, str(copy)) == (err.value.problem, 20, str(err.value))
    with pytest.raises(HostFilterError):
        parse_host_filter(None)


def test_never_crashes_on_junk():
    junk = ['"', "'", '(', ')', '=', '==', '(((', ')))', 'and', 'or', 'not', 'not not', '"a"', "''=''", '""=""',
            '\x00', '\u2028', 'a=\x00', '[]=1', 'ansible_facts__=1', 'ansible_facts__[]=1', '__=1', 'a__=1',
            'name__=1', 'groups__=1', 'inventory____=1', '\\', 'name=\\"', 'not (', 'not )', '(and)', 'name=(']
    for text in junk:
        try:
            node = parse_host_filter(text)
        except HostFilterError:
            continue
        select_ok = compile_sql(node)
        assert select_ok


# ---------------------------------------------------------------------------
# lookups on host columns
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('name__exact=localhost', {'localhost'}),
    ('name__iexact=LOCALHOST', {'localhost'}),
    ('description__iexact=über', {U}),
    ('name__contains=o', {'localhost', 'foobar'}),
    ('name__contains=0', {'007', 'web 01', '3.10'}),
    ('name__contains=O', set()),
    ('name__icontains=FOO', {'foobar'}),
    ('name__contains=', ALL),
    ('name__startswith=loc', {'localhost'}),
    ('name__startswith=Loc', set()),
    ('name__istartswith=LOC', {'localhost'}),
    ('name__endswith=base', {'database'}),
    ('name__endswith=', ALL),
    ('name__iendswith=BASE', {'database'}),
    ('name__iendswith=DEF', {U}),
    ('name__regex=^[0-9.]+$', {'3.10', '007'}),
    ('name__regex="^WEB"', set()),
    ('name__iregex="^WEB"', {'web 01'}),
    ('name__gt=f', {'localhost', 'web 01', 'foobar'}),
    ('name__gte=foobar', {'localhost', 'web 01', 'foobar'}),
    ('name__lt=4', {'3.10', '007'}),
    ('name__lte=3.10', {'3.10', '007'}),
    ('name__in=localhost,database,nope', {'localhost', 'database'}),
    ('name__in="localhost,web 01"', {'localhost', 'web 01'}),
    ('name__in=', set()),
    ('name__isnull=true', set()),
    ('name__isnull=false', ALL),
    ('instance_id=i-123', {'foobar'}),
    ('instance_id=', ALL - {'foobar', 'database'}),
    ('instance_id__startswith=i-', {'foobar', 'database'}),
    ('description__icontains=foo', {'web 01'}),
    ('id=3', {'web 01'}),
    ('pk=3', {'web 01'}),
    ('id__exact=3', {'web 01'}),
    ('id__gt=5', {U, 'foobar'}),
    ('id__gte=6', {U, 'foobar'}),
    ('id__lt=2', {'localhost'}),
    ('id__lte=2', {'localhost', 'database'}),
    ('id__in=1,2,99', {'localhost', 'database'}),
    ('id__isnull=false', ALL),
    ('id__isnull=true', set()),
    ('enabled=false', {'3.10', 'foobar'}),
    ('enabled=0', {'3.10', 'foobar'}),
    ('enabled="false"', {'3.10', 'foobar'}),
    ('enabled=FALSE', {'3.10', 'foobar'}),
    ('enabled=f', {'3.10', 'foobar'}),
    ('enabled=true', ALL - {'3.10', 'foobar'}),
    ('enabled=1', ALL - {'3.10', 'foobar'}),
    ('enabled="True"', ALL - {'3.10', 'foobar'}),
    ('enabled__exact=true', ALL - {'3.10', 'foobar'}),
    ('enabled__in=false', {'3.10', 'foobar'}),
    ('enabled__in=true,false', ALL),
    ('enabled__isnull=true', set()),
    ('not enabled=true', {'3.10', 'foobar'}),
    # nullable column, and NOT over it (three-valued logic)
    ('ansible_facts_modified=2024-01-01T00:00:00Z', {'localhost'}),
    ('ansible_facts_modified__gt=2024-03', {'database'}),
    ('not ansible_facts_modified__gt=2024-03', ALL - {'database'}),
    ('ansible_facts_modified__lt=2024-03', {'localhost'}),
    ('ansible_facts_modified__startswith=2024-0', {'localhost', 'database'}),
    ('not ansible_facts_modified__startswith=2024-0', ALL - {'localhost', 'database'}),
    ('ansible_facts_modified__isnull=true', ALL - {'localhost', 'database'}),
    ('not ansible_facts_modified__isnull=false', ALL - {'localhost', 'database'}),
    ('ansible_facts_modified__in=2024-06-01T00:00:00Z,x', {'database'}),
    ('not ansible_facts_modified__regex=.', ALL - {'localhost', 'database'}),
    ('not ansible_facts_modified__iexact=2024-06-01t00:00:00z', ALL - {'database'}),
    ('not ansible_facts_modified__endswith=', ALL - {'localhost', 'database'}),
])
def test_host_lookups(text, expected):
    check(text, expected)


# ---------------------------------------------------------------------------
# relations
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('inventory=1', {'localhost', 'database', 'web 01', 'foobar'}),
    ('inventory__id=2', {'3.10', '007', U}),
    ('inventory__in=2', {'3.10', '007', U}),
    ('inventory__gt=1', {'3.10', '007', U}),
    ('inventory__name=prod', {'localhost', 'database', 'web 01', 'foobar'}),
    ('inventory__name__iexact=SMART', {'3.10', '007', U}),
    ('inventory__kind=smart', {'3.10', '007', U}),
    ('inventory__kind=', {'localhost', 'database', 'web 01', 'foobar'}),
    ('inventory__description__icontains=PRODUCTION', {'localhost', 'database', 'web 01', 'foobar'}),
    ('inventory__search=smart', {'3.10', '007', U}),
    ('inventory__search=o', {'localhost', 'database', 'web 01', 'foobar'}),
    ('inventory__search=', ALL),
    ('inventory__isnull=false', ALL),
    ('inventory__isnull=true', set()),
    ('groups=1', {'localhost'}),
    ('groups__id=1', {'localhost'}),
    ('group=8', {'foobar'}),
    ('groups__in=1,2', {'localhost', 'database'}),
    ('groups__id__gt=6', {'007', 'foobar'}),
    ('groups__name=east', {'localhost'}),
    ('groups__name__startswith=east', {'localhost', 'web 01', U}),
    ('group__name__icontains=GROUP', {'foobar'}),
    ('groups__description=East', {'localhost'}),
    ('groups__search=local', {'localhost'}),
    ('groups__name=local and groups__name=east', {'localhost'}),  # each term its own subquery
    ('groups__name=local and groups__name="west coast"', set()),
    ('not groups__name=east', ALL - {'localhost'}),
    ('not groups__name__startswith=east', ALL - {'localhost', 'web 01', U}),
    ('groups__isnull=true', {'3.10'}),
    ('groups__isnull=false', ALL - {'3.10'}),
    ('groups__name__isnull=true', {'3.10'}),
    ('not groups__isnull=true', ALL - {'3.10'}),
    # all_groups: through the 3-level chain east > east-sub > east-subsub
    ('all_groups__name=east', {'localhost', 'web 01', U}),
    ('all_groups__id=1', {'localhost', 'web 01', U}),
    ('all_groups=1', {'localhost', 'web 01', U}),
    ('all_groups__name=east-sub', {'web 01', U}),
    ('all_groups__name=east-subsub', {'web 01'}),
    ('groups__name=east-sub', {U}),
    ('all_groups__search=EAST', {'localhost', 'web 01', U}),
    ('all_groups__description=East', {'localhost', 'web 01', U}),
    ('not all_groups__name=east', {'database', '3.10', '007', 'foobar'}),
    # ... and through the cycle cyc_a <-> cyc_b
    ('all_groups__name=cyc_a', {'007', U}),
    ('all_groups__name=cyc_b', {'007', U}),
    ('groups__name=cyc_a', {U}),
    ('groups__name=cyc_b', {'007'}),
    ('all_groups__name__in=east-subsub,cyc_b', {'web 01', '007', U}),
    ('all_groups__isnull=true', {'3.10'}),
    ('all_groups__name=east and all_groups__name=cyc_a', {U}),
])
def test_relations(text, expected):
    check(text, expected)


# ---------------------------------------------------------------------------
# lookups on facts
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('ansible_facts__ansible_distribution__exact=Fedora', {'localhost'}),
    ('ansible_facts__ansible_distribution__iexact=fedora', {'localhost', 'web 01'}),
    ('ansible_facts__ansible_distribution__contains=edo', {'localhost', 'web 01'}),
    ('ansible_facts__ansible_distribution__icontains=UBU', {'database'}),
    ('ansible_facts__ansible_distribution__startswith=F', {'localhost'}),
    ('ansible_facts__ansible_distribution__istartswith=f', {'localhost', 'web 01'}),
    ('ansible_facts__ansible_distribution__endswith=ora', {'localhost', 'web 01'}),
    ('ansible_facts__ansible_distribution__iendswith=TU', {'database'}),
    ('ansible_facts__ansible_distribution__regex=^[FU]', {'localhost', 'database'}),
    ('ansible_facts__ansible_distribution__iregex=^f', {'localhost', 'web 01'}),
    ('ansible_facts__ansible_distribution__gt=G', {'database', 'web 01'}),
    ('ansible_facts__ansible_distribution__lte="Fedora"', {'localhost'}),
    ('ansible_facts__ansible_distribution__in=Ubuntu,fedora', {'database', 'web 01'}),
    # text lookups only ever match strings
    ('ansible_facts__ansible_processor_vcpus__contains=8', {'web 01'}),
    ('ansible_facts__ansible_processor_vcpus__iexact=TRUE', set()),
    ('ansible_facts__ansible_processor_vcpus__regex=.', {'web 01'}),
    ('ansible_facts__ansible_processor[]__icontains=intel', {'localhost'}),
    ('ansible_facts__ansible_processor__icontains=intel', {'web 01'}),
    # comparisons: numbers with numbers (bools are not numbers), strings with strings
    ('ansible_facts__ansible_memtotal_mb__gt=1000', {'database'}),
    ('ansible_facts__ansible_memtotal_mb__gte=512', {'database', 'web 01'}),
    ('ansible_facts__ansible_memtotal_mb__lt=512.5', {'web 01'}),
    ('ansible_facts__ansible_memtotal_mb__lte=512', {'web 01'}),
    ('ansible_facts__ansible_processor_vcpus__gt=7', {'localhost', 'database'}),
    ('ansible_facts__ansible_processor_vcpus__lt=2', {'3.10'}),
    ('ansible_facts__ansible_processor_vcpus__gte="8"', {'web 01'}),
    ('ansible_facts__a__b__c[]__gt=3', {'3.10', 'database'}),
    ('ansible_facts__a__b__c[]__gt=3.5', {'database'}),
    # in: any element, type-strict
    ('ansible_facts__ansible_processor_vcpus__in=8,true', {'localhost', 'database', U}),
    ('ansible_facts__ansible_processor_vcpus__in="8,true"', {'web 01'}),
    ('ansible_facts__ansible_processor_vcpus__in=1', {'3.10'}),
    ('ansible_facts__a__in=null,x', {'localhost'}),
    ('ansible_facts__a__b__c[]__in=false,4', {'3.10', 'database'}),
    # isnull: true = missing or null
    ('ansible_facts__a__isnull=true', {'localhost', '007', 'foobar'}),
    ('ansible_facts__a__isnull=false', {'database', 'web 01', '3.10', U}),
    ('not ansible_facts__a__isnull=false', {'localhost', '007', 'foobar'}),
    ('ansible_facts__a__b__isnull=false', {'database', 'web 01', '3.10'}),
    ('ansible_facts__nope__isnull=true', ALL),
    ('ansible_facts__a__b__c[]__d__isnull=false', {'3.10', 'database'}),
    ('ansible_facts__a__b__c[]__d__e__isnull=false', {'3.10', 'database'}),
    ('ansible_facts__a__b__c[]__d__e[]__isnull=false', {'3.10'}),
    # not over facts
    ('not ansible_facts__ansible_processor_vcpus=8', ALL - {'localhost', 'database'}),
    # a fact key that is a lookup name: add __exact
    ('ansible_facts__contains__exact=yes', {'007'}),
    ('ansible_facts__contains__icontains=YES', {'007'}),
    ('ansible_facts__blank__isnull=false', {'007'}),
    ('ansible_facts__blank__startswith=', {'007'}),
    ('ansible_facts__blank__endswith=', {'007'}),
    ('ansible_facts__a__endswith=def', {U}),
    ('ansible_facts__a__startswith=ABC', set()),
    ('ansible_facts__a__istartswith=ABC', {U}),
])
def test_fact_lookups(text, expected):
    check(text, expected)


# ---------------------------------------------------------------------------
# SQL compiler
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text', [
    "name=x'); DROP TABLE hosts; --",
    "ansible_facts__evil__\"key'\"=v",
    "'ansible_facts__ev$il.key[0]__x'=secretvalue",
    'groups__name__regex=secretvalue',
    'all_groups__search=secretvalue',
    'ansible_facts__secretkey[]__other__in=secretvalue,2',
    'ansible_facts__secret[]__k__x[]__evil[]=secretvalue',
    'inventory__name__istartswith=secretvalue',
])
def test_values_are_always_bound(text):
    try:
        node = parse_host_filter(text)
    except HostFilterError:
        return
    where, params = compile_sql(node)
    assert where.count('?') == len(params)
    assert '{' not in where and '%' not in where  # safe for str.format / pyformat callers
    for word in ('secret', 'evil', 'DROP', 'ev$il', 'x\''):
        assert word not in where
    CONN.execute('SELECT h.id FROM hosts h WHERE ' + where, params).fetchall()
    assert CONN.execute('SELECT count(*) FROM hosts').fetchone()[0] == len(HOSTS)


def test_sql_shape():
    # array containment with equality: the indexed side table of array leaves
    where, params = compile_sql(parse_host_filter('ansible_facts__ansible_lo__ipv6[]__scope="host"'))
    assert 'host_fact_items' in where and 'fact_keys' in where and 'json_each' not in where
    assert params == ['ansible_lo', '["ipv6",0,"scope"]', '"host"']
    where, params = compile_sql(parse_host_filter('ansible_facts__n[]__in=1.0,true,1'))
    assert params == ['n', '[0]', '1', 'true']
    # any other lookup on an array walks the stored JSON
    where, params = compile_sql(parse_host_filter('ansible_facts__ansible_lo__ipv6[]__scope__startswith="ho"'))
    assert 'host_facts' in where and 'fact_keys' in where and 'json_each' in where
    assert params[0] == 'ansible_lo'
    assert b'ho' in params and '$."ipv6"' in params  # text lookups compare UTF-8 bytes (NUL-safe)
    where, params = compile_sql(parse_host_filter('all_groups__name=east'))
    assert 'WITH RECURSIVE' in where and params == ['east']
    assert '{' not in where and '%' not in where  # safe for str.format / pyformat callers
    where, params = compile_sql(parse_host_filter('not name=a'))
    assert where == '(NOT (h.name = ?))' and params == ['a']


def test_long_chains_stay_shallow():
    text = ' or '.join('name=h%d' % i for i in range(3000)) + ' or name=localhost'
    check(text, {'localhost'})
    text = ' and '.join('not id=%d' % i for i in range(100, 2100))
    check(text, ALL)


def test_dialects():
    with pytest.raises(ValueError, match='unsupported SQL dialect'):
        compile_sql(parse_host_filter('name=a'), dialect='oracle')
    assert issubclass(SqliteFilterCompiler, SqlFilterCompiler)
    # the portable base leaves every dialect hook to subclasses
    with pytest.raises(NotImplementedError):
        SqlFilterCompiler().compile(parse_host_filter('name__icontains=a'))


def test_sqlite_functions_are_python_semantics():
    conn = sqlite3.connect(':memory:')
    register_sqlite_functions(conn)
    row = conn.execute("SELECT py_lower('ÀÉÎ İ ẞ'), regexp('^a.c$', 'abc'), regexp('x', NULL), iregexp('^ABC', 'abcd'),"
                       " py_lower(NULL), regexp('\\d', 3)").fetchone()
    assert row == ('ÀÉÎ İ ẞ'.lower(), 1, 0, 1, None, 0)
    assert conn.execute("SELECT 'abc' REGEXP '^a'").fetchone() == (1,)


def test_fact_json_dumps_keeps_unicode_keys():
    assert fact_json_dumps({'é': 'ü'}) == '{"é":"ü"}'
    with pytest.raises(ValueError):
        fact_json_dumps(float('nan'))


# ---------------------------------------------------------------------------
# Python compiler specifics
# ---------------------------------------------------------------------------

def test_python_predicate_on_minimal_host():
    host = {'id': 1, 'name': 'n', 'enabled': True, 'inventory': {'id': 1, 'name': 'i'}, 'groups': [],
            'all_groups': [], 'ansible_facts': {'x': [1, {'y': None}]}}
    assert compile_python(parse_host_filter('description="" and instance_id="" and inventory__kind=""'))(host)
    assert compile_python(parse_host_filter('ansible_facts_modified__isnull=true'))(host)
    assert compile_python(parse_host_filter('ansible_facts__x[]=1'))(host)
    assert not compile_python(parse_host_filter('ansible_facts__x[]=true'))(host)
    assert compile_python(parse_host_filter('ansible_facts__x[]__y=null'))(host)
    assert compile_python(parse_host_filter('ansible_facts__x[]__y__isnull=true'))(host)
    assert compile_python(parse_host_filter('groups__isnull=true'))(host)
    assert compile_python(parse_host_filter('not search=zzz'))(host) is True


# ---------------------------------------------------------------------------
# whitelists are data
# ---------------------------------------------------------------------------

def test_searchable_whitelists():
    assert dict(SEARCHABLE['host']) == {'id': 'int', 'name': 'text', 'description': 'text', 'instance_id': 'text',
                                        'enabled': 'bool', 'ansible_facts_modified': 'text'}
    assert set(SEARCHABLE['inventory']) == {'id', 'name', 'description', 'kind'}
    assert set(SEARCHABLE['groups']) == set(SEARCHABLE['all_groups']) == {'id', 'name', 'description'}
    assert {'exact', 'iexact', 'contains', 'icontains', 'startswith', 'istartswith', 'endswith', 'iendswith', 'regex',
            'iregex', 'gt', 'gte', 'lt', 'lte', 'in', 'isnull'} == set(LOOKUPS)
    with pytest.raises(TypeError):
        SEARCHABLE['host']['variables'] = 'text'


def test_every_unicode_space_separates():
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    for space in spaces:
        assert select('name=localhost%sor%sname=database' % (space, space)) == {'localhost', 'database'}, hex(ord(space))
