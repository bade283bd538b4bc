"""AWX's acceptance cases for SCM inventory, with real git repositories and real ansible-inventory runs.

Projects and project updates (plugins/module_utils/rules/projects.py) drive inventory sources and their updates
(sources.py / updates.py); the fleet.inventory.scm inventory plugin serves what they stored or reads a
repository directly.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

import git_repo
from git_repo import git

sources = pytest.importorskip("ansible_collections.fleet.inventory.plugins.module_utils.rules.sources")
updates = pytest.importorskip("ansible_collections.fleet.inventory.plugins.module_utils.rules.updates")


class Repo(git_repo.Repo):
    """A ``git_repo.Repo`` whose files may be written as indented literals (they are dedented)."""

    def write(self, rel, text, mode=None):
        return super().write(rel, textwrap.dedent(text), mode)


SCRIPT = """\
    #!/usr/bin/env python3
    import json, os, sys
    region = os.environ.get("REGION", "none")
    if len(sys.argv) > 1 and sys.argv[1] == "--host":
        print("{}")
    else:
        print(json.dumps({
            "scripted": {"hosts": ["s1", "s2"], "vars": {"region": region}},
            "_meta": {"hostvars": {"s1": {"from_env": os.environ.get("TIER", "unset")}}},
        }))
"""


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path / "git")
    # several inventory files in a directory, with group_vars and host_vars
    r.write("inventories/prod/hosts.ini", """\
        [web]
        web1
        web2
        [db]
        db1
    """)
    r.write("inventories/prod/more.yml", """\
        all:
          children:
            cache:
              hosts:
                cache1:
    """)
    r.write("inventories/prod/group_vars/web.yml", "http_port: 8080\n")
    r.write("inventories/prod/host_vars/db1.yml", "db_role: primary\n")
    r.write("inventories/staging/hosts", "[web]\nstage-web1\n")
    # a script that reads source_vars from its environment
    r.write("scripts/dynamic.py", SCRIPT, mode=0o755)
    r.write("broken/hosts.yml", "all:\n  hosts: [unclosed\n")
    r.commit("first")
    return r


@pytest.fixture
def db(tmp_path, monkeypatch, store_target):
    monkeypatch.delenv(P.ENV_PROJECTS_ROOT, raising=False)
    monkeypatch.setenv("ANSIBLE_INVENTORY_UNPARSED_FAILED", "1")
    if store_target.startswith("postgresql://"):  # no store directory: the root a node configures
        monkeypatch.setenv(P.ENV_PROJECTS_ROOT, str(tmp_path / "projects"))
    s = Store(store_target)
    yield s
    s.close()


def host_names(db, inventory):
    return sorted(h["name"] for h in db.list_hosts(inventory))


def new_source(db, inventory, name="from-git", **fields):
    if db.get_inventory(inventory) is None:
        db.save_inventory(inventory)
    fields.setdefault("source", "scm")
    fields.setdefault("source_project", "proj")
    return sources.save_source(db, inventory, name, **fields)[1]


def listed_hosts(out):
    """Every host of an ``ansible-inventory --list`` document (``_meta.hostvars`` only lists hosts with vars)."""
    return sorted({h for group in out.values() if isinstance(group, dict) for h in group.get("hosts") or ()})


def run(db, inventory, name="from-git"):
    return updates.run_source_update(db, sources.require_source(db, inventory, name))


# --------------------------------------------------------------------------- AWX's SCM acceptance cases


def test_directory_with_several_files_group_vars_and_host_vars(db, repo):
    P.save_project(db, "proj", scm_url=repo.url)
    new_source(db, "prod", source_path="inventories/prod", overwrite=True)
    rec = run(db, "prod")
    assert rec["status"] == "successful", rec["result_stdout"]
    assert rec["scm_revision"] == git("rev-parse", "HEAD", cwd=repo.work)
    assert host_names(db, "prod") == ["cache1", "db1", "web1", "web2"]
    assert db.get_group("prod", "web")["variables"] == {"http_port": 8080}
    assert db.get_host("prod", "db1")["variables"] == {"db_role": "primary"}


def test_project_with_a_script_reading_source_vars(db, repo):
    P.save_project(db, "proj", scm_url=repo.url)
    P.update_project(db, "proj")
    assert "scripts/dynamic.py" in P.require_project(db, "proj")["inventory_files"]
    new_source(db, "scripted", source_path="scripts/dynamic.py", source_vars={"REGION": "eu-west-1", "TIER": "gold"})
    rec = run(db, "scripted")
    assert rec["status"] == "successful", rec["result_stdout"]
    assert host_names(db, "scripted") == ["s1", "s2"]
    assert db.get_group("scripted", "scripted")["variables"] == {"region": "eu-west-1"}
    assert db.get_host("scripted", "s1")["variables"] == {"from_env": "gold"}


def test_several_inventories_use_one_project_at_different_paths(db, repo):
    P.save_project(db, "proj", scm_url=repo.url)
    new_source(db, "prod", source_path="inventories/prod")
    new_source(db, "staging", source_path="inventories/staging")
    assert run(db, "prod")["status"] == "successful"
    assert run(db, "staging")["status"] == "successful"
    assert host_names(db, "prod") == ["cache1", "db1", "web1", "web2"]
    assert host_names(db, "staging") == ["stage-web1"]


def test_project_with_no_playbooks(db, tmp_path):
    r = Repo(tmp_path / "only-inventory")
    r.write("hosts", "[all_mine]\nonly1\n")
    r.commit()
    P.save_project(db, "proj", scm_url=r.url)
    new_source(db, "inv", source_path="hosts")
    assert run(db, "inv")["status"] == "successful"
    assert host_names(db, "inv") == ["only1"]
    assert P.require_project(db, "proj")["inventory_files"] == ["hosts"]


@pytest.mark.parametrize("path, reason", [
    ("inventories/missing.ini", "missing.ini"),
    ("broken/hosts.yml", "hosts.yml"),
])
def test_missing_file_and_invalid_syntax_fail_the_update(db, repo, path, reason):
    P.save_project(db, "proj", scm_url=repo.url)
    new_source(db, "inv", source_path="inventories/prod")
    assert run(db, "inv")["status"] == "successful"
    sources.save_source(db, "inv", "from-git", source_path=path)
    rec = run(db, "inv")
    assert rec["status"] == "failed" and rec["failed"]
    assert reason in rec["result_stdout"]
    # the last complete inventory is kept
    assert host_names(db, "inv") == ["cache1", "db1", "web1", "web2"]


def test_failing_project_update_runs_no_inventory_update(db, repo):
    P.save_project(db, "proj", scm_url=repo.url)
    created = new_source(db, "inv", source_path="inventories/staging", update_on_project_update=True)
    assert created["project_update"]["status"] == "successful"
    assert [u["status"] for u in created["project_update"]["inventory_updates"]] == ["successful"]
    assert host_names(db, "inv") == ["stage-web1"]
    repo.write("inventories/staging/hosts", "[web]\nstage-web1\nstage-web2\n")
    repo.commit("second")
    P.save_project(db, "proj", scm_branch="no-such-branch")
    failed = P.update_project(db, "proj")
    assert failed["status"] == "failed" and failed["inventory_updates"] == []
    assert len(updates.list_updates(db, sources.require_source(db, "inv", "from-git"))) == 1
    assert host_names(db, "inv") == ["stage-web1"]


def test_revision_change_updates_and_unchanged_revision_does_not(db, repo):
    P.save_project(db, "proj", scm_url=repo.url)
    new_source(db, "inv", source_path="inventories/staging", update_on_project_update=True, overwrite=True)
    src = sources.require_source(db, "inv", "from-git")
    assert len(updates.list_updates(db, src)) == 1

    same = P.update_project(db, "proj")
    assert same["status"] == "successful" and same["inventory_updates"] == []
    assert len(updates.list_updates(db, src)) == 1

    repo.write("inventories/staging/hosts", "[web]\nstage-web2\n")
    new = repo.commit("second")
    moved = P.update_project(db, "proj")
    assert [u["status"] for u in moved["inventory_updates"]] == ["successful"]
    assert moved["inventory_updates"][0]["scm_revision"] == new
    assert moved["inventory_updates"][0]["source_project_update"] == moved["id"]
    assert host_names(db, "inv") == ["stage-web2"]
    assert sources.require_source(db, "inv", "from-git")["scm_last_revision"] == new


# --------------------------------------------------------------------------- the scm inventory plugin


def test_plugin_reads_a_repository_directly(run_inventory, repo, tmp_path):
    out = run_inventory("--list", {
        "plugin": "fleet.inventory.scm", "repo": repo.url, "branch": "main", "source_path": "inventories/prod",
        "checkout_dir": str(tmp_path / "checkouts")}, inventory_filename="prod.scm.yml")
    assert listed_hosts(out) == ["cache1", "db1", "web1", "web2"]
    assert out["_meta"]["hostvars"]["web1"]["http_port"] == 8080
    assert out["_meta"]["hostvars"]["db1"]["db_role"] == "primary"
    assert sorted(out["web"]["hosts"]) == ["web1", "web2"]
    scripted = run_inventory("--list", {
        "plugin": "fleet.inventory.scm", "repo": repo.url, "source_path": "scripts/dynamic.py",
        "source_vars": {"TIER": "silver"}, "checkout_dir": str(tmp_path / "checkouts")}, inventory_filename="s.scm.yml")
    assert scripted["_meta"]["hostvars"]["s1"]["from_env"] == "silver"


@pytest.mark.parametrize("config, message", [
    ({"source_path": "../../etc"}, "source_path '../../etc' escapes the project"),
    ({"branch": "nope"}, "scm_branch 'nope' is not a branch, tag or commit"),
    ({"inventory_source": "x"}, "set exactly one of inventory_source"),
    ({"source_path": "broken/hosts.yml"}, "hosts.yml"),
])
def test_plugin_errors_name_the_problem(run_inventory, repo, tmp_path, config, message):
    data = {"plugin": "fleet.inventory.scm", "repo": repo.url, "checkout_dir": str(tmp_path / "co")}
    data.update(config)
    data = {k: v for k, v in data.items() if v is not None}
    proc = run_inventory("--list", data, expect_rc=1, inventory_filename="bad.scm.yml")
    assert message in proc.stderr


def test_plugin_serves_a_stored_source_and_updates_it_on_launch(run_inventory, ansible_env, repo):
    store = Store(ansible_env["FLEET_INVENTORY_STORE"])
    try:
        P.save_project(store, "proj", scm_url=repo.url)
        new_source(store, "prod", source_path="inventories/prod", update_on_launch=True, update_cache_timeout=3600)
    finally:
        store.close()
    text = {"plugin": "fleet.inventory.scm", "inventory_source": "from-git", "inventory": "prod"}
    out = run_inventory("--list", text, inventory_filename="prod.scm.yml")
    assert listed_hosts(out) == ["cache1", "db1", "web1", "web2"]
    assert out["_meta"]["hostvars"]["web1"]["http_port"] == 8080
    assert sorted(out["web"]["hosts"]) == ["web1", "web2"]
    # within update_cache_timeout: served from the store, no second update
    run_inventory("--list", text, inventory_filename="prod.scm.yml")
    store = Store(ansible_env["FLEET_INVENTORY_STORE"])
    try:
        assert len(updates.list_updates(store, sources.require_source(store, "prod", "from-git"))) == 1
    finally:
        store.close()
    proc = run_inventory("--list", dict(text, inventory_source="nope"), expect_rc=1, inventory_filename="x.scm.yml")
    assert "inventory source 'nope' does not exist in inventory 'prod'" in proc.stderr


def test_plugin_serves_only_what_its_source_brought(run_inventory, ansible_env, repo):
    store = Store(ansible_env["FLEET_INVENTORY_STORE"])
    try:
        P.save_project(store, "proj", scm_url=repo.url)
        new_source(store, "both", name="prod-part", source_path="inventories/prod")
        new_source(store, "both", name="staging-part", source_path="inventories/staging")
        assert run(store, "both", "prod-part")["status"] == "successful"
        assert run(store, "both", "staging-part")["status"] == "successful"
        assert host_names(store, "both") == ["cache1", "db1", "stage-web1", "web1", "web2"]
    finally:
        store.close()
    out = run_inventory("--list", {"plugin": "fleet.inventory.scm", "inventory_source": "staging-part", "update": False},
                        inventory_filename="staging.scm.yml")
    assert listed_hosts(out) == ["stage-web1"]


def test_plugin_fails_when_the_update_on_launch_fails(run_inventory, ansible_env, repo):
    store = Store(ansible_env["FLEET_INVENTORY_STORE"])
    try:
        P.save_project(store, "proj", scm_url=repo.url)
        new_source(store, "prod", source_path="inventories/prod", update_on_launch=True)
        assert run(store, "prod")["status"] == "successful"
        sources.save_source(store, "prod", "from-git", source_path="inventories/missing.ini")
    finally:
        store.close()
    text = {"plugin": "fleet.inventory.scm", "inventory_source": "from-git"}
    proc = run_inventory("--list", text, expect_rc=1, inventory_filename="prod.scm.yml")
    assert "the update on launch of inventory source 'from-git' failed" in proc.stderr
    # update: false serves the last complete import without updating
    out = run_inventory("--list", dict(text, update=False), inventory_filename="prod.scm.yml")
    assert listed_hosts(out) == ["cache1", "db1", "web1", "web2"]


def test_modules_end_to_end(run_playbook, repo, ansible_env):
    """A project, an scm source following it, a commit, a project update: the inventory follows."""
    def play(*tasks):
        return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]

    res = run_playbook(play(
        {"name": "project", "fleet.inventory.project": {"name": "proj", "scm_url": repo.url}},
        {"name": "inventory", "fleet.inventory.inventory": {"name": "staging"}},
        {"name": "source", "fleet.inventory.inventory_source": {
            "name": "from-git", "inventory": "staging", "source": "scm", "source_project": "proj",
            "source_path": "inventories/staging", "update_on_project_update": True, "overwrite": True}},
    ))
    assert res.task("project")["inventory_files"] == [
        "inventories/prod/hosts.ini", "inventories/prod/more.yml", "inventories/staging/hosts",
        "scripts/dynamic.py"]
    repo.write("inventories/staging/hosts", "[web]\nstage-web9\n")
    repo.commit("second")
    res = run_playbook(play({"name": "update", "fleet.inventory.project_update": {"name": "proj"}}))
    out = res.task("update")
    assert out["changed"] and [u["status"] for u in out["inventory_updates"]] == ["successful"]
    con_store = Store(ansible_env["FLEET_INVENTORY_STORE"])
    try:
        assert host_names(con_store, "staging") == ["stage-web9"]
    finally:
        con_store.close()
    again = run_playbook(play({"name": "update", "fleet.inventory.project_update": {"name": "proj"}})).task("update")
    assert not again["changed"] and again["inventory_updates"] == []
    json.dumps(again)  # the result is plain data


def test_benchmark_runs_small(tmp_path):
    """benchmarks/scm.py end to end on a small fleet (timings are its business, not this test's)."""
    import sys

    script = Path(__file__).resolve().parents[2] / "benchmarks" / "scm.py"
    proc = subprocess.run([sys.executable, str(script), "--hosts", "200", "--no-save", "--workdir", str(tmp_path / "bench")],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    row = [line for line in proc.stdout.splitlines() if line.startswith("| 200 |")]
    assert row and "| false |" in row[0] and "0 inventory updates" in row[0]
