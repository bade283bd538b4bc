"""The real modules, run by ansible-playbook (fixtures in tests/integration/conftest.py).

Each scenario is one playbook where possible.  Bad input has a test of its own
that asserts the message and that nothing was written to the store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from scaffolding import dump, failed_msg, play


@pytest.fixture
def store_path(ansible_env) -> str:
    return ansible_env["FLEET_INVENTORY_STORE"]


@pytest.fixture
def db(store_path):
    s = Store(store_path)
    yield s
    s.close()


# ============================================================================ inventory


INVENTORY_LIFECYCLE = play("""\
    - name: Create
      fleet.inventory.inventory:
        name: prod
        description: Production
        variables: "ntp: ntp.example.com\\nports: [80, 443]\\n"
      diff: true
    - name: Repeat
      fleet.inventory.inventory:
        name: prod
        description: Production
        variables: {"ports": [80, 443], "ntp": "ntp.example.com"}
    - name: Repeat with JSON variables and no description
      fleet.inventory.inventory:
        name: prod
        variables: '{"ntp": "ntp.example.com", "ports": [80, 443]}'
    - name: Update
      fleet.inventory.inventory:
        name: prod
        description: Production servers
      diff: true
    - name: Smart
      fleet.inventory.inventory:
        name: web-smart
        kind: smart
        host_filter: groups__name=web
    - name: Smart repeat without kind
      fleet.inventory.inventory:
        name: web-smart
        host_filter: groups__name=web
    - name: Smart new filter
      fleet.inventory.inventory:
        name: web-smart
        host_filter: groups__name=web or name__startswith=web
    - name: Constructed kind is stored
      fleet.inventory.inventory:
        name: combined
        kind: constructed
    - name: Create in check mode
      fleet.inventory.inventory:
        name: ghost
        variables: {a: 1}
      check_mode: true
      diff: true
    - name: Delete in check mode
      fleet.inventory.inventory:
        name: prod
        state: absent
      check_mode: true
    - name: Delete
      fleet.inventory.inventory:
        name: combined
        state: absent
      diff: true
    - name: Delete again
      fleet.inventory.inventory:
        name: combined
        state: absent
