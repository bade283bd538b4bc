"""The fact layout of schema migration 7 (docs/performance.md): leaf rows go with their hosts without a cascade,
``host_facts.num`` serves number comparisons, and the fast SQL forms select the hosts the Python predicate does."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3

import pytest
from backends import BACKEND  # tests/backends.py

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import compile_sql, parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_sqlite import prefix_upper_bound
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.predicate import compile_python
from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import import_inventory
from ansible_collections.fleet.inventory.plugins.module_utils.store import schema
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import fact_items, fact_number

ARRAY_FACTS = {"ansible_processor": ["0", "GenuineIntel", "1", "GenuineIntel"],
               "ansible_lo": {"ipv6": [{"scope": "host", "address": "::1"}], "mtu": 65536},
               "ansible_default_ipv4": {"address": "10.0.0.1", "mtu": 1500}}


@pytest.fixture
def store(store_target):
    s = Store(store_target)
    s.save_inventory("inv")
    s.save_inventory("other")
    yield s
    s.close()


def _leaf_hosts(store):
    return {r[0] for r in store.execute("SELECT DISTINCT host_id FROM host_fact_items").fetchall()}


def _host_id(store, inventory, name):
    return store.get_host(inventory, name)["id"]


def _with_facts(store, inventory, names):
    ids = []
    for name in names:
        store.save_host(inventory, name)
        ids.append(_host_id(store, inventory, name))
    store.set_facts_many([(h, dict(ARRAY_FACTS, ansible_hostname="h%d" % h)) for h in ids])
    return ids


def test_deleting_a_host_deletes_its_leaf_rows(store):
    a, b = _with_facts(store, "inv", ["a", "b"])
    assert _leaf_hosts(store) == {a, b}
    store.delete_host("inv", "a")
    assert _leaf_hosts(store) == {b}
    assert store.execute("SELECT COUNT(*) FROM host_facts WHERE host_id = ?", (a,)).fetchone()[0] == 0


def test_deleting_an_inventory_deletes_the_leaf_rows_of_its_hosts_only(store):
    _with_facts(store, "inv", ["a", "b"])
    (c,) = _with_facts(store, "other", ["c"])
    store.delete_inventory("inv")
    assert _leaf_hosts(store) == {c}


def test_clearing_and_replacing_facts_deletes_leaf_rows(store):
    a, b = _with_facts(store, "inv", ["a", "b"])
    assert store.clear_facts(a)
    assert _leaf_hosts(store) == {b}
    store.set_facts(b, {"ansible_hostname": "b"}, merge=False)
    assert _leaf_hosts(store) == set()


def test_an_import_with_overwrite_deletes_the_leaf_rows_of_removed_hosts(store):
    def doc(names):
        return {"_meta": {"hostvars": {n: {} for n in names}}, "all": {"children": ["ungrouped"]},
                "ungrouped": {"hosts": list(names)}}
    import_inventory(store, "inv", doc(["a", "b", "c"]))
    ids = {n: _host_id(store, "inv", n) for n in "abc"}
    store.set_facts_many([(ids[n], ARRAY_FACTS) for n in "abc"])
    import_inventory(store, "inv", doc(["b"]), overwrite=True)
    assert _leaf_hosts(store) == {ids["b"]}
    expected = {(p, v) for k, value in ARRAY_FACTS.items() for p, v in fact_items(value)}
    rows = store.execute("SELECT path, value FROM host_fact_items WHERE host_id = ?", (ids["b"],)).fetchall()
    assert {tuple(r) for r in rows} == expected


@pytest.mark.sqlite_only
def test_no_index_or_foreign_key_ties_leaf_rows_to_hosts(store):
    # a foreign key to hosts would make SQLite scan the whole leaf table for every deleted host
    assert [r for r in store.execute("PRAGMA foreign_key_list(host_fact_items)").fetchall() if r[2] == "hosts"] == []
    indexes = [r[1] for r in store.execute("PRAGMA index_list(host_fact_items)").fetchall()]
    assert "host_fact_items_host" not in indexes
    plan = " ".join(str(r[-1]) for r in store.execute(
        "EXPLAIN QUERY PLAN DELETE FROM host_fact_items WHERE key_id = ? AND path = ? AND value = ? AND host_id = ?",
        (1, "[0]", '"x"', 1)).fetchall())
    assert "PRIMARY KEY" in plan or "USING" in plan, plan


@pytest.mark.postgresql_only
def test_no_foreign_key_ties_leaf_rows_to_hosts_on_postgresql(store):
    refs = store.execute(
        "SELECT confrelid::regclass::text FROM pg_constraint WHERE conrelid = 'host_fact_items'::regclass AND contype = 'f'"
    ).fetchall()
    # (the reference to fact_keys is checked per statement by a trigger since schema migration 8)
    assert "hosts" not in [r[0] for r in refs]


# -- host_facts.num: number comparisons ------------------------------------------------------------

NUMBER_VALUES = [8, 7, 9, 8.0, 8.5, -1, 0, True, False, None, "8", "10", "abc", 2 ** 70, -(2 ** 70), 1e300, -0.0, 0.1 + 0.2,
                 [8], {"v": 8}, 12345678901234567]
NUMBER_FILTERS = ["n__gt=8", "n__gte=8", "n__lt=8", "n__lte=8", "n__gte=8.5", "n__lt=0", "n__gt=-1", "n__gte=0.30000000000000004",
                  "n__lte=0.3", "n__gt=1e21", "n__lt=-1e21", "n__gt=12345678901234566", 'n__gte="8"', 'n__lt="9"',
                  "not n__gt=8", "n__gt=8 or n__lt=0"]


def _hosts_with(store, values, key="n"):
    by_id = {}
    for i, value in enumerate(values):
        name = "h%02d" % i
        store.save_host("inv", name)
        host_id = _host_id(store, "inv", name)
        store.set_facts(host_id, {key: value, "other": 1})
        by_id[host_id] = {"id": host_id, "name": name, "ansible_facts": {key: value, "other": 1}}
    store.save_host("inv", "nofacts")
    nofacts = _host_id(store, "inv", "nofacts")
    by_id[nofacts] = {"id": nofacts, "name": "nofacts", "ansible_facts": {}}
    return by_id


def _facts(host_filter):
    """``n...`` terms as ``ansible_facts__n...`` terms."""
    return re.sub(r'(^|not |or |and )n(__|=)', r'\1ansible_facts__n\2', host_filter)


def _agree(store, by_id, host_filter):
    expected = {h for h, obj in by_id.items() if compile_python(parse_host_filter(host_filter))(obj)}
    got = {h["id"] for h in store.search_hosts(host_filter)}
    assert got == expected, host_filter
    return got


def test_number_column_holds_numbers_only(store):
    by_id = _hosts_with(store, NUMBER_VALUES)
    key_id = store.execute("SELECT id FROM fact_keys WHERE name = 'n'").fetchone()[0]
    nums = dict(store.execute("SELECT host_id, num FROM host_facts WHERE key_id = ?", (key_id,)).fetchall())
    for host_id, obj in by_id.items():
        if "n" not in obj["ansible_facts"]:
            continue
        value = obj["ansible_facts"]["n"]
        if fact_number(value) is None:
            assert nums[host_id] is None, value
        else:
            assert float(nums[host_id]) == float(value), value


@pytest.mark.parametrize("host_filter", NUMBER_FILTERS)
def test_number_comparisons_agree_with_the_predicate(store, host_filter):
    by_id = _hosts_with(store, NUMBER_VALUES)
    _agree(store, by_id, _facts(host_filter))


def test_rewriting_a_fact_moves_its_number(store):
    by_id = _hosts_with(store, [8, "8", 3])
    ids = sorted(h for h, o in by_id.items() if o["ansible_facts"])
    store.set_facts(ids[0], {"n": "8"})
    store.set_facts(ids[1], {"n": 9.5})
    store.set_facts(ids[2], {"n": {"x": 1}})
    assert {h["id"] for h in store.search_hosts("ansible_facts__n__gte=8")} == {ids[1]}


def test_a_number_comparison_is_an_index_range(store):
    _hosts_with(store, [1, 2, 3])
    where, params = compile_sql(parse_host_filter("ansible_facts__n__gte=2"), dialect=store.dialect.name)
    assert ".num >= " in where and "json" not in where
    store.prepare_search()
    sql = "EXPLAIN %s SELECT h.id FROM hosts h WHERE %s" % ("QUERY PLAN" if store.dialect.name == "sqlite" else "", where)
    plan = " ".join(str(r[-1]) for r in store.execute(sql, params).fetchall())
    if store.dialect.name == "sqlite":
        assert "host_facts_num" in plan, plan


# -- strings: text equality before the JSON functions ---------------------------------------------------

STRING_VALUES = ["Ubuntu", "ubuntu", "Ubuntu ", "Ubu\"ntu", "Ubu\\ntu", "Ubu\x00ntu", "Ubu", "é", "\u2028", "",
                 1, True, None, ["Ubuntu"], {"address": "Ubuntu"}, {"address": "10.0.0.42"}, {"address": "x10.0.0.42"},
                 {"address": ["10.0.0.42"]}, {"address": {"address": "10.0.0.42"}}, {"other": "10.0.0.42"},
                 {"address": "10.0.0.42\x00"}, {"address": "10.0.0.4\\2"}, {"address": "é"}, {"address": 10}]
STRING_FILTERS = ['n="Ubuntu"', 'n="Ubu"', 'n="é"', 'n=""', 'n__in=Ubuntu,Ubu', 'n="1"',
                  'n__address="10.0.0.42"', 'n__address="é"', 'n__address__in=10.0.0.42,Ubuntu', 'n__address="10"',
                  'not n__address="10.0.0.42"', 'n__address__address="10.0.0.42"', 'n__iexact="ubuntu"']


def _agree_if_parsed(store, by_id, text):
    """:func:`_agree` for a generated filter text, or a skip when the parser does not take it."""
    try:
        parse_host_filter(text)
    except Exception:  # pylint: disable=broad-except
        pytest.skip("not a filter this parser takes: %s" % text)
    _agree(store, by_id, text)


@pytest.mark.parametrize("host_filter", STRING_FILTERS)
def test_string_terms_agree_with_the_predicate(store, host_filter):
    # PostgreSQL's jsonb holds no NUL (the store refuses such facts there)
    by_id = _hosts_with(store, [v for v in STRING_VALUES if store.dialect.name == "sqlite" or "\\u0000" not in json.dumps(v)])
    text = _facts(host_filter)
    _agree_if_parsed(store, by_id, text)


def test_the_nested_dict_term_finds_one_host_among_many(store):
    store.save_host("inv", "target")
    values = [{"address": "10.0.%d.%d" % (i // 250, i % 250), "mtu": 1500} for i in range(500)]
    by_id = _hosts_with(store, values, key="ansible_default_ipv4")
    got = _agree(store, by_id, 'ansible_facts__ansible_default_ipv4__address="10.0.0.42"')
    assert len(got) == 1


@pytest.mark.parametrize("prefix", ["web", "a", "z\U0010ffff", "\ud7ff", "é", "\U0010ffff"])
def test_prefix_upper_bound(prefix):
    upper = prefix_upper_bound(prefix)
    probes = [prefix, prefix + "\x00", prefix + "\U0010ffff", prefix + "zz", prefix[:-1], "", "\U0010ffff" * 3]
    for probe in probes:
        starts = probe.startswith(prefix)
        in_range = probe >= prefix and (upper is None or probe < upper)
        assert starts == in_range, (prefix, probe, upper)


@pytest.mark.parametrize("host_filter", ["name__startswith=we", "name__startswith=web0", "name__startswith=", "not name__startswith=w",
                                         "groups__name__startswith=d"])
def test_name_startswith_agrees(store, host_filter):
    store.save_group("inv", "db")
    for name in ["web01", "web02", "we", "w", "db1", "wéb"]:
        store.save_host("inv", name, groups=["db"] if name.startswith("d") else [])
    expected = {h["id"] for h in store.list_hosts("inv")
                if compile_python(parse_host_filter(host_filter))(
                    dict(h, groups=[{"name": g, "id": 0} for g in (["db"] if h["name"].startswith("d") else [])]))}
    assert {h["id"] for h in store.search_hosts(host_filter)} == expected


# -- the migration of an existing store ----------------------------------------------------------------------

@contextlib.contextmanager
def _old_store(target, version, monkeypatch):
    """A store made by the first ``version`` migrations holding inventory ``inv`` with hosts a and b: (store, host ids).

    The migrations are the real ones again once the block ends, so the next open of ``target`` migrates it.
    """
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:version])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", version)
    with Store(target) as old:
        old.save_inventory("inv")
        for name in ("a", "b"):
            old.save_host("inv", name)
        yield old, [h["id"] for h in old.list_hosts("inv")]
    monkeypatch.undo()


@pytest.mark.sqlite_only
def test_migration_7_keeps_leaf_rows_and_fills_numbers(tmp_path, monkeypatch):
    path = str(tmp_path / "old.db")
    with _old_store(path, 6, monkeypatch) as (old, ids):
        with old.transaction():
            old.execute("INSERT INTO fact_keys (name) VALUES ('ansible_lo'), ('n')")
            for host_id, number in zip(ids, (8, 2.5)):
                old.execute("INSERT INTO host_facts (key_id, host_id, value) VALUES (1, ?, ?)",
                            (host_id, json.dumps({"ipv6": [{"scope": "host"}]}, separators=(",", ":"))))
                old.execute("INSERT INTO host_facts (key_id, host_id, value) VALUES (2, ?, ?)", (host_id, json.dumps(number)))
                old.execute("INSERT INTO host_fact_items (key_id, path, value, host_id) VALUES (1, ?, ?, ?)",
                            ('["ipv6",0,"scope"]', '"host"', host_id))
        before = old.execute("SELECT * FROM host_fact_items ORDER BY host_id").fetchall()
    assert schema.SCHEMA_VERSION == len(schema.MIGRATIONS)
    with Store(path) as new:
        assert new.execute("SELECT * FROM host_fact_items ORDER BY host_id").fetchall() == before
        assert sorted(r[0] for r in new.execute("SELECT num FROM host_facts WHERE num IS NOT NULL").fetchall()) == [2.5, 8]
        assert {h["name"] for h in new.search_hosts("ansible_facts__n__gt=3")} == {"a"}
        assert {h["name"] for h in new.search_hosts('ansible_facts__ansible_lo__ipv6[]__scope="host"')} == {"a", "b"}
        new.delete_host("inv", "a")
        assert new.execute("SELECT COUNT(*) FROM host_fact_items").fetchone()[0] == 1
    conn = sqlite3.connect(path)
    assert "host_fact_items_host" not in [r[1] for r in conn.execute("PRAGMA index_list(host_fact_items)")]
    conn.close()


# -- schema migration 11: equality from b-tree indexes (top-level values, members of top-level objects) ------

MEMBER_PATH = '["address"]'


def _member_rows(store, host_id):
    return sorted(tuple(r) for r in store.execute(
        "SELECT path, value FROM host_fact_items WHERE host_id = ? AND path NOT LIKE '%0%'", (host_id,)).fetchall())


def test_member_rows_follow_every_write(store):
    store.save_host("inv", "a")
    a = _host_id(store, "inv", "a")
    store.set_facts(a, {"ansible_default_ipv4": {"address": "10.0.0.1", "mtu": 1500, "up": True, "none": None,
                                                 "long": "x" * 200, "sub": {"address": "10.0.0.2"}, "list": ["10.0.0.3"]},
                        "ansible_hostname": "a"})
    assert _member_rows(store, a) == [('["address"]', '"10.0.0.1"'), ('["mtu"]', "1500"), ('["none"]', "null"),
                                      ('["up"]', "true")]
    store.set_facts(a, {"ansible_default_ipv4": {"address": "10.0.0.9", "mtu": 1500.0}})
    assert _member_rows(store, a) == [('["address"]', '"10.0.0.9"'), ('["mtu"]', "1500")]
    assert {h["name"] for h in store.search_hosts('ansible_facts__ansible_default_ipv4__address="10.0.0.9"')} == {"a"}
    assert store.search_hosts('ansible_facts__ansible_default_ipv4__address="10.0.0.1"') == []
    store.set_facts(a, {"ansible_hostname": "a"}, merge=False)  # the object key removed
    assert _member_rows(store, a) == []
    store.set_facts(a, {"ansible_default_ipv4": {"address": "10.0.0.1"}})
    store.clear_facts(a)
    assert _member_rows(store, a) == []
    store.set_facts(a, {"ansible_default_ipv4": {"address": "10.0.0.1"}})
    store.delete_host("inv", "a")
    assert store.execute("SELECT COUNT(*) FROM host_fact_items").fetchone()[0] == 0


INDEXED_VALUES = ["Ubuntu", "ubuntu", "Ubu\"ntu", "Ubu\\ntu", "Ubu\x00ntu", "Ubu", "é", "", "b" * 126, "b" * 127,
                  "é" * 126, "b" * 125 + '"', "c" * 200, 1, 1.0, 1.5, 2 ** 53 + 1, 2 ** 70, True, False, None, [1], {"a": 1}]
INDEXED_FILTERS = ['n="Ubuntu"', 'n="Ubu"', 'n=""', 'n__in=Ubuntu,Ubu', 'n="%s"' % ("b" * 126), 'n="%s"' % ("b" * 127),
                   'n="%s"' % ("é" * 126), 'n="%s"' % ("c" * 200), 'n=1', 'n=1.5', 'n=true', 'n=false', 'n=null', 'n="1"',
                   'n=%d' % (2 ** 53 + 1), 'n=%d' % (2 ** 70), 'n__in=1,true', 'not n="Ubuntu"']


@pytest.mark.parametrize("member", [False, True])
@pytest.mark.parametrize("host_filter", INDEXED_FILTERS)
def test_indexed_equality_agrees_with_the_predicate(store, host_filter, member):
    values = [v for v in INDEXED_VALUES if store.dialect.name == "sqlite" or "\\u0000" not in json.dumps(v)]
    if member:  # the same values as members of a top-level object: ansible_facts__n__m=...
        by_id = _hosts_with(store, [{"m": v} for v in values] + [{"m": {"m": "Ubuntu"}}, ["Ubuntu"], {"x": "Ubuntu"}])
        text = re.sub(r'(^|not )n(__in)?=', lambda m: '%sansible_facts__n__m%s=' % (m.group(1), m.group(2) or ''), host_filter)
    else:
        by_id = _hosts_with(store, values)
        text = _facts(host_filter)
    _agree_if_parsed(store, by_id, text)


def _plan(store, host_filter):
    where, params = store.compile_filter(host_filter)
    sql = "SELECT h.id FROM hosts h WHERE %s" % where
    if store.dialect.name == "sqlite":
        return " ".join(str(r[3]) for r in store.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    with store.transaction():
        store.execute("SET LOCAL enable_seqscan = off")  # a tiny table: only whether the index can serve it
        return " ".join(r[0] for r in store.execute("EXPLAIN " + sql, params).fetchall())


def test_top_level_and_member_equality_use_an_index(store):
    by_id = _hosts_with(store, ["Ubuntu", "Debian", 8, {"address": "10.0.0.42"}], key="ansible_distribution")
    assert len(by_id) == 5
    assert "host_facts_value" in _plan(store, 'ansible_facts__ansible_distribution="Ubuntu"')
    assert "host_facts_value" in _plan(store, "ansible_facts__ansible_distribution__in=Ubuntu,Debian")
    assert "host_facts_value" in _plan(store, "ansible_facts__ansible_distribution=true")
    assert "host_facts_num" in _plan(store, "ansible_facts__ansible_distribution=8")
    where = store.compile_filter('ansible_facts__ansible_distribution__address="10.0.0.42"')[0]
    assert "host_fact_items" in where and "host_facts " not in where


def test_migration_11_adds_member_rows_and_the_value_index(tmp_path, request, monkeypatch):
    if BACKEND == "postgresql":
        store_target = request.getfixturevalue("pg_database")  # an empty database
    else:
        store_target = str(tmp_path / "old.db")
    with _old_store(store_target, 10, monkeypatch) as (old, ids):
        with old.transaction():
            old.execute("INSERT INTO fact_keys (name) VALUES ('ansible_default_ipv4'), ('os')")
            for host_id, address in zip(ids, ("10.0.0.1", "10.0.0.2")):
                old.execute("INSERT INTO host_facts (key_id, host_id, value) VALUES (1, ?, ?)",
                            (host_id, json.dumps({"address": address, "ipv6": [{"scope": "host"}], "long": "x" * 200})))
                # json.dumps' defaults: \u escapes a writer of the store never wrote
                old.execute("INSERT INTO host_facts (key_id, host_id, value) VALUES (2, ?, ?)", (host_id, json.dumps("Débian")))
                old.execute("INSERT INTO host_fact_items (key_id, path, value, host_id) VALUES (1, ?, ?, ?)",
                            ('["ipv6",0,"scope"]', '"host"', host_id))
    with Store(store_target) as new:
        assert new.schema_version == schema.SCHEMA_VERSION == len(schema.MIGRATIONS)
        rows = new.execute("SELECT path, value, host_id FROM host_fact_items ORDER BY host_id, path").fetchall()
        assert sorted(tuple(r) for r in rows) == sorted([('["address"]', '"10.0.0.1"', ids[0]), ('["ipv6",0,"scope"]', '"host"', ids[0]),
                                                         ('["address"]', '"10.0.0.2"', ids[1]), ('["ipv6",0,"scope"]', '"host"', ids[1])])
        assert [r[0] for r in new.execute("SELECT CAST(value AS TEXT) FROM host_facts WHERE key_id = 2").fetchall()] == ['"Débian"'] * 2
        assert {h["name"] for h in new.search_hosts('ansible_facts__ansible_default_ipv4__address="10.0.0.2"')} == {"b"}
        assert {h["name"] for h in new.search_hosts('ansible_facts__os="Débian"')} == {"a", "b"}
        assert "host_facts_value" in _plan(new, 'ansible_facts__os="Débian"')
        new.delete_host("inv", "a")
        assert new.execute("SELECT COUNT(*) FROM host_fact_items").fetchone()[0] == 2
        if BACKEND == "postgresql":  # the planner's statistics are collected by the migration, not left to autovacuum
            analyzed = dict(new.execute("SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables"
                                        " WHERE relname IN ('host_facts', 'host_fact_items')").fetchall())
            assert analyzed == {"host_facts": True, "host_fact_items": True}
