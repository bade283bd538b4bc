"""A full disk and a damaged store (issue 9, items 8 and 9), through ansible-playbook.

The full disk is a real one: a small tmpfs mounted for the test (root only; skipped with the
reason otherwise).  The damaged store is a real store with one of its pages overwritten by zeros.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects, sources
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from git_repo import make_repo
from scaffolding import failed
from backends import BACKEND

BLOB = "x" * 400_000  # more than the room left on the full file system, less than SQLite's page cache


def task(title, module, /, **args):
    return {"name": title, module: args}


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


@pytest.fixture
def small_fs(tmp_path):
    """A 2 MiB tmpfs, unmounted afterwards."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs (a file system that fills up) needs root")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mnt)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % proc.stderr.strip())
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(mnt, leave=96 * 1024):
    """Fill the file system but ``leave`` bytes; returns the filler file."""
    filler = mnt / "filler"
    st = os.statvfs(mnt)
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


def integrity(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- 8. a full disk says so


def test_full_disk_reports_the_first_error_with_the_store_and_leaves_it_usable(run_playbook, ansible_env, small_fs):
    store = str(small_fs / "store.db")
    ansible_env["FLEET_INVENTORY_STORE"] = store
    run_playbook(play(task("create", "fleet.inventory.inventory", name="prod")))
    filler = fill(small_fs)
    big = task("big host", "fleet.inventory.host", name="web1", inventory="prod", variables={"blob": BLOB})
    res = run_playbook(play(big), expect_rc=2)
    msg = failed(res.task("big host"))["msg"]
    assert "database or disk is full" in msg and store in msg, msg
    assert "cannot rollback" not in msg and "Free space on the file system" in msg
    filler.unlink()
    again = run_playbook(play(big))
    assert again.task("big host")["changed"]
    assert integrity(store) == [("ok",)]
    with Store(store) as s:
        assert [h["name"] for h in s.list_hosts("prod")] == ["web1"]


def test_full_disk_during_an_update_names_the_store_not_a_rollback(run_playbook, ansible_env, small_fs, tmp_path):
    store = str(small_fs / "store.db")
    ansible_env["FLEET_INVENTORY_STORE"] = store
    ansible_env[projects.ENV_PROJECTS_ROOT] = str(tmp_path / "projects")  # the checkout is not on the small disk
    url = make_repo(tmp_path / "git", {"hosts.yml": "all:\n  hosts:\n    web1:\n      blob: %s\n" % BLOB})
    os.environ[projects.ENV_PROJECTS_ROOT] = ansible_env[projects.ENV_PROJECTS_ROOT]
    try:
        with Store(store) as s:
            s.save_inventory("prod")
            projects.save_project(s, "infra", scm_url=url)
            sources.save_source(s, "prod", "web", source="scm", source_project="infra", source_path="hosts.yml",
                                update_project=False)
    finally:
        del os.environ[projects.ENV_PROJECTS_ROOT]
    filler = fill(small_fs)
    update = task("update", "fleet.inventory.inventory_source_update", name="web", inventory="prod")
    res = run_playbook(play(update), expect_rc=2)
    msg = failed(res.task("update"))["msg"]
    assert "database or disk is full" in msg and store in msg, msg
    assert "cannot rollback" not in msg and "unexpectedly" not in msg
    filler.unlink()
    ok = run_playbook(play(update)).task("update")
    assert ok["inventory_update"]["status"] == "successful", ok
    assert integrity(store) == [("ok",)]


# --------------------------------------------------------------------------- 9. a damaged store says so, and is never written


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def damaged_store(ansible_env, tmp_path):
    if BACKEND == "postgresql":
        pytest.skip("a damaged SQLite file (FLEET_TEST_BACKEND=postgresql)")
    """A store whose hosts table's root page is zeros; returns (path, backup path)."""
    store = ansible_env["FLEET_INVENTORY_STORE"]
    with Store(store) as s:
        s.save_inventory("prod")
        for n in range(300):
            s.save_host("prod", "web%03d" % n, variables={"role": "web", "n": n, "pad": "p" * 200})
    backup = tmp_path / "backup.db"
    shutil.copy(store, backup)
    con = sqlite3.connect(store)
    root, page_size = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'hosts'").fetchone()[0], \
        con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    assert not os.path.exists(store + "-wal")  # checkpointed: the page is in the file
    with open(store, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\0" * page_size)
    return store, backup


def test_damaged_store_errors_name_it_and_say_what_to_do(run_playbook, damaged_store):
    store, _backup = damaged_store
    res = run_playbook(play(task("search", "fleet.inventory.host_info", host_filter="name=web001")), expect_rc=2)
    out = failed(res.task("search"))
    assert "Module failed" not in out["msg"]  # a clean failure, not a crash
    msg = out["msg"]
    assert store in msg and "malformed" in msg and "PRAGMA integrity_check" in msg and "backup" in msg, msg


def test_damaged_store_is_never_written_until_it_passes_its_check(run_playbook, damaged_store):
    store, backup = damaged_store
    run_playbook(play(task("search", "fleet.inventory.host_info", host_filter="name=web001")), expect_rc=2)
    before = sha(store)
    # this write touches no damaged page: it would succeed on the damaged file
    write = task("write", "fleet.inventory.inventory", name="other")
    res = run_playbook(play(write), expect_rc=2)
    msg = failed(res.task("write"))["msg"]
    assert store in msg and "damaged" in msg and "PRAGMA integrity_check" in msg, msg
    assert sha(store) == before
    con = sqlite3.connect(backup)
    assert con.execute("SELECT COUNT(*) FROM inventories WHERE name = 'other'").fetchone() == (0,)
    con.close()
    # restored from the backup: the check passes, writes work again
    shutil.copy(backup, store)
    assert run_playbook(play(write)).task("write")["changed"]
    assert not os.path.exists(store + ".damaged")
    with Store(store) as s:
        assert [i["name"] for i in s.list_inventories()] == ["prod", "other"]
