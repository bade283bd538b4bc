# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""store/search_cache: a host search asked again is answered from the connection's cache only while nothing was
committed since, by this connection or another one; every answer equals the search computed afresh."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store import deletion, listing, search_cache
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from backends import BACKEND  # tests/backends.py

FILTER = "ansible_facts__os=Debian and groups__name=web"


@pytest.fixture
def store(store_target):
    s = Store(store_target)
    s.save_inventory("prod")
    for i in range(12):
        s.save_host("prod", "web%02d" % i)
    s.save_group("prod", "web", hosts=["web%02d" % i for i in range(12)])
    for i in range(12):
        s.set_facts(s.get_host("prod", "web%02d" % i)["id"], {"os": "Debian" if i % 3 else "Ubuntu"})
    yield s
    s.close()


@pytest.fixture
def other(store, store_target):
    """A second connection to the same store (another service thread or node)."""
    s = Store(store_target)
    yield s
    s.close()


def names(store, host_filter=FILTER, **kwargs):
    count, rows = listing.list_page(store, "host", host_filter=host_filter, **kwargs)
    return count, [r["name"] for r in rows]


def fresh(store, **kwargs):
    """The same search with the cache off."""
    kept, store.search_cache = store.search_cache, None
    try:
        return names(store, **kwargs)
    finally:
        store.search_cache = kept


def test_a_search_asked_again_is_kept(store):
    first = names(store, limit=3)
    hits, version = store.search_cache.hits, store.data_version()
    assert names(store, limit=3) == first == fresh(store, limit=3)
    if store.data_version() == version:
        # (PostgreSQL's version is the server's snapshot: a test writing in another database moves it)
        assert store.search_cache.hits == hits + 1
    if BACKEND == "sqlite":
        assert store.search_cache.hits == hits + 1
    # another page of the same search reuses its count, and is its own entry
    assert names(store, offset=6, limit=3) == fresh(store, offset=6, limit=3) == (8, ["web10", "web11"])
    assert names(store, order_by="-name", limit=2) == fresh(store, order_by="-name", limit=2) == (8, ["web11", "web10"])


def test_a_write_of_the_same_connection_is_seen(store):
    assert names(store, limit=20)[0] == 8
    store.set_facts(store.get_host("prod", "web00")["id"], {"os": "Debian"})
    assert names(store, limit=20) == fresh(store, limit=20)
    assert names(store, limit=20)[0] == 9
    store.save_host("prod", "web99")
    store.save_group("prod", "web", hosts=["web99"], preserve_existing_hosts=True)
    store.set_facts(store.get_host("prod", "web99")["id"], {"os": "Debian"})
    assert names(store, limit=20)[1][-1] == "web99"


def test_a_commit_of_another_connection_is_seen(store, other):
    assert names(store, limit=20)[0] == 8
    assert names(other, limit=20)[0] == 8
    other.set_facts(other.get_host("prod", "web01")["id"], {"os": "Ubuntu"})
    assert names(store, limit=20) == fresh(store, limit=20)
    assert "web01" not in names(store, limit=20)[1]
    other.delete_host("prod", "web02")
    assert names(store, limit=20) == (6, fresh(store, limit=20)[1])
    # a membership taken away elsewhere
    other.save_group("prod", "web", hosts=["web04", "web05"])
    assert names(store, limit=20) == (2, ["web04", "web05"])


def test_an_inventory_pending_deletion_vanishes_from_a_kept_search(store, other):
    assert names(store)[0] == 8
    with other.transaction():
        assert deletion.mark_pending(other, other.get_inventory("prod")["id"], "2026-12-02T00:00:00+00:00")
    assert names(store) == (0, [])


def test_nothing_is_kept_inside_a_transaction(store):
    assert names(store, limit=20)[0] == 8
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.set_facts(store.get_host("prod", "web00")["id"], {"os": "Debian"})
            # its own uncommitted write is seen, and not kept
            assert names(store, limit=20)[0] == 9
            raise RuntimeError("roll back")
    assert names(store, limit=20) == (8, fresh(store, limit=20)[1])


def test_a_smart_inventory_list_is_kept_the_same_way(store, other):
    first = listing.list_page(store, "host", smart_filter="groups__name=web")
    assert listing.list_page(store, "host", smart_filter="groups__name=web") == first
    other.save_host("prod", "web50")
    other.save_group("prod", "web", hosts=["web50"], preserve_existing_hosts=True)
    count, rows = listing.list_page(store, "host", smart_filter="groups__name=web", limit=50)
    assert count == 13 and "web50" in [r["name"] for r in rows]


def test_the_oldest_search_leaves_first(store):
    store.search_cache = search_cache.SearchCache(2)
    for flt in ("name=web01", "name=web02", "name=web03"):
        names(store, host_filter=flt)
    assert len(store.search_cache) == 2
    hits = store.search_cache.hits
    names(store, host_filter="name=web01")    # gone: computed again
    assert store.search_cache.hits == hits


def test_the_environment_sets_the_size(store_target, monkeypatch):
    monkeypatch.setenv("FLEET_INVENTORY_SEARCH_CACHE", "0")
    with Store(store_target) as s:
        assert s.search_cache is None
        s.save_inventory("lab")
        s.save_host("lab", "one")
        assert names(s, host_filter="name=one") == (1, ["one"])
    monkeypatch.setenv("FLEET_INVENTORY_SEARCH_CACHE", "3")
    with Store(store_target) as s:
        assert s.search_cache.size == 3
    for bad in ("many", "-1", "100000"):
        monkeypatch.setenv("FLEET_INVENTORY_SEARCH_CACHE", bad)
        with pytest.raises(ValidationError, match="FLEET_INVENTORY_SEARCH_CACHE must be a number.*%s" % bad):
            Store(store_target)
