# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""store/listing.list_page without a join with ``inventories``: rows of an inventory pending deletion
stay hidden (hosts, groups, sources; plain lists, host_filter, smart inventories), counts and order are
unchanged, every host row carries its own ``inventory_name``, and a smart inventory lists one host per name
(the lowest id among the visible hosts)."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.common import now
from ansible_collections.fleet.inventory.plugins.module_utils.store import deletion, listing, search
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store


def _names(rows):
    return [r["name"] for r in rows]


@pytest.fixture
def store(store_target):
    """prod: web0..web3, db0 (group web: web0, web1); lab: web1, web9, lab0 (group web: web9); gone (pending
    deletion): web0, web2, gone0 (group web: web0), and a source in each inventory."""
    s = Store(store_target)
    for inv, hosts in (("prod", ["web0", "web1", "web2", "web3", "db0"]), ("lab", ["web1", "web9", "lab0"]),
                       ("gone", ["web0", "web2", "gone0"])):
        s.save_inventory(inv)
        for name in hosts:
            s.save_host(inv, name, variables={"inv": inv})
    s.save_group("prod", "web", hosts=["web0", "web1"])
    s.save_group("lab", "web", hosts=["web9"])
    s.save_group("gone", "web", hosts=["web0"])
    ids = {r["name"]: r["id"] for r in s.query("SELECT id, name FROM inventories")}
    with s.transaction():
        for inv in ("prod", "lab", "gone"):
            s.execute("INSERT INTO inventory_sources (inventory_id, name, created, modified) VALUES (?, ?, ?, ?)",
                      (ids[inv], "src-" + inv, now(), now()))
        deletion.mark_pending(s, ids["gone"], now())
    s.ids = ids
    yield s
    s.close()


@pytest.mark.parametrize("limit", [2, 200])
def test_hosts_of_a_pending_inventory_are_hidden_with_the_same_count(store, limit):
    count, rows = listing.list_page(store, "host", limit=limit)
    everything = ["db0", "lab0", "web0", "web1", "web1", "web2", "web3", "web9"]
    assert count == 8 and _names(rows) == everything[:limit]
    assert all(r["inventory_id"] != store.ids["gone"] for r in rows)


@pytest.mark.parametrize("limit", [1, 200])
def test_a_host_filter_hides_them_too(store, limit):
    count, rows = listing.list_page(store, "host", host_filter="name__startswith=web and groups__name=web", limit=limit)
    expected = [("web0", "prod"), ("web1", "prod"), ("web9", "lab")]
    assert count == 3 and [(r["name"], r["inventory_name"]) for r in rows] == expected[:limit]


def test_each_host_row_carries_its_own_inventory_name(store):
    count, rows = listing.list_page(store, "host", order_by="-name,inventory", limit=200)
    got = [(r["name"], r["inventory_name"]) for r in rows]
    assert count == 8 and got == [("web9", "lab"), ("web3", "prod"), ("web2", "prod"), ("web1", "prod"),
                                  ("web1", "lab"), ("web0", "prod"), ("lab0", "lab"), ("db0", "prod")]
    assert all(r["inventory_id"] == store.ids[r["inventory_name"]] for r in rows)


def test_inventory_name_filters_and_orders(store):
    cond = [listing.Condition("inventory__name", "exact", "lab", param="inventory__name")]
    count, rows = listing.list_page(store, "host", cond, limit=200)
    assert count == 3 and _names(rows) == ["lab0", "web1", "web9"]
    count, rows = listing.list_page(store, "host", order_by="-inventory__name,name", limit=3)
    assert count == 8 and [(r["inventory_name"], r["name"]) for r in rows] == [("prod", "db0"), ("prod", "web0"), ("prod", "web1")]
    # a pending inventory's name finds nothing
    cond = [listing.Condition("inventory__name", "exact", "gone", param="inventory__name")]
    assert listing.list_page(store, "host", cond, limit=200) == (0, [])


def test_an_inventorys_hosts_and_a_pending_inventorys_hosts(store):
    count, rows = listing.list_page(store, "host", parent=("inventory", store.ids["lab"]), order_by="-name", limit=2)
    assert count == 3 and _names(rows) == ["web9", "web1"] and {r["inventory_name"] for r in rows} == {"lab"}
    assert listing.list_page(store, "host", parent=("inventory", store.ids["gone"]), limit=200) == (0, [])


def test_readable_inventories_and_the_pending_one(store):
    count, rows = listing.list_page(store, "host", readable={store.ids["lab"], store.ids["gone"]}, limit=2)
    assert count == 3 and _names(rows) == ["lab0", "web1"]


