# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile filters through the store (issue 9, items 1-4): every filter the parser
accepts runs in SQLite, at the documented limits, and everything beyond them
(or not a filter at all) is a ``host_filter:`` error -- refused when a smart
inventory is saved, never later.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.errors import HostFilterError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.limits import (
    INT_MAX,
    INT_MIN,
    MAX_DEPTH,
    MAX_IN_ITEMS,
    MAX_LENGTH,
    MAX_PATH_STEPS,
    MAX_TERMS,
    MAX_VALUES,
)
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

EVIL = 'a' * 40 + '!'


def nested_list(depth, leaf):
    """``{"l": [{"l": [... leaf ...]}]}`` with ``depth`` lists, as the value of fact ``l``."""
    value = [leaf]
    for dummy in range(depth - 1):
        value = [{'l': value}]
    return value


@pytest.fixture(scope='module')
def store():
    st = Store(':memory:')
    st.save_inventory('prod')
    for name in ('web01', 'web02', 'db01', EVIL, 'nul\x00host'):
        st.save_host('prod', name, variables={'role': name[:3], 'deep': {'l': nested_list(MAX_PATH_STEPS - 1, 'leaf-' + name)}})
    ids = {h['name']: h['id'] for h in st.list_hosts('prod')}
    st.set_facts(ids['web01'], {'l': nested_list(MAX_PATH_STEPS, 'needle'), 'n': INT_MAX, 'm': INT_MIN})
    st.set_facts(ids['db01'], {'l': nested_list(8, 'needle-8'), 'n': 1})
    yield st
    st.close()


def names(store, text):
    return sorted(h['name'] for h in store.search_hosts(text))


ALL = sorted(['web01', 'web02', 'db01', EVIL, 'nul\x00host'])


def alternating(levels, inner='name=web01'):
    """``(name__startswith=web and (name=x or (name__startswith=web and ... inner)))``: selects what ``inner`` selects."""
    text = inner
    for level in range(levels):
        if level % 2:
            text = '(name=nothing or %s)' % text
        else:
            text = '(name__startswith=w and %s)' % text
    return text


def fact_path(depth, lookup='__startswith', value='needle'):
    return 'ansible_facts__l[]' + '__l[]' * (depth - 1) + lookup + '=' + value


# ---------------------------------------------------------------------------
# item 1: regular expressions run in linear time
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('pattern, expected', [
    ('(a+)+$', []),                    # exponential for a backtracking engine on 'aaa...!'
    ('(a|aa)+!$', [EVIL]),
    ('^(a*)*b', []),
    ('(.*a){20}', [EVIL]),
])
def test_catastrophic_regex_completes(store, pattern, expected):
    assert names(store, 'name__regex="%s"' % pattern) == expected
    assert names(store, 'name__iregex="%s"' % pattern.upper().replace('!', '!')) == expected


@pytest.mark.parametrize('pattern, why', [
    (r'(a)\1', 'backreferences are not supported'),
    ('(?P<x>a)(?P=x)', 'backreferences are not supported'),
    ('(?=a)a', 'lookahead and lookbehind are not supported'),
    ('(?!a)b', 'lookahead and lookbehind are not supported'),
    ('(?<=a)b', 'lookahead and lookbehind are not supported'),
    ('(?<!a)b', 'lookahead and lookbehind are not supported'),
    ('a{1001}', 'invalid repetition size'),
    ('(', 'missing )'),
])
def test_regex_re2_cannot_express_is_refused_on_save(store, pattern, why):
    text = 'name__regex="%s"' % pattern
    with pytest.raises(ValidationError, match=r"^smart inventory 'evil': host_filter: invalid regular expression") as err:
        store.save_inventory('evil', kind='smart', host_filter=text)
    assert why in str(err.value)
    assert store.get_inventory('evil') is None
    with pytest.raises(ValidationError, match='host_filter: invalid regular expression'):
        store.search_hosts(text)


# ---------------------------------------------------------------------------
# item 2: the nesting limit works; what the parser accepts runs
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('count', [44, 45, 99, MAX_DEPTH])
def test_many_nots(store, count):
    expected = ['web01'] if count % 2 == 0 else [n for n in ALL if n != 'web01']
    assert names(store, 'not ' * count + 'name=web01') == expected


