"""Unit tests of the smart inventory plugin, its engine (module_utils/rules/smart.py) and the store fact cache plugin."""

from __future__ import annotations

import json
import os
import time

import pytest

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import cache_loader, inventory_loader

from ansible_collections.fleet.inventory.plugins.module_utils.store import fact_cache
from ansible_collections.fleet.inventory.plugins.module_utils.rules import smart
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store


@pytest.fixture
def store_path(store_target):
    return store_target


@pytest.fixture
def store(store_path):
    """prod (id 1) and stage (id 2) with same-named hosts and groups; a smart inventory 'webs'."""
    s = Store.open(store_path)
    s.save_inventory("prod", variables={"env": "prod"})
    s.save_inventory("stage", variables={"env": "stage"})
    s.save_group("prod", "web", variables={"http_port": 80, "tier": "front"})
    s.save_group("prod", "dc1", variables={"dc": "one"}, children=["web"])
    s.save_group("prod", "region", variables={"region": "eu"}, children=["dc1"])
    s.save_group("stage", "web", variables={"http_port": 8080, "stage_only": True})
    s.save_host("prod", "web1", variables={"ansible_host": "10.0.0.1", "greeting": "{{ inventory_hostname }} hi"}, groups=["web"])
    s.save_host("prod", "web2", groups=["web"])
    s.save_host("stage", "web1", variables={"ansible_host": "10.9.9.9"}, groups=["web"])
    s.save_host("stage", "web3", variables={"x": 1}, groups=["web"])
    s.save_host("stage", "db1", enabled=False)
    s.save_inventory("webs", kind="smart", host_filter="groups__name=web", variables={"smart_var": "yes"})
    web1 = s.hosts_named("web1")[0]["id"]
    s.set_facts(web1, {"ansible_distribution": "Ubuntu", "ansible_system": "Linux", "ansible_memtotal_mb": 32000,
                       "ansible_local": {"app": {"role": "api"}}, "custom": "c"})
    web3 = s.hosts_named("web3")[0]["id"]
    s.set_facts(web3, {"ansible_distribution": "Debian", "ansible_system": "Linux", "ansible_memtotal_mb": 2000})
    yield s
    s.close()


def write_config(tmp_path, data, name="inv.smart.yml"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def parse(tmp_path, store_path, use_cache=False, name="inv.smart.yml", **options):
    plugin = inventory_loader.get("fleet.inventory.smart")
    options.setdefault("plugin", "fleet.inventory.smart")
    options.setdefault("store", store_path)
    path = write_config(tmp_path, options, name)
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), path, cache=use_cache)
    if getattr(plugin, "_cache", None) is not None:
        plugin.update_cache_if_changed()  # what InventoryManager does after parse
    return inventory, plugin


def group_hosts(inventory, group):
    return sorted(h.name for h in inventory.groups[group].get_hosts())


# ------------------------------------------------------------------------- engine


def test_resolve_requires_exactly_one_source(store):
    with pytest.raises(ValidationError, match="not both"):
        smart.resolve_smart_source(store, inventory="webs", host_filter="name=x")
    with pytest.raises(ValidationError, match="one of 'inventory'"):
        smart.resolve_smart_source(store)
    with pytest.raises(ValidationError, match="one of 'inventory'"):
        smart.resolve_smart_source(store, inventory="  ", host_filter="")


def test_resolve_unknown_and_wrong_kind(store):
    with pytest.raises(NotFound, match="inventory 'nope' does not exist"):
        smart.resolve_smart_source(store, inventory="nope")
    with pytest.raises(ValidationError, match="inventory 'prod' is a normal inventory, not a smart inventory"):
        smart.resolve_smart_source(store, inventory="prod")


def test_resolve_stored_and_inline(store):
    flt, all_vars, inv = smart.resolve_smart_source(store, inventory="webs")
    assert (flt, all_vars, inv["name"]) == ("groups__name=web", {"smart_var": "yes"}, "webs")
    assert smart.resolve_smart_source(store, host_filter=" name=web1 ") == ("name=web1", {}, None)


def test_one_per_name_lowest_id_and_disabled(store):
    rows = smart.select_hosts(store, "name__startswith=web or name=db1")
    assert [r[1] for r in rows] == ["web1", "web2", "web3"]
    web1 = [r for r in rows if r[1] == "web1"][0]
    assert web1[0] == min(h["id"] for h in store.hosts_named("web1"))
    assert json.loads(web1[2])["ansible_host"] == "10.0.0.1"
    assert [r[1] for r in smart.select_hosts(store, "name=db1", include_disabled=True)] == ["db1"]


