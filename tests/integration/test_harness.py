"""Prove the integration fixtures work, using ansible.builtin things only."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from backends import BACKEND

PLAYBOOK = """\
- name: Harness check
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Set a fact
      ansible.builtin.set_fact:
        answer: 42

    - name: Echo extra var and interpreter
      ansible.builtin.debug:
        msg: "{{ greeting | default('none') }} from {{ ansible_playbook_python }}"

    - name: Run a module on localhost
      ansible.builtin.command: "{{ ansible_python_interpreter | default('python3') }} -c 'import sys; print(sys.executable)'"
      changed_when: false

    - name: Write a file
      ansible.builtin.copy:
        dest: "{{ target }}"
        content: "hello\\n"
        mode: "0644"
"""


def test_playbook_results(run_playbook, tmp_path):
    target = tmp_path / "out.txt"
    res = run_playbook(PLAYBOOK, extra_vars={"greeting": "hi", "target": str(target)})
    assert res.returncode == 0
    assert res.task_names() == ["Set a fact", "Echo extra var and interpreter", "Run a module on localhost", "Write a file"]

    fact = res.task("Set a fact")
    assert fact["changed"] is False
    assert fact["ansible_facts"]["answer"] == 42

    assert res.task("Echo extra var and interpreter")["msg"].startswith("hi from ")
    # the module ran with the venv's interpreter, not a pyenv shim (which exits 127)
    cmd = res.task("Run a module on localhost")
    assert cmd["rc"] == 0
    assert Path(cmd["stdout"].strip()).parent == Path(sys.executable).parent

    assert res.task("Write a file")["changed"] is True
    assert target.read_text() == "hello\n"
    assert res.stats["localhost"]["failures"] == 0
    assert res.stats["localhost"]["changed"] == 1


def test_playbook_check_diff_and_failure(run_playbook, tmp_path):
    target = tmp_path / "never.txt"
    res = run_playbook(PLAYBOOK, extra_vars={"target": str(target)}, check=True, diff=True)
    assert res.task("Write a file")["changed"] is True
    assert not target.exists()

    failing = run_playbook(
        """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Boom
      ansible.builtin.fail:
        msg: expected failure
""",
        expect_rc=2,
    )
    boom = failing.task("Boom")
    assert boom["failed"] is True
    assert boom["msg"] == "expected failure"


def test_playbook_from_python_structure(run_playbook):
    res = run_playbook(
        [{"hosts": "localhost", "gather_facts": False,
          "tasks": [{"name": "Assert", "ansible.builtin.assert": {"that": ["1 + 1 == 2"]}}]}]
    )
    assert res.task("Assert")["changed"] is False


def test_ansible_env(ansible_env, tmp_path):
    if BACKEND == "postgresql":
        assert ansible_env["FLEET_INVENTORY_STORE"].startswith("postgresql://")
    else:
        store = Path(ansible_env["FLEET_INVENTORY_STORE"])
        assert store.parent == tmp_path
        sqlite3.connect(store).close()  # a usable per-test path
    assert ansible_env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] == "1"
    coll = Path(ansible_env["ANSIBLE_COLLECTIONS_PATH"]) / "ansible_collections" / "fleet" / "inventory"
    assert (coll / "galaxy.yml").is_file()


STATIC = """\
all:
  children:
    web:
      hosts:
        web1:
          http_port: 8080
        web2: {}
      vars:
        tier: frontend
    db:
      hosts:
        db1:
          tags: [a, b]
"""


def test_inventory_list_graph_host(run_inventory):
    data = run_inventory("--list", STATIC)
    assert sorted(data["web"]["hosts"]) == ["web1", "web2"]
    assert data["db"]["hosts"] == ["db1"]
    hostvars = data["_meta"]["hostvars"]
    # strings come back as plain str, not {"__ansible_unsafe": ...}
    assert hostvars["web1"] == {"http_port": 8080, "tier": "frontend"}
    assert hostvars["db1"]["tags"] == ["a", "b"]

    graph = run_inventory(["--graph"], STATIC)
    assert "@web:" in graph and "web2" in graph

    host = run_inventory(["--host", "web2"], STATIC)
    assert host == {"tier": "frontend"}

    as_yaml = run_inventory("--list --yaml", STATIC)
    assert "web1" in as_yaml["all"]["children"]["web"]["hosts"]


def test_inventory_unparsable_fails(run_inventory):
    proc = run_inventory("--list", "all: [this is: not an inventory", inventory_filename="broken.yml", expect_rc=1)
    assert proc.returncode == 1
    assert run_inventory.last is proc
