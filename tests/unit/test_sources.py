"""Engine tests of plugins/module_utils/rules/sources.py: inventory sources and every rule of issue item 2.

Each refusal asserts the message and that nothing was written (the whole store is
dumped before and after).  Real git repositories are made by the tests.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates as U
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError

from git_repo import Repo
from scaffolding import dump


@pytest.fixture
def store(prod_store):
    return prod_store


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path / "git")
    r.write("inventories/prod/hosts.ini", "[web]\nweb1\nweb2\n")
    r.write("inventories/prod/group_vars/web.yml", "http_port: 80\n")
    r.commit("first")
    return r


@pytest.fixture
def project(store, repo):
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects

    projects.save_project(store, "infra", scm_url=repo.url, scm_branch="main")
    return projects.require_project(store, "infra")


def refused(store, func, *args, match, **kwargs):
    before = dump(store)
    with pytest.raises(ValidationError, match=match):
        func(store, *args, **kwargs)
    assert dump(store) == before


# ------------------------------------------------------------------------------ CRUD


def test_manual_source_lifecycle(store):
    before, after = S.save_source(store, "prod", "manual", description="by hand")
    assert before is None
    assert after["source"] == "" and after["inventory"] == "prod" and after["description"] == "by hand"
    assert after["overwrite_vars"] is False and after["verbosity"] == 1
    again_before, again = S.save_source(store, "prod", "manual", description="by hand")
    assert again_before == again  # nothing changed, not even modified
    _b, changed = S.save_source(store, "prod", "manual", overwrite=True)
    assert changed["overwrite"] is True and changed["description"] == "by hand"
    assert [s["name"] for s in S.list_sources(store, "prod")] == ["manual"]
    assert S.delete_source(store, "prod", "manual")["name"] == "manual"
    assert S.get_source(store, "prod", "manual") is None
    assert S.delete_source(store, "prod", "manual") is None


def test_dry_run_writes_nothing(store):
    before = dump(store)
    _b, after = S.save_source(store, "prod", "preview", source="fleet.inventory.smart", dry_run=True)
    assert after["source"] == "fleet.inventory.smart"
    assert dump(store) == before


def test_plugin_source_keeps_its_config(store):
    _b, after = S.save_source(store, "prod", "cloud", source="amazon.aws.aws_ec2",
                              source_vars="regions: [eu-west-1]\nhostnames: [instance-id]\n")
    assert after["source_vars"] == {"regions": ["eu-west-1"], "hostnames": ["instance-id"]}


def test_missing_inventory_and_source(store):
    with pytest.raises(NotFound, match="inventory 'nope' does not exist"):
        S.save_source(store, "nope", "x")
    with pytest.raises(NotFound, match="inventory source 'x' does not exist in inventory 'prod'"):
        S.require_source(store, "prod", "x")


def test_scm_source_defaults_to_overwrite_vars(store, project):
    _b, after = S.save_source(store, "prod", "git", source="scm", source_project="infra", source_path="inventories/prod")
    assert after["overwrite_vars"] is True
    assert after["source_project"] == "infra" and after["source_path"] == "inventories/prod"


def test_source_path_is_normalized(store, project):
    _b, after = S.save_source(store, "prod", "git", source="scm", source_project="infra", source_path="./inventories//prod/")
    assert after["source_path"] == "inventories/prod"
    _b, root = S.save_source(store, "prod", "git", source_path="")
    assert root["source_path"] == ""


def test_changing_the_path_forgets_the_revision(store, project):
    S.save_source(store, "prod", "git", source="scm", source_project="infra", source_path="inventories/prod")
    with store.transaction():
        store.execute("UPDATE inventory_sources SET scm_last_revision = 'abc'")
    S.save_source(store, "prod", "git", description="same path")
    assert S.get_source(store, "prod", "git")["scm_last_revision"] == "abc"
    S.save_source(store, "prod", "git", source_path="inventories")
    assert S.get_source(store, "prod", "git")["scm_last_revision"] == ""


# ------------------------------------------------------------------------------ refusals (item 2)


@pytest.mark.parametrize("kind, match", [
    ("smart", "cannot create or change inventory sources of smart inventory 'other': its hosts come from its host_filter"),
    ("constructed", "cannot create or change inventory sources of constructed inventory 'other'"),
])
def test_smart_and_constructed_inventories_take_no_sources(store, kind, match):
    store.save_inventory("other", kind=kind, host_filter="name=web1" if kind == "smart" else None)
    refused(store, S.save_source, "other", "mine", source="scm", match=match)


def test_constructed_source_cannot_be_deleted(store):
    store.save_inventory("built", kind="constructed")
    inv = store.get_inventory("built")
    if not store.query("SELECT id FROM inventory_sources WHERE inventory_id = ?", (inv["id"],)):
        # helper A's save_inventory creates it; made here when it does not (yet)
        with store.transaction():
            store.execute("INSERT INTO inventory_sources (inventory_id, name, source, created, modified)"
                          " VALUES (?, 'built', 'constructed', 'x', 'x')", (inv["id"],))
    name = store.query_one("SELECT name FROM inventory_sources WHERE inventory_id = ?", (inv["id"],))["name"]
    refused(store, S.delete_source, "built", name, match="cannot delete inventory sources of constructed inventory 'built'")
    refused(store, S.save_source, "built", name, description="mine",
            match="cannot create or change inventory sources of constructed inventory 'built'")


def test_constructed_is_not_a_user_source(store):
    refused(store, S.save_source, "prod", "c", source="constructed", match="source 'constructed' is managed by constructed inventories")


def test_bad_source_name(store):
    refused(store, S.save_source, "prod", "c", source="not a plugin!", match="is not '' \\(manual\\), 'scm', 'file' nor the name")


def test_scm_needs_a_project(store):
    refused(store, S.save_source, "prod", "git", source="scm",
            match="an scm source needs source_project")


def test_unknown_project(store):
    before = dump(store)
    with pytest.raises(NotFound, match="project 'nope' does not exist"):
        S.save_source(store, "prod", "git", source="scm", source_project="nope")
    assert dump(store) == before


@pytest.mark.parametrize("path, match", [
    ("/etc/ansible/hosts", "must be relative to the project's root, not an absolute path"),
    ("~/hosts", "must be relative to the project's root"),
    ("../other/hosts", "escapes the project"),
    ("inventories/../../hosts", "escapes the project"),
    ("..", "escapes the project"),
])
def test_source_path_must_stay_in_the_project(store, project, path, match):
    refused(store, S.save_source, "prod", "git", source="scm", source_project="infra", source_path=path, match=match)


def test_scm_needs_overwrite_vars(store, project):
    refused(store, S.save_source, "prod", "git", source="scm", source_project="infra", overwrite_vars=False,
            match="scm sources must have overwrite_vars=true")
    S.save_source(store, "prod", "git", source="scm", source_project="infra")
    refused(store, S.save_source, "prod", "git", overwrite_vars=False, match="scm sources must have overwrite_vars=true")


def test_scm_source_vars_are_environment_variable_names(store, project):
    refused(store, S.save_source, "prod", "git", source="scm", source_project="infra", source_vars={"A=B": "1"},
            match="source_vars of an scm source are environment variables; 'A=B' is not a valid variable name")


def test_update_on_project_update_excludes_update_on_launch(store, project):
    refused(store, S.save_source, "prod", "git", source="scm", source_project="infra", update_on_project_update=True,
            update_on_launch=True, match="Cannot update SCM-based inventory source on launch if set to update on project update")


def test_update_on_project_update_source_must_be_alone(store, project):
    S.save_source(store, "prod", "manual")
    refused(store, S.save_source, "prod", "git", source="scm", source_project="infra", update_on_project_update=True,
            match="must be the only source of its inventory, and inventory 'prod' already has 'manual'")


def test_turning_the_flag_on_while_others_exist(store, project):
    S.save_source(store, "prod", "git", source="scm", source_project="infra")
    S.save_source(store, "prod", "other", source="fleet.inventory.smart")
    refused(store, S.save_source, "prod", "git", update_on_project_update=True,
            match="must be the only source of its inventory, and inventory 'prod' already has 'other'")


def test_no_second_source_next_to_an_exclusive_one(store, project, monkeypatch):
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects

    monkeypatch.setattr(projects, "update_project", lambda *a, **k: {"status": "successful", "inventory_updates": []})
    S.save_source(store, "prod", "git", source="scm", source_project="infra", update_on_project_update=True)
    refused(store, S.save_source, "prod", "second", source="amazon.aws.aws_ec2",
            match="has the scm source 'git' with update_on_project_update, which must be its only source; cannot add the source 'second'")


@pytest.mark.parametrize("fields, match", [
    (dict(source="amazon.aws.aws_ec2", source_path="x.yml"), "Cannot set source_path if not SCM type"),
    (dict(source="", source_project="infra"), "source_project only applies to scm sources"),
    (dict(source="file", update_on_project_update=True), "update_on_project_update only applies to scm sources"),
    (dict(source="", verbosity=3), "verbosity must be 0, 1 or 2, not 3"),
    (dict(source="", update_cache_timeout=-1), "update_cache_timeout must be 0 or a number of seconds, not -1"),
    (dict(source="", source_vars="[1, 2]"), "source_vars must be a mapping"),
    (dict(source="scm", source_project="infra", source_vars={"PATH": "/tmp/evil"}), "`PATH` is a prohibited environment variable"),
    (dict(source="amazon.aws.aws_ec2", source_vars={"HOME": "/x"}), "`HOME` is a prohibited environment variable"),
])
def test_field_rules(store, project, fields, match):
    refused(store, S.save_source, "prod", "src", match=match, **fields)


def test_empty_name(store):
    refused(store, S.save_source, "prod", " ", match="inventory source name must not be empty")


# ------------------------------------------------------------------------------ create with update_on_project_update


def test_creating_an_exclusive_scm_source_updates_the_project_at_once(store, project, repo):
    _b, after = S.save_source(store, "prod", "git", source="scm", source_project="infra", source_path="inventories/prod",
                              overwrite=True, update_on_project_update=True)
    pu = after["project_update"]
    assert pu["status"] == "successful"
    assert [u["status"] for u in pu["inventory_updates"]] == ["successful"]
    assert sorted(h["name"] for h in store.list_hosts("prod")) == ["web1", "web2"]
    assert store.get_group("prod", "web")["variables"] == {"http_port": 80}
    src = S.get_source(store, "prod", "git")
    assert src["scm_last_revision"] == pu["scm_revision"] and src["status"] == "successful"


def test_creating_in_dry_run_updates_nothing(store, project):
    before = dump(store)
    S.save_source(store, "prod", "git", source="scm", source_project="infra", update_on_project_update=True, dry_run=True)
    assert dump(store) == before


# ------------------------------------------------------------------------------ delete


def test_delete_keeps_the_hosts_the_source_brought(store, project):
    S.save_source(store, "prod", "git", source="scm", source_project="infra", source_path="inventories/prod")
    rec = U.run_source_update(store, S.get_source(store, "prod", "git"))
    assert rec["status"] == "successful"
    assert store.query_one("SELECT COUNT(*) AS n FROM inventory_source_hosts")["n"] == 2
    S.delete_source(store, "prod", "git")
    assert sorted(h["name"] for h in store.list_hosts("prod")) == ["web1", "web2"]
    assert store.query_one("SELECT COUNT(*) AS n FROM inventory_source_hosts")["n"] == 0
    assert store.query_one("SELECT COUNT(*) AS n FROM inventory_updates")["n"] == 0


def test_a_source_being_updated_cannot_be_deleted(store, project):
    S.save_source(store, "prod", "git", source="scm", source_project="infra")
    src = S.get_source(store, "prod", "git")
    with store.transaction():
        store.execute("INSERT INTO inventory_updates (inventory_source_id, inventory_id, status, created, started, pid)"
                      " VALUES (?, ?, 'running', 'x', 'x', ?)", (src["id"], src["inventory_id"], os.getpid()))
    refused(store, S.delete_source, "prod", "git", match="inventory source 'git' is being updated")


# ------------------------------------------------------------------------------ source_path at update time


def test_symlink_out_of_the_checkout_fails_the_update(store, project, repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hosts").write_text("secret1\n")
    os.symlink(str(outside), str(repo.work / "escape"))
    repo.commit("a symlink out of the repository")
    S.save_source(store, "prod", "git", source="scm", source_project="infra", source_path="escape/hosts")
    rec = U.run_source_update(store, S.get_source(store, "prod", "git"))
    assert rec["status"] == "failed"
    assert "outside the project's checkout" in rec["job_explanation"]
    assert "outside the project's checkout" in rec["result_stdout"]
    assert store.list_hosts("prod") == []


def test_resolve_in_checkout(tmp_path):
    (tmp_path / "a").mkdir()
    assert S.resolve_in_checkout(str(tmp_path), "a") == os.path.realpath(str(tmp_path / "a"))
    assert S.resolve_in_checkout(str(tmp_path), "") == os.path.realpath(str(tmp_path))
    with pytest.raises(ValidationError, match="escapes the project"):
        S.resolve_in_checkout(str(tmp_path), "../x")


def test_resolve_in_checkout_refuses_absolute_paths_and_symlinks_out(tmp_path):
    co = tmp_path / "co"
    (co / "inv").mkdir(parents=True)
    os.symlink(str(tmp_path), str(co / "escape"))
    assert S.resolve_in_checkout(str(co), "inv") == os.path.realpath(str(co / "inv"))
    with pytest.raises(ValidationError, match="source_path '/etc/hosts' must be relative to the project's root"):
        S.resolve_in_checkout(str(co), "/etc/hosts")
    with pytest.raises(ValidationError, match="source_path 'escape/hosts' resolves to .*, outside the project's checkout"):
        S.resolve_in_checkout(str(co), "escape/hosts")
