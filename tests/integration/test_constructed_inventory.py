"""Constructed inventories end to end: the inventory module, the plugin, the update through the modules."""

from __future__ import annotations

import json

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from scaffolding import HEAD, dump

SEED_INPUTS = HEAD + """\
    - name: East and West
      fleet.inventory.inventory:
        name: "{{ item }}"
      loop: [East, West]
    - name: East hosts
      fleet.inventory.host:
        inventory: East
        name: "{{ item.name }}"
        variables: "{{ item.vars }}"
      loop:
        - {name: host1, vars: {account_alias: product_dev}}
        - {name: host2, vars: {account_alias: product_dev, state: shutdown}}
        - {name: host3, vars: {account_alias: sustaining}}
    - name: West hosts
      fleet.inventory.host:
        inventory: West
        name: "{{ item.name }}"
        variables: "{{ item.vars }}"
      loop:
        - {name: host4, vars: {account_alias: product_dev}}
        - {name: host6, vars: {account_alias: product_dev, state: shutdown}}
        - {name: host5, vars: {account_alias: sustaining, state: shutdown}}
"""

CONSTRUCTED_TASK = """\
      fleet.inventory.inventory:
        name: shutdown-product-dev
        kind: constructed
        input_inventories: [East, West]
        source_vars:
          plugin: constructed
          strict: true
          compose:
            resolved_state: state | default("running")
          groups:
            shutdown: resolved_state == "shutdown"
            shutdown_in_product_dev: resolved_state == "shutdown" and account_alias == "product_dev"
        limit: shutdown_in_product_dev
"""

LIFECYCLE = SEED_INPUTS + """\
    - name: Create in check mode
      check_mode: true
      diff: true
""" + CONSTRUCTED_TASK + """\
    - name: Create
      diff: true
""" + CONSTRUCTED_TASK + """\
    - name: Repeat
""" + CONSTRUCTED_TASK + """\
    - name: New limit and inputs
      diff: true
      fleet.inventory.inventory:
        name: shutdown-product-dev
        input_inventories: [West, East]
        limit: shutdown
    - name: Back to the seed
""" + CONSTRUCTED_TASK


@pytest.fixture
def store_path(ansible_env):
    return ansible_env["FLEET_INVENTORY_STORE"]


def test_module_lifecycle_and_the_plugin_over_the_stored_inventory(run_playbook, run_inventory, store_path):
    res = run_playbook(LIFECYCLE)
    check = res.task("Create in check mode")
    assert check["changed"] is True
    assert check["diff"]["before"] == {}
    assert check["diff"]["after"]["input_inventories"] == ["East", "West"]
    assert check["diff"]["after"]["limit"] == "shutdown_in_product_dev"
    create = res.task("Create")
    assert create["changed"] is True
    assert create["input_inventories"] == ["East", "West"]
    assert create["limit"] == "shutdown_in_product_dev"
    assert create["source_vars"]["groups"]["shutdown"] == 'resolved_state == "shutdown"'
    assert "plugin" not in create["source_vars"]
    assert res.task("Repeat")["changed"] is False
    new = res.task("New limit and inputs")
    assert new["changed"] is True
    assert new["diff"]["before"]["input_inventories"] == ["East", "West"]
    assert new["diff"]["after"]["input_inventories"] == ["West", "East"]
    assert (new["diff"]["before"]["limit"], new["diff"]["after"]["limit"]) == ("shutdown_in_product_dev", "shutdown")
    assert res.task("Back to the seed")["changed"] is True

    with Store(store_path) as s:
        sources = s.query("SELECT source, name FROM inventory_sources")
    assert sources == [{"source": "constructed", "name": "shutdown-product-dev constructed source"}]

    out = run_inventory(["--list", "--export"], inventory_file_text="plugin: fleet.inventory.constructed\ninventory: shutdown-product-dev\n")
    assert sorted(out["_meta"]["hostvars"]) == ["host2", "host6"]
    assert sorted(out["shutdown_in_product_dev"]["hosts"]) == ["host2", "host6"]
    assert out["_meta"]["hostvars"]["host6"]["awx_inventory_name"] == "West"
    assert out["_meta"]["hostvars"]["host2"]["resolved_state"] == "shutdown"


def test_seed_update_through_update_inventory_sources_materializes_hosts(run_playbook, run_inventory, store_path):
    res = run_playbook(SEED_INPUTS + "    - name: Constructed\n" + CONSTRUCTED_TASK + """\
    - name: Update
      fleet.inventory.update_inventory_sources:
        inventory: shutdown-product-dev
    - name: Hosts of the constructed inventory
      fleet.inventory.host_info:
        host_filter: inventory__name=shutdown-product-dev
""")
    update = res.task("Update")
    assert update["changed"] is True
    assert update["inventory_updates"][0]["update_status"] == "successful", update
    names = sorted(h["name"] for h in res.task("Hosts of the constructed inventory")["hosts"])
    assert names == ["host2", "host6"]
    with Store(store_path) as s:
        hosts = {h["name"]: h for h in s.list_hosts("shutdown-product-dev")}
        assert hosts["host2"]["instance_id"] == str(s.get_host("East", "host2")["id"])


