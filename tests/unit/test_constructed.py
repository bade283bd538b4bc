"""Constructed inventories in the engine: the stored definition, the construction, the update."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import constructed as C
from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError, NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

SEED_VARS = {
    "plugin": "constructed",
    "strict": True,
    "compose": {"resolved_state": 'state | default("running")'},
    "groups": {
        "shutdown": 'resolved_state == "shutdown"',
        "shutdown_in_product_dev": 'resolved_state == "shutdown" and account_alias == "product_dev"',
    },
}


@pytest.fixture
def store(store_target):
    s = Store(store_target)
    yield s
    s.close()


@pytest.fixture
def seed(store):
    """The issue's seed: inventories East and West."""
    store.save_inventory("East")
    store.save_host("East", "host1", variables={"account_alias": "product_dev"})
    store.save_host("East", "host2", variables={"account_alias": "product_dev", "state": "shutdown"})
    store.save_host("East", "host3", variables={"account_alias": "sustaining"})
    store.save_inventory("West")
    store.save_host("West", "host4", variables={"account_alias": "product_dev"})
    store.save_host("West", "host6", variables={"account_alias": "product_dev", "state": "shutdown"})
    store.save_host("West", "host5", variables={"account_alias": "sustaining", "state": "shutdown"})
    return store


def dump(store):
    """Everything an update or a refused save could write."""
    tables = ("inventories", "hosts", "groups", "group_hosts", "group_children", "inventory_sources",
              "inventory_input_inventories", "host_facts")
    return {t: store.query("SELECT * FROM %s" % t) for t in tables}


def make_seed_constructed(store, **kw):
    args = dict(kind="constructed", input_inventories=["East", "West"], source_vars=SEED_VARS, limit="shutdown_in_product_dev")
    args.update(kw)
    return store.save_inventory("shutdown-product-dev", **args)


# -- the seed example ------------------------------------------------------------------------


def test_seed_example_gives_exactly_host2_and_host6(seed):
    make_seed_constructed(seed)
    counts = C.update_constructed_inventory(seed, "shutdown-product-dev")
    assert counts["changed"] is True
    hosts = seed.list_hosts("shutdown-product-dev")
    assert [h["name"] for h in hosts] == ["host2", "host6"]
    by_name = {h["name"]: h for h in hosts}
    assert by_name["host2"]["variables"]["resolved_state"] == "shutdown"
    assert by_name["host2"]["variables"]["awx_inventory_name"] == "East"
    assert by_name["host6"]["variables"]["awx_inventory_name"] == "West"
    assert sorted(g["name"] for g in seed.list_groups("shutdown-product-dev")) == ["shutdown", "shutdown_in_product_dev"]
    assert seed.get_group("shutdown-product-dev", "shutdown_in_product_dev")["hosts"] == ["host2", "host6"]
    # each constructed host links back to its original
    assert by_name["host2"]["instance_id"] == str(seed.get_host("East", "host2")["id"])
    assert by_name["host6"]["instance_id"] == str(seed.get_host("West", "host6")["id"])
    assert "seed" not in counts["log"] and "2 selected by limit 'shutdown_in_product_dev'" in counts["log"]


def test_engine_directly_without_the_store_definition(seed):
    options = C.options_of(C.normalize_config(SEED_VARS))
    data = C.read_inputs(seed, C.resolve_inputs(seed, ["East", "West"]), options)
    result = C.construct(data, options, limit="shutdown_in_product_dev")
    assert result.selected == ["host2", "host6"]
    exported = C.export_inventory(result)
    assert exported["shutdown"]["hosts"] == ["host2", "host6"]
    assert sorted(exported["all"]["children"]) == ["shutdown", "shutdown_in_product_dev", "ungrouped"]


def test_update_again_changes_nothing_and_follows_the_inputs(seed):
    make_seed_constructed(seed)
    C.update_constructed_inventory(seed, "shutdown-product-dev")
    again = C.update_constructed_inventory(seed, "shutdown-product-dev")
    assert again["changed"] is False
    seed.save_host("East", "host1", variables={"account_alias": "product_dev", "state": "shutdown"})
    seed.save_host("West", "host6", variables={"account_alias": "product_dev"})
    third = C.update_constructed_inventory(seed, "shutdown-product-dev")
    assert third["changed"] is True
    assert [h["name"] for h in seed.list_hosts("shutdown-product-dev")] == ["host1", "host2"]


