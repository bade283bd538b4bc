"""fleet.inventory.host_info's options variables and smart_inventories, run by ansible-playbook."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import smart
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from scaffolding import dump, play


@pytest.fixture
def store_path(ansible_env) -> str:
    return ansible_env["FLEET_INVENTORY_STORE"]


@pytest.fixture
def db(store_path):
    s = Store(store_path)
    yield s
    s.close()


@pytest.fixture
def seeded(db):
    """web1 in prod and stage (prod's has the lower id), web2 in prod; smart inventories webs, front, broken."""
    for inv in ("prod", "stage"):
        db.save_inventory(inv)
        db.save_group(inv, "web")
    db.save_host("prod", "web1", groups=["web"], variables={"ansible_host": "10.0.0.1"})
    db.save_host("prod", "web2", groups=["web"], variables={"tier": "front"})
    db.save_host("stage", "web1", groups=["web"], variables={"tier": "front"})
    db.save_inventory("webs", kind="smart", host_filter="groups__name=web")
    db.save_inventory("front", kind="smart", host_filter="variables__tier=front")
    db.save_inventory("broken", kind="smart", host_filter="name=web2")
    with db.transaction():  # a stored filter this collection no longer parses (an older release, a hand edit)
        db.execute("UPDATE inventories SET host_filter = ? WHERE name = ?", ("name=web2 and (", "broken"))
    return db


OPTIONS = play("""\
    - name: Defaults
      fleet.inventory.host_info:
        host_filter: name__startswith=web
    - name: Without variables, with smart inventories
      fleet.inventory.host_info:
        host_filter: name__startswith=web
        variables: false
        smart_inventories: true
      register: found
    - name: The registered result is usable
      ansible.builtin.assert:
        that:
          - found.hosts | map(attribute='smart_inventories') | map('length') | list == [1, 1, 2]
""")


def test_variables_and_smart_inventories(run_playbook, seeded, store_path):
    ids = {(h["inventory"], h["name"]): h["id"] for h in seeded.search_hosts("name__startswith=web")}
    webs, front = seeded.get_inventory("webs")["id"], seeded.get_inventory("front")["id"]
    for check in (False, True):
        before = dump(store_path)
        res = run_playbook(OPTIONS, check=check)
        assert dump(store_path) == before
        default = res.task("Defaults")["hosts"]
        assert [h["variables"] for h in default] == [{"ansible_host": "10.0.0.1"}, {"tier": "front"}, {"tier": "front"}]
        assert all("smart_inventories" not in h for h in default)
        assert not res.task("Defaults").get("warnings")
        found = res.task("Without variables, with smart inventories")
        assert set(found["hosts"][0]) == {"id", "name", "inventory", "inventory_id", "description", "enabled", "instance_id",
                                          "ansible_facts_modified", "created", "modified", "smart_inventories"}
        # one host per name: stage/web1 matches 'webs' too, but prod/web1 is the web1 'webs' lists
        assert {(h["inventory"], h["name"]): h["smart_inventories"] for h in found["hosts"]} == {
            ("prod", "web1"): [{"id": webs, "name": "webs"}],
            ("stage", "web1"): [{"id": front, "name": "front"}],
            ("prod", "web2"): [{"id": webs, "name": "webs"}, {"id": front, "name": "front"}],
        }
        assert len(found["warnings"]) == 1 and "smart inventory 'broken'" in found["warnings"][0]
        # the module and the engine function agree
        memberships = smart.smart_inventories_for_hosts(seeded, list(ids.values()))
        assert {key: [i["id"] for i in h["smart_inventories"]] for key, h in
                (((h["inventory"], h["name"]), h) for h in found["hosts"])} == {key: memberships[i] for key, i in ids.items()}
