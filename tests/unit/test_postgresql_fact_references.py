# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Schema migration 8 on PostgreSQL: the references of the fact tables are checked once per statement by triggers
(a bulk fact load paid a foreign-key query per row), with the rules the foreign keys had."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def store(store_target):
    s = Store(store_target)
    s.save_inventory("inv")
    s.save_inventory("other")
    for name in ("a", "b"):
        s.save_host("inv", name)
    s.save_host("other", "c")
    yield s
    s.close()


def _ids(store):
    return {r[0]: r[1] for r in store.execute("SELECT name, id FROM hosts").fetchall()}


def _facts(store):
    return store.execute("SELECT COUNT(*) FROM host_facts").fetchone()[0]


def test_no_per_row_foreign_keys_on_the_fact_tables(store):
    refs = store.execute("SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
                         " AND conrelid IN ('host_facts'::regclass, 'host_fact_items'::regclass)").fetchall()
    assert refs == []


def test_facts_of_a_missing_host_or_key_are_refused(store):
    ids = _ids(store)
    store.set_facts(ids["a"], {"k": [1, 2]})
    key = store.execute("SELECT id FROM fact_keys WHERE name = 'k'").fetchone()[0]
    missing = max(ids.values()) + 100
    for statement, params in (
            ("INSERT INTO host_facts (key_id, host_id, value) VALUES (?, ?, '1')", (key, missing)),
            ("INSERT INTO host_facts (key_id, host_id, value) VALUES (?, ?, '1')", (key + 100, ids["b"])),
            ("INSERT INTO host_fact_items (key_id, path, value, host_id) VALUES (?, '[0]', '1', ?)", (key + 100, ids["b"])),
            ("UPDATE host_facts SET host_id = ? WHERE key_id = ?", (missing, key)),
            ("UPDATE host_facts SET key_id = ? WHERE key_id = ?", (key + 100, key))):
        with pytest.raises(StoreError, match="does not exist"):
            with store.transaction():
                store.execute(statement, params)
    assert store.get_facts(ids["a"]) == {"k": [1, 2]}
    # a key no catalogue path names, used by one fact row: not deletable either
    with store.transaction():
        lonely = store.execute("INSERT INTO fact_keys (name) VALUES ('lonely') RETURNING id").fetchone()[0]
        store.execute("INSERT INTO host_facts (key_id, host_id, value) VALUES (?, ?, '1')", (lonely, ids["b"]))
    with pytest.raises(StoreError, match="still used by stored facts"):
        with store.transaction():
            store.execute("DELETE FROM fact_keys WHERE id = ?", (lonely,))
    with store.transaction():
        store.execute("DELETE FROM host_facts WHERE key_id = ?", (lonely,))
        store.execute("DELETE FROM fact_keys WHERE id = ?", (lonely,))
    # bulk rows: one bad row fails the whole COPY
    with pytest.raises(StoreError, match="host that does not exist"):
        with store.transaction():
            store.bulk_insert("host_facts", ["key_id", "host_id", "value"], [(key, ids["b"], "2"), (key, missing, "3")])
    assert _facts(store) == 1


def test_deleting_hosts_deletes_their_facts(store):
    ids = _ids(store)
    store.set_facts_many([(i, {"x": 1, "y": {"z": [1]}}) for i in ids.values()])
    assert _facts(store) == 6
    store.delete_host("inv", "a")
    assert {r[0] for r in store.execute("SELECT DISTINCT host_id FROM host_facts").fetchall()} == {ids["b"], ids["c"]}
    store.delete_inventory("inv")  # hosts go by the inventory's cascade: their facts with them
    assert {r[0] for r in store.execute("SELECT DISTINCT host_id FROM host_facts").fetchall()} == {ids["c"]}
    assert store.get_facts(ids["c"]) == {"x": 1, "y": {"z": [1]}}
