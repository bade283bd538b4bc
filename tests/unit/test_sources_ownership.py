"""The importer on behalf of an inventory source (schema migration 3): AWX's ownership semantics.

``import_inventory(..., inventory_source_id=N)`` records what source N brought, and with
``overwrite`` removes only that (hosts, groups), and only the links of the source's own groups.
"""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import import_inventory
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store


@pytest.fixture
def store():
    s = Store(":memory:")
    s.save_inventory("prod")
    with s.transaction():
        for name in ("a", "b"):
            s.execute("INSERT INTO inventory_sources (inventory_id, name, source, created, modified) VALUES (1, ?, 'x.y.z', 'x', 'x')",
                      (name,))
    yield s
    s.close()


def owned(store, source_id, table="hosts"):
    col = "host_id" if table == "hosts" else "group_id"
    return sorted(r["name"] for r in store.query(
        "SELECT t.name FROM inventory_source_%s o JOIN %s t ON t.id = o.%s WHERE o.inventory_source_id = ?"
        % (table, table, col), (source_id,)))


def names(store, what="hosts"):
    return sorted(r["name"] for r in store.query("SELECT name FROM %s" % what))


def test_schema_version_3(store):
    assert store.schema_version >= 3


def test_each_source_owns_what_it_brought(store):
    import_inventory(store, "prod", {"web": {"hosts": ["w1", "w2"]}}, inventory_source_id=1)
    import_inventory(store, "prod", {"db": {"hosts": ["d1", "w1"]}}, inventory_source_id=2)
    assert owned(store, 1) == ["w1", "w2"] and owned(store, 2) == ["d1", "w1"]
    assert owned(store, 1, "groups") == ["web"] and owned(store, 2, "groups") == ["db"]


def test_overwrite_removes_only_the_sources_own(store):
    store.save_host("prod", "by-hand")
    import_inventory(store, "prod", {"web": {"hosts": ["w1", "w2"]}}, inventory_source_id=1)
    import_inventory(store, "prod", {"db": {"hosts": ["d1"]}}, inventory_source_id=2)
    counts = import_inventory(store, "prod", {"web": {"hosts": ["w1"]}}, overwrite=True, inventory_source_id=1)
    assert counts["hosts"]["removed"] == 1 and counts["groups"]["removed"] == 0
    assert names(store) == ["by-hand", "d1", "w1"]
    assert names(store, "groups") == ["db", "web"]
    assert counts["total_hosts"] == 3 and counts["total_groups"] == 2
    counts = import_inventory(store, "prod", {"other": {"hosts": ["w1"]}}, overwrite=True, inventory_source_id=1)
    assert names(store, "groups") == ["db", "other"]  # 'web' was source 1's; 'db' is source 2's
    assert counts["total_groups"] == 2


def test_overwrite_drops_links_of_the_sources_groups_only(store):
    import_inventory(store, "prod", {"web": {"hosts": ["w1", "w2"]}}, inventory_source_id=1)
    store.save_host("prod", "by-hand")
    store.save_group("prod", "hand", hosts=["w1", "by-hand"])
    store.save_group("prod", "web", hosts=["w1", "w2", "by-hand"])
    import_inventory(store, "prod", {"web": {"hosts": ["w1"]}}, overwrite=True, inventory_source_id=1)
    assert store.get_group("prod", "web")["hosts"] == ["w1"]  # its group: exactly the source's members
    assert store.get_group("prod", "hand")["hosts"] == ["by-hand", "w1"]  # another group: untouched


def test_without_a_source_overwrite_is_the_whole_inventory(store):
    store.save_host("prod", "by-hand")
    import_inventory(store, "prod", {"web": {"hosts": ["w1"]}}, overwrite=True)
    assert names(store) == ["w1"]
    assert store.query("SELECT * FROM inventory_source_hosts") == []


def test_reimport_writes_no_ownership_rows(store):
    import_inventory(store, "prod", {"web": {"hosts": ["w1", "w2"]}}, inventory_source_id=1)
    counts = import_inventory(store, "prod", {"web": {"hosts": ["w1", "w2"]}}, inventory_source_id=1)
    assert counts["source_hosts_added"] == 0 and counts["source_groups_added"] == 0 and counts["changed"] is False


def test_reused_ids_are_owned(store):
    import_inventory(store, "prod", {"web": {"hosts": ["old1", "old2"]}}, inventory_source_id=1)
    import_inventory(store, "prod", {"web": {"hosts": ["new1", "new2"]}}, overwrite=True, inventory_source_id=1)
    assert owned(store, 1) == ["new1", "new2"]


def test_deleting_a_host_or_the_source_drops_its_rows(store):
    import_inventory(store, "prod", {"web": {"hosts": ["w1", "w2"]}}, inventory_source_id=1)
    store.delete_host("prod", "w1")
    assert owned(store, 1) == ["w2"]
    with store.transaction():
        store.execute("DELETE FROM inventory_sources WHERE id = 1")
    assert store.query("SELECT * FROM inventory_source_hosts") == []
    assert names(store) == ["w2"]
