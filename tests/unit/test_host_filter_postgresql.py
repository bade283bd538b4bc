"""host_filter on a PostgreSQL store, through the store itself: the same hosts as a SQLite store holding the same
data, the limits of docs/host_filter.md, NUL refused on write, and the time limit of a regex search.

Runs when a PostgreSQL server is at hand (FLEET_TEST_PG_URL, which scripts/test.sh sets); skipped otherwise.
"""

from __future__ import annotations

import random

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import compile_postgresql
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.limits import MAX_PATH_STEPS, MAX_TERMS
from ansible_collections.fleet.inventory.plugins.module_utils.store import listing
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

pytestmark = pytest.mark.postgresql_only


def nested_list(depth, leaf):
    """``[{"l": [{"l": [... leaf ...]}]}]`` with ``depth`` lists (``l[]`` ``depth`` times reaches the leaf)."""
    value = [leaf]
    for dummy in range(depth - 1):
        value = [{'l': value}]
    return value


FACTS = {
    'web01': {'ansible_distribution': 'Ubuntu', 'ansible_processor_vcpus': 4, 'ansible_memtotal_mb': 7976.5,
              'ansible_processor': ['0', 'GenuineIntel', 'Intel(R) Xeon(R)'], 'ansible_lo': {'ipv6': [{'scope': 'host'}]},
              'flag': True, 'none': None, 'big': 2 ** 63 - 1, 'text_num': '8', 'l': nested_list(MAX_PATH_STEPS, 'needle'),
              'ünï': {'Ω': ['é', 'ß']}, 'mixed': [1, '1', True, 1.0, None, {'a': 'b'}]},
    'web02': {'ansible_distribution': 'ubuntu', 'ansible_processor_vcpus': 8, 'ansible_memtotal_mb': 16000,
              'ansible_processor': ['AuthenticAMD'], 'flag': False, 'text_num': 8, 'ünï': {'Ω': ['É']}, 'sigma': 'ΣΑΣ'},
    'db01': {'ansible_distribution': 'Debian', 'ansible_processor_vcpus': 2.0, 'ansible_lo': {'ipv6': [{'scope': 'link'}]},
             'kelvin': '\u212a', 'mixed': [], 'l': nested_list(8, 'needle-8')},
    'Straße': {'ansible_distribution': 'STRASSE', 'newline': 'a\nb'},
    'empty': {},
}

