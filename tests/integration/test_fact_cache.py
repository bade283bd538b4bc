"""End-to-end: the fleet.inventory.store fact cache under real ansible-playbook runs."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

INTERPRETER = {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}
CACHE_ENV = {"ANSIBLE_CACHE_PLUGIN": "fleet.inventory.store", "ANSIBLE_GATHERING": "implicit"}


def play(tasks, gather_facts=False, **extra):
    data = {"name": "fact cache", "hosts": "localhost", "gather_facts": gather_facts, "vars": dict(INTERPRETER), "tasks": tasks}
    data.update(extra)
    return [data]


def set_controlled_facts(value):
    return play([{"name": "set", "ansible.builtin.set_fact": {"cacheable": True, "fleet_color": value, "fleet_list": [1, 2, value]}}])


def hosts(store_path, name="localhost"):
    with Store.open(store_path) as s:
        return [(s.get_inventory(h["inventory_id"])["name"], h, s.get_facts(h["id"])) for h in s.hosts_named(name)]


@pytest.fixture
def store_path(ansible_env):
    return ansible_env["FLEET_INVENTORY_STORE"]


def test_gathered_facts_become_searchable(run_playbook, run_inventory, store_path):
    run_playbook(play([{"name": "noop", "ansible.builtin.debug": {"msg": "{{ ansible_facts.system }}"}}], gather_facts=True), env=CACHE_ENV)
    [(inventory, host, facts)] = hosts(store_path)
    assert inventory == "fact_cache"  # no stored host was called localhost: created on demand
    assert facts["ansible_system"] == "Linux" and "ansible_distribution" in facts
    assert host["ansible_facts_modified"]
    with Store.open(store_path) as s:
        assert [h["name"] for h in s.search_hosts('ansible_facts__ansible_system="Linux"')] == ["localhost"]
    # and a smart inventory finds it
    listing = run_inventory("--list", {"plugin": "fleet.inventory.smart", "host_filter": 'ansible_facts__ansible_system="Linux"'},
                            inventory_filename="smart.yml")
    assert listing["ungrouped"]["hosts"] == ["localhost"]


def test_unchanged_facts_keep_facts_modified(run_playbook, store_path):
    run_playbook(set_controlled_facts("blue"), env=CACHE_ENV)
    [(_inv, first, facts)] = hosts(store_path)
    assert facts["fleet_color"] == "blue" and facts["fleet_list"] == [1, 2, "blue"]
    run_playbook(set_controlled_facts("blue"), env=CACHE_ENV)
    [(_inv, second, _facts)] = hosts(store_path)
    assert second["ansible_facts_modified"] == first["ansible_facts_modified"]
    run_playbook(set_controlled_facts("green"), env=CACHE_ENV)
    [(_inv, third, facts)] = hosts(store_path)
    assert third["ansible_facts_modified"] > first["ansible_facts_modified"]
    assert facts["fleet_color"] == "green"


def test_facts_merge_into_every_stored_host_of_the_name(run_playbook, store_path):
    with Store.open(store_path) as s:
        s.save_inventory("prod")
        s.save_inventory("lab")
        s.save_host("prod", "localhost")
        s.save_host("lab", "localhost")
        s.set_facts(s.hosts_named("localhost")[0]["id"], {"kept": "from before"})
    run_playbook(set_controlled_facts("red"), env=CACHE_ENV)
    found = hosts(store_path)
    assert [inv for inv, _h, _f in found] == ["prod", "lab"]  # no fact_cache inventory needed
    prod_facts, lab_facts = found[0][2], found[1][2]
    assert prod_facts["fleet_color"] == lab_facts["fleet_color"] == "red"
    assert prod_facts["kept"] == "from before"  # merged, not replaced
    with Store.open(store_path) as s:
        assert s.get_inventory("fact_cache") is None


def test_later_play_reads_cached_facts(run_playbook, store_path):
    run_playbook(set_controlled_facts("amber"), env=CACHE_ENV)
    result = run_playbook(play([{"name": "show", "ansible.builtin.debug": {"var": "fleet_color"}}]), env=CACHE_ENV)
    assert result.task("show")["fleet_color"] == "amber"
    # without the cache plugin the fact is unknown
    result = run_playbook(play([{"name": "show", "ansible.builtin.debug": {"var": "fleet_color"}}]))
    assert "undefined" in str(result.task("show")["fleet_color"]).lower()


def test_expired_facts_count_as_absent(run_playbook, store_path):
    run_playbook(set_controlled_facts("old"), env=CACHE_ENV)
    with Store.open(store_path) as s:
        s.execute("UPDATE hosts SET ansible_facts_modified = '2001-01-01T00:00:00.000000+00:00'")
    show = play([{"name": "show", "ansible.builtin.debug": {"msg": "{{ fleet_color | default('absent') }}"}}])
    assert run_playbook(show, env=CACHE_ENV).task("show")["msg"] == "absent"
    no_expiry = dict(CACHE_ENV, ANSIBLE_CACHE_PLUGIN_TIMEOUT="0")
    assert run_playbook(show, env=no_expiry).task("show")["msg"] == "old"


def test_clear_facts_removes_them_from_the_store(run_playbook, store_path):
    run_playbook(set_controlled_facts("gone"), env=CACHE_ENV)
    run_playbook(play([{"name": "clear", "ansible.builtin.meta": "clear_facts"}]), env=CACHE_ENV)
    [(_inv, _host, facts)] = hosts(store_path)
    assert facts == {}


def test_connection_and_inventory_options(run_playbook, store_path, tmp_path):
    other = str(tmp_path / "facts-store.db")
    env = dict(CACHE_ENV, ANSIBLE_CACHE_PLUGIN_CONNECTION=other, FLEET_INVENTORY_FACT_CACHE_INVENTORY="gathered")
    run_playbook(set_controlled_facts("elsewhere"), env=env)
    assert hosts(store_path) == []  # fact_caching_connection wins over FLEET_INVENTORY_STORE
    [(inventory, _host, facts)] = hosts(other)
    assert inventory == "gathered" and facts["fleet_color"] == "elsewhere"


def test_ansible_cfg_settings(run_playbook, tmp_path, ansible_env):
    db = tmp_path / "cfg-store.db"
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[defaults]\nfact_caching = fleet.inventory.store\nfact_caching_timeout = 600\n\n"
                   "[fleet_inventory]\nstore = %s\nfact_cache_inventory = from_cfg\n" % db)
    env = {"ANSIBLE_CONFIG": str(cfg), "FLEET_INVENTORY_STORE": ""}
    run_playbook(set_controlled_facts("cfg"), env=env)
    [(inventory, _host, facts)] = hosts(str(db))
    assert inventory == "from_cfg" and facts["fleet_color"] == "cfg"


def test_smart_inventory_compose_sees_cached_facts(run_playbook, run_inventory):
    run_playbook(set_controlled_facts("teal"), env=CACHE_ENV)
    inv = {"plugin": "fleet.inventory.smart", "host_filter": 'ansible_facts__fleet_color="teal"',
           "compose": {"color": "fleet_color", "ns_color": "ansible_facts.fleet_color"},
           "keyed_groups": [{"prefix": "color", "key": "fleet_color"}]}
    listing = run_inventory("--list", inv, inventory_filename="smart.yml")
    assert listing["color_teal"]["hosts"] == ["localhost"]
    assert listing["_meta"]["hostvars"]["localhost"] == {"color": "teal", "ns_color": "teal"}
