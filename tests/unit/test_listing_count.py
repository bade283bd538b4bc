# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""store/listing.list_page's count: exact whether the page is full, partial, empty or past the end
(a page that is not full gives the count without a second evaluation of the filter)."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store import listing
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store


@pytest.fixture
def store(store_target):
    s = Store(store_target)
    s.save_inventory("prod")
    for i in range(5):
        s.save_host("prod", "web%d" % i)
    s.save_host("prod", "db0")
    yield s
    s.close()


@pytest.mark.parametrize("offset, limit, count, names", [
    (0, 2, 5, ["web0", "web1"]),          # full page: COUNT(*) runs
    (4, 2, 5, ["web4"]),                  # partial last page: offset + rows
    (0, 10, 5, ["web0", "web1", "web2", "web3", "web4"]),
    (10, 2, 5, []),                       # past the end: COUNT(*) runs
    (5, 5, 5, []),
])
def test_count_of_every_page_shape(store, offset, limit, count, names):
    got_count, rows = listing.list_page(store, "host", [listing.Condition("name", "startswith", "web", param="name")],
                                        offset=offset, limit=limit)
    assert (got_count, [r["name"] for r in rows]) == (count, names)


def test_count_of_an_empty_filter_and_of_a_host_filter(store):
    assert listing.list_page(store, "host", host_filter="name=nothing") == (0, [])
    count, rows = listing.list_page(store, "host", host_filter="name__startswith=web", offset=3, limit=1)
    assert count == 5 and [r["name"] for r in rows] == ["web3"]