def test_one_per_name_matches_store_search(store):
    for flt in ("groups__name=web", "ansible_facts__ansible_system=\"Linux\"", "inventory__name=stage", "search=web"):
        ours = [r[1] for r in smart.select_hosts(store, flt, include_disabled=True)]
        theirs = [h["name"] for h in store.search_hosts(flt, one_per_name=True)]
        assert ours == theirs, flt


def test_disabled_lowest_id_gives_way_to_enabled_host(store):
    store.save_host("prod", "web1", enabled=False)
    rows = smart.select_hosts(store, "name=web1")
    assert json.loads(rows[0][2])["ansible_host"] == "10.9.9.9"


def test_merged_groups_nesting_and_conflicts(store):
    rows = smart.select_hosts(store, "groups__name=web")
    groups, warnings = smart.merged_groups(store, {r[0]: r[1] for r in rows})
    by_name = {g[0]: g for g in groups}
    assert sorted(by_name) == ["dc1", "region", "web"]
    assert by_name["web"][2] == ["web1", "web2", "web3"]
    assert by_name["dc1"][3] == ["web"] and by_name["region"][3] == ["dc1"]
    assert by_name["dc1"][2] == [] and by_name["region"][2] == []
    # prod (lower inventory id) wins http_port; keys of both are kept
    assert by_name["web"][1] == {"http_port": 80, "tier": "front", "stage_only": True}
    assert warnings == ["group 'web' is defined in several inventories with different values of 'http_port'; the inventory with the lowest id wins"]


def test_facts_of_hosts_selected_keys_and_all(store):
    rows = smart.select_hosts(store, "groups__name=web")
    ids = {r[0]: r[1] for r in rows}
    some = smart.facts_of_hosts(store, ids, ["ansible_distribution", "missing"])
    assert some == {"web1": {"ansible_distribution": "Ubuntu"}, "web3": {"ansible_distribution": "Debian"}}
    every = smart.facts_of_hosts(store, ids, smart.ALL_FACTS)
    assert every["web1"]["custom"] == "c" and len(every["web1"]) == 5
    assert smart.facts_of_hosts(store, ids, []) == {}


def test_smart_inventory_data_shape(store):
    data = smart.smart_inventory_data(store, inventory="webs")
    assert data["hosts"][1] == ["web2", {}]
    assert data["all_vars"] == {"smart_var": "yes"} and "groups" not in data and "facts" not in data
    json.dumps(data)  # cacheable as JSON


def test_malformed_filter_names_the_column(store):
    with pytest.raises(ValidationError, match="column"):
        smart.smart_inventory_data(store, host_filter="name=web1 and (")


# ------------------------------------------------------------------------- fact keys


@pytest.mark.parametrize("exprs, expected", [
    (["ansible_distribution == 'Ubuntu'"], {"ansible_distribution"}),
    (["ansible_facts.distribution | lower"], {"distribution", "ansible_distribution"}),
    (["ansible_facts['os_family']"], {"os_family", "ansible_os_family"}),
    (["ansible_facts"], smart.ALL_FACTS),
    (["ansible_facts | dict2items"], smart.ALL_FACTS),
    (["vars['ansible_' + x]"], smart.ALL_FACTS),
    (["hostvars[inventory_hostname].foo"], smart.ALL_FACTS),
    (["lookup('vars', 'ansible_system')"], smart.ALL_FACTS),
    (["lookup('env', 'HOME') ~ ansible_system"], {"ansible_system"}),
    (["ansible_facts[name]"], smart.ALL_FACTS),
    (["this is not ( valid"], smart.ALL_FACTS),
    (["'{{ ansible_hostname }}' ~ x"], {"ansible_hostname", "x"}),
])
def test_fact_keys_from_expressions(exprs, expected):
    from ansible_collections.fleet.inventory.plugins.plugin_utils.constructing import FactKeys

    finder = FactKeys()
    for expr in exprs:
        finder.add_expression(expr)
    if expected == smart.ALL_FACTS:
        assert finder.keys == smart.ALL_FACTS
    else:
        assert expected <= finder.keys


# ------------------------------------------------------------------------- plugin