""")


def test_inventory_lifecycle(run_playbook, db):
    res = run_playbook(INVENTORY_LIFECYCLE)
    create = res.task("Create")
    assert create["changed"] is True
    assert create["inventory"]["variables"] == {"ntp": "ntp.example.com", "ports": [80, 443]}
    assert create["inventory"]["kind"] == "" and create["id"] == create["inventory"]["id"]
    assert create["diff"]["before"] == {}
    assert create["diff"]["after"]["description"] == "Production"
    assert res.task("Repeat")["changed"] is False
    assert res.task("Repeat with JSON variables and no description")["changed"] is False
    update = res.task("Update")
    assert update["changed"] is True
    assert update["diff"]["before"]["description"] == "Production"
    assert update["diff"]["after"]["description"] == "Production servers"
    assert update["diff"]["after"]["variables"] == update["diff"]["before"]["variables"]
    assert res.task("Smart")["changed"] is True
    assert res.task("Smart")["inventory"]["kind"] == "smart"
    assert res.task("Smart repeat without kind")["changed"] is False
    assert res.task("Smart new filter")["changed"] is True
    assert res.task("Constructed kind is stored")["inventory"]["kind"] == "constructed"
    ghost = res.task("Create in check mode")
    assert ghost["changed"] is True and ghost["diff"]["after"]["variables"] == {"a": 1}
    assert res.task("Delete in check mode")["changed"] is True
    delete = res.task("Delete")
    assert delete["changed"] is True and delete["diff"]["after"] == {}
    assert delete["inventory"]["name"] == "combined"
    assert res.task("Delete again")["changed"] is False
    assert res.task("Delete again")["inventory"] is None

    assert [i["name"] for i in db.list_inventories()] == ["prod", "web-smart"]
    assert db.get_inventory("prod")["description"] == "Production servers"
    assert db.get_inventory("web-smart")["host_filter"] == "groups__name=web or name__startswith=web"


# ============================================================================ hosts and groups


HOSTS_AND_GROUPS = play("""\
    - name: Inventory
      fleet.inventory.inventory:
        name: prod
    - name: Hosts
      fleet.inventory.host:
        name: "{{ item }}"
        inventory: prod
      loop: [web1, web2, db1]
    - name: Groups
      fleet.inventory.group:
        name: "{{ item }}"
        inventory: prod
      loop: [web, db, linux]
    - name: Host with everything
      fleet.inventory.host:
        name: web1
        inventory: prod
        description: Front
        enabled: false
        instance_id: i-123
        variables: "ansible_host: 10.0.0.1"
        groups: [web, linux]
      diff: true
    - name: Host repeat
      fleet.inventory.host:
        name: web1
        inventory: prod
        description: Front
        enabled: false
        instance_id: i-123
        variables: {ansible_host: 10.0.0.1}
        groups: [linux, web]
    - name: Host partial update keeps the rest
      fleet.inventory.host:
        name: web1
        inventory: prod
        enabled: true
    - name: Host groups exact set
      fleet.inventory.host:
        name: web1
        inventory: prod
        groups: [web]
      diff: true
    - name: Group with hosts and children
      fleet.inventory.group:
        name: linux
        inventory: prod
        description: All Linux
        variables: {ntp: pool}
        hosts: [db1]
        children: [web, db]
      diff: true
    - name: Group repeat
      fleet.inventory.group:
        name: linux
        inventory: prod
        hosts: [db1]
        children: [db, web]
    - name: Group preserve existing hosts
      fleet.inventory.group:
        name: web
        inventory: prod
        hosts: [web2]
        preserve_existing_hosts: true
    - name: Group preserve existing children (alias)
      fleet.inventory.group:
        name: db
        inventory: prod
        groups: []
        preserve_existing_groups: true
    - name: Group exact hosts
      fleet.inventory.group:
        name: web
        inventory: prod
        hosts: [web2]
    - name: Delete host in check mode
      fleet.inventory.host:
        name: db1
        inventory: prod
        state: absent
      check_mode: true
      diff: true
    - name: Delete group
      fleet.inventory.group:
        name: db
        inventory: prod
        state: absent
    - name: Delete group again
      fleet.inventory.group:
        name: db
        inventory: prod
        state: absent
    - name: Delete host
      fleet.inventory.host:
        name: web2
        inventory: prod
        state: absent
    - name: Delete host again
      fleet.inventory.host:
        name: web2
        inventory: prod
        state: absent