@pytest.mark.parametrize('levels', [30, 31, 60, MAX_DEPTH])
def test_alternating_and_or(store, levels):
    assert names(store, alternating(levels)) == ['web01']


@pytest.mark.parametrize('count', [36, 37, MAX_DEPTH])
def test_nots_before_a_fact_term(store, count):
    term = fact_path(8, value='needle-8')
    expected = ['db01'] if count % 2 == 0 else [n for n in ALL if n != 'db01']
    assert names(store, 'not ' * count + term) == expected


@pytest.mark.parametrize('depth, expected', [(8, ['db01']), (MAX_PATH_STEPS, ['web01'])])
def test_array_steps_with_a_non_exact_lookup(store, depth, expected):
    assert names(store, fact_path(depth)) == expected
    assert names(store, fact_path(depth, '__icontains', 'NEEDLE')) == expected
    assert names(store, fact_path(depth, '__isnull', 'false')) == (['db01', 'web01'] if depth == 8 else ['web01'])


def test_array_steps_regex_lookups(store):
    assert names(store, fact_path(8, '__iregex', '^NEEDLE-8$')) == ['db01']
    assert names(store, fact_path(MAX_PATH_STEPS, '__regex', '^needle$')) == ['web01']


def test_every_limit_at_once(store):
    """MAX_DEPTH levels of and/or, each level with a 32-step fact term and a variables term."""
    text = 'name=web01'
    for level in range(MAX_DEPTH):
        deep = fact_path(MAX_PATH_STEPS) if level % 3 else 'variables__deep__l[]' + '__l[]' * (MAX_PATH_STEPS - 3) + '__endswith=web01'
        if level % 2:
            text = '(%s or %s)' % ('not ' + deep if level % 4 == 1 else 'name=nothing', text)
        else:
            text = '(%s and %s)' % ('name__regex="^w"' if level % 4 else deep.replace('needle', 'need'), text)
    assert parse_host_filter(text) is not None
    result = names(store, text)  # it runs; what it selects is the agreement test's business
    store.save_inventory('everything', kind='smart', host_filter=text)
    assert [h['name'] for h in store.smart_inventory_hosts('everything')] == result
    store.delete_inventory('everything')


