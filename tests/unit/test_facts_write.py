"""The fact write path of store/facts.py: same texts and rows as the reference walkers, only changes written."""

from __future__ import annotations

import json
import os
import sys

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json
from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store import facts as fact_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_catalog import MAX_DEPTH, value_paths
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import fact_items

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import generate  # noqa: E402  pylint: disable=wrong-import-position

VALUES = [
    {}, [], [[]], [1], [1.0, True, None, "x"], {"a": []}, {"a": [{}]}, {"a": {"b": [1, [2, {"c": 3}]]}},
    {"é": "\u2028", "k\"q": ["\x00"]}, [{"x": 1}, {"y": [1, 2]}], ("t", ("u",)), {"z": 1e300, "n": -0.0},
    {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": {"d": [1]}}}}}}}}}}}}},
]


@pytest.fixture
def db(tmp_path):
    s = Store(str(tmp_path / "store.db"))
    s.save_inventory("inv")
    for i in range(3):
        s.save_host("inv", "h%d" % i)
    yield s
    s.close()


def _ids(db):
    return [h["id"] for h in db.list_hosts("inv")]


@pytest.mark.parametrize("value", VALUES + [generate.host_facts(generate.host_record(i)) for i in range(5)])
def test_text_and_walk_agree_with_reference(value):
    assert fact_repo.fact_text(value) == canonical_json(value)
    leaves, paths = fact_repo.walk_fact("k", value)
    assert leaves == fact_items(value)
    if not isinstance(value, tuple):  # the catalogue walker reads lists only
        assert paths == value_paths("k", value)
    assert MAX_DEPTH == 12


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": object()}, {"x": {1: 2, "a": 3}}])
def test_unencodable_facts_are_refused(db, bad):
    with pytest.raises(ValidationError):
        db.set_facts(_ids(db)[0], bad)


def test_only_changed_keys_and_leaves_are_written(db):
    host = _ids(db)[0]
    db.set_facts(host, {"ansible_date_time": {"epoch": "1"}, "ansible_processor": ["0", "Intel", "1", "Intel"],
                        "ansible_mounts": [{"mount": "/", "size": 1}, {"mount": "/var", "size": 2}]})
    stamp = db.get_host("inv", "h0")["ansible_facts_modified"]
    before = db.execute("SELECT key_id, path, value FROM host_fact_items WHERE host_id = ? ORDER BY 1, 2, 3", (host,)).fetchall()
    changes = []
    db.conn.set_trace_callback(changes.append)
    try:
        db.set_facts(host, {"ansible_date_time": {"epoch": "2"}, "ansible_processor": ["0", "Intel", "1", "Intel"],
                            "ansible_mounts": [{"mount": "/", "size": 1}, {"mount": "/var", "size": 3}]})
    finally:
        db.conn.set_trace_callback(None)
    writes = [c for c in changes if c.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    # two changed keys (date_time, mounts), two changed leaves (the member epoch "1" -> "2", size 2 -> 3),
    # one host row, one history entry (+ trim)
    assert sum(c.startswith("UPDATE host_facts") for c in writes) == 2
    assert sum(c.startswith("DELETE FROM host_fact_items") for c in writes) == 2
    assert sum(c.startswith("INSERT INTO host_fact_items") for c in writes) == 2
    assert sum(c.startswith("UPDATE hosts") for c in writes) == 1
    assert not any("host_fact_items WHERE host_id" in c for c in writes)
    after = db.execute("SELECT key_id, path, value FROM host_fact_items WHERE host_id = ? ORDER BY 1, 2, 3", (host,)).fetchall()
    assert set(before) ^ set(after) == {r for r in before + after if r[2] in ("2", "3") or r[1] == '["epoch"]'}
    assert db.get_host("inv", "h0")["ansible_facts_modified"] >= stamp
    # nothing changed: nothing written, not even the host row
    changes.clear()
    db.conn.set_trace_callback(changes.append)
    try:
        assert not db.set_facts(host, {"ansible_date_time": {"epoch": "2"}})
    finally:
        db.conn.set_trace_callback(None)
    assert not [c for c in changes if c.split()[0] in ("INSERT", "UPDATE", "DELETE")]


def test_leaf_rows_match_a_fresh_load_after_rewrites(db):
    a, b, c = _ids(db)
    for i in range(4):
        db.set_facts(a, generate.host_facts(generate.host_record(i)), merge=bool(i % 2))
    db.set_facts(b, generate.host_facts(generate.host_record(3)))
    rows = db.execute("SELECT host_id, key_id, path, value FROM host_fact_items WHERE host_id IN (?, ?)", (a, b)).fetchall()
    assert {r[1:] for r in rows if r[0] == a} == {r[1:] for r in rows if r[0] == b}
    db.set_facts(a, {"only": [1]}, merge=False)
    assert db.get_facts(a) == {"only": [1]}
    assert db.execute("SELECT COUNT(*) FROM host_fact_items WHERE host_id = ?", (a,)).fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM host_fact_items WHERE host_id = ?", (c,)).fetchone()[0] == 0


def test_equal_values_of_many_hosts_share_one_walk(db, monkeypatch):
    calls = []
    real = fact_repo.walk_fact
    monkeypatch.setattr(fact_repo, "walk_fact", lambda k, v: calls.append(k) or real(k, v))
    db.set_facts_many([(h, {"ansible_lsb": {"id": "Debian"}, "ansible_processor": ["0", "x"]}) for h in _ids(db)])
    assert sorted(calls) == ["ansible_lsb", "ansible_processor"]
    assert json.loads(json.dumps(db.facts_for_hosts(_ids(db)))) == {
        str(h): {"ansible_lsb": {"id": "Debian"}, "ansible_processor": ["0", "x"]} for h in _ids(db)}