def test_verify_file_names(tmp_path):
    plugin = inventory_loader.get("fleet.inventory.smart")
    for name, text, ok in [
        ("smart.yml", "plugin: other\n", True),
        ("prod.smart.yaml", "", True),
        ("prod_smart.yml", "", True),
        ("anything.yml", "# x\nplugin: fleet.inventory.smart  # us\n", True),
        ("anything.yaml", "plugin: 'fleet.inventory.smart'\n", True),
        ("anything.yml", "plugin: fleet.inventory.constructed\n", False),
        ("hosts.json", '{"plugin": "fleet.inventory.smart"}', False),
        ("smart.ini", "", False),
    ]:
        d = tmp_path / name.replace(".", "_") / str(ok)
        d.mkdir(parents=True, exist_ok=True)
        (d / name).write_text(text)
        assert plugin.verify_file(str(d / name)) is ok, name
    assert plugin.verify_file(str(tmp_path / "missing.smart.yml")) is False


def test_default_shape_hosts_only(tmp_path, store, store_path):
    inventory, _plugin = parse(tmp_path, store_path, inventory="webs")
    assert sorted(inventory.hosts) == ["web1", "web2", "web3"]
    assert sorted(inventory.groups) == ["all", "ungrouped"]
    assert inventory.groups["all"].get_vars() == {"smart_var": "yes"}
    web1 = inventory.get_host("web1").get_vars()
    assert web1["ansible_host"] == "10.0.0.1"
    assert "ansible_distribution" not in web1 and "ansible_facts" not in web1


def test_template_vars_are_trusted(tmp_path, store, store_path):
    from ansible.template import is_trusted_as_template

    inventory, _plugin = parse(tmp_path, store_path, inventory="webs")
    assert is_trusted_as_template(inventory.get_host("web1").vars["greeting"])


def test_source_groups(tmp_path, store, store_path):
    inventory, _plugin = parse(tmp_path, store_path, inventory="webs", source_groups=True)
    assert {"web", "dc1", "region"} <= set(inventory.groups)
    assert group_hosts(inventory, "web") == ["web1", "web2", "web3"]
    assert [g.name for g in inventory.groups["dc1"].child_groups] == ["web"]
    assert [g.name for g in inventory.groups["region"].child_groups] == ["dc1"]
    assert inventory.groups["web"].get_vars() == {"http_port": 80, "tier": "front", "stage_only": True}
    assert inventory.groups["region"].get_vars() == {"region": "eu"}


def test_compose_groups_keyed_groups_with_facts(tmp_path, store, store_path):
    inventory, _plugin = parse(
        tmp_path, store_path, host_filter="name__startswith=web",
        compose={"distro": "ansible_distribution | default('none')", "system": "ansible_facts.system | default('?')",
                 "role": "ansible_local.app.role | default('-')", "ns_role": "ansible_facts.ansible_local.app.role | default('-')"},
        groups={"big": "ansible_memtotal_mb | default(0) > 16000", "from_compose": "distro == 'Debian'"},
        keyed_groups=[{"prefix": "os", "key": "ansible_facts.distribution | default('unknown')"}])
    web1 = inventory.get_host("web1").vars
    assert (web1["distro"], web1["system"], web1["role"], web1["ns_role"]) == ("Ubuntu", "Linux", "api", "api")
    assert inventory.get_host("web2").vars["distro"] == "none"
    assert group_hosts(inventory, "big") == ["web1"]
    assert group_hosts(inventory, "from_compose") == ["web3"]
    assert group_hosts(inventory, "os_Ubuntu") == ["web1"]
    assert group_hosts(inventory, "os_unknown") == ["web2"]
    # facts are visible to the expressions but not added to the host vars
    assert not any(k.startswith("ansible_distribution") or k == "ansible_facts" for k in web1)


def test_compose_sees_group_and_all_vars(tmp_path, store, store_path):
    inventory, _plugin = parse(tmp_path, store_path, inventory="webs", source_groups=True,
                               compose={"where": "region ~ '/' ~ dc ~ '/' ~ http_port ~ '/' ~ smart_var"})
    assert inventory.get_host("web2").vars["where"] == "eu/one/80/yes"


def test_strict_compose_error(tmp_path, store, store_path):
    with pytest.raises(AnsibleParserError, match=r"inv\.smart\.yml: Could not set bad for host web1"):
        parse(tmp_path, store_path, host_filter="name=web1", strict=True, compose={"bad": "undefined_thing + 1"})
    inventory, _plugin = parse(tmp_path, store_path, host_filter="name=web1", strict=False, compose={"bad": "undefined_thing + 1"})
    assert "bad" not in inventory.get_host("web1").vars