def test_max_terms(store):
    flat = ' or '.join(['id=0'] * (MAX_TERMS - 1)) + ' or name=web02'
    assert names(store, flat) == ['web02']
    grouped = ' and '.join(['(name=web02 or id=0)'] * (MAX_TERMS // 2))
    assert names(store, grouped) == ['web02']
    mixed = ' or '.join(['(not ansible_facts__l[]__l[]__l[]__icontains=n and id=0)'] * 1000) + ' or name=db01'
    assert names(store, mixed) == ['db01']


def test_max_values(store):
    items = ','.join(['web01'] + ['x%d' % i for i in range(MAX_IN_ITEMS - 1)])
    text = ' and '.join(['name__in=%s' % items] * (MAX_VALUES // MAX_IN_ITEMS))
    assert names(store, text) == ['web01']
    with pytest.raises(ValidationError, match=r"host_filter: filter compares with more than %d values in all" % MAX_VALUES):
        names(store, text + ' and name=web01')


# ---------------------------------------------------------------------------
# item 3: every input gives a host_filter: error
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, message', [
    ('id=99999999999999999999', 'integer 99999999999999999999 is out of range'),
    ('ansible_facts__k=999999999999999999999', 'integer 999999999999999999999 is out of range'),
    ('id__in=1,%d' % (INT_MAX + 1), 'is out of range'),
    ('ansible_facts__k__gt=%d' % (INT_MIN - 1), 'is out of range'),
    ('ansible_facts__k=' + '9' * 4400, 'integer 9999999999999999999999999999999999999999... (4400 characters) is out of range'),
    ('id=' + '9' * 4400, '(4400 characters) is out of range'),
    ('groups__id=-' + '9' * 4400, 'is out of range'),
    ('ansible_facts__k=1.' + '9' * 4400, 'number 1.99'),
    ('ansible_facts__' + '__'.join(['a'] * 493) + '=1', 'fact path has 493 steps, more than %d' % MAX_PATH_STEPS),
    ('variables__' + '__'.join(['a'] * (MAX_PATH_STEPS + 1)) + '=1', 'variable path has 33 steps, more than 32'),
    ('name="\ud800"', 'lone surrogate (U+D800)'),
    ('ansible_facts__a\udfff=1', 'lone surrogate (U+DFFF)'),
    ('name__in=' + ','.join(['a'] * (MAX_IN_ITEMS + 1)), "'in' takes at most %d items" % MAX_IN_ITEMS),
    (' or '.join(['name=a'] * (MAX_TERMS + 1)), 'filter has more than %d terms' % MAX_TERMS),
    ('name=' + 'x' * MAX_LENGTH, 'filter is %d characters long, more than %d' % (MAX_LENGTH + 5, MAX_LENGTH)),
    ('not ' * (MAX_DEPTH + 1) + 'name=a', 'filter nested too deeply (more than %d levels)' % MAX_DEPTH),
    ('(' * (MAX_DEPTH + 1) + 'name=a' + ')' * (MAX_DEPTH + 1), 'filter nested too deeply'),
])
def test_hostile_input_is_a_host_filter_error(store, text, message):
    with pytest.raises(HostFilterError) as err:
        parse_host_filter(text)
    assert str(err.value).startswith('host_filter: ') and message in str(err.value)
    with pytest.raises(ValidationError, match='^host_filter: ') as err:
        store.search_hosts(text)
    assert message in str(err.value)
    with pytest.raises(ValidationError, match=r"^smart inventory 'hostile': host_filter: "):
        store.save_inventory('hostile', kind='smart', host_filter=text)
    assert store.get_inventory('hostile') is None


def test_integer_limits_themselves_work(store):
    assert names(store, 'ansible_facts__n=%d' % INT_MAX) == ['web01']
    assert names(store, 'ansible_facts__m=%d' % INT_MIN) == ['web01']
    assert names(store, 'ansible_facts__n__gte=%d' % (INT_MAX - 1)) == ['web01']
    assert names(store, 'id__lt=%d' % INT_MAX) == ALL
    assert names(store, 'ansible_facts__k="%s"' % ('9' * 4400)) == []  # quoted: text, allowed


def test_a_huge_filter_is_refused_before_parsing(store):
    """400,000 characters: refused by its length alone (the tokenizer never sees it)."""
    text = ' or '.join(['name=web01'] * 30000)[:400000]
    with pytest.raises(HostFilterError, match='filter is 400000 characters long, more than %d at column %d' % (
            MAX_LENGTH, MAX_LENGTH + 1)):
        parse_host_filter(text)


def test_not_a_string():
    with pytest.raises(HostFilterError, match='the filter must be a string, not bytes'):
        parse_host_filter(b'name=a')


# ---------------------------------------------------------------------------
# item 4: NUL characters
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, expected', [
    ('name="nul\x00host"', ['nul\x00host']),
    ('name__endswith="\x00host"', ['nul\x00host']),
    ('name__endswith=host', ['nul\x00host']),
    ('name__contains="\x00"', ['nul\x00host']),
    ('name__icontains="L\x00H"', ['nul\x00host']),
    ('name__startswith="nul\x00"', ['nul\x00host']),
    ('name__istartswith="NUL\x00H"', ['nul\x00host']),
    ('name__iendswith="\x00HOST"', ['nul\x00host']),
    ('name__regex="l\\x00h"', ['nul\x00host']),
    ('name__gt="nul\x00" and name__lt="nul\x01"', ['nul\x00host']),
])
def test_nul_in_a_stored_name(store, text, expected):
    assert names(store, text) == expected