""")


def test_hosts_and_groups(run_playbook, db):
    res = run_playbook(HOSTS_AND_GROUPS)
    assert [r["changed"] for r in res.task("Hosts")["results"]] == [True, True, True]
    full = res.task("Host with everything")
    assert full["changed"] is True
    assert full["host"]["groups"] == ["linux", "web"] and full["host"]["enabled"] is False
    assert full["diff"]["before"]["groups"] == [] and full["diff"]["after"]["groups"] == ["linux", "web"]
    assert full["diff"]["after"]["variables"] == {"ansible_host": "10.0.0.1"}
    assert res.task("Host repeat")["changed"] is False
    partial = res.task("Host partial update keeps the rest")
    assert partial["changed"] is True
    assert partial["host"]["instance_id"] == "i-123" and partial["host"]["groups"] == ["linux", "web"]
    exact = res.task("Host groups exact set")
    assert exact["diff"]["before"]["groups"] == ["linux", "web"] and exact["diff"]["after"]["groups"] == ["web"]

    grp = res.task("Group with hosts and children")
    assert grp["changed"] is True
    assert grp["group"]["hosts"] == ["db1"] and grp["group"]["children"] == ["db", "web"]
    assert grp["diff"]["before"]["children"] == [] and grp["diff"]["after"]["variables"] == {"ntp": "pool"}
    assert res.task("Group repeat")["changed"] is False
    assert res.task("Group preserve existing hosts")["group"]["hosts"] == ["web1", "web2"]
    assert res.task("Group preserve existing children (alias)")["changed"] is False
    assert res.task("Group exact hosts")["group"]["hosts"] == ["web2"]
    ghost = res.task("Delete host in check mode")
    assert ghost["changed"] is True and ghost["diff"]["after"] == {}
    assert res.task("Delete group")["changed"] is True
    assert res.task("Delete group again")["changed"] is False
    assert res.task("Delete host")["changed"] is True
    assert res.task("Delete host again")["changed"] is False

    assert [h["name"] for h in db.list_hosts("prod")] == ["db1", "web1"]
    assert [g["name"] for g in db.list_groups("prod")] == ["linux", "web"]
    assert db.get_group("prod", "linux")["children"] == ["web"]
    web1 = db.get_host("prod", "web1")
    # "Group exact hosts" took web1 out of web; "Host groups exact set" had taken it out of linux
    assert (web1["description"], web1["enabled"], web1["groups"]) == ("Front", True, [])


SETUP = play("""\
    - name: Inventory
      fleet.inventory.inventory:
        name: prod
        variables: {a: 1}
    - name: Group
      fleet.inventory.group:
        name: web
        inventory: prod
    - name: Host
      fleet.inventory.host:
        name: "{{ item }}"
        inventory: prod
        groups: [web]
      loop: [web1, old]
""")

CHANGES = play("""\
    - name: Change inventory
      fleet.inventory.inventory:
        name: prod
        variables: {a: 2}
    - name: New host
      fleet.inventory.host:
        name: web2
        inventory: prod
    - name: Change group
      fleet.inventory.group:
        name: web
        inventory: prod
        description: changed
        hosts: []
    - name: Unchanged host
      fleet.inventory.host:
        name: web1
        inventory: prod
    - name: Delete host
      fleet.inventory.host:
        name: old
        inventory: prod
        state: absent
    - name: Delete inventory
      fleet.inventory.inventory:
        name: prod
        state: absent
      when: delete_inventory | default(false)
""")


def test_check_and_diff_from_the_command_line(run_playbook, store_path):
    run_playbook(SETUP)
    before = dump(store_path)
    res = run_playbook(CHANGES, check=True, diff=True, extra_vars={"delete_inventory": True})
    assert res.task("Change inventory")["diff"] == {
        "before": {"name": "prod", "description": "", "kind": "", "host_filter": "", "variables": {"a": 1}},
        "after": {"name": "prod", "description": "", "kind": "", "host_filter": "", "variables": {"a": 2}},
    }
    assert res.task("New host")["changed"] is True and res.task("New host")["diff"]["before"] == {}
    change = res.task("Change group")
    assert change["changed"] is True
    assert change["diff"]["before"]["hosts"] == ["old", "web1"] and change["diff"]["after"]["hosts"] == []
    assert res.task("Unchanged host")["changed"] is False
    assert res.task("Delete host")["changed"] is True
    assert res.task("Delete inventory")["changed"] is True
    assert dump(store_path) == before
    # for real, and then a repeat changes nothing
    res = run_playbook(CHANGES)
    assert [t.hosts["localhost"]["changed"] for t in res.tasks] == [True, True, True, False, True, False]
    res = run_playbook(CHANGES)
    assert [t.hosts["localhost"]["changed"] for t in res.tasks] == [False] * 6


# ============================================================================ host_facts


FACTS = play("""\
    - name: Set
      fleet.inventory.host_facts:
        host: web1
        inventory: prod
        facts: {os: Debian, cpu: {cores: 2}}
      diff: true
    - name: Set again
      fleet.inventory.host_facts:
        host: web1
        inventory: prod
        facts: '{"cpu": {"cores": 2}, "os": "Debian"}'
    - name: Merge
      fleet.inventory.host_facts:
        host: web1
        inventory: prod
        facts: "mem: 4096"
      diff: true
    - name: Replace
      fleet.inventory.host_facts:
        host: web1
        inventory: prod
        facts: {os: Ubuntu}
        merge: false
      diff: true
    - name: Every host of the name
      fleet.inventory.host_facts:
        host: web2
        facts: {os: Alpine}
    - name: Check mode
      fleet.inventory.host_facts:
        host: web1
        facts: {os: Gentoo}
      check_mode: true
      diff: true
    - name: Clear
      fleet.inventory.host_facts:
        host: web2
        inventory: staging
        state: absent
    - name: Clear again
      fleet.inventory.host_facts:
        host: web2
        inventory: staging
        state: absent
