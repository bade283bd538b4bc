"""Smart inventory membership on demand: rules.smart.smart_inventories_for_hosts (AWX's /hosts/{id}/smart_inventories/)."""

from __future__ import annotations

import random
import time

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import smart
from ansible_collections.fleet.inventory.plugins.module_utils.store import search
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store


@pytest.fixture
def store(store_target):
    """prod and stage share host names (web1 twice: prod's has the lower id); stage/db1 is disabled."""
    s = Store.open(store_target)
    s.save_inventory("prod")
    s.save_inventory("stage")
    s.save_group("prod", "web")
    s.save_group("stage", "web")
    s.save_host("prod", "web1", groups=["web"])
    s.save_host("prod", "web2", groups=["web"], variables={"tier": "front"})
    s.save_host("stage", "web1", groups=["web"], variables={"tier": "front"})
    s.save_host("stage", "web3", groups=["web"])
    s.save_host("stage", "db1", enabled=False)
    s.set_facts(host_id(s, "stage", "web3"), {"ansible_distribution": "Debian"})
    yield s
    s.close()


def host_id(store, inventory, name):
    return store.get_host(inventory, name, with_groups=False)["id"]


def all_host_ids(store):
    return sorted(h["id"] for inv in store.list_inventories() if inv["kind"] == "" for h in store.list_hosts(inv["name"]))


def listed(store, inventory, include_disabled=True):
    """The host ids the smart inventory plugin's engine lists for a stored smart inventory."""
    flt = store.get_inventory(inventory)["host_filter"]
    return {row[0] for row in smart.select_hosts(store, flt, include_disabled=include_disabled)}


def expected(store, host_ids, include_disabled=True):
    """What membership must be: for each host, the smart inventories whose listing holds it."""
    out = {h: [] for h in host_ids}
    for inv in store.list_inventories(kind="smart"):
        if inv["pending_delete"]:
            continue
        members = listed(store, inv["name"], include_disabled)
        for h in host_ids:
            if h in members:
                out[h].append(inv["id"])
    return out


def set_pending_delete(store, name):
    with store.transaction():
        store.execute("UPDATE inventories SET pending_delete = ? WHERE name = ?", (True, name))


def test_one_host_per_name_and_agreement_with_the_smart_listing(store):
    webs = store.save_inventory("webs", kind="smart", host_filter="groups__name=web")[1]["id"]
    front = store.save_inventory("front", kind="smart", host_filter="variables__tier=front")[1]["id"]
    debian = store.save_inventory("debian", kind="smart", host_filter="ansible_facts__ansible_distribution=Debian")[1]["id"]
    ids = all_host_ids(store)
    got = smart.smart_inventories_for_hosts(store, ids)
    assert got == expected(store, ids)
    # prod/web1 (lowest id of its name) is in 'webs'; stage/web1 never is, though it matches: one host per name
    assert got[host_id(store, "prod", "web1")] == [webs]
    # stage/web1 matches 'front' and prod/web1 does not: stage/web1 is the one web1 of 'front'
    assert got[host_id(store, "stage", "web1")] == [front]
    assert got[host_id(store, "prod", "web2")] == [webs, front]
    assert got[host_id(store, "stage", "web3")] == [webs, debian]
    assert got[host_id(store, "stage", "db1")] == []
    # one host alone gets the same answer as in the bulk call
    for h in ids:
        assert smart.smart_inventories_for_hosts(store, [h]) == {h: got[h]}


def test_disabled_hosts_count_unless_enabled_only(store):
    """AWX's membership is of the smart inventory's hosts (disabled ones too); enabled_only is the plugin's default listing."""
    store.save_host("prod", "web2", enabled=False)
    webs = store.save_inventory("webs", kind="smart", host_filter="name__startswith=web")[1]["id"]
    store.save_host("prod", "web1", enabled=False)
    ids = all_host_ids(store)
    assert smart.smart_inventories_for_hosts(store, ids) == expected(store, ids, include_disabled=True)
    assert smart.smart_inventories_for_hosts(store, ids, enabled_only=True) == expected(store, ids, include_disabled=False)
    prod_web1, stage_web1 = host_id(store, "prod", "web1"), host_id(store, "stage", "web1")
    assert smart.smart_inventories_for_hosts(store, [prod_web1, stage_web1]) == {prod_web1: [webs], stage_web1: []}
    # disabled prod/web1 is left out first: stage/web1 becomes the one web1 the plugin lists
    assert smart.smart_inventories_for_hosts(store, [prod_web1, stage_web1], enabled_only=True) == {
        prod_web1: [], stage_web1: [webs]}


def test_pending_delete_inventories_are_ignored(store):
    webs = store.save_inventory("webs", kind="smart", host_filter="groups__name=web")[1]["id"]
    store.save_inventory("gone", kind="smart", host_filter="name=web2")
    set_pending_delete(store, "gone")
    web2 = host_id(store, "prod", "web2")
    assert smart.smart_inventories_for_hosts(store, [web2]) == {web2: [webs]}
    # hosts of a normal inventory pending deletion belong to nothing, and stop hiding their namesakes
    prod_web1, stage_web1 = host_id(store, "prod", "web1"), host_id(store, "stage", "web1")
    set_pending_delete(store, "prod")
    got = smart.smart_inventories_for_hosts(store, [prod_web1, stage_web1, web2])
    assert got == {prod_web1: [], stage_web1: [webs], web2: []}
    assert stage_web1 in listed(store, "webs")


def test_unknown_ids_and_no_smart_inventories(store):
    web2 = host_id(store, "prod", "web2")
    assert smart.smart_inventories_for_hosts(store, [web2, 999999]) == {web2: [], 999999: []}
    store.save_inventory("webs", kind="smart", host_filter="groups__name=web")
    assert smart.smart_inventories_for_hosts(store, [999999]) == {999999: []}
    assert smart.smart_inventories_for_hosts(store, []) == {}


