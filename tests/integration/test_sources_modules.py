"""The inventory_source module, run by ansible-playbook (fixtures in tests/integration/conftest.py).

Each bad input has a test that asserts the message and that nothing was written to the store.
Projects are made with the engine (helper B's projects module) over real git repositories.
"""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from git_repo import make_repo
from scaffolding import dump, failed_msg, play


@pytest.fixture
def store_path(ansible_env, tmp_path) -> str:
    path = ansible_env["FLEET_INVENTORY_STORE"]
    url = make_repo(tmp_path / "git", {"inventories/prod/hosts.ini": "[web]\nweb1\nweb2\n",
                                       "inventories/prod/group_vars/web.yml": "http_port: 80\n"})
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects

    with Store(path) as s:
        s.save_inventory("prod")
        s.save_inventory("dynamic", kind="smart", host_filter="name__startswith=web")
        projects.save_project(s, "infra", scm_url=url, scm_branch="main")
    return path


LIFECYCLE = play("""\
    - name: Preview
      fleet.inventory.inventory_source:
        name: git
        inventory: prod
        source: scm
        source_project: infra
        source_path: inventories/prod
      check_mode: true
      diff: true
    - name: Create
      fleet.inventory.inventory_source:
        name: git
        inventory: prod
        source: scm
        source_project: infra
        source_path: inventories/prod
        source_vars: "SITE: par1\\n"
      diff: true
    - name: Repeat
      fleet.inventory.inventory_source:
        name: git
        inventory: prod
        source: scm
        source_project: infra
        source_path: ./inventories/prod/
        source_vars: {SITE: par1}
    - name: Change
      fleet.inventory.inventory_source:
        name: git
        inventory: prod
        overwrite: true
        update_cache_timeout: 300
      diff: true
    - name: Delete in check mode
      fleet.inventory.inventory_source:
        name: git
        inventory: prod
        state: absent
      check_mode: true
    - name: Delete
      fleet.inventory.inventory_source:
        name: git
        inventory: prod
        state: absent
    - name: Delete again
      fleet.inventory.inventory_source:
        name: git
        inventory: prod
        state: absent
""")


def test_lifecycle(run_playbook, store_path):
    res = run_playbook(LIFECYCLE)
    preview = res.task("Preview")
    assert preview["changed"] is True and preview["diff"]["before"] == {}
    assert preview["inventory_source"]["overwrite_vars"] is True
    created = res.task("Create")
    assert created["changed"] is True
    src = created["inventory_source"]
    assert (src["source"], src["source_project"], src["source_path"], src["source_vars"]) == (
        "scm", "infra", "inventories/prod", {"SITE": "par1"})
    assert "project_update" not in created  # no update_on_project_update: nothing runs
    assert res.task("Repeat")["changed"] is False
    change = res.task("Change")
    assert change["changed"] is True
    assert change["diff"]["before"]["overwrite"] is False and change["diff"]["after"]["overwrite"] is True
    assert change["inventory_source"]["update_cache_timeout"] == 300
    assert res.task("Delete in check mode")["changed"] is True
    assert res.task("Delete")["changed"] is True
    assert res.task("Delete again")["changed"] is False
    with Store(store_path) as s:
        assert s.query("SELECT * FROM inventory_sources") == []


def test_exclusive_scm_source_updates_its_project_at_once(run_playbook, store_path):
    res = run_playbook(play("""\
    - name: Create
      fleet.inventory.inventory_source:
        name: git
        inventory: prod
        source: scm
        source_project: infra
        source_path: inventories/prod
        update_on_project_update: true
"""))
    created = res.task("Create")
    assert created["project_update"]["status"] == "successful"
    assert [u["status"] for u in created["project_update"]["inventory_updates"]] == ["successful"]
    assert created["inventory_source"]["scm_last_revision"] == created["project_update"]["scm_revision"]
    assert created["inventory_source"]["status"] == "successful"
    with Store(store_path) as s:
        assert sorted(h["name"] for h in s.list_hosts("prod")) == ["web1", "web2"]


BAD = [
    ("source: scm", "an scm source needs source_project"),
    ("source: scm\n        source_project: infra\n        source_path: /etc/hosts", "not an absolute path"),
    ("source: scm\n        source_project: infra\n        source_path: ../../etc", "escapes the project"),
    ("source: scm\n        source_project: infra\n        overwrite_vars: false", "scm sources must have overwrite_vars=true"),
    ("source: scm\n        source_project: infra\n        update_on_project_update: true\n        update_on_launch: true",
     "Cannot update SCM-based inventory source on launch if set to update on project update"),
    ("source: scm\n        source_project: nope", "project 'nope' does not exist"),
    ("source: constructed", "source 'constructed' is managed by constructed inventories"),
    ("source: amazon.aws.aws_ec2\n        source_path: x.yml", "Cannot set source_path if not SCM type"),
    ("source: file\n        update_on_project_update: true", "update_on_project_update only applies to scm sources"),
    ("source_vars: '[1, 2]'", "source_vars must be a mapping"),
]


@pytest.mark.parametrize("options, message", BAD)
def test_refusals_write_nothing(run_playbook, store_path, options, message):
    before = dump(store_path)
    res = run_playbook(play("""\
    - name: Bad task
      fleet.inventory.inventory_source:
        name: src
        inventory: prod
        %s
      ignore_errors: true
""" % options))
    assert message in failed_msg(res)
    assert dump(store_path) == before


def test_smart_inventories_take_no_sources(run_playbook, store_path):
    before = dump(store_path)
    res = run_playbook(play("""\
    - name: Bad task
      fleet.inventory.inventory_source:
        name: src
        inventory: dynamic
        source: amazon.aws.aws_ec2
      ignore_errors: true
"""))
    assert "cannot create or change inventory sources of smart inventory 'dynamic'" in failed_msg(res)
    assert dump(store_path) == before


def test_second_source_next_to_an_exclusive_one(run_playbook, store_path):
    run_playbook(play("""\
    - name: Exclusive
      fleet.inventory.inventory_source:
        name: git
        inventory: prod
        source: scm
        source_project: infra
        update_on_project_update: true
"""))
    before = dump(store_path)
    res = run_playbook(play("""\
    - name: Bad task
      fleet.inventory.inventory_source:
        name: second
        inventory: prod
        source: amazon.aws.aws_ec2
      ignore_errors: true
"""))
    assert "has the scm source 'git' with update_on_project_update, which must be its only source" in failed_msg(res)
    assert dump(store_path) == before