""")


def test_host_facts(run_playbook, db):
    for inv in ("prod", "staging"):
        db.save_inventory(inv)
        db.save_host(inv, "web2")
    _b, web1 = db.save_host("prod", "web1")
    res = run_playbook(FACTS)

    first = res.task("Set")
    assert first["changed"] is True
    assert first["diff"] == {"before": {"prod/web1": {}}, "after": {"prod/web1": {"os": "Debian", "cpu": {"cores": 2}}}}
    stamp = first["hosts"][0]["ansible_facts_modified"]
    assert stamp and first["hosts"][0]["changed"] is True and first["hosts"][0]["inventory"] == "prod"

    again = res.task("Set again")
    assert again["changed"] is False
    assert again["hosts"][0]["ansible_facts_modified"] == stamp  # no real change: the timestamp stays

    merge = res.task("Merge")
    assert merge["changed"] is True and merge["hosts"][0]["ansible_facts_modified"] > stamp
    assert merge["diff"]["after"]["prod/web1"] == {"os": "Debian", "cpu": {"cores": 2}, "mem": 4096}
    assert res.task("Replace")["diff"]["after"]["prod/web1"] == {"os": "Ubuntu"}

    both = res.task("Every host of the name")
    assert [(h["inventory"], h["changed"]) for h in both["hosts"]] == [("prod", True), ("staging", True)]

    check = res.task("Check mode")
    assert check["changed"] is True and check["diff"]["after"]["prod/web1"] == {"os": "Gentoo"}
    assert res.task("Clear")["changed"] is True
    assert res.task("Clear again")["changed"] is False

    assert db.get_facts(web1["id"]) == {"os": "Ubuntu"}
    assert db.get_facts(db.get_host("prod", "web2")["id"]) == {"os": "Alpine"}
    assert db.get_facts(db.get_host("staging", "web2")["id"]) == {}


GATHER = """\
- name: Gather facts into ansible's jsonfile cache
  hosts: all
  gather_facts: true
  gather_subset: [min]
  tasks:
    - name: A cacheable fact with data tags
      ansible.builtin.set_fact:
        cacheable: true
        app_tier: "{{ 'front' | upper }}"
        app_ports: [80, 443]
        app_since: "{{ '2024-05-01' | to_datetime('%Y-%m-%d') }}"
"""

LOAD = play("""\
    - name: Load
      fleet.inventory.host_facts:
        facts_dir: "{{ facts_dir }}"
        inventory: "{{ inv | default(omit) }}"
        strict: "{{ strict | default(false) }}"
      diff: "{{ show_diff | default(false) }}"