def test_update_dry_run_reports_and_writes_nothing(seed):
    make_seed_constructed(seed)
    before = dump(seed)
    counts = C.update_constructed_inventory(seed, "shutdown-product-dev", dry_run=True)
    assert counts["hosts"]["added"] == 2
    assert dump(seed) == before


def test_enabled_is_carried_over(seed):
    seed.save_host("East", "host2", enabled=False)
    make_seed_constructed(seed)
    C.update_constructed_inventory(seed, "shutdown-product-dev")
    enabled = {h["name"]: h["enabled"] for h in seed.list_hosts("shutdown-product-dev")}
    assert enabled == {"host2": False, "host6": True}


def test_materialized_hosts_are_seen_by_host_filters(seed):
    make_seed_constructed(seed)
    C.update_constructed_inventory(seed, "shutdown-product-dev")
    found = seed.search_hosts('inventory__name="shutdown-product-dev" and groups__name=shutdown_in_product_dev')
    assert [h["name"] for h in found] == ["host2", "host6"]


def test_facts_written_for_a_constructed_host_reach_the_original(seed):
    make_seed_constructed(seed)
    C.update_constructed_inventory(seed, "shutdown-product-dev")
    built = seed.get_host("shutdown-product-dev", "host2")
    original = seed.get_host("East", "host2")
    assert seed.set_facts(built["id"], {"ansible_distribution": "Ubuntu"}) is True
    assert seed.get_facts(original["id"]) == {"ansible_distribution": "Ubuntu"}
    assert seed.get_facts(built["id"]) == {}
    # in bulk, mixed with ordinary hosts, merged per original host
    other = seed.get_host("West", "host4")
    changed = seed.set_facts_many([(built["id"], {"ansible_memtotal_mb": 1024}), (other["id"], {"x": 1})])
    assert sorted(changed) == sorted([original["id"], other["id"]])
    assert seed.get_facts(original["id"]) == {"ansible_distribution": "Ubuntu", "ansible_memtotal_mb": 1024}


def test_facts_are_visible_as_from_a_fact_cache(seed):
    ids = {h["name"]: h["id"] for h in seed.list_hosts("East")}
    seed.set_facts(ids["host1"], {"ansible_distribution": "Debian", "state": "shutdown"})
    seed.save_inventory("by-distro", kind="constructed", input_inventories=["East"], source_vars={
        "keyed_groups": [{"prefix": "distro", "key": "ansible_distribution", "default_value": "none"}],
        "compose": {"state": "'composed'"},
        "groups": {"down": "state == 'shutdown'"}})
    C.update_constructed_inventory(seed, "by-distro")
    assert seed.get_group("by-distro", "distro_Debian")["hosts"] == ["host1"]
    # facts win over composed variables, as with a fact cache; composed ones win over host vars (host2)
    assert seed.get_group("by-distro", "down")["hosts"] == ["host1"]
    assert seed.get_host("by-distro", "host1")["variables"]["state"] == "composed"


def test_nested_groups_and_variables_of_inputs(seed):
    seed.save_group("East", "web", variables={"port": 80}, hosts=["host1"])
    seed.save_group("East", "dc", variables={"port": 1, "dc": "east"}, children=["web"])
    seed.save_inventory("nested", kind="constructed", input_inventories=["East", "West"],
                        source_vars={"compose": {"p": "port | default(0)", "where": "dc | default('none')"}})
    C.update_constructed_inventory(seed, "nested")
    assert seed.get_group("nested", "dc")["children"] == ["web"]
    assert seed.get_group("nested", "web")["hosts"] == ["host1"]
    host1 = seed.get_host("nested", "host1")["variables"]
    assert (host1["p"], host1["where"]) == (80, "east")


