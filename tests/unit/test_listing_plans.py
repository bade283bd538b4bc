# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""store/listing.list_page's plans of a host_filter on SQLite (HostSetPlan, docs/host_filter.md "Plans of lists"):
the count from index ranges, the page by walk (bounded) or by sort, the count and page in one statement, the
AND driven by its smallest operand.  Every plan must give the count and the rows of the plain statements
(``SELECT ... FROM hosts h WHERE <filter>``, the listing without a plan): hidden inventories, OR of overlapping
sets, empty results, every ``order_by``, offsets past the first page and past the end, a host linked to two
groups of one name, ``host_fact_items`` rows of a host that is gone.  On PostgreSQL the plans are
``listing._planned_page_postgresql``'s (a bounded walk, a longer one, or the matches materialized once), also with
walk bounds small enough that this small fleet takes every branch."""

from __future__ import annotations

import itertools

import pytest
from backends import BACKEND  # tests/backends.py

from ansible_collections.fleet.inventory.plugins.module_utils.common import now
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import SqliteFilterCompiler, parse
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_sqlite import HostSetStatements as SqliteHostStatements
from ansible_collections.fleet.inventory.plugins.module_utils.store import deletion, listing, search
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

#: (inventory, names): the names tell the role, as in the benchmark fleet (so matches crowd in name order)
FLEET = (("prod", ["web%02d" % i for i in range(14)] + ["app%02d" % i for i in range(14)] + ["db%02d" % i for i in range(12)]),
         ("lab", ["web%02d" % i for i in range(0, 20, 2)] + ["lab%02d" % i for i in range(10)]),
         ("gone", ["web%02d" % i for i in range(5)] + ["gone%02d" % i for i in range(5)]))


def _facts(index, name):
    facts = {"ansible_processor_vcpus": index % 16,
             "ansible_default_ipv4": {"address": "10.0.0.%d" % (index % 7)},
             "tags": ["t%d" % (index % 3), "all"]}
    if index % 2:
        facts["ansible_distribution"] = "Ubuntu"
    elif index % 5 == 0:
        facts["ansible_distribution"] = "Debian"
    elif index % 3 == 0:
        facts["ansible_distribution"] = 7  # a number: never equal to a string
    return facts


@pytest.fixture(scope="module")
def fleet_target(tmp_path_factory, request):
    """One store for the module: prod, lab and gone (pending deletion unless a test says otherwise)."""
    if BACKEND == "postgresql":
        dbs = request.getfixturevalue("pg_databases")
        target = dbs.create()
    else:
        target = str(tmp_path_factory.mktemp("plans") / "store.db")
    s = Store(target)
    items = []
    for inv, names in FLEET:
        s.save_inventory(inv)
        for name in names:
            host = s.save_host(inv, name, description="d%d" % (len(name) + len(items) % 4))[1]
            items.append((host["id"], _facts(len(items), name)))
        s.save_group(inv, "web", hosts=[n for n in names if n.startswith("web")])
        s.save_group(inv, "odd", hosts=[n for i, n in enumerate(names) if i % 2])
    s.set_facts_many(items)
    ids = {r["name"]: r["id"] for r in s.query("SELECT id, name FROM inventories")}
    with s.transaction():
        deletion.mark_pending(s, ids["gone"], now())
        # a host of lab's group web also linked to prod's group web: two groups named web, one host
        lab_web = s.query_one("SELECT h.id FROM hosts h WHERE h.inventory_id = ? AND h.name = 'web02'", (ids["lab"],))["id"]
        prod_web = s.query_one("SELECT g.id FROM groups g WHERE g.inventory_id = ? AND g.name = 'web'", (ids["prod"],))["id"]
        s.execute("INSERT INTO group_hosts (group_id, host_id) VALUES (?, ?)", (prod_web, lab_web))
    s.close()
    yield target, ids
    if BACKEND == "postgresql":
        dbs.drop(target)


@pytest.fixture(params=[True, False], ids=["gone-hidden", "none-hidden"])
def store(fleet_target, request):
    """The module's store, with inventory gone pending deletion or not (no hidden inventory: the plans without
    a host condition, whose count is the index ranges alone)."""
    s = Store(fleet_target[0])
    s.ids = fleet_target[1]
    s.search_cache = None  # every list computed (test_search_cache.py tests what is kept)
    with s.transaction():
        s.execute("UPDATE inventories SET pending_delete = ? WHERE id = ?", (request.param, s.ids["gone"]))
    yield s
    s.close()


FILTERS = [
    'ansible_facts__ansible_distribution="Ubuntu"',
    'ansible_facts__ansible_distribution="Nope"',
    'ansible_facts__ansible_distribution="Ubuntu" or ansible_facts__ansible_distribution="Debian"',
    '(ansible_facts__ansible_distribution="Ubuntu" or ansible_facts__ansible_distribution="Debian") and groups__name=web'
    ' and ansible_facts__ansible_processor_vcpus__gte=8',
    'ansible_facts__ansible_distribution="Ubuntu" or groups__name=web',
    'ansible_facts__ansible_distribution="Debian" or ansible_facts__ansible_distribution=7 or groups__name=odd',
    'groups__name=web',
    'groups__name=web and groups__name=odd',
    'ansible_facts__ansible_default_ipv4__address="10.0.0.3"',
    'ansible_facts__tags[]="t1"',
    'groups__name=web and not ansible_facts__ansible_distribution="Ubuntu"',
    'name__startswith=web and ansible_facts__ansible_processor_vcpus__gte=4',
    'name=web03 and groups__name=web',
    'inventory__name=lab and ansible_facts__ansible_distribution="Ubuntu"',
    'ansible_facts__ansible_processor_vcpus__lt=3 and ansible_facts__tags[]="all"',
    'not groups__name=web',
]
ORDERS = [None, "-name", "id", "-id", "name,-id", "description,-name", "-inventory__name"]
PAGES = [(0, 5), (5, 5), (0, 200), (23, 4), (40, 200), (1000, 5)]


def _ids(result):
    count, rows = result
    return count, [r["id"] for r in rows], [r["inventory_name"] for r in rows]


def _both(store, monkeypatch, **query):
    planned = _ids(listing.list_page(store, "host", **query))
    with monkeypatch.context() as patch:  # the plain statements: no plan
        patch.setattr(search, "host_set_plan", lambda store, node: None)
        patch.setattr(search, "reads_related", lambda node: False)
        plain = _ids(listing.list_page(store, "host", **query))
    return planned, plain


#: PostgreSQL's walk bounds (WALK_HOSTS_MIN, WALK_HOSTS_PER_ROW, WALK_HOSTS_MAX): the defaults walk past every host of
#: this fleet; the small ones make walks that hold the page, walks that are lengthened and walks given up
WALKS = [None] if BACKEND == "sqlite" else [None, (6, 1, 30)]


def _walk_bounds(patch, bounds):
    if bounds is not None:
        for name, value in zip(("WALK_HOSTS_MIN", "WALK_HOSTS_PER_ROW", "WALK_HOSTS_MAX"), bounds):
            patch.setattr(listing, name, value)


@pytest.mark.parametrize("host_filter", FILTERS)
def test_every_plan_gives_the_plain_count_and_rows(store, monkeypatch, host_filter):
    for bounds, order, (offset, limit) in itertools.product(WALKS, ORDERS, PAGES):
        with monkeypatch.context() as patch:
            _walk_bounds(patch, bounds)
            planned, plain = _both(store, monkeypatch, host_filter=host_filter, order_by=order, offset=offset, limit=limit)
        assert planned == plain, (host_filter, bounds, order, offset, limit)


@pytest.mark.parametrize("host_filter", FILTERS[:5] + FILTERS[8:10] + FILTERS[11:12])
def test_with_the_lists_own_conditions_scope_and_parent(store, monkeypatch, host_filter):
    cases = [dict(conditions=[listing.Condition("name", "startswith", "web", param="name__startswith")]),
             dict(conditions=[listing.Condition("enabled", "exact", "true", param="enabled"),
                              listing.Condition("description", "icontains", "D1", either=True, param="or__description"),
                              listing.Condition("name", "endswith", "3", either=True, param="or__name")]),
             dict(readable={store.ids["lab"]}),
             dict(readable={store.ids["prod"], store.ids["gone"]}),
             dict(parent=("inventory", store.ids["lab"])),
             dict(search_text="WEB1")]
    for bounds, case, order, (offset, limit) in itertools.product(WALKS, cases, [None, "-id", "description"],
                                                                  [(0, 3), (2, 3), (0, 200), (50, 3)]):
        with monkeypatch.context() as patch:
            _walk_bounds(patch, bounds)
            planned, plain = _both(store, monkeypatch, host_filter=host_filter, order_by=order, offset=offset, limit=limit, **case)
        assert planned == plain, (host_filter, bounds, case, order, offset, limit)


@pytest.mark.sqlite_only
def test_the_plans_are_used(store, monkeypatch):
    """Each branch of _planned_page runs for some request (otherwise the comparisons above would test nothing)."""
    with store.transaction():
        store.execute("UPDATE inventories SET pending_delete = FALSE")
    seen = []
    for name in ("count", "page", "counted_page"):
        original = getattr(SqliteHostStatements, name)

        def spy(self, *args, _name=name, _original=original, **kwargs):
            seen.append(_name if _name != "counted_page" else "counted_page:%s" % ("walk" if args[3] else "drive"))
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(SqliteHostStatements, name, spy)
    walks = []
    original_bounded = type(store.dialect).execute_bounded

    def bounded(self, conn, sql, params, steps):
        found = original_bounded(self, conn, sql, params, steps)
        walks.append(found is not None)
        return found
    monkeypatch.setattr(type(store.dialect), "execute_bounded", bounded)
    broad, andor = FILTERS[0], FILTERS[3]
    listing.list_page(store, "host", host_filter=broad, limit=3)          # cheap count, walk
    assert seen == ["count"] and walks == [True]
    listing.list_page(store, "host", host_filter=broad, limit=200)        # cheap count, few for a walk: sort
    assert seen[-1] == "page"
    listing.list_page(store, "host", host_filter=andor, limit=2)          # probes: one statement, walk
    assert seen[-1] == "counted_page:walk"
    listing.list_page(store, "host", host_filter=andor, limit=200)        # probes: one statement, read by id
    assert seen[-1] == "counted_page:drive"
    listing.list_page(store, "host", host_filter=andor, offset=500, limit=2)  # past the end: the count alone
    assert seen[-2:] == ["counted_page:drive", "count"]
    listing.list_page(store, "host", host_filter="name=web03 and groups__name=web", limit=2)  # no plan
    assert seen[-1] == "count" and len(seen) == 7


@pytest.mark.sqlite_only
@pytest.mark.parametrize("order", ORDERS)
def test_a_walk_given_up_reads_and_sorts_the_matches(store, monkeypatch, order):
    """The bound of a walk (matches crowded at the far end of the order): the page read by id instead, same rows."""
    expected = _both(store, monkeypatch, host_filter=FILTERS[6], order_by=order, offset=2, limit=3)[1]
    monkeypatch.setattr(type(store.dialect), "execute_bounded", lambda self, conn, sql, params, steps: None)
    assert _ids(listing.list_page(store, "host", host_filter=FILTERS[6], order_by=order, offset=2, limit=3)) == expected


@pytest.mark.sqlite_only
def test_execute_bounded_stops_a_long_statement_and_leaves_no_handler(store):
    sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT COUNT(*) FROM n"
    assert store.dialect.execute_bounded(store.conn, sql, [], 5) is None
    description, rows = store.dialect.execute_bounded(store.conn, sql, [], 10 ** 6)
    assert rows == [(200000,)] and description[0][0] == "COUNT(*)"
    assert store.execute(sql).fetchone()[0] == 200000  # no handler left behind


@pytest.mark.sqlite_only
def test_leaf_rows_of_a_host_that_is_gone_are_not_counted(store_target, monkeypatch):
    """``host_fact_items`` has no foreign key to hosts (schema 7): a plan driven by it checks each id against hosts."""
    s = Store(store_target)
    s.save_inventory("prod")
    hosts = [s.save_host("prod", "h%d" % i)[1]["id"] for i in range(4)]
    s.set_facts_many([(h, {"ansible_default_ipv4": {"address": "10.1.1.1"}, "tags": ["x"]}) for h in hosts])
    with s.transaction():
        for row in s.query("SELECT key_id, path, value FROM host_fact_items WHERE host_id = ?", (hosts[0],)):
            s.execute("INSERT INTO host_fact_items (key_id, path, value, host_id) VALUES (?, ?, ?, ?)",
                      (row["key_id"], row["path"], row["value"], 999999))
    for host_filter in ('ansible_facts__ansible_default_ipv4__address="10.1.1.1"', 'ansible_facts__tags[]="x"'):
        for limit in (1, 2, 200):
            planned, plain = _both(s, monkeypatch, host_filter=host_filter, limit=limit)
            assert planned == plain and planned[0] == 4
    s.close()


def test_or_of_one_facts_equalities_is_one_in_term():
    """``key="a" or key="b"`` compiles to one ``IN`` on SQLite (one range, one probe); other operands stay."""
    where, params = SqliteFilterCompiler().compile(parse(
        'ansible_facts__os="a" or name=x or ansible_facts__os="b" or ansible_facts__os__in=c,d or ansible_facts__n=3'))
    assert where.count("host_facts") == 2 and where.count("h.name") == 1
    assert [p for p in params if p in ('"a"', '"b"', '"c"', '"d"')] == ['"a"', '"b"', '"c"', '"d"']


def test_no_plan_for_a_host_column_equality_or_a_filter_without_an_index_operand():
    compiler = SqliteFilterCompiler()
    assert compiler.host_set_plan(parse("name=web03 and groups__name=web")) is None
    assert compiler.host_set_plan(parse("not groups__name=web")) is None
    assert compiler.host_set_plan(parse("name__startswith=web")) is None
    plan = compiler.host_set_plan(parse('groups__name=web and ansible_facts__a="b" and name__contains=x'))
    assert sorted(plan.candidates) == [0, 1]