""")


@pytest.fixture
def fact_cache(run_playbook, tmp_path):
    """A real ansible-core jsonfile fact cache for web1, web2 and localhost."""
    cache = tmp_path / "fact-cache"
    run_playbook(GATHER, inventory="web1,web2,localhost,",
                 env={"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache)})
    return cache


def test_facts_dir_from_ansible_jsonfile_cache(run_playbook, db, fact_cache, store_path):
    # ansible-core 2.19+ writes s1_<host> files holding {"__payload__": "<json text>"}
    assert sorted(p.name for p in fact_cache.iterdir()) == ["s1_localhost", "s1_web1", "s1_web2"]
    raw = json.loads((fact_cache / "s1_web1").read_text())
    assert list(raw) == ["__payload__"] and isinstance(raw["__payload__"], str)
    assert "__ansible_type" in raw["__payload__"]  # tagged values, which the module unwraps

    for inv in ("prod", "staging"):
        db.save_inventory(inv)
        db.save_host(inv, "web1")
    db.save_host("prod", "web2")

    # check mode: the counts, nothing written
    before = dump(store_path)
    res = run_playbook(LOAD, extra_vars={"facts_dir": str(fact_cache)}, check=True)
    assert res.task("Load")["counts"] == {"files": 3, "updated": 3, "unchanged": 0, "unknown": 1}
    assert dump(store_path) == before

    res = run_playbook(LOAD, extra_vars={"facts_dir": str(fact_cache)})
    load = res.task("Load")
    assert load["changed"] is True
    assert load["counts"] == {"files": 3, "updated": 3, "unchanged": 0, "unknown": 1}
    assert load["updated_hosts"] == ["web1", "web2"] and load["unknown_hosts"] == ["localhost"]

    facts = db.get_facts(db.get_host("staging", "web1")["id"])
    assert facts["app_tier"] == "FRONT" and facts["app_ports"] == [80, 443]
    assert facts["app_since"] == "2024-05-01T00:00:00"
    assert facts["ansible_system"] == "Linux" and "ansible_hostname" in facts
    stamps = {h["id"]: h["ansible_facts_modified"] for h in db.list_hosts("prod")}

    # the same cache again: nothing changes, ansible_facts_modified stays
    res = run_playbook(LOAD, extra_vars={"facts_dir": str(fact_cache)})
    assert res.task("Load")["changed"] is False
    assert res.task("Load")["counts"] == {"files": 3, "updated": 0, "unchanged": 3, "unknown": 1}
    assert {h["id"]: h["ansible_facts_modified"] for h in db.list_hosts("prod")} == stamps

    # restricted to one inventory; the loaded facts are searchable
    res = run_playbook(LOAD + """\
    - name: Search
      fleet.inventory.host_info:
        host_filter: ansible_facts__app_tier=FRONT and ansible_facts__app_ports[]=443