# ---------------------------------------------------------------------------
# the stored form of host variables does not matter (json.dumps vs canonical_json)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('ensure_ascii', [True, False])
def test_variables_non_ascii_keys_whatever_the_writer(ensure_ascii):
    st = Store(':memory:')
    st.save_inventory('prod')
    st.save_host('prod', 'web01', variables={'a': 1})
    host, dummy = st.save_host('prod', 'web02')
    host = st.get_host('prod', 'web02')
    st.execute('UPDATE hosts SET variables = ? WHERE id = ?',
               (json.dumps({'ünï': {'Ω': ['é', 'x'], 'k': 'v'}}, ensure_ascii=ensure_ascii), host['id']))
    assert names(st, 'variables__ünï__Ω[]=é') == ['web02']
    assert names(st, 'variables__ünï__Ω[]__iexact=É') == ['web02']
    assert names(st, 'variables__ünï__k=v') == ['web02']
    assert names(st, 'variables__ünï__isnull=false') == ['web02']
    assert names(st, 'variables__ünï__isnull=true') == ['web01']
    assert names(st, 'not variables__ünï__Ω[]=é') == ['web01']
    st.close()


HEAVY_TERMS = [
    'all_groups__search=x',
    'all_groups__name__iregex="^(a+)+$"',
    'groups__description__iendswith=x',
    'inventory__search=prod',
    'search=web',
    'ansible_facts_modified__gt=2024-01-01T00:00:00+02:00',
    'ansible_facts__l[]' + '__l[]' * (MAX_PATH_STEPS - 1) + '__iendswith=dle',
    'ansible_facts__l[]' + '__l[]' * (MAX_PATH_STEPS - 1) + '__in=needle,1,true,null',
    'variables__ünï' + '__Ω[]' * (MAX_PATH_STEPS - 1) + '__iregex=x',
    'variables__deep__l[]' + '__l[]' * (MAX_PATH_STEPS - 3) + '__isnull=true',
]


