"""The service's worker processes (service/workers.py) without the web part: claim -> run -> finish, wake, stop
with a grace (finish or cancel), a worker signalled directly, a dead worker started again."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates as U
from ansible_collections.fleet.inventory.service import workers

from git_repo import Repo
from test_update_queue import SCRIPT, _alive, _in, _target, _wait


@pytest.fixture
def store(prod_store, tmp_path, monkeypatch):
    monkeypatch.setenv("FLEET_INVENTORY_SCM_SANDBOX", "off")
    s = prod_store
    r = Repo(tmp_path / "git")
    r.write("hosts.ini", "[web]\nweb1\nweb2\n")
    r.write("slow.py", SCRIPT.format(python=sys.executable), mode=0o755)
    r.commit("first")
    P.save_project(s, "infra", scm_url=r.url, scm_branch="main")
    return s


def _source(store, name="git", inventory="prod", **fields):
    S.save_source(store, inventory, name, source="scm", source_project="infra", update_project=False, **fields)
    return S.get_source(store, inventory, name)


def _done(store, rid):
    rec = U.get_update(store, rid)
    return rec if rec["status"] not in U.ACTIVE else None


def test_workers_run_queued_updates_and_a_wake_starts_them_at_once(store):
    pool = workers.start_workers(_target(store), 2, grace=1.0)
    try:
        time.sleep(3)  # the workers are idle at their longest poll by now
        recs = []
        for n in range(4):
            store.save_inventory("inv%d" % n)
            recs.append(U.queue_source_update(store, _source(store, "s%d" % n, "inv%d" % n, source_path="hosts.ini")))
        start = time.monotonic()
        pool.wake()
        _wait(lambda: U.get_update(store, recs[0]["id"])["status"] != "pending", timeout=30, what="a worker to claim")
        assert time.monotonic() - start < 1.0
        for rec in recs:
            got = _wait(lambda rid=rec["id"]: _done(store, rid), what="the update")
            assert got["status"] == "successful" and got["counts"]["hosts"]["added"] == 2
        assert len({U.get_update(store, r["id"])["pid"] for r in recs}) <= 2
    finally:
        codes = pool.stop()
    assert codes == [0, 0]


def test_stopping_cancels_an_update_that_runs_past_the_grace(store, tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    rec = U.queue_source_update(store, _source(store, source_path="slow.py",
                                               source_vars={"STEPS": 600, "DELAY": 0.1, "PIDFILE": str(pidfile)}))
    pool = workers.start_workers(_target(store), 1, grace=0.5)
    try:
        _wait(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the update to run")
    finally:
        start = time.monotonic()
        codes = pool.stop()
    assert codes == [0] and time.monotonic() - start < 15
    got = U.get_update(store, rec["id"])
    assert got["status"] == "canceled" and got["job_explanation"].startswith("canceled: the service stopped")
    assert not _alive(int(pidfile.read_text()))
    assert store.query("SELECT id FROM inventory_updates WHERE status = 'running'") == []


def test_stopping_lets_an_update_within_the_grace_finish(store):
    rec = U.queue_source_update(store, _source(store, source_path="slow.py", source_vars={"STEPS": 10, "DELAY": 0.1}))
    pool = workers.start_workers(_target(store), 1, grace=60)
    try:
        _wait(lambda: U.get_update(store, rec["id"])["status"] == "running", what="the update to run")
    finally:
        codes = pool.stop()
    assert codes == [0]
    assert U.get_update(store, rec["id"])["status"] == "successful"


def test_sigterm_to_a_worker_itself_stops_it_the_same_way(store):
    rec = U.queue_source_update(store, _source(store, source_path="slow.py", source_vars={"STEPS": 600, "DELAY": 0.1}))
    pool = workers.start_workers(_target(store), 1, grace=0.2)
    try:
        running = _wait(lambda: _in(U.get_update(store, rec["id"]), "running"),
                        what="the update to run")
        os.kill(running["pid"], signal.SIGTERM)
        got = _wait(lambda: _done(store, rec["id"]), timeout=30, what="the update to end")
        assert got["status"] == "canceled"
    finally:
        pool.stop()


def test_a_worker_that_dies_is_started_again_and_its_update_lapses(store, monkeypatch):
    monkeypatch.setenv("FLEET_INVENTORY_LEASE_SECONDS", "2")
    rec = U.queue_source_update(store, _source(store, source_path="slow.py", source_vars={"STEPS": 600, "DELAY": 0.1}))
    pool = workers.start_workers(_target(store), 1, grace=0.2)
    try:
        running = _wait(lambda: _in(U.get_update(store, rec["id"]), "running"),
                        what="the update to run")
        os.kill(running["pid"], signal.SIGKILL)
        got = _wait(lambda: _done(store, rec["id"]), timeout=30, what="the lease to lapse")
        assert got["status"] == "failed" and "stopped renewing the lease" in got["job_explanation"]
        _wait(lambda: pool.restarts == 1, timeout=10, what="the worker to be started again")
        again = U.queue_source_update(store, _source(store, source_path="hosts.ini"))
        pool.wake()
        # the stored row (a reader may see a 2 s lease of a busy machine lapse for a moment)
        got = _wait(lambda: _in(store.query_one("SELECT status FROM inventory_updates WHERE id = ?", (again["id"],)),
                                "successful", "failed", "canceled", "error"), what="the next update")
        assert got["status"] == "successful", U.get_update(store, again["id"])["result_stdout"]
    finally:
        pool.stop()
