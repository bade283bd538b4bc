"""Engine tests of the fact catalogue (fact_catalog), the fact history (fact_history) and migration 4."""

from __future__ import annotations

import json

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store import fact_catalog, fact_history, schema
from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store


@pytest.fixture
def db(tmp_path):
    s = Store(str(tmp_path / "store.db"))
    s.save_inventory("prod")
    yield s
    s.close()


def host(db, name):
    return db.save_host("prod", name)[1]["id"]


def test_value_paths_are_written_as_a_filter_writes_them():
    value = {"ipv6": [{"scope": "host", "address": "::1"}], "mtu": 65536, "nested": [[1, 2]]}
    assert fact_catalog.value_paths("ansible_lo", value) == {
        "ansible_lo", "ansible_lo__ipv6", "ansible_lo__ipv6[]", "ansible_lo__ipv6[]__scope", "ansible_lo__ipv6[]__address",
        "ansible_lo__mtu", "ansible_lo__nested", "ansible_lo__nested[]", "ansible_lo__nested[][]"}


def test_value_paths_stop_at_the_depth_limit():
    deep = current = {}
    for _step in range(50):
        current["k"] = {}
        current = current["k"]
    paths = fact_catalog.value_paths("top", deep)
    assert max(p.count("__") for p in paths) + 1 == fact_catalog.MAX_DEPTH


def test_filter_fact_paths_walks_every_node():
    tree = parse_host_filter('name=a or not (ansible_facts__x__y=1 and (groups__name=g or ansible_facts__z[]="q"))'
                             ' or ansible_facts__x__y__gt=3 or ansible_facts__gone__isnull=true')
    assert [p for p, _t in fact_catalog.filter_fact_paths(tree)] == ["x__y", "z[]"]


def test_every_fact_write_keeps_the_catalogue(db):
    a, b = host(db, "a"), host(db, "b")
    db.set_facts_many([(a, {"ansible_distribution": "Ubuntu"}), (b, {"ansible_mounts": [{"mount": "/"}]})])
    paths = {r["path"] for r in db.query("SELECT path FROM fact_paths")}
    assert paths == {"ansible_distribution", "ansible_mounts", "ansible_mounts[]", "ansible_mounts[]__mount"}
    assert db.fact_path_warnings("ansible_facts__ansible_mounts[]__mount=/") == []
    assert db.fact_path_warnings("ansible_facts__ansible_mounts[]__mnt=/") == [
        "host_filter names the fact path ansible_facts__ansible_mounts[]__mnt, which no stored host has; "
        "did you mean ansible_facts__ansible_mounts[]__mount or ansible_facts__ansible_mounts[]?"]


def test_a_rolled_back_write_leaves_no_path(db):
    a = host(db, "a")
    with pytest.raises(RuntimeError):
        with db.transaction():
            db.set_facts(a, {"ephemeral": {"x": 1}})
            raise RuntimeError("boom")
    assert db.query("SELECT path FROM fact_paths") == []
    db.set_facts(a, {"ephemeral": {"x": 1}})  # written again: the rollback must not have been cached as known
    assert {r["path"] for r in db.query("SELECT path FROM fact_paths")} == {"ephemeral", "ephemeral__x"}


def test_no_facts_at_all_warns_without_suggestions(db):
    assert db.fact_path_warnings("ansible_facts__anything=1") == [
        "host_filter names the fact path ansible_facts__anything, which no stored host has"]
    assert db.fact_path_warnings("name=x") == []


def test_migration_4_back_fills_the_catalogue(tmp_path, monkeypatch):
    path = str(tmp_path / "old.db")
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:3])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 3)
    with Store(path) as old:
        old.save_inventory("prod")
        _b, h = old.save_host("prod", "web1")
        with old.transaction():  # facts as a version-3 store holds them (no catalogue, no history yet)
            old.execute("INSERT INTO fact_keys (name) VALUES ('ansible_lo')")
            old.execute("INSERT INTO host_facts (key_id, host_id, value) VALUES (1, ?, ?)",
                        (h["id"], json.dumps({"ipv6": [{"scope": "host"}]})))
    monkeypatch.undo()
    with Store(path) as new:
        assert new.schema_version == schema.SCHEMA_VERSION >= 4
        assert {r["path"] for r in new.query("SELECT path FROM fact_paths")} == {
            "ansible_lo", "ansible_lo__ipv6", "ansible_lo__ipv6[]", "ansible_lo__ipv6[]__scope"}
        assert new.fact_history([h["id"]]) == {h["id"]: []}


def test_history_entries_and_their_bound(db):
    a = host(db, "a")
    db.set_facts(a, {"k1": 1, "k2": 2})
    db.set_facts(a, {"k1": 1})  # unchanged: no entry
    db.set_facts(a, {"k2": 3, "k3": 1}, merge=False)
    db.clear_facts(a)
    entries = db.fact_history([a])[a]
    assert [(e["added"], e["changed"], e["removed"]) for e in entries] == [
        ([], [], ["k2", "k3"]), (["k3"], ["k2"], ["k1"]), (["k1", "k2"], [], [])]
    fact_history.save_settings(db, {"fact_history_entries": 1})
    assert len(db.fact_history([a])[a]) == 1  # reading never returns more than the setting
    db.set_facts(a, {"k9": 9})
    assert db.query_one("SELECT COUNT(*) AS n FROM host_fact_history")["n"] == 1


def test_history_goes_with_its_host(db):
    a = host(db, "a")
    db.set_facts(a, {"k": 1})
    db.delete_host("prod", "a")
    assert db.query("SELECT * FROM host_fact_history") == []


@pytest.mark.parametrize("settings", [{"fact_history_entries": True}, {"fact_history_entries": 10001}, {"nope": 1}, {}, None])
def test_bad_settings(db, settings):
    with pytest.raises(ValidationError):
        fact_history.save_settings(db, settings)
    assert db.query("SELECT * FROM store_settings") == []