FILTERS = [
    'name=web01', 'name__iexact=WEB01', 'name__icontains=B0', 'name__startswith=web', 'name__iendswith=E', 'name__gt=db01',
    'name__lte=web01', 'name__in=web01,db01,nope', 'name__regex="^web0[12]$"', 'name__iregex="^STRASSE|^straße$"',
    'name__iregex="ß"', 'name__regex="\\w+"', 'name__regex="^\\w+$"', 'description__contains=""', 'search=WEB',
    'enabled=false', 'enabled__in=true,false', 'id__gte=2', 'instance_id__isnull=false', 'ansible_facts_modified__isnull=true',
    'ansible_facts_modified__gt=2000-01-01', 'inventory__name=prod', 'inventory__kind=""', 'groups__name=web',
    'all_groups__name=all_servers', 'groups__isnull=true', 'not groups__name=web', 'group__search=serv',
    'ansible_facts__ansible_distribution=Ubuntu', 'ansible_facts__ansible_distribution__iexact=ubuntu',
    'ansible_facts__ansible_distribution__iregex="^(ubuntu|debian)$"', 'ansible_facts__ansible_processor_vcpus=4',
    'ansible_facts__ansible_processor_vcpus__gt=2', 'ansible_facts__ansible_processor_vcpus__lte=2',
    'ansible_facts__ansible_processor_vcpus=2', 'ansible_facts__ansible_memtotal_mb__gte=7976.5',
    'ansible_facts__ansible_memtotal_mb__lt=16000', 'ansible_facts__ansible_processor[]=GenuineIntel',
    'ansible_facts__ansible_processor[]__icontains=intel', 'ansible_facts__ansible_lo__ipv6[]__scope=host',
    'ansible_facts__ansible_lo__ipv6__scope=host', 'ansible_facts__flag=true', 'ansible_facts__flag=false',
    'ansible_facts__flag="true"', 'ansible_facts__none=null', 'ansible_facts__none__isnull=true',
    'ansible_facts__none__isnull=false', 'ansible_facts__big=9223372036854775807', 'ansible_facts__text_num=8',
    'ansible_facts__text_num="8"', 'ansible_facts__text_num__gt=7', 'ansible_facts__text_num__gt="7"',
    'ansible_facts__ünï__Ω[]=é', 'ansible_facts__ünï__Ω[]__iexact=é', 'ansible_facts__mixed[]=1',
    'ansible_facts__mixed[]=true', 'ansible_facts__mixed[]="1"', 'ansible_facts__mixed[]=null', 'ansible_facts__mixed[]__a=b',
    'ansible_facts__sigma__iexact=σας', 'ansible_facts__sigma__icontains=ς', 'ansible_facts__kelvin__iregex=k',
    'ansible_facts__kelvin__iexact=k', 'ansible_facts__newline__regex="^a.b$"', 'ansible_facts__newline__regex="(?s)^a.b$"',
    'ansible_facts__newline__regex="(?m)^b"', 'ansible_facts__' + '__'.join(['l[]'] * MAX_PATH_STEPS) + '=needle',
    'ansible_facts__' + '__'.join(['l[]'] * 8) + '__iregex="^NEEDLE-8$"', 'ansible_facts__' + '__'.join(['l[]'] * 8) + '=needle-8',
    'variables__role=web', 'variables__role__in=web,db', 'variables__ünï__Ω[]=é', 'variables__n__gt=1', 'variables__n=1',
    'not variables__role=web', 'variables__role__isnull=true', 'variables__nul=ab', 'variables__nul__endswith=b',
    'variables__nul__regex="^ab$"', 'variables__nul__isnull=false', 'not variables__nul=ab', 'name="nul\x00host"', 'name__gt="db01\x00x"',
    'name__contains="\x00"', 'ansible_facts__ansible_distribution__in="Ubuntu,a\x00"',
    'ansible_facts__ansible_distribution__lt="Ubuntu\x00"', 'ansible_facts__ansible_processor[]="a\x00b"',
    '(name=web01 or name=db01) and not ansible_facts__flag=true', 'not (groups__name=web or all_groups__name=all_servers)',
]


def fill(store):
    store.save_inventory('prod')
    store.save_inventory('other', description='Other servers')
    for inv, name, role, extra in [('prod', 'web01', 'web', {'n': 1}), ('prod', 'web02', 'web', {'n': 2.5}),
                                   ('prod', 'db01', 'db', {'ünï': {'Ω': ['é']}}), ('other', 'Straße', 'street', {}),
                                   ('other', 'empty', None, {'nul': 'ab\x00c'}), ('other', 'web01', 'web-other', {})]:
        variables = dict(extra, **({'role': role} if role else {}))
        store.save_host(inv, name, description='server %s' % name, enabled=name != 'web02',
                        instance_id='i-%s' % name if name != 'empty' else '', variables=variables)
    store.save_group('prod', 'web', hosts=['web01', 'web02'])
    store.save_group('prod', 'db', hosts=['db01'], description='Database servers')
    store.save_group('prod', 'all_servers', children=['web', 'db'])
    ids = {(h['inventory'], h['name']): h['id'] for inv in ('prod', 'other') for h in
           [dict(x, inventory=inv) for x in store.list_hosts(inv)]}
    for (inv, name), host_id in ids.items():
        if inv == 'prod' or name in ('Straße', 'empty'):
            store.set_facts(host_id, FACTS[name])
    return store


@pytest.fixture(scope='module')
def stores(tmp_path_factory, pg_databases):
    sqlite = fill(Store(str(tmp_path_factory.mktemp('sqlite') / 'store.db')))
    url = pg_databases.create()
    postgresql = fill(Store(url))
    yield sqlite, postgresql
    sqlite.close()
    postgresql.close()
    pg_databases.drop(url)


def names(store, text):
    return [(h['inventory'], h['name']) for h in store.search_hosts(text)]


@pytest.mark.parametrize('text', FILTERS)
def test_postgresql_store_finds_what_sqlite_finds(stores, text):
    sqlite, postgresql = stores
    assert names(postgresql, text) == names(sqlite, text)


def test_the_filters_select_something_and_not_everything(stores):
    sqlite, dummy = stores
    every = names(sqlite, 'id__gt=0')
    proper = [t for t in FILTERS if names(sqlite, t) and names(sqlite, t) != every]
    assert len(proper) > len(FILTERS) * 0.6, sorted(set(FILTERS) - set(proper))