@pytest.mark.parametrize("options, message", [
    ({"inventory": "nope"}, "inventory 'nope' does not exist"),
    ({"inventory": "prod"}, "inventory 'prod' is a normal inventory"),
    ({"inventory": "webs", "host_filter": "name=x"}, "not both"),
    ({}, "one of 'inventory'"),
    ({"host_filter": "name=web1 or"}, "host_filter: .* at column 13"),
])
def test_errors_name_file_and_reason(tmp_path, store, store_path, options, message):
    with pytest.raises(AnsibleParserError, match=r"inv\.smart\.yml: .*" + message):
        parse(tmp_path, store_path, **options)


def test_broken_stored_filter_names_the_inventory(tmp_path, store, store_path):
    store.execute("UPDATE inventories SET host_filter = 'name=web1 and' WHERE name = 'webs'")
    with pytest.raises(AnsibleParserError, match=r"inv\.smart\.yml: smart inventory 'webs': host_filter: .* at column 14"):
        parse(tmp_path, store_path, inventory="webs")


def test_cache_key_from_store_and_selection(tmp_path, store, store_path):
    _inv, plugin = parse(tmp_path, store_path, inventory="webs")
    key1 = plugin.get_cache_key("ignored")
    _inv, plugin = parse(tmp_path, store_path, inventory="webs", name="other.smart.yml")
    assert plugin.get_cache_key("x") == key1  # the file path does not matter
    _inv, plugin = parse(tmp_path, store_path, inventory="webs", source_groups=True)
    assert plugin.get_cache_key("x") != key1
    other_store = str(tmp_path / "other.db")
    Store.open(other_store).close()
    with pytest.raises(AnsibleParserError):
        parse(tmp_path, other_store, inventory="webs")


def test_jsonfile_cache_used_unless_refresh(tmp_path, store, store_path):
    options = {"inventory": "webs", "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
               "cache_connection": str(tmp_path / "inv-cache"), "source_groups": True}
    inventory, plugin = parse(tmp_path, store_path, use_cache=True, **options)
    assert sorted(inventory.hosts) == ["web1", "web2", "web3"]
    assert os.listdir(tmp_path / "inv-cache")
    store.save_host("prod", "web9", groups=["web"])
    # cache=True (ansible-inventory's default): the cached data is used
    inventory, plugin = parse(tmp_path, store_path, use_cache=True, **options)
    assert sorted(inventory.hosts) == ["web1", "web2", "web3"]
    assert group_hosts(inventory, "web") == ["web1", "web2", "web3"]
    # cache=False (--flush-cache, refresh_inventory): the store is read and the cache updated
    inventory, plugin = parse(tmp_path, store_path, use_cache=False, **options)
    assert "web9" in inventory.hosts
    inventory, plugin = parse(tmp_path, store_path, use_cache=True, **options)
    assert "web9" in inventory.hosts
    # cache off: always the store
    store.save_host("prod", "web10", groups=["web"])
    options["cache"] = False
    inventory, plugin = parse(tmp_path, store_path, use_cache=True, **options)
    assert "web10" in inventory.hosts


# ------------------------------------------------------------------------- fact cache plugin


def _cache(store_path, **kwargs):
    os.environ["FLEET_INVENTORY_STORE"] = store_path
    try:
        return cache_loader.get("fleet.inventory.store")
    finally:
        del os.environ["FLEET_INVENTORY_STORE"]


def test_fact_cache_set_merges_into_every_host_of_the_name(store, store_path):
    cache = _cache(store_path)
    cache.set("web1", {"ansible_distribution": "Ubuntu", "new_fact": [1, 2]})
    for host in store.hosts_named("web1"):
        facts = store.get_facts(host["id"])
        assert facts["new_fact"] == [1, 2] and facts["ansible_distribution"] == "Ubuntu"
    assert store.get_facts(store.hosts_named("web1")[0]["id"])["custom"] == "c"  # merged, not replaced
    assert cache.get("web1")["new_fact"] == [1, 2]
    assert cache.contains("web1") and "web1" in cache.keys()


def test_fact_cache_creates_unknown_host_in_fact_cache_inventory(store, store_path):
    cache = _cache(store_path)
    assert not cache.contains("newhost")
    with pytest.raises(KeyError):
        cache.get("newhost")
    cache.set("newhost", {"ansible_system": "Linux"})
    hosts = store.hosts_named("newhost")
    assert len(hosts) == 1 and store.get_inventory(hosts[0]["inventory_id"])["name"] == "fact_cache"
    assert [h["name"] for h in store.search_hosts('ansible_facts__ansible_system="Linux" and name=newhost')] == ["newhost"]
    fresh = _cache(store_path)
    assert fresh.get("newhost") == {"ansible_system": "Linux"}