""", extra_vars={"facts_dir": str(fact_cache), "inv": "staging"})
    assert res.task("Load")["counts"] == {"files": 3, "updated": 0, "unchanged": 1, "unknown": 2}
    assert res.task("Load")["unknown_hosts"] == ["localhost", "web2"]
    assert [(h["inventory"], h["name"]) for h in res.task("Search")["hosts"]] == [
        ("prod", "web1"), ("staging", "web1"), ("prod", "web2")]


def test_facts_dir_plain_files_diff_and_strict(run_playbook, db, tmp_path, store_path):
    db.save_inventory("prod")
    for h in ("db1", "db2", "db3"):
        db.save_host("prod", h)
    facts_dir = tmp_path / "facts"
    facts_dir.mkdir()
    (facts_dir / "db1.json").write_text(json.dumps({"ansible_distribution": "Debian"}))
    (facts_dir / "db2").write_text(json.dumps({"ansible_facts": {"ansible_distribution": "Rocky"}, "changed": False}))
    (facts_dir / "ghost.json").write_text("{}")
    (facts_dir / ".hidden").write_text("not json")
    (facts_dir / "sub").mkdir()
    (facts_dir / "sub" / "db3").write_text("not json either")

    before = dump(store_path)
    res = run_playbook(LOAD, extra_vars={"facts_dir": str(facts_dir), "strict": True}, expect_rc=2)
    assert failed_msg(res, "Load") == "strict: 1 fact file(s) name hosts that are not stored: ghost"
    assert dump(store_path) == before

    res = run_playbook(LOAD, extra_vars={"facts_dir": str(facts_dir), "show_diff": True})
    load = res.task("Load")
    assert load["counts"] == {"files": 3, "updated": 2, "unchanged": 0, "unknown": 1}
    assert load["diff"] == {"before": {"prod/db1": {}, "prod/db2": {}},
                            "after": {"prod/db1": {"ansible_distribution": "Debian"},
                                      "prod/db2": {"ansible_distribution": "Rocky"}}}
    assert db.get_facts(db.get_host("prod", "db2")["id"]) == {"ansible_distribution": "Rocky"}


def test_facts_dir_bad_file_writes_nothing(run_playbook, db, tmp_path, store_path):
    db.save_inventory("prod")
    db.save_host("prod", "db1")
    db.save_host("prod", "db2")
    facts_dir = tmp_path / "facts"
    facts_dir.mkdir()
    (facts_dir / "db1.json").write_text(json.dumps({"a": 1}))
    (facts_dir / "db2.json").write_text("{not json")
    before = dump(store_path)
    res = run_playbook(LOAD, extra_vars={"facts_dir": str(facts_dir)}, expect_rc=2)
    assert failed_msg(res, "Load").startswith("fact file %s cannot be read as JSON: " % (facts_dir / "db2.json"))
    assert dump(store_path) == before

    (facts_dir / "db2.json").write_text("{}")
    (facts_dir / "db2").write_text("{}")
    res = run_playbook(LOAD, extra_vars={"facts_dir": str(facts_dir)}, expect_rc=2)
    assert failed_msg(res, "Load") == "facts for host 'db2' come from two files: %s and %s; keep one" % (
        facts_dir / "db2", facts_dir / "db2.json")
    assert dump(store_path) == before


# ============================================================================ host_info


INFO = play("""\
    - name: By group
      fleet.inventory.host_info:
        host_filter: groups__name=web
    - name: One per name
      fleet.inventory.host_info:
        host_filter: name__startswith=web
        one_per_name: true
    - name: One inventory with facts
      fleet.inventory.host_info:
        host_filter: ansible_facts__os=Debian or name=db1
        inventory: staging
        facts: true
    - name: Nothing matches
      fleet.inventory.host_info:
        host_filter: name=nosuchhost
""")


def test_host_info(run_playbook, db, store_path):
    for inv in ("prod", "staging"):
        db.save_inventory(inv)
        db.save_group(inv, "web")
        for h in ("web1", "web2", "db1"):
            db.save_host(inv, h, groups=["web"] if h.startswith("web") else [], description="%s in %s" % (h, inv))
    db.set_facts(db.get_host("staging", "web1")["id"], {"os": "Debian"})
    db.save_inventory("smart", kind="smart", host_filter="name=web1")

    for check in (False, True):
        before = dump(store_path)
        res = run_playbook(INFO, check=check)
        assert dump(store_path) == before
        assert all(not t.hosts["localhost"]["changed"] for t in res.tasks)
        by_group = res.task("By group")["hosts"]
        assert [(h["name"], h["inventory"]) for h in by_group] == [
            ("web1", "prod"), ("web1", "staging"), ("web2", "prod"), ("web2", "staging")]
        assert set(by_group[0]) == {"id", "name", "inventory", "inventory_id", "description", "enabled", "instance_id",
                                    "variables", "ansible_facts_modified", "created", "modified"}
        assert by_group[0]["description"] == "web1 in prod" and by_group[0]["enabled"] is True
        assert [(h["name"], h["inventory"]) for h in res.task("One per name")["hosts"]] == [("web1", "prod"), ("web2", "prod")]
        one_inv = res.task("One inventory with facts")["hosts"]
        assert [(h["name"], h["ansible_facts"]) for h in one_inv] == [("db1", {}), ("web1", {"os": "Debian"})]
        assert one_inv[1]["ansible_facts_modified"]
        assert res.task("Nothing matches")["hosts"] == []


# ============================================================================ bad input


def bad(task: str) -> str:
    """A playbook whose only task, called 'Bad task', is ``task`` (YAML text indented by 6 spaces)."""
    return play("    - name: Bad task\n" + task)


@pytest.fixture
def seeded(db):
    """prod (normal: web1 in group web, group db), smart (smart)."""
    db.save_inventory("prod", description="Production")
    db.save_group("prod", "web")
    db.save_group("prod", "db")
    db.save_host("prod", "web1", groups=["web"])
    db.save_inventory("smart", kind="smart", host_filter="name=web1")
    return db


def run_bad(run_playbook, store_path, task, **kwargs):
    before = dump(store_path)
    res = run_playbook(bad(task), expect_rc=2, **kwargs)
    assert dump(store_path) == before, "the failed task wrote to the store"
    return failed_msg(res)


def test_host_in_smart_inventory(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host:
        name: web9
        inventory: smart
""")
    assert msg == "cannot add hosts to smart inventory 'smart': its hosts come from its host_filter"


