# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL plans of host lists and deletes (issue 11 item 9), and that they select what the other paths do.

- every store connection runs without parallel query (checked with SHOW);
- ``key=a or key=b`` is one ``IN`` range of the key's values (the same hosts as the OR);
- a host list whose only condition is one term over ``host_facts`` counts that term's rows;
- ``name__startswith`` is a range of the index ``hosts_name_prefix``, right for ``%``, ``_`` and non-ASCII names;
- leaf rows are deleted set-based (``Store.delete_keys``), in the caller's transaction.
Tests without a marker run on both backends.
"""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import compile_python, compile_sql, parse
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compiler import SqlFilterCompiler
from ansible_collections.fleet.inventory.plugins.module_utils.rules import deletion
from ansible_collections.fleet.inventory.plugins.module_utils.store import listing, search
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends import postgresql as pg
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import ITEM_COLUMNS, ITEM_TYPES

NAMES = ["web1", "web2", "web%1", "web_1", "webx1", "wé1", "wéb", "w\\b", "WEB3", "db1", "日本1", "日本"]


@pytest.fixture
def store(store_target):
    s = Store.open(store_target)
    s.search_cache = None  # every list computed (test_search_cache.py tests what is kept)
    s.save_inventory("prod")
    s.save_inventory("old")
    s.save_group("prod", "web")
    for index, name in enumerate(NAMES):
        s.save_host("prod", name, groups=["web"] if index % 2 else [])
        facts = {"dist": ["Ubuntu", "Debian", "Fedora"][index % 3], "vcpus": index, "ipv4": {"address": "10.0.0.%d" % index}}
        if index != 4:  # one host without facts
            s.set_facts(s.get_host("prod", name)["id"], facts)
    s.save_host("old", "web9")
    s.set_facts(s.get_host("old", "web9")["id"], {"dist": "Ubuntu", "vcpus": 64, "ipv4": {"address": "10.0.1.9"}, "tags": ["a\"b\\\\c", "é", "{x,y}"]})
    yield s
    s.close()


def hosts_of(store, host_filter):
    count, rows = listing.list_page(store, "host", host_filter=host_filter, limit=1000)
    assert count == len(rows)
    return sorted((r["inventory_id"], r["name"]) for r in rows)


def full_count(store, host_filter):
    """The count of a page smaller than the matches (so the count statement runs)."""
    return listing.list_page(store, "host", host_filter=host_filter, limit=1)[0]


@pytest.mark.postgresql_only
def test_every_store_connection_runs_without_parallel_query(store, store_target):
    assert store.execute("SHOW max_parallel_workers_per_gather").fetchone()[0] == "0"
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.execute("SELECT 1")
            raise RuntimeError("rolled back")
    assert store.execute("SHOW max_parallel_workers_per_gather").fetchone()[0] == "0"  # a session setting
    again = Store(store_target)  # a connection of its own (as each web process has)
    try:
        listing.list_page(again, "host", host_filter='ansible_facts__dist="Ubuntu"', limit=1)
        assert again.execute("SHOW max_parallel_workers_per_gather").fetchone()[0] == "0"
    finally:
        again.close()


def test_an_or_of_one_keys_values_is_one_range_and_selects_the_same_hosts(store):
    text = 'ansible_facts__dist="Ubuntu" or ansible_facts__dist="Debian" or ansible_facts__vcpus=3'
    where = compile_sql(parse(text), dialect="postgresql", key_ids={"dist": 1, "vcpus": 2})[0]
    assert where.count("SELECT") == 2 and "IN (?::jsonb, ?::jsonb)" in where
    both = hosts_of(store, text)
    assert both == sorted(set(hosts_of(store, 'ansible_facts__dist="Ubuntu"')) | set(hosts_of(store, 'ansible_facts__dist="Debian"'))
                          | set(hosts_of(store, 'ansible_facts__vcpus=3')))
    assert both == hosts_of(store, "ansible_facts__dist__in=Ubuntu,Debian or ansible_facts__vcpus=3")
    members = 'ansible_facts__ipv4__address="10.0.0.1" or ansible_facts__ipv4__address="10.0.0.2"'
    assert compile_sql(parse(members), dialect="postgresql", key_ids={"ipv4": 3})[0].count("SELECT") == 1
    assert [n for _i, n in hosts_of(store, members)] == sorted([NAMES[1], NAMES[2]])
    # a negated term or one of another key stays apart
    mixed = 'not ansible_facts__dist="Ubuntu" or ansible_facts__dist="Debian"'
    assert compile_sql(parse(mixed), dialect="postgresql", key_ids={"dist": 1})[0].count("SELECT") == 2
    assert hosts_of(store, mixed) == sorted(set(hosts_of(store, "name__startswith=")) - set(hosts_of(store, 'ansible_facts__dist="Ubuntu"')))


@pytest.mark.parametrize("text, counted", [
    ('ansible_facts__dist="Ubuntu"', True),
    ('ansible_facts__vcpus__gte=3', True),
    ('ansible_facts__dist__in=Ubuntu,Fedora', True),
    ('ansible_facts__dist="Ubuntu" and groups__name=web', False),
    ('not ansible_facts__dist="Ubuntu"', False),
    ('ansible_facts__ipv4__address="10.0.0.1"', False),
    ('name__startswith=web', False),
])
def test_the_count_of_one_fact_term_reads_only_host_facts(store, text, counted):
    compiled = compile_sql(parse(text), dialect="postgresql", key_ids={"dist": 1, "vcpus": 2, "ipv4": 3})
    assert (compiled.count_sql is not None) == counted
    if counted:
        assert "hosts" not in compiled.count_sql and compiled.count_sql.count("?") == len(compiled[1])
    assert compile_sql(parse(text), dialect="sqlite").count_sql is None
    assert full_count(store, text) == len(hosts_of(store, text))


def test_the_count_of_one_fact_term_leaves_out_hidden_and_unreadable_hosts(store):
    text = 'ansible_facts__dist="Ubuntu"'
    everywhere = len(hosts_of(store, text))
    assert everywhere == full_count(store, text) == 5
    prod = store.get_inventory("prod")["id"]
    assert listing.list_page(store, "host", host_filter=text, limit=1, readable={prod})[0] == 4
    assert listing.list_page(store, "host", host_filter=text, limit=1, parent=("inventory", prod))[0] == 4
    deletion.request_delete(store, "old")
    assert full_count(store, text) == 4 == len(hosts_of(store, text))


@pytest.mark.parametrize("prefix", ["web", "web%", "web_", "wé", "w\\", "日本", "WEB", "", "x"])
def test_name_startswith_agrees_with_python_for_wildcards_and_non_ascii(store, prefix):
    expected = sorted(n for n in NAMES if n.startswith(prefix))
    prod = store.get_inventory("prod")["id"]
    text = 'name__startswith="%s"' % prefix
    predicate = compile_python(parse(text))  # the host_filter's own reading of the value (the reference)
    hosts = [{"name": n, "id": 0, "description": "", "enabled": True, "instance_id": "", "variables": {}, "groups": [],
              "all_groups": [], "inventory": {"id": 1, "name": "prod", "description": "", "kind": ""}} for n in NAMES]
    by_predicate = sorted(h["name"] for h in hosts if predicate(h))
    assert [n for i, n in hosts_of(store, text) if i == prod] == by_predicate
    if "\\" not in prefix:
        assert by_predicate == expected
    listed = listing.list_page(store, "host", [listing.Condition("name", "startswith", prefix, param="name__startswith")],
                               limit=100, parent=("inventory", prod))[1]
    assert sorted(r["name"] for r in listed) == expected


@pytest.mark.postgresql_only
def test_name_startswith_is_a_range_of_the_prefix_index(store):
    where, params = search.compile_filter(store, "name__startswith=web")
    store.execute("SET enable_seqscan = off")
    try:
        plan = "\n".join(r[0] for r in store.execute("EXPLAIN SELECT h.id FROM hosts h WHERE %s" % where, params).fetchall())
    finally:
        store.execute("RESET enable_seqscan")
    assert "hosts_name_prefix" in plan and "~>=~" in plan, plan


def leaf_rows(store):
    return sorted(tuple(r) for r in store.execute("SELECT key_id, path, value, host_id FROM host_fact_items").fetchall())


def test_delete_keys_deletes_exactly_the_rows_named_in_the_callers_transaction(store, monkeypatch):
    before = leaf_rows(store)
    assert len(before) > 10
    gone, kept = before[::2], before[1::2]
    with pytest.raises(RuntimeError):
        with store.transaction():
            assert store.delete_keys("host_fact_items", ITEM_COLUMNS, ITEM_TYPES, gone + gone[:1]) == len(gone) + 1
            raise RuntimeError("the process dies before its commit")
    assert leaf_rows(store) == before  # nothing half-deleted
    monkeypatch.setattr(pg, "DELETE_CHUNK", 3)  # several statements for one call
    with store.transaction():
        store.delete_keys("host_fact_items", ITEM_COLUMNS, ITEM_TYPES, gone)
        assert store.delete_keys("host_fact_items", ITEM_COLUMNS, ITEM_TYPES, []) == 0
    assert leaf_rows(store) == kept


def test_background_deletion_removes_every_leaf_row_of_the_inventory(store):
    old = store.get_host("old", "web9")["id"]
    assert any(r[3] == old for r in leaf_rows(store))
    prod_rows = [r for r in leaf_rows(store) if r[3] != old]
    inventory_id = deletion.request_delete(store, "old")["id"]
    assert deletion.delete_pending(store, inventory_id)["deleted"]
    assert leaf_rows(store) == prod_rows


def test_groups_terms_select_the_same_hosts_by_group_ids_or_by_join(store, monkeypatch):
    store.save_inventory("lab")
    store.save_group("lab", "web", hosts=[])
    store.save_host("lab", "web1", groups=["web"])  # a second group named web, in another inventory
    cases = ["groups__name=web", "groups__name__icontains=WE", "groups__name=nope", "not groups__name=nope",
             "groups__name=web and ansible_facts__dist=\"Ubuntu\"", "groups__search=eb or groups__id=0"]
    expected = {}
    for text in cases:
        expected[text] = hosts_of(store, text)
        assert expected[text] == sorted((h["inventory_id"], h["name"]) for h in search.search_hosts(store, text)), text
    assert sorted(n for _i, n in expected["groups__name=web"]) == sorted(["web1"] + [n for i, n in enumerate(NAMES) if i % 2])
    assert expected["groups__name__icontains=WE"] == expected["groups__name=web"] == expected["groups__search=eb or groups__id=0"]
    assert [n for _i, n in expected['groups__name=web and ansible_facts__dist="Ubuntu"']] == sorted(
        n for i, n in enumerate(NAMES) if i % 2 and i % 3 == 0 and i != 4)
    assert expected["groups__name=nope"] == []
    assert len(expected["not groups__name=nope"]) == len(NAMES) + 2
    where = search.compile_filter(store, "groups__name=web")[0]
    if store.dialect.name == "postgresql":  # the ids are bound values: group_hosts' statistics plan the search
        assert "JOIN groups" not in where and "group_id IN" in where
    else:
        assert "JOIN groups" in where
    # more groups than the compiler writes as ids: the term joins groups, with the same hosts
    monkeypatch.setattr(SqlFilterCompiler, "MAX_GROUP_IDS", 1)
    assert "JOIN groups" in search.compile_filter(store, "groups__name=web")[0]
    for text in cases:
        assert hosts_of(store, text) == expected[text], text


@pytest.mark.postgresql_only
def test_every_branch_of_the_postgresql_list_plan_runs(store, monkeypatch):
    """A walk that holds the page (the count its own statement), one lengthened twice, one given up (the matches
    materialized once: count and page from one statement), a page too far for a walk, and a page past the end
    (its count on its own)."""
    for name, value in (("WALK_HOSTS_MIN", 2), ("WALK_HOSTS_PER_ROW", 1), ("WALK_HOSTS_MAX", 8)):
        monkeypatch.setattr(listing, name, value)
    ran = []
    original = Store.execute_search

    def spy(self, sql, params, compiled):
        ran.append("walk" if ") h WHERE" in sql else "materialized" if "MATERIALIZED" in sql else "count" if "COUNT" in sql else sql)
        return original(self, sql, params, compiled)
    monkeypatch.setattr(Store, "execute_search", spy)
    seen = {}
    for text, order, offset, limit in [('ansible_facts__vcpus__gte=0', "id", 0, 2),        # the first hosts hold it
                                       ('ansible_facts__dist="Debian"', "id", 0, 2),       # rare: walked again
                                       ('ansible_facts__dist="Fedora"', "id", 0, 2),       # none in the first hosts
                                       ('groups__name=web', "name", 0, 20),                # too far: materialized
                                       ('groups__name=web', "name", 100, 2)]:              # past the end
        ran.clear()
        with monkeypatch.context() as patch:
            patch.setattr(search, "reads_related", lambda node: False)
            patch.setattr(Store, "execute_search", original)
            plain = listing.list_page(store, "host", host_filter=text, order_by=order, offset=offset, limit=limit)
        result = listing.list_page(store, "host", host_filter=text, order_by=order, offset=offset, limit=limit)
        assert (result[0], [r["id"] for r in result[1]]) == (plain[0], [r["id"] for r in plain[1]]), text
        seen[(text, offset)] = tuple(ran)
    assert seen[('ansible_facts__vcpus__gte=0', 0)] == ("walk", "count")
    assert seen[('ansible_facts__dist="Debian"', 0)] == ("walk", "walk", "walk", "count")
    assert seen[('ansible_facts__dist="Fedora"', 0)] == ("walk", "materialized")
    assert seen[('groups__name=web', 0)] == ("materialized",)
    assert seen[('groups__name=web', 100)] == ("materialized", "count")
