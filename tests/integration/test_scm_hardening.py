"""Hostile repositories and dead processes (issue 9, items 5-7 and 10), through ansible-playbook and ansible-inventory.

Each test drives the public interface with real git repositories, real inventory scripts and real
signals: what an scm update lets an inventory script see, symlinks that leave the checkout,
passwords inside ssh URLs, and children that must die with the process that started them.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from git_repo import Repo
from scaffolding import failed


def task(title, module, /, **args):
    return {"name": title, module: args}


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def store_rows(path, sql, params=()):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- 7. credentials in ssh URLs


@pytest.mark.parametrize("given, cleaned", [
    ("ssh://deploy:S3CRET-pw@127.0.0.1:9/ops/inv.git", "ssh://deploy@127.0.0.1:9/ops/inv.git"),
    ("git+ssh://deploy:S3CRET-pw@127.0.0.1:9/ops/inv.git", "git+ssh://deploy@127.0.0.1:9/ops/inv.git"),
    ("deploy:S3CRET-pw@127.0.0.1:ops/inv.git", "deploy@127.0.0.1:ops/inv.git"),
])
def test_password_in_an_ssh_url_is_never_kept_shown_or_written(run_playbook, ansible_env, given, cleaned):
    # the update runs (and fails: nothing listens there) so that the checkout's .git/config is written
    res = run_playbook(play(task("define", "fleet.inventory.project", name="p", scm_url=given)),
                       extra_args=["-vvv"], expect_rc=2)
    out = failed(res.task("define"))
    assert out["project"]["scm_url"] == cleaned
    assert out["project"]["credential"] == {"username": "deploy", "password": "$encrypted$"}
    assert "S3CRET-pw" not in res.stdout and "S3CRET-pw" not in res.stderr
    store = ansible_env["FLEET_INVENTORY_STORE"]
    assert store_rows(store, "SELECT scm_url FROM projects") == [(cleaned,)]
    config = Path(store).parent / "projects" / "1__p" / ".git" / "config"
    assert config.is_file() and cleaned in config.read_text() and "S3CRET-pw" not in config.read_text()
    shown = run_playbook(play(task("show", "fleet.inventory.project", name="p", update=False)), extra_args=["-vvv"])
    assert shown.task("show")["project"]["scm_url"] == cleaned and "S3CRET-pw" not in shown.stdout


def test_password_in_the_scm_plugin_repo_url_stays_out_of_git_config_and_messages(run_inventory, tmp_path):
    proc = run_inventory("--list", {"plugin": "fleet.inventory.scm", "repo": "ssh://deploy:S3CRET-pw@127.0.0.1:9/inv.git",
                                    "checkout_dir": str(tmp_path / "co")},
                         expect_rc=1, inventory_filename="x.scm.yml")
    assert "git fetch failed" in proc.stderr and "S3CRET-pw" not in proc.stderr + proc.stdout
    configs = list((tmp_path / "co").glob("*/.git/config"))
    assert configs and all("S3CRET-pw" not in c.read_text() for c in configs)
    assert "ssh://deploy@127.0.0.1:9/inv.git" in configs[0].read_text()


# --------------------------------------------------------------------------- 5. owner-only files


def test_store_its_wal_and_shm_and_the_projects_directory_are_owner_only(run_playbook, ansible_env, tmp_path):
    from ansible_collections.fleet.inventory.plugins.module_utils.store import Store

    repo = Repo(tmp_path / "git")
    repo.write("hosts", "[web]\nweb1\n")
    repo.commit()
    old = os.umask(0o022)  # the usual umask: without care, files are 0644 and directories 0755
    try:
        run_playbook(play(task("define", "fleet.inventory.project", name="p", scm_url=repo.url)))
        store = ansible_env["FLEET_INVENTORY_STORE"]
        with Store(store):  # an open store has its -wal and -shm
            modes = {suffix: stat.S_IMODE(os.stat(store + suffix).st_mode) for suffix in ("", "-wal", "-shm")}
        assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
        assert stat.S_IMODE(os.stat(Path(store).parent / "projects").st_mode) == 0o700
    finally:
        os.umask(old)
