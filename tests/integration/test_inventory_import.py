# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""fleet.inventory.inventory_import driven by ansible-playbook (uses tests/integration/conftest.py)."""

from __future__ import annotations

import scaffolding

SOURCE = """\
all:
  vars:
    site: lab
  children:
    web:
      vars:
        http_port: 80
      hosts:
        web1: {ansible_host: 10.0.0.1, power: {state: "on"}}
        web2: {ansible_host: 10.0.0.2, power: {state: "off"}}
      children:
        web_eu:
          hosts:
            web3: {}
    db:
      hosts:
        db1: {}
"""

IMPORT_TASK = """\
      fleet.inventory.inventory_import:
        inventory: imported
        source: "{{ source }}"
        overwrite: true
        enabled_var: power.state
        enabled_value: "on"
"""


def _rows(store, sql):
    return scaffolding.rows(store, sql)


def test_check_mode_reports_and_writes_nothing(run_playbook, ansible_env, tmp_path):
    source = tmp_path / "source.yml"
    source.write_text(SOURCE)
    playbook = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Preview
      fleet.inventory.inventory_import:
        inventory: imported
        source: "{{ source }}"
        create_inventory: true
"""
    res = run_playbook(playbook, extra_vars={"source": str(source)}, check=True, diff=True)
    out = res.task("Preview")
    assert out["changed"] is True
    assert out["hosts"] == {"added": 4, "updated": 0, "removed": 0, "unchanged": 0}
    assert out["groups"] == {"added": 3, "updated": 0, "removed": 0, "unchanged": 0}
    assert out["total_hosts"] == 4 and out["total_groups"] == 3
    assert out["diff"]["before"] == {"hosts": [], "groups": []}
    assert out["diff"]["after"] == {"hosts": ["db1", "web1", "web2", "web3"], "groups": ["db", "web", "web_eu"]}
    store = ansible_env["FLEET_INVENTORY_STORE"]
    assert _rows(store, "SELECT name FROM inventories") == []
    assert _rows(store, "SELECT name FROM hosts") == []


def test_import_idempotent_and_failures(run_playbook, tmp_path, ansible_env):
    source = tmp_path / "source.yml"
    source.write_text(SOURCE)
    broken = tmp_path / "broken.ini"
    broken.write_text("[web\nweb1\n")
    playbook = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Missing inventory
      fleet.inventory.inventory_import:
        inventory: imported
        source: "{{ source }}"
      ignore_errors: true

    - name: Create the inventory
      fleet.inventory.inventory:
        name: imported

    - name: Import
%(task)s
    - name: Import again
%(task)s
    - name: Import a broken source
      fleet.inventory.inventory_import:
        inventory: imported
        source: "{{ broken }}"
        overwrite: true
      ignore_errors: true

    - name: Import a missing source
      fleet.inventory.inventory_import:
        inventory: imported
        source: "{{ source }}.missing"
        overwrite: true
      ignore_errors: true
""" % {"task": IMPORT_TASK}
    res = run_playbook(playbook, extra_vars={"source": str(source), "broken": str(broken)})

    missing = res.task("Missing inventory")
    assert missing.get("failed") is True
    assert "inventory 'imported' does not exist" in missing["msg"] and "create_inventory" in missing["msg"]

    first = res.task("Import")
    assert first["changed"] is True
    assert first["hosts"]["added"] == 4 and first["groups"]["added"] == 3
    assert first["inventory_variables_changed"] is True

    again = res.task("Import again")
    assert again["changed"] is False
    assert again["hosts"] == {"added": 0, "updated": 0, "removed": 0, "unchanged": 4}

    bad = res.task("Import a broken source")
    assert bad.get("failed") is True
    assert str(broken) in bad["msg"] and "ini" in bad["msg"]

    gone = res.task("Import a missing source")
    assert gone.get("failed") is True and "no such file or directory" in gone["msg"]

    store = ansible_env["FLEET_INVENTORY_STORE"]
    rows = dict(_rows(store, "SELECT name, enabled FROM hosts"))
    assert rows == {"db1": 1, "web1": 1, "web2": 0, "web3": 1}
    assert sorted(r[0] for r in _rows(store, "SELECT name FROM groups")) == ["db", "web", "web_eu"]