def test_a_bad_stored_filter_leaves_that_inventory_out(store):
    webs = store.save_inventory("webs", kind="smart", host_filter="groups__name=web")[1]["id"]
    broken = store.save_inventory("broken", kind="smart", host_filter="name=web2")[1]["id"]
    # written behind the store's back (an older collection, a hand edit): the filter no longer parses
    with store.transaction():
        store.execute("UPDATE inventories SET host_filter = ? WHERE id = ?", ("name=web2 and (", broken))
    web2 = host_id(store, "prod", "web2")
    members, warnings = smart.smart_memberships(store, [web2])
    assert members == {web2: [webs]}
    assert len(warnings) == 1 and "smart inventory 'broken' (id %d)" % broken in warnings[0] and "host_filter" in warnings[0]


def test_a_filter_failing_at_run_time_leaves_only_that_inventory_out(store, monkeypatch):
    """A filter whose evaluation fails: the other smart inventories still count."""
    ids = {}
    for i in range(5):
        ids[i] = store.save_inventory("s%d" % i, kind="smart", host_filter="name=web2 or id=%d" % (-i - 1))[1]["id"]
    compile_python = smart.compile_python

    def failing(node):
        if "id=-3" in repr(node) or "-3" in repr(node):
            def predicate(host):
                raise ValueError("cannot evaluate")
            return predicate
        return compile_python(node)

    monkeypatch.setattr(smart, "compile_python", failing)
    smart._predicate.cache_clear()  # pylint: disable=protected-access
    web2 = host_id(store, "prod", "web2")
    members, warnings = smart.smart_memberships(store, [web2])
    assert members == {web2: [ids[0], ids[1], ids[3], ids[4]]}
    assert len(warnings) == 1 and "'s2'" in warnings[0] and "cannot evaluate" in warnings[0]
    smart._predicate.cache_clear()  # pylint: disable=protected-access


def test_many_smart_inventories_and_chunked_ids(store, monkeypatch):
    """More smart inventories than one statement takes, host ids in several chunks: the same as each listing."""
    rng = random.Random(8)
    for i in range(12):
        store.save_host(rng.choice(["prod", "stage"]), "n%02d" % rng.randrange(8), enabled=rng.random() > 0.2,
                        variables={"v": rng.randrange(3)}, groups=["web"] if rng.random() > 0.5 else [])
    store.save_group("stage", "dc", description="Data centre", children=["web"])
    store.save_group("prod", "top", children=[])
    store.save_group("prod", "mid", children=["web"])
    store.save_group("prod", "top", children=["mid"])
    for name in ("n01", "n03", "web2"):
        for inv in ("prod", "stage"):
            if store.get_host(inv, name, with_groups=False):
                store.set_facts(host_id(store, inv, name), {"ansible_distribution": rng.choice(["Debian", "Ubuntu"]),
                                                            "ansible_processor": ["GenuineIntel", "x"], "cpus": rng.randrange(8)})
    terms = ["name__startswith=n0", "name=web1", "groups__name=web", "variables__v=1", "variables__v__gte=1",
             "enabled=false", "inventory__name=stage", "name__regex=^n0[1-4]$", "ansible_facts__ansible_distribution=Debian",
             "all_groups__name=top", "all_groups__description__icontains=centre", "groups__search=we", "search=n0",
             "ansible_facts__ansible_processor[]=GenuineIntel", "ansible_facts__cpus__lt=4", "not ansible_facts__cpus__isnull=true",
             "inventory__id=1", "id__gt=5", "groups__isnull=true"]
    for i in range(120):
        flt = (" %s " % rng.choice(["and", "or"])).join(rng.sample(terms, rng.randint(1, 3)))
        store.save_inventory("smart%03d" % i, kind="smart", host_filter=flt)
    set_pending_delete(store, "smart007")
    monkeypatch.setattr(search, "chunks", lambda items: (list(items)[i:i + 5] for i in range(0, len(list(items)), 5)))
    monkeypatch.setattr(smart, "FACTS_BY_HOST", 3)  # facts read by key (many hosts) and by host (a few) agree
    ids = all_host_ids(store)
    for h in ids:
        assert smart.smart_inventories_for_hosts(store, [h]) == expected(store, [h])
    got = smart.smart_inventories_for_hosts(store, ids)
    assert got == expected(store, ids)
    assert sum(len(v) for v in got.values()) > 100
    assert smart.smart_inventories_for_hosts(store, ids, enabled_only=True) == expected(store, ids, include_disabled=False)


def test_one_host_and_a_thousand_hosts_with_a_hundred_smart_inventories_are_fast(store):
    """No timing target asserted tightly (a shared machine): a bound far above what it takes, to catch a per-host query."""
    with store.transaction():
        store.save_inventory("big")
        for i in range(1000):
            store.save_host("big", "h%04d" % i, variables={"i": i % 10}, groups=[])
    for i in range(100):
        store.save_inventory("smart%03d" % i, kind="smart", host_filter="variables__i=%d or name__endswith=%d" % (i % 10, i))
    ids = [h["id"] for h in store.list_hosts("big")]
    start = time.perf_counter()
    one = smart.smart_inventories_for_hosts(store, ids[:1])
    one_s = time.perf_counter() - start
    start = time.perf_counter()
    many = smart.smart_inventories_for_hosts(store, ids)
    many_s = time.perf_counter() - start
    assert one[ids[0]] == many[ids[0]]
    assert sum(len(v) for v in many.values()) == sum(len(listed(store, "smart%03d" % i) & set(ids)) for i in range(100))
    assert one_s < 2 and many_s < 20, (one_s, many_s)
