"""fleet.inventory.project and fleet.inventory.project_update driven by ansible-playbook, against real git repositories."""

from __future__ import annotations

import scaffolding

import pytest

from git_repo import Repo, git


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path / "git")
    r.write("hosts", "[web]\nweb1\n")
    r.write("inventories/prod.yml", "all:\n  children:\n    db:\n      hosts:\n        db1:\n")
    r.commit("first")
    return r


def task(title, module, /, **args):
    return {"name": title, module: args}


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def rows(ansible_env, sql):
    return scaffolding.rows(ansible_env["FLEET_INVENTORY_STORE"], sql)


def test_project_create_update_idempotent_and_delete(run_playbook, repo, ansible_env, tmp_path):
    define = task("define", "fleet.inventory.project", name="inv", scm_url=repo.url, scm_branch="main")
    checked = run_playbook(play(define), check=True, diff=True)
    res = checked.task("define")
    assert res["changed"] and res["project_update"] is None
    assert res["diff"]["before"] == {} and res["diff"]["after"]["scm_url"] == repo.url
    assert rows(ansible_env, "SELECT * FROM projects") == []

    first = run_playbook(play(define), diff=True).task("define")
    assert first["changed"] and first["project"]["status"] == "successful"
    assert first["inventory_files"] == ["hosts", "inventories/prod.yml"]
    assert first["project_update"]["status"] == "successful"
    assert first["project"]["scm_revision"] == git("rev-parse", "HEAD", cwd=repo.work)
    checkout = scaffolding.projects_dir(ansible_env) / first["project"]["local_path"]
    assert (checkout / "hosts").is_file()

    branch = task("define", "fleet.inventory.project", name="inv", scm_branch="other")
    checked = run_playbook(play(branch), check=True, diff=True).task("define")
    assert checked["changed"] and checked["diff"]["after"]["scm_branch"] == "other"
    assert checked["project_update"] is None
    assert rows(ansible_env, "SELECT scm_branch FROM projects") == [("main",)]
    assert rows(ansible_env, "SELECT COUNT(*) FROM project_updates") == [(1,)]

    again = run_playbook(play(define)).task("define")
    assert not again["changed"] and again["project_update"] is None
    assert rows(ansible_env, "SELECT COUNT(*) FROM project_updates") == [(1,)]

    described = run_playbook(play(dict(define, **{"fleet.inventory.project": dict(
        name="inv", description="our inventories")}))).task("define")
    assert described["changed"] and described["project_update"] is None  # no scm field changed: no update

    gone = run_playbook(play(task("drop", "fleet.inventory.project", name="inv", state="absent")), diff=True).task("drop")
    assert gone["changed"] and gone["project"]["name"] == "inv" and gone["diff"]["after"] == {}
    assert not checkout.exists()
    assert rows(ansible_env, "SELECT COUNT(*) FROM projects") == [(0,)]
    assert not run_playbook(play(task("drop", "fleet.inventory.project", name="inv", state="absent"))).task("drop")["changed"]


def test_project_password_is_masked_everywhere(run_playbook, ansible_env):
    define = task("define", "fleet.inventory.project", name="p", scm_url="https://127.0.0.1:9/ops/inv.git",
                  scm_username="deploy", scm_password="t0ken-s3cret", update=False)
    res = run_playbook(play(define), diff=True)
    out = res.task("define")
    assert out["changed"] and out["project"]["credential"] == {"username": "deploy", "password": "$encrypted$"}
    assert "t0ken-s3cret" not in res.stdout
    rotated = run_playbook(play(dict(define, **{"fleet.inventory.project": dict(
        name="p", scm_password="n3w-s3cret", update=False)})), diff=True)
    out = rotated.task("define")
    assert out["changed"] and out["diff"]["after"]["credential"]["password"] == "$encrypted$ (changed)"
    assert "n3w-s3cret" not in rotated.stdout
    failed = run_playbook(play(task("update", "fleet.inventory.project_update", name="p")), expect_rc=2)
    upd = failed.task("update")
    assert upd["failed"] and "update of project 'p' failed: git fetch failed" in upd["msg"]
    assert "t0ken-s3cret" not in failed.stdout and "n3w-s3cret" not in failed.stdout


def test_bad_project_options_fail_and_write_nothing(run_playbook, ansible_env):
    res = run_playbook(play(
        task("bad url", "fleet.inventory.project", name="p", scm_url="ftp://h/r.git"),
    ), expect_rc=2)
    assert "unsupported scheme 'ftp'" in res.task("bad url")["msg"]
    res = run_playbook(play(task("no url", "fleet.inventory.project", name="p")), expect_rc=2)
    assert res.task("no url")["msg"] == "project 'p' does not exist; scm_url is required to create it"
    assert rows(ansible_env, "SELECT COUNT(*) FROM projects") == [(0,)]
    res = run_playbook(play(task("update", "fleet.inventory.project_update", name="missing")), expect_rc=2)
    assert res.task("update")["msg"] == "project 'missing' does not exist"


def test_project_update_module(run_playbook, repo, ansible_env):
    run_playbook(play(task("define", "fleet.inventory.project", name="inv", scm_url=repo.url)))
    update = task("update", "fleet.inventory.project_update", name="inv")
    same = run_playbook(play(update), diff=True).task("update")
    assert not same["changed"] and same["status"] == "successful"
    assert same["project_update"]["launch_type"] == "manual" and same["inventory_updates"] == []
    assert same["diff"]["before"] == same["diff"]["after"]

    repo.write("more.ini", "[extra]\nx1\n")
    new = repo.commit("second")
    checked = run_playbook(play(update), check=True).task("update")
    assert checked["changed"] and checked["scm_revision"] == new and checked["status"] == "check"
    assert rows(ansible_env, "SELECT COUNT(*) FROM project_updates") == [(2,)]

    moved = run_playbook(play(update)).task("update")
    assert moved["changed"] and moved["scm_revision"] == new and moved["previous_revision"] != new
    assert moved["inventory_files"] == ["hosts", "inventories/prod.yml", "more.ini"]
    assert not run_playbook(play(update), check=True).task("update")["changed"]


def test_failing_project_update_fails_the_task_with_the_log(run_playbook, repo, ansible_env):
    run_playbook(play(task("define", "fleet.inventory.project", name="inv", scm_url=repo.url)))
    res = run_playbook(play(task("branch", "fleet.inventory.project", name="inv", scm_branch="nope")), expect_rc=2)
    out = res.task("branch")
    assert out["failed"] and "project 'inv' was saved but its update failed" in out["msg"]
    assert "scm_branch 'nope' is not a branch, tag or commit" in out["msg"]
    res = run_playbook(play(task("update", "fleet.inventory.project_update", name="inv")), expect_rc=2)
    out = res.task("update")
    assert out["status"] == "failed" and out["project_update"]["status"] == "failed"
    assert "git fetch" in out["msg"] and out["inventory_updates"] == []
    assert rows(ansible_env, "SELECT status FROM projects") == [("failed",)]