@pytest.mark.parametrize('term', HEAVY_TERMS)
def test_heaviest_terms_at_the_nesting_limit(store, term):
    """The costliest SQL of each term family, at every one of MAX_DEPTH levels, negated or not: it runs."""
    text = term
    for level in range(MAX_DEPTH // 2):
        text = '(not %s %s %s)' % (term, 'and' if level % 2 else 'or', text)
    parse_host_filter(text)
    names(store, text)
    names(store, 'not ' * (MAX_DEPTH - 1) + term)
    chain = ' or '.join(['(%s and not %s)' % (term, term)] * 100)
    assert names(store, chain) == []


def test_a_filter_the_backend_cannot_run_is_refused_on_save(store, monkeypatch):
    """The save-time check prepares the search: SQL that SQLite cannot parse is refused then, never later."""
    from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_sqlite import SqliteFilterCompiler

    text = alternating(40)
    store.save_inventory('deep', kind='smart', host_filter=text)   # runs with the flat SQL
    assert [h['name'] for h in store.smart_inventory_hosts('deep')] == ['web01']
    store.delete_inventory('deep')
    monkeypatch.setattr(SqliteFilterCompiler, 'HOIST_LEVELS', 10 ** 6)  # the old, nested SQL
    with pytest.raises(ValidationError, match=r"^smart inventory 'deep': host_filter: this filter cannot run on the store"
                                              r" \(parser stack overflow\)"):
        store.save_inventory('deep', kind='smart', host_filter=text)
    assert store.get_inventory('deep') is None


@pytest.mark.parametrize('text', [
    'not instance_id__startswith=x', 'not instance_id__istartswith=x', 'not instance_id__endswith=x',
    'not instance_id__iendswith=x', 'not instance_id__contains=x', 'not instance_id__icontains=x',
    'not variables__empty__startswith=x', 'not variables__empty__iendswith=x',
])
def test_text_lookups_on_an_empty_value_are_false_not_null(text):
    """SQLite's substr() of an empty BLOB is NULL: the byte-wise lookups must still be FALSE there (so NOT is TRUE)."""
    st = Store(':memory:')
    st.save_inventory('prod')
    st.save_host('prod', 'web01', variables={'empty': ''})
    assert names(st, text) == ['web01']
    st.close()


# ---------------------------------------------------------------------------
# issue 10, item 8 (filter side): did you mean, and quote a regex
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('text, message', [
    ('group__nmae=web', "unknown field 'group__nmae' (did you mean group__name?) at column 1"),
    ('all_groups__descripton=x', "unknown field 'all_groups__descripton' (did you mean all_groups__description?)"),
    ('inventory__knd=smart', "unknown field 'inventory__knd' (did you mean inventory__kind?)"),
    ('nmae=web01', "unknown field 'nmae' (did you mean name?) at column 1"),
    ('ansible_fact__a=1', "unknown field 'ansible_fact__a' (did you mean ansible_facts?)"),
    ('variable__a=1', "unknown field 'variable__a' (did you mean variables?)"),
    ('name__icontain=web', "unknown lookup 'icontain' (did you mean icontains?) at column 7"),
    ('id__gtee=3', "unknown lookup 'gtee' (did you mean gte?)"),
    ('groups__name__startwith=w', "unknown lookup 'startwith' (did you mean startswith?)"),
    ('foo=bar', "unknown field 'foo' at column 1"),          # nothing close: no guess
    ('name__regex=^web(01|02)$', "expected 'and' or 'or', found '(' (a regular expression with parentheses or spaces must be"
                                 " quoted: name__regex=\"...\") at column 17"),
    ('name__iregex=(a|b)', "(a regular expression with parentheses or spaces must be quoted: name__iregex=\"...\")"),
    ('name__regex=x (a=1)', "expected 'and' or 'or', found '(' at column 15"),   # a space: not a cut regex
])
def test_did_you_mean_and_quote_hints(text, message):
    with pytest.raises(HostFilterError) as err:
        parse_host_filter(text)
    assert message in str(err.value)
    if 'did you mean' not in message and 'quoted' not in message:
        assert 'did you mean' not in str(err.value) and 'quoted' not in str(err.value)


# ---------------------------------------------------------------------------
# issue 10, item 11 (filter side): ansible_facts_modified compares times
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('raw, canonical', [
    ('2025-01-31T12:00:00Z', '2025-01-31T12:00:00.000000+00:00'),
    ('2025-01-31T14:00:00+02:00', '2025-01-31T12:00:00.000000+00:00'),
    ('2025-01-31T07:00:00-05:00', '2025-01-31T12:00:00.000000+00:00'),
    ('2025-01-31T12:00:00', '2025-01-31T12:00:00.000000+00:00'),
    ('2025-01-31T12:00:00.5z', '2025-01-31T12:00:00.500000+00:00'),
    ('2025-01-31', '2025-01-31T00:00:00.000000+00:00'),
    ('2025-01', '2025-01-01T00:00:00.000000+00:00'),
    ('2025', '2025-01-01T00:00:00.000000+00:00'),
])
def test_facts_modified_values_are_times(raw, canonical):
    for lookup in ('gt', 'gte', 'lt', 'lte'):
        term = parse_host_filter('ansible_facts_modified__%s="%s"' % (lookup, raw))
        assert term.value == canonical and term.raw == raw


def test_facts_modified_against_the_stored_stamps():
    from ansible_collections.fleet.inventory.plugins.module_utils.common import now

    st = Store(':memory:')
    st.save_inventory('prod')
    st.save_host('prod', 'old')
    st.save_host('prod', 'new')
    st.save_host('prod', 'never')
    st.set_facts(st.get_host('prod', 'new')['id'], {'a': 1})
    st.execute("UPDATE hosts SET ansible_facts_modified = '2020-06-01T10:00:00.000000+00:00' WHERE name = 'old'")
    stamp = st.get_host('prod', 'new')['ansible_facts_modified']
    assert stamp[-6:] == '+00:00' and len(stamp) == len(now())
    assert names(st, 'ansible_facts_modified__gt=2020-06-01T11:00:00+02:00') == ['new', 'old']     # 09:00 UTC
    assert names(st, 'ansible_facts_modified__gt=2020-06-01T12:00:00+02:00') == ['new']            # 10:00 UTC, not after
    assert names(st, 'ansible_facts_modified__gte=2020-06-01T12:00:00+02:00') == ['new', 'old']
    assert names(st, 'ansible_facts_modified__lt=2020-06-01T10:00:00.000001Z') == ['old']
    assert names(st, 'ansible_facts_modified__lte=2020-06-01') == []
    assert names(st, 'not ansible_facts_modified__gte=2021') == ['never', 'old']
    with pytest.raises(ValidationError, match="expected an ISO-8601 time for 'ansible_facts_modified'"):
        names(st, 'ansible_facts_modified__gt=2020-13-01')
    st.close()
