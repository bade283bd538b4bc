"""AWX's own module ``awx.awx.inventory_source_update`` (``wait: true``) updates sources of the service.

A real ``ansible-playbook`` run with ``controller_host`` pointed at a real service process (plain http,
``validate_certs: false``) and a write token: awx.awx looks the inventory and the source up by name
(``?name=`` and ``or__id``), POSTs ``related.update``, polls the update's ``url`` until it is finished and
reports ``changed``/``id``/``status``; an update that fails is reported as a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import awx_collection
from service_paths import COLLECTIONS_ROOT
from git_repo import Repo

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: update a source through AWX's module
      awx.awx.inventory_source_update:
        name: "{{ source }}"
        inventory: "{{ inventory }}"
        wait: true
        interval: 0.5
        timeout: 120
        controller_host: "{{ host }}"
        controller_oauthtoken: "{{ token }}"
        validate_certs: false
      register: result
      ignore_errors: true
    - name: show the result
      ansible.builtin.copy:
        content: "{{ result | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
"""


@pytest.fixture(scope="module")
def awx():
    return awx_collection.ensure()


@pytest.fixture
def store(prod_store, tmp_path, monkeypatch):
    monkeypatch.setenv("FLEET_INVENTORY_SCM_SANDBOX", "off")
    s = prod_store
    repo = Repo(tmp_path / "git")
    repo.write("hosts.ini", "[web]\nweb1\nweb2\n")
    repo.commit("first")
    P.save_project(s, "infra", scm_url=repo.url, scm_branch="main")
    S.save_source(s, "prod", "git", source="scm", source_project="infra", source_path="hosts.ini", update_project=False)
    S.save_source(s, "prod", "broken", source="scm", source_project="infra", source_path="missing.ini", update_project=False)
    return s


@pytest.fixture
def service(store, start_service, tmp_path):
    target = getattr(store, "connect_target", None) or store.target
    return start_service(target, workers=1, env={"FLEET_INVENTORY_PROJECTS_ROOT": str(tmp_path / "projects"),
                                                 "FLEET_INVENTORY_SCM_SANDBOX": "off"})


def run_update(awx, service, token, tmp_path, source, inventory="prod"):
    """``awx.awx.inventory_source_update`` in a real playbook run: the registered result."""
    playbook = tmp_path / "update.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / ("result-%s.json" % source)
    extra = {"host": service.url, "token": token, "source": source, "inventory": inventory, "out": str(out)}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (awx, COLLECTIONS_ROOT), ANSIBLE_DEPRECATION_WARNINGS="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    for key in ("CONTROLLER_HOST", "TOWER_HOST", "CONTROLLER_OAUTH_TOKEN", "TOWER_OAUTH_TOKEN"):
        env.pop(key, None)
    proc = subprocess.run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(playbook), "-e", json.dumps(extra)],
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def test_inventory_source_update_waits_and_reports_success(awx, store, service, tmp_path):
    token = service.token("ci", roles=[("update", "inventory", "prod"), ("update", "project", "infra")])
    result = run_update(awx, service, token, tmp_path, "git")
    assert result.get("failed") is not True, result
    assert result["changed"] is True and result["status"] == "successful", result
    rec = service.get("/api/v2/inventory_updates/%d/" % result["id"], token=token).json()
    assert rec["status"] == "successful" and rec["failed"] is False and rec["inventory_source"] == S.get_source(store, "prod", "git")["id"]
    assert sorted(h["name"] for h in store.list_hosts("prod")) == ["web1", "web2"]


def test_inventory_source_update_reports_a_failed_update(awx, store, service, tmp_path):
    token = service.token("ci", roles=[("update", "inventory", "prod"), ("update", "project", "infra")])
    result = run_update(awx, service, token, tmp_path, "broken")
    assert result["failed"] is True and result["changed"] is True, result
    assert result["status"] == "failed" and result["msg"].endswith(", failed"), result
    assert result["job_data"]["failed"] is True and result["job_data"]["summary_fields"]["inventory_source"]["name"] == "broken"
    assert service.get("/api/v2/inventory_updates/%d/" % result["id"], token=token).json()["status"] == "failed"


def test_inventory_source_update_by_id_and_unknown_names(awx, store, service, tmp_path):
    token = service.token("ci", roles=[("update", "inventory", "prod"), ("update", "project", "infra")])
    inv_id = store.get_inventory("prod")["id"]
    src_id = S.get_source(store, "prod", "git")["id"]
    result = run_update(awx, service, token, tmp_path, str(src_id), inventory=str(inv_id))
    assert result["status"] == "successful", result
    missing = run_update(awx, service, token, tmp_path, "nope")
    assert missing["failed"] is True and "not found" in missing["msg"], missing