@pytest.mark.parametrize("kind, names", [
    ("group", ["web", "web"]),
    ("inventory_source", ["src-lab", "src-prod"]),
])
def test_groups_and_sources_of_a_pending_inventory_are_hidden(store, kind, names):
    for limit in (1, 200):
        count, rows = listing.list_page(store, kind, limit=limit)
        assert count == 2 and _names(rows) == names[:limit]
        assert all(r["inventory_id"] != store.ids["gone"] for r in rows)
    gone_group = store.query_one("SELECT id FROM groups WHERE inventory_id = ?", (store.ids["gone"],))["id"]
    assert listing.get_row(store, "group", gone_group) is None


def test_the_inventory_list_still_shows_the_pending_one(store):
    count, rows = listing.list_page(store, "inventory", limit=200)
    assert count == 3 and [(r["name"], bool(r["pending_delete"])) for r in rows] == [("gone", True), ("lab", False), ("prod", False)]


@pytest.mark.parametrize("limit", [2, 200])
def test_smart_inventory_one_host_per_name_among_the_visible(store, limit):
    # web0 and web2 of "gone" have the lowest ids of their names among all rows: hidden, prod's are listed
    count, rows = listing.list_page(store, "host", smart_filter="name__startswith=web", limit=limit)
    expected = [("web0", "prod"), ("web1", "prod"), ("web2", "prod"), ("web3", "prod"), ("web9", "lab")]
    assert count == 5 and [(r["name"], r["inventory_name"]) for r in rows] == expected[:limit]
    assert all("name_rank" not in r for r in rows)


def test_smart_inventory_with_a_host_filter_and_order(store):
    # one per name first (web1 of prod, the lowest id), then the host_filter over those
    count, rows = listing.list_page(store, "host", smart_filter="name__startswith=web", host_filter="groups__name=web",
                                    order_by="-name", limit=200)
    assert count == 3 and [(r["name"], r["inventory_name"]) for r in rows] == [("web9", "lab"), ("web1", "prod"), ("web0", "prod")]
    count, rows = listing.list_page(store, "host", smart_filter='variables__inv="lab"', limit=1)
    assert count == 3 and [(r["name"], r["inventory_name"]) for r in rows] == [("lab0", "lab")]


def test_search_hosts_hides_them_and_names_each_hosts_inventory(store):
    rows = store.search_hosts("name__startswith=web")
    assert [(r["name"], r["inventory"]) for r in rows] == [("web0", "prod"), ("web1", "prod"), ("web1", "lab"), ("web2", "prod"),
                                                           ("web3", "prod"), ("web9", "lab")]
    rows = store.search_hosts("name__startswith=web", one_per_name=True)
    assert [(r["name"], r["inventory"]) for r in rows] == [("web0", "prod"), ("web1", "prod"), ("web2", "prod"), ("web3", "prod"),
                                                           ("web9", "lab")]
    assert store.search_hosts("name=gone0") == []


def test_smart_rows_one_per_name_among_the_visible(store):
    rows = search.smart_rows(store, "name__startswith=web or name=gone0")
    ids = {r["name"]: r["id"] for r in store.query("SELECT h.id, h.name FROM hosts h WHERE h.inventory_id = ?", (store.ids["prod"],))}
    assert [(r[0], r[1]) for r in rows] == [(ids[n], n) for n in ("web0", "web1", "web2", "web3")] + [(rows[-1][0], "web9")]


def test_many_pending_inventories_are_read_by_a_subquery(store, monkeypatch):
    monkeypatch.setattr(search, "MAX_HIDDEN_IDS", 0)
    assert search.visible(store, "h") == (
        "h.inventory_id NOT IN (SELECT pd.id FROM inventories pd WHERE pd.pending_delete = TRUE)", [])
    count, rows = listing.list_page(store, "host", host_filter="name__startswith=web", limit=2)
    assert count == 6 and [(r["name"], r["inventory_name"]) for r in rows] == [("web0", "prod"), ("web1", "prod")]
    count, rows = listing.list_page(store, "host", smart_filter="name__startswith=web", limit=200)
    assert count == 5 and [r["inventory_name"] for r in rows] == ["prod", "prod", "prod", "prod", "lab"]
    assert [r["name"] for r in store.search_hosts("name__startswith=web", one_per_name=True)] == ["web0", "web1", "web2", "web3", "web9"]
    assert listing.list_page(store, "group", limit=1)[0] == 2


def test_without_a_pending_inventory_there_is_no_condition(store_target):
    with Store(store_target) as s:
        s.save_inventory("prod")
        s.save_host("prod", "web0")
        assert search.visible(s, "h") == ("", [])
        assert [(r["name"], r["inventory_name"]) for r in listing.list_page(s, "host", limit=5)[1]] == [("web0", "prod")]