BAD = [
    ("unknown input", "input_inventories: [East, nope]", "input_inventories: inventory 'nope' does not exist"),
    ("itself", "input_inventories: [East]\n        name: East", None),
    ("options on a normal inventory", "limit: web", None),
    ("bad source_vars", "source_vars: {compose: [1]}", "source_vars: compose must be a mapping of names to Jinja expressions, not list"),
    ("unknown option", "source_vars: 'keyed: []'", "source_vars: unknown option 'keyed'; a constructed inventory takes compose, groups,"
     " keyed_groups, strict, leading_separator, use_vars_plugins"),
]


def test_bad_input_fails_with_the_message_and_writes_nothing(run_playbook, store_path):
    run_playbook(SEED_INPUTS + "    - name: Smart\n      fleet.inventory.inventory: {name: smarty, kind: smart, host_filter: name=host1}\n")
    cases = [
        ("input_inventories: [East, nope]", "kind: constructed", "input_inventories: inventory 'nope' does not exist"),
        ("input_inventories: [East, smarty]", "kind: constructed",
         "input_inventories: inventory 'smarty' is a smart inventory; only normal inventories can be inputs of a constructed inventory"),
        ("source_vars: {compose: [1]}", "kind: constructed",
         "source_vars: compose must be a mapping of names to Jinja expressions, not list"),
        ("source_vars: 'keyed: []'", "kind: constructed",
         "source_vars: unknown option 'keyed'; a constructed inventory takes compose, groups, keyed_groups, strict,"
         " leading_separator, use_vars_plugins"),
        ("limit: web", "", "inventory 'built' is a normal inventory: limit only applies to constructed inventories"),
    ]
    tasks = HEAD
    for index, (option, kind, _msg) in enumerate(cases):
        tasks += """\
    - name: Bad {index}
      fleet.inventory.inventory:
        name: built
        {kind}
        {option}
      ignore_errors: true
""".format(index=index, kind=kind or "description: x", option=option)
    before = dump(store_path)
    res = run_playbook(tasks)
    for index, (_option, _kind, msg) in enumerate(cases):
        result = res.task("Bad %d" % index)
        assert result.get("failed") is True, result
        assert result["msg"] == msg
        assert "Traceback" not in json.dumps(result)
    assert dump(store_path) == before


PLUGIN_ERRORS = [
    ("inventory: shutdown-product-dev\ninput_inventories: [East]\n",
     "give either 'inventory' (a stored constructed inventory) or 'input_inventories', not both"),
    ("inventory: nope\n", "inventory 'nope' does not exist"),
    ("inventory: East\n", "expected a constructed inventory: inventory 'East' is a normal inventory"),
    ("inventory: shutdown-product-dev\nlimit: all\n", "'limit' cannot be combined with 'inventory'"),
    ("{}\n", "one of 'inventory' (a stored constructed inventory) or 'input_inventories' is required"),
    ("input_inventories: [East]\nlimit: nothing_here\n", "limit 'nothing_here' matches no host of the input inventories"),
    ("input_inventories: [East, Nope]\n", "input_inventories: inventory 'Nope' does not exist"),
    ("input_inventories: [East]\ncompose: {x: 1}\nkeyed_groups: [{prefix: a}]\n", "keyed_groups[0] needs a 'key'"),
]


@pytest.mark.parametrize("body, message", PLUGIN_ERRORS, ids=[str(i) for i in range(len(PLUGIN_ERRORS))])
def test_plugin_errors_name_the_file_and_the_problem(run_playbook, run_inventory, store_path, body, message, ansible_env):
    with Store(store_path) as s:
        s.save_inventory("East")
        s.save_host("East", "host1")
        s.save_inventory("shutdown-product-dev", kind="constructed", input_inventories=["East"])
    ansible_env["ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"] = "1"
    proc = run_inventory(["--list"], inventory_file_text="plugin: fleet.inventory.constructed\n" + (body if body != "{}\n" else ""),
                         expect_rc=1)
    assert message in proc.stderr
    assert "inventory.yml" in proc.stderr


def test_plugin_inventory_cache(run_inventory, store_path, ansible_env, tmp_path):
    """With cache on, a second read uses the cached inputs; --flush-cache reads the store again."""
    with Store(store_path) as s:
        s.save_inventory("East")
        s.save_host("East", "host1", variables={"state": "shutdown"})
        s.set_facts(s.get_host("East", "host1")["id"], {"ansible_distribution": "Debian"})
    text = """\
plugin: fleet.inventory.constructed
input_inventories: [East]
keyed_groups: [{prefix: distro, key: ansible_distribution}]
groups: {down: state == "shutdown"}
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: %s
""" % (tmp_path / "inv-cache")
    first = run_inventory(["--list"], inventory_file_text=text)
    assert first["distro_Debian"]["hosts"] == ["host1"] and first["down"]["hosts"] == ["host1"]
    with Store(store_path) as s:
        s.save_host("East", "host2", variables={"state": "shutdown"})
    cached = run_inventory(["--list"], inventory_file_text=text)
    assert cached["down"]["hosts"] == ["host1"]
    flushed = run_inventory(["--list", "--flush-cache"], inventory_file_text=text)
    assert sorted(flushed["down"]["hosts"]) == ["host1", "host2"]