def test_group_in_smart_inventory(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.group:
        name: g
        inventory: smart
""")
    assert msg == "cannot add groups to smart inventory 'smart': its hosts come from its host_filter"


def test_kind_change(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.inventory:
        name: prod
        description: changed too
        kind: smart
        host_filter: name=x
""")
    assert msg == "inventory 'prod' is a normal inventory; kind is set at creation and cannot be changed to smart"
    assert seeded.get_inventory("prod")["description"] == "Production"


def test_smart_inventory_without_host_filter(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.inventory:
        name: smart2
        kind: smart
""")
    assert msg == "smart inventory 'smart2' needs a host_filter"


def test_host_filter_on_normal_inventory(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.inventory:
        name: prod
        host_filter: name=web1
""")
    assert msg == "inventory 'prod' is a normal inventory: host_filter only applies to smart inventories"


def test_malformed_host_filter_on_save(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.inventory:
        name: smart
        host_filter: name=web1 and (groups__name=web
""")
    assert msg.startswith("smart inventory 'smart': host_filter: ")
    assert "column" in msg and "')'" in msg
    assert seeded.get_inventory("smart")["host_filter"] == "name=web1"


def test_malformed_host_filter_in_host_info(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host_info:
        host_filter: name=web1 and
""")
    assert msg == "host_filter: expected a term after 'and', found end of filter at column 14"


def test_unknown_field_in_host_info(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host_info:
        host_filter: colour=blue
""")
    assert msg.startswith("host_filter: ") and "colour" in msg and "column 1" in msg


def test_unknown_inventory(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host:
        name: web9
        inventory: nosuch
""")
    assert msg == "inventory 'nosuch' does not exist in store %s" % store_path


def test_unknown_inventory_in_host_info(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host_info:
        host_filter: name=web1
        inventory: nosuch
""")
    assert msg == "inventory 'nosuch' does not exist in store %s" % store_path


def test_unknown_group_in_groups(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host:
        name: web9
        inventory: prod
        groups: [web, nosuch, alsonot]
""")
    assert msg == "no group named 'nosuch', 'alsonot' in inventory 'prod'"
    assert seeded.get_host("prod", "web9") is None


def test_unknown_host_in_group(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.group:
        name: newgroup
        inventory: prod
        hosts: [web1, web7]
""")
    assert msg == "no host named 'web7' in inventory 'prod'"


def test_group_cycle(run_playbook, store_path, seeded):
    seeded.save_group("prod", "web", children=["db"])
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.group:
        name: db
        inventory: prod
        children: [web]
""")
    assert msg == "group 'db' cannot have 'web' as a child: that would make a cycle"


def test_variables_not_a_mapping(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.inventory:
        name: other
        variables: "[1, 2, 3]"
""")
    assert msg == "variables must be a mapping, got list"


def test_variables_list_value(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host:
        name: web1
        inventory: prod
        variables: [a, b]
""")
    assert msg == "variables must be a mapping or a YAML/JSON string, not list"


def test_facts_not_a_mapping(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host_facts:
        host: web1
        facts: "just text"
""")
    assert msg == "facts must be a mapping, got str"


def test_facts_for_unknown_host(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host_facts:
        host: web9
        facts: {a: 1}
""")
    assert msg == "no host named 'web9' is stored in any inventory"
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.host_facts:
        host: web9
        inventory: prod
        facts: {a: 1}
""")
    assert msg == "host 'web9' does not exist in inventory 'prod'"


def test_host_facts_option_rules(run_playbook, store_path, seeded):
    assert run_bad(run_playbook, store_path, """\
      fleet.inventory.host_facts:
        host: web1
""") == "facts is required to set the facts of host 'web1' (state=absent clears them)"
    assert run_bad(run_playbook, store_path, """\
      fleet.inventory.host_facts:
        facts_dir: /tmp
        state: absent
""") == "state=absent clears the facts of one host; it cannot be used with facts_dir"
    assert "one of the following is required: host, facts_dir" in run_bad(run_playbook, store_path, """\
      fleet.inventory.host_facts:
        facts: {a: 1}
""")


def test_constructed_unknown_input(run_playbook, store_path, seeded):
    msg = run_bad(run_playbook, store_path, """\
      fleet.inventory.inventory:
        name: combined
        kind: constructed
        input_inventories: [prod, nope]
        limit: web
""")
    assert msg == "input_inventories: inventory 'nope' does not exist"
    assert seeded.get_inventory("combined") is None


def test_store_path_under_a_file(run_playbook, tmp_path):
    blocker = tmp_path / "x" / "file.txt"
    blocker.parent.mkdir()
    blocker.write_text("plain file\n")
    res = run_playbook(bad("""\
      fleet.inventory.inventory:
        name: prod
        store: "{{ target }}"
"""), extra_vars={"target": str(blocker / "store.db")}, expect_rc=2)
    msg = failed_msg(res)
    assert msg.startswith("cannot create the directory %s for the store: " % blocker)
    assert blocker.read_text() == "plain file\n"
    assert sorted(p.name for p in blocker.parent.iterdir()) == ["file.txt"]


def test_store_is_not_a_database(run_playbook, ansible_env, tmp_path):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello, I am a text file\n" * 10)
    ansible_env["FLEET_INVENTORY_STORE"] = str(text_file)  # through the environment this time
    res = run_playbook(bad("""\
      fleet.inventory.host:
        name: web1
        inventory: prod
"""), expect_rc=2)
    msg = failed_msg(res)
    assert msg.startswith("store %s is not a SQLite database" % text_file)
    assert text_file.read_text() == "hello, I am a text file\n" * 10
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("notes")) == ["notes.txt"]


# ============================================================================ docs


class _Captured(Exception):
    pass


@pytest.mark.parametrize("module", ["inventory", "host", "group", "host_facts", "host_info"])
def test_docs_match_argument_spec(module):
    """What validate-modules checks first: every option documented with its type, default, choices ..."""
    import importlib

    mod = importlib.import_module("ansible_collections.fleet.inventory.plugins.modules.%s" % module)
    captured = {}

    def fake_module(argument_spec, **kwargs):
        captured.update(argument_spec)
        raise _Captured()

    with pytest.raises(_Captured):
        mod.main(fake_module)  # what the action plugin passes in place of FleetModule

    doc = yaml.safe_load(mod.DOCUMENTATION)
    yaml.safe_load(mod.EXAMPLES)
    yaml.safe_load(mod.RETURN)
    assert doc["version_added"] == "0.1.0" and doc["author"]
    assert doc["extends_documentation_fragment"] == ["fleet.inventory.store"]
    options = dict(doc["options"], store={"type": "str"})  # store comes from the doc fragment
    assert set(options) == set(captured)
    for name, spec in captured.items():
        opt = options[name]
        for key in ("type", "default", "choices", "required", "elements", "aliases"):
            documented = opt.get(key, False if key == "required" else None)
            assert documented == spec.get(key, False if key == "required" else None), (name, key)
    source = Path(mod.__file__).read_text()
    assert max(len(line) for line in source.splitlines()) <= 160
    assert "\nif __name__ == \"__main__\":\n    main()\n" in source