def test_later_inputs_win(seed):
    seed.save_host("West", "host1", variables={"account_alias": "sustaining", "extra": 1})
    seed.save_inventory("both", kind="constructed", input_inventories=["East", "West"])
    C.update_constructed_inventory(seed, "both")
    host1 = seed.get_host("both", "host1")
    assert host1["variables"]["account_alias"] == "sustaining"
    assert host1["variables"]["awx_inventory_name"] == "West"
    assert host1["instance_id"] == str(seed.get_host("West", "host1")["id"])


# -- update errors: named, nothing written --------------------------------------------------------


def test_limit_matching_nothing_is_an_error(seed):
    make_seed_constructed(seed, limit="no_such_group")
    before = dump(seed)
    with pytest.raises(C.ConstructError, match="limit 'no_such_group' matches no host"):
        C.update_constructed_inventory(seed, "shutdown-product-dev")
    assert dump(seed) == before


def test_strict_failure_names_host_option_and_expression(seed):
    make_seed_constructed(seed, limit="", source_vars={"strict": True, "groups": {"bad": "nope.attr == 1"}})
    before = dump(seed)
    with pytest.raises(FleetInventoryError) as err:
        C.update_constructed_inventory(seed, "shutdown-product-dev")
    assert "host 'host1': groups.bad (nope.attr == 1) failed:" in str(err.value)
    assert "nope" in str(err.value).split("failed:")[1]
    assert dump(seed) == before


def test_non_strict_failure_is_skipped(seed):
    make_seed_constructed(seed, limit="", source_vars={"groups": {"bad": "nope.attr == 1", "good": "true"}})
    C.update_constructed_inventory(seed, "shutdown-product-dev")
    assert [g["name"] for g in seed.list_groups("shutdown-product-dev")] == ["good"]


def test_update_without_inputs_is_an_error(seed):
    seed.save_inventory("empty", kind="constructed")
    before = dump(seed)
    with pytest.raises(ValidationError, match="constructed inventory 'empty' has no input inventories"):
        C.update_constructed_inventory(seed, "empty")
    assert dump(seed) == before


def test_update_of_a_normal_inventory_is_refused(seed):
    with pytest.raises(ValidationError, match="inventory 'East' is a normal inventory"):
        C.update_constructed_inventory(seed, "East")


def test_hosts_cannot_be_added_by_hand(seed):
    make_seed_constructed(seed)
    with pytest.raises(ValidationError, match="cannot add hosts to constructed inventory 'shutdown-product-dev'"):
        seed.save_host("shutdown-product-dev", "extra")


# -- the stored definition ----------------------------------------------------------------------


def test_one_source_holds_the_options(seed):
    _before, after = make_seed_constructed(seed, update_cache_timeout=30, verbosity=2)
    assert after["input_inventories"] == ["East", "West"]
    assert after["limit"] == "shutdown_in_product_dev"
    assert after["source_vars"] == {k: v for k, v in SEED_VARS.items() if k != "plugin"}
    sources = seed.query("SELECT * FROM inventory_sources")
    assert len(sources) == 1
    src = sources[0]
    assert (src["source"], src["name"], src["update_cache_timeout"], src["verbosity"]) == (
        "constructed", "shutdown-product-dev constructed source", 30, 2)
    # updating options keeps the one source; inputs are replaced in order
    before, after = seed.save_inventory("shutdown-product-dev", input_inventories=["West", "East"], limit="shutdown")
    assert before["input_inventories"] == ["East", "West"] and after["input_inventories"] == ["West", "East"]
    assert after["limit"] == "shutdown" and after["verbosity"] == 2
    assert len(seed.query("SELECT * FROM inventory_sources")) == 1
    # the same values again: nothing changes
    before, after = seed.save_inventory("shutdown-product-dev", input_inventories=["West", "East"], limit="shutdown")
    assert before == after


def test_source_vars_as_yaml_text(seed):
    _b, after = seed.save_inventory("c", kind="constructed", source_vars="compose:\n  x: '1'\nstrict: true\n")
    assert after["source_vars"] == {"compose": {"x": "1"}, "strict": True}