def alternating(levels):
    text = 'name=web01'
    for level in range(levels):
        text = '(%s %s name=x%d)' % (text, 'and' if level % 2 else 'or', level)
    return text


@pytest.mark.parametrize('text', [
    'not ' * 100 + 'name=web01',
    'not ' * 99 + 'ansible_facts__ansible_distribution=Ubuntu',
    alternating(99) + ' or name=web01',
    ' or '.join('id=%d' % (i + 100) for i in range(MAX_TERMS - 1)) + ' or name=web01',
    ' and '.join(['ansible_facts__ansible_processor[]=GenuineIntel'] * 200 + ['name=web01']),
    'name__in=' + ','.join('h%d' % i for i in range(999)) + ',web01',
    'ansible_facts__' + '__'.join(['l[]'] * MAX_PATH_STEPS) + '__regex="^needle$"',
    'variables__' + '__'.join(['a[]'] * MAX_PATH_STEPS) + '__iregex=x or name=web01',
])
def test_filters_at_the_limits_run_on_postgresql(stores, text):
    sqlite, postgresql = stores
    found = names(postgresql, text)
    assert found == names(sqlite, text)
    assert found, text[:80]


def test_saving_a_smart_inventory_on_postgresql_prepares_its_search(stores):
    dummy, postgresql = stores
    postgresql.save_inventory('ubuntu', kind='smart', host_filter='ansible_facts__ansible_distribution__iexact=ubuntu')
    assert sorted(h['name'] for h in postgresql.smart_inventory_hosts('ubuntu')) == ['web01', 'web02']
    postgresql.delete_inventory('ubuntu')


def test_a_fact_holding_nul_is_refused_on_postgresql(pg_databases):
    url = pg_databases.create()
    store = Store(url)
    try:
        store.save_inventory('prod')
        host, dummy = store.save_host('prod', 'web01')
        with pytest.raises(ValidationError, match=r"fact 'evil' of host .*web01.* cannot be stored .*U\+0000"):
            store.set_facts(store.get_host('prod', 'web01')['id'], {'ok': 1, 'evil': {'k': ['a\x00b']}})
        assert store.search_hosts('ansible_facts__ok=1') == []     # nothing of the refused write was kept
    finally:
        store.close()
        pg_databases.drop(url)


def test_a_regex_search_runs_under_a_time_limit_on_postgresql(pg_databases, monkeypatch):
    url = pg_databases.create()
    store = Store(url)
    try:
        store.save_inventory('prod')
        rnd = random.Random(8)
        for i in range(4):   # PostgreSQL's engine takes ~0.1 s over each (RE2 too: a big automaton)
            store.save_host('prod', 'h%d' % i, description=''.join(rnd.choice('ab') for dummy in range(200000)))
        slow = 'description__regex="(a[ab]{15}){4}c"'
        assert store.search_hosts(slow) == []                       # within the default limit
        monkeypatch.setattr(compile_postgresql, 'REGEX_TIMEOUT_MS', 20)
        with pytest.raises(ValidationError, match=r"^host_filter: the search took longer than 0.02 s, the limit of a search"
                                                  r" with a regular expression on a PostgreSQL store \(statement_timeout\)"):
            store.search_hosts(slow)
        assert [h['name'] for h in store.search_hosts('name=h1')] == ['h1']   # the store is usable after it
        with store.transaction():                                   # inside a transaction: its own timeout comes back
            with pytest.raises(ValidationError, match='statement_timeout'):
                store.search_hosts(slow)
        assert store.execute("SELECT current_setting('statement_timeout')").fetchone()[0] == '0'
    finally:
        store.close()
        pg_databases.drop(url)


def test_searches_are_never_prepared_statements(stores):
    """Each search is planned for its own values: psycopg would prepare it after a few runs, and PostgreSQL's
    generic plan of a prepared search ignores how many hosts its values select (5x slower at 100k hosts)."""
    dummy, postgresql = stores
    text = 'ansible_facts__ansible_distribution="Ubuntu" or ansible_facts__ansible_processor_vcpus__gte=4'
    expected = names(postgresql, text)
    for dummy_run in range(12):
        assert names(postgresql, text) == expected
        listing.list_page(postgresql, 'host', host_filter=text, limit=1)
    prepared = [row[0] for row in postgresql.execute('SELECT statement FROM pg_prepared_statements').fetchall()]
    assert [s for s in prepared if 'host_facts' in s] == []
