"""The modules run as action plugins inside the controller's Ansible process.

Nothing is sent to a play's hosts: a play over remote hosts that do not exist
(documentation addresses, an interpreter path that does not exist, a short
connection timeout) stores each host with its facts in the controller's store.
The old form (``connection: local``, ``delegate_to: localhost`` and the
interpreter variable) keeps working.
"""

from __future__ import annotations

from scaffolding import dump, play

REMOTE_INVENTORY = """\
[web]
web1 ansible_host=192.0.2.1
web2 ansible_host=192.0.2.2

[web:vars]
ansible_python_interpreter=/nonexistent/bin/python3
"""

NO_CONNECTION = {"ANSIBLE_TIMEOUT": "2", "ANSIBLE_PYTHON_INTERPRETER": "/nonexistent/bin/python3"}

PER_HOST = """\
- name: Remote hosts, never contacted
  hosts: web
  gather_facts: false
  tasks:
    - name: Inventory
      fleet.inventory.inventory:
        name: prod
      run_once: true
    - name: Host
      fleet.inventory.host:
        name: "{{ inventory_hostname }}"
        inventory: prod
        variables:
          address: "{{ ansible_host }}"
    - name: Facts
      fleet.inventory.host_facts:
        host: "{{ inventory_hostname }}"
        inventory: prod
        facts:
          role: web
          address: "{{ ansible_host }}"
"""

SEARCH = play("""\
    - name: Search
      fleet.inventory.host_info:
        inventory: prod
        host_filter: ansible_facts__role=web
        facts: true
""")


def test_play_over_unreachable_hosts_stores_their_facts(run_playbook, tmp_path):
    inventory = tmp_path / "remote.ini"
    inventory.write_text(REMOTE_INVENTORY)
    res = run_playbook(PER_HOST, inventory=inventory, connection=None, env=NO_CONNECTION)
    for host, address in (("web1", "192.0.2.1"), ("web2", "192.0.2.2")):
        assert res.task("Host", host=host)["changed"] is True
        facts = res.task("Facts", host=host)
        assert facts["changed"] is True and not facts.get("unreachable"), facts
    assert res.stats["web1"]["unreachable"] == 0 and res.stats["web2"]["unreachable"] == 0

    found = run_playbook(SEARCH).task("Search")
    hosts = {h["name"]: h for h in found["hosts"]}
    assert sorted(hosts) == ["web1", "web2"]
    assert hosts["web1"]["ansible_facts"] == {"role": "web", "address": "192.0.2.1"}
    assert hosts["web2"]["ansible_facts"] == {"role": "web", "address": "192.0.2.2"}

    again = run_playbook(PER_HOST, inventory=inventory, connection=None, env=NO_CONNECTION)
    assert not any(again.task(name, host=h)["changed"] for name in ("Host", "Facts") for h in ("web1", "web2"))


def test_check_mode_and_diff_through_the_action_plugin_on_remote_hosts(run_playbook, tmp_path, ansible_env):
    inventory = tmp_path / "remote.ini"
    inventory.write_text(REMOTE_INVENTORY)
    run_playbook(play("""\
    - name: Inventory
      fleet.inventory.inventory:
        name: prod
"""))
    before = dump(ansible_env["FLEET_INVENTORY_STORE"])
    host_only = PER_HOST.split("    - name: Facts", maxsplit=1)[0]
    res = run_playbook(host_only, inventory=inventory, connection=None,
                       env=NO_CONNECTION, check=True, diff=True)
    host = res.task("Host", host="web1")
    assert host["changed"] is True
    assert host["diff"]["before"] == {} and host["diff"]["after"]["name"] == "web1"
    assert dump(ansible_env["FLEET_INVENTORY_STORE"]) == before


def test_bad_arguments_fail_with_the_modules_message(run_playbook, tmp_path):
    inventory = tmp_path / "remote.ini"
    inventory.write_text(REMOTE_INVENTORY)
    res = run_playbook("""\
- name: Bad
  hosts: web1
  gather_facts: false
  tasks:
    - name: Bad task
      fleet.inventory.host_facts:
        host: web1
        inventory: prod
        nonsense: 1
""", inventory=inventory, connection=None, env=NO_CONNECTION, expect_rc=2)
    out = res.task("Bad task", host="web1")
    assert out["failed"] is True
    assert out["msg"] == "Unsupported parameters for (host_facts) module: nonsense. Supported parameters include: " \
        "facts, facts_dir, host, inventory, merge, state, store, strict."


def test_old_form_with_connection_local_still_works(run_playbook, tmp_path):
    inventory = tmp_path / "remote.ini"
    inventory.write_text(REMOTE_INVENTORY)
    old = """\
- name: The old form
  hosts: web
  gather_facts: false
  tasks:
    - name: Inventory
      fleet.inventory.inventory:
        name: prod
      run_once: true
      connection: local
      vars:
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
    - name: Host
      fleet.inventory.host:
        name: "{{ inventory_hostname }}"
        inventory: prod
      delegate_to: localhost
      vars:
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
    - name: Facts
      fleet.inventory.host_facts:
        host: "{{ inventory_hostname }}"
        inventory: prod
        facts:
          role: web
          address: "{{ ansible_host }}"
      connection: local
      vars:
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""
    res = run_playbook(old, inventory=inventory, connection=None, env={"ANSIBLE_TIMEOUT": "2"})
    assert res.task("Host", host="web1")["changed"] and res.task("Facts", host="web2")["changed"]
    hosts = {h["name"]: h for h in run_playbook(SEARCH).task("Search")["hosts"]}
    assert hosts["web2"]["ansible_facts"] == {"role": "web", "address": "192.0.2.2"}