@pytest.mark.parametrize("kwargs, error, match", [
    ({"input_inventories": ["nope"]}, NotFound, "input_inventories: inventory 'nope' does not exist"),
    ({"input_inventories": ["smarty"]}, ValidationError, "inventory 'smarty' is a smart inventory; only normal inventories"),
    ({"input_inventories": ["other-built"]}, ValidationError, "inventory 'other-built' is a constructed inventory"),
    ({"input_inventories": ["built"]}, ValidationError,
     "constructed inventory 'built' cannot be an input of itself|inventory 'built' is a constructed inventory"),
    ({"input_inventories": ["East", "East"]}, ValidationError, "inventory 'East' is listed twice"),
    ({"source_vars": {"composee": {}}}, ValidationError, "source_vars: unknown option 'composee'"),
    ({"source_vars": {"plugin": "aws_ec2"}}, ValidationError, "source_vars: plugin must be one of"),
    ({"source_vars": {"groups": ["a"]}}, ValidationError, "source_vars: groups must be a mapping"),
    ({"source_vars": {"keyed_groups": [{"prefix": "a"}]}}, ValidationError, r"keyed_groups\[0\] needs a 'key'"),
    ({"source_vars": {"keyed_groups": [{"key": "a", "default_value": "x", "trailing_separator": False}]}}, ValidationError,
     "mutually exclusive"),
    ({"source_vars": {"strict": "yes"}}, ValidationError, "strict must be true or false"),
    ({"source_vars": "[1, 2]"}, ValidationError, "source_vars must be a mapping"),
    ({"verbosity": 5}, ValidationError, "verbosity must be 0, 1 or 2"),
    ({"update_cache_timeout": -1}, ValidationError, "update_cache_timeout must be a number of seconds"),
])
def test_bad_definitions_are_refused_and_nothing_is_written(seed, kwargs, error, match):
    seed.save_inventory("smarty", kind="smart", host_filter="name=host1")
    seed.save_inventory("other-built", kind="constructed")
    seed.save_inventory("built", kind="constructed", input_inventories=["West"])
    before = dump(seed)
    with pytest.raises(error, match=match):
        seed.save_inventory("built", **kwargs)
    assert dump(seed) == before
    with pytest.raises(error, match=match):
        seed.save_inventory("new-built", kind="constructed", **kwargs)
    assert dump(seed) == before


@pytest.mark.parametrize("option", ["input_inventories", "source_vars", "limit", "update_cache_timeout", "verbosity"])
def test_constructed_options_on_other_kinds_are_refused(seed, option):
    value = {"input_inventories": ["East"], "source_vars": {}, "limit": "all", "update_cache_timeout": 1, "verbosity": 1}[option]
    before = dump(seed)
    with pytest.raises(ValidationError, match="inventory 'East' is a normal inventory: %s only applies to constructed" % option):
        seed.save_inventory("East", **{option: value})
    with pytest.raises(ValidationError, match="inventory 'new' is a normal inventory: %s only applies" % option):
        seed.save_inventory("new", **{option: value})
    assert dump(seed) == before


def test_deleting_an_input_drops_it_from_the_constructed_inventory(seed):
    # AWX: an input inventory may be deleted; the constructed inventory loses that input with it
    make_seed_constructed(seed)
    assert seed.delete_inventory("East")["name"] == "East"
    assert seed.constructed_view(seed.get_inventory("shutdown-product-dev"))["input_inventories"] == ["West"]
    seed.delete_inventory("shutdown-product-dev")
    assert seed.query("SELECT * FROM inventory_sources") == []


def test_a_host_renamed_in_its_input_keeps_its_constructed_twin(seed):
    make_seed_constructed(seed)
    C.update_constructed_inventory(seed, "shutdown-product-dev")
    twin = seed.get_host("shutdown-product-dev", "host2")
    with seed.transaction():
        seed.execute("UPDATE hosts SET name = 'host2-renamed' WHERE id = ?", (seed.get_host("East", "host2")["id"],))
    counts = C.update_constructed_inventory(seed, "shutdown-product-dev")
    assert counts["hosts"]["added"] == 0 and counts["hosts"]["removed"] == 0
    renamed = seed.get_host("shutdown-product-dev", "host2-renamed")
    assert renamed["id"] == twin["id"] and renamed["instance_id"] == twin["instance_id"]