def test_fact_cache_unchanged_facts_keep_modified(store, store_path):
    cache = _cache(store_path)
    cache.set("web3", {"x": 1})
    before = store.hosts_named("web3")[0]["ansible_facts_modified"]
    time.sleep(0.01)
    cache.set("web3", {"x": 1})
    assert store.hosts_named("web3")[0]["ansible_facts_modified"] == before
    cache.set("web3", {"x": 2})
    assert store.hosts_named("web3")[0]["ansible_facts_modified"] > before


def test_fact_cache_timeout(store, store_path):
    web3 = store.hosts_named("web3")[0]["id"]
    store.execute("UPDATE hosts SET ansible_facts_modified = '2000-01-01T00:00:00.000000+00:00' WHERE id = ?", (web3,))
    cache = _cache(store_path)
    assert not cache.contains("web3") and "web3" not in cache.keys()
    with pytest.raises(KeyError):
        cache.get("web3")
    cache._timeout = 0
    assert cache.contains("web3") and cache.get("web3")["ansible_distribution"] == "Debian"


def test_fact_cache_delete_and_flush(store, store_path):
    cache = _cache(store_path)
    cache.delete("web1")
    assert not cache.contains("web1")
    assert all(store.get_facts(h["id"]) == {} for h in store.hosts_named("web1"))
    assert cache.keys() == ["web3"]
    assert cache.copy() == {"web3": store.get_facts(store.hosts_named("web3")[0]["id"])}
    cache.flush()
    assert cache.keys() == [] and not cache.contains("web3")
    cache.delete("never-existed")


def test_fact_cache_plain_json_from_tagged_values(store, store_path):
    from ansible.template import trust_as_template
    from ansible.utils.unsafe_proxy import wrap_var

    cache = _cache(store_path)
    cache.set("web2", {"a": trust_as_template("{{ x }}"), "b": wrap_var("u"), "c": (1, 2), "d": {3}})
    assert cache.get("web2") == {"a": "{{ x }}", "b": "u", "c": [1, 2], "d": [3]}
    assert store.get_facts(store.hosts_named("web2")[0]["id"]) == {"a": "{{ x }}", "b": "u", "c": [1, 2], "d": [3]}


def test_fact_cache_options_from_environment(store, store_path, tmp_path, monkeypatch):
    other = str(tmp_path / "uri.db")
    monkeypatch.setenv("FLEET_INVENTORY_STORE", store_path)
    monkeypatch.setenv("ANSIBLE_CACHE_PLUGIN_CONNECTION", other)  # fact_caching_connection wins over store
    monkeypatch.setenv("FLEET_INVENTORY_FACT_CACHE_INVENTORY", "gathered")
    monkeypatch.setenv("ANSIBLE_CACHE_PLUGIN_TIMEOUT", "5")
    cache = cache_loader.get("fleet.inventory.store")
    assert cache._timeout == 5
    cache.set("brand-new", {"k": "v"})
    assert store.hosts_named("brand-new") == []
    with Store.open(other) as s2:
        host = s2.hosts_named("brand-new")[0]
        assert s2.get_inventory(host["inventory_id"])["name"] == "gathered"


def test_fact_cache_as_inventory_cache_stays_in_memory(store, store_path):
    cache = cache_loader.get("fleet.inventory.store", _uri=store_path, _timeout=3600, _prefix="ansible_inventory_")
    cache.set("fleet.inventory.smart_abc", {"hosts": ["x"]})
    assert cache.get("fleet.inventory.smart_abc") == {"hosts": ["x"]}
    assert store.hosts_named("fleet.inventory.smart_abc") == []


def test_fact_cache_store_errors_are_ansible_errors(tmp_path):
    cache = _cache(str(tmp_path))  # a directory, not a database file
    with pytest.raises(AnsibleError, match="fleet.inventory.store fact cache: store path .* is a directory"):
        cache.contains("x")


def test_fact_cache_engine_cutoff():
    assert fact_cache.cutoff_for(0) is None and fact_cache.cutoff_for(None) is None
    assert fact_cache.cutoff_for(60) < fact_cache.cutoff_for(1)
