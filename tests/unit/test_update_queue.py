"""Updates run by the service's workers: queued records, atomic claims across processes, the log streamed while an
update runs, cancel of a pending and of a running update (its process group killed), a killed worker's lease.

Real processes and real child processes; every test runs on both backends (``store_target``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.errors import UpdateCanceled, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules import project_updates as PU
from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.rules import update_queue as Q
from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates as U
from ansible_collections.fleet.inventory.plugins.module_utils.runtime import process
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates as update_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from git_repo import Repo

COLLECTIONS_ROOT = Path(__file__).resolve().parents[2] / ".pytest_collections"

# an inventory script that may start a grandchild (its pid into $PIDFILE), says "step N" on stderr $STEPS times,
# $DELAY seconds apart, then prints its inventory
SCRIPT = """\
#!{python}
import json, os, subprocess, sys, time
if "--host" in sys.argv:
    print("{{}}")
    sys.exit(0)
if os.environ.get("PIDFILE"):
    child = subprocess.Popen(["sleep", "600"])
    with open(os.environ["PIDFILE"], "w") as handle:
        handle.write(str(child.pid))
for i in range(int(os.environ.get("STEPS", "0"))):
    print("step %d" % i, file=sys.stderr, flush=True)
    time.sleep(float(os.environ.get("DELAY", "0.1")))
print(json.dumps({{"slow": {{"hosts": ["s1", "s2"]}}}}))
"""

# a worker process: claims and runs queued updates until none is left, prints the ids it ran
WORKER = textwrap.dedent("""
    import json, os, sys, time
    sys.path.insert(0, sys.argv[1])
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import update_queue
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
    store = Store(sys.argv[2])
    print("ready", flush=True)
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.001)
    ran = []
    while True:
        rec = update_queue.run_next(store)
        if rec is None:
            break
        ran.append([rec["kind"], rec["id"], rec["status"]])
    print(json.dumps(ran), flush=True)
""")


@pytest.fixture
def store(prod_store, monkeypatch):
    monkeypatch.setenv("FLEET_INVENTORY_SCM_SANDBOX", "off")
    return prod_store


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path / "git")
    r.write("hosts.ini", "[web]\nweb1\nweb2\n")
    r.write("slow.py", SCRIPT.format(python=sys.executable), mode=0o755)
    r.commit("first")
    return r


@pytest.fixture
def project(store, repo):
    P.save_project(store, "infra", scm_url=repo.url, scm_branch="main")
    return P.require_project(store, "infra")


def _target(store):
    return getattr(store, "connect_target", None) or store.target


def scm(store, name="git", inventory="prod", **fields):
    fields.setdefault("source", "scm")
    fields.setdefault("source_project", "infra")
    S.save_source(store, inventory, name, update_project=False, **fields)
    return S.get_source(store, inventory, name)


def _wait(predicate, timeout=60.0, what="the condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def _in(row, *statuses):
    """``row`` when its status is one of ``statuses`` (for _wait), else None."""
    return row if row is not None and row["status"] in statuses else None


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open("/proc/%d/stat" % pid) as handle:  # a zombie is dead too
        return handle.read().split(")")[-1].split()[0] != "Z"


class Worker(threading.Thread):
    """run_next in a thread with its own store connection, as a worker process does."""

    def __init__(self, target, control=None):
        super().__init__(daemon=True)
        self.target = target
        self.control = control
        self.record = None
        self.error = None

    def run(self):
        own = Store(self.target)
        try:
            self.record = Q.run_next(own, self.control)
        except BaseException as exc:  # pylint: disable=broad-except
            self.error = exc
        finally:
            own.close()


# ------------------------------------------------------------------------------ queued records


def test_a_queued_update_is_pending_and_runs_only_when_a_worker_claims_it(store, project):
    src = scm(store, source_path="hosts.ini")
    rec = U.queue_source_update(store, src)
    assert rec["status"] == "pending" and rec["queued"] and not rec["started"] and rec["lease_expires"] is None
    assert S.get_source(store, "prod", "git")["status"] == "pending"
    time.sleep(0.2)
    assert U.get_update(store, rec["id"])["status"] == "pending"  # nothing runs it by itself
    done = Q.run_next(store)
    assert done["id"] == rec["id"] and done["kind"] == "inventory_update" and done["status"] == "successful"
    assert done["counts"]["hosts"]["added"] == 2 and done["elapsed"] > 0
    assert sorted(h["name"] for h in store.list_hosts("prod")) == ["web1", "web2"]
    assert Q.run_next(store) is None


def test_a_source_that_cannot_update_is_not_queued(store):
    S.save_source(store, "prod", "manual", source="")
    with pytest.raises(ValidationError, match="cannot be updated: manual"):
        U.queue_source_update(store, S.get_source(store, "prod", "manual"))
    assert store.query("SELECT id FROM inventory_updates") == []


def test_the_oldest_queued_update_of_either_kind_runs_first(store, project):
    src = scm(store, source_path="hosts.ini")
    first = PU.queue_project_update(store, project)
    second = U.queue_source_update(store, src)
    assert first["status"] == "pending" and first["queued"]
    assert P.require_project(store, "infra")["status"] == "pending"
    a = Q.run_next(store)
    b = Q.run_next(store)
    assert (a["kind"], a["id"], a["status"]) == ("project_update", first["id"], "successful")
    assert (b["kind"], b["id"], b["status"]) == ("inventory_update", second["id"], "successful")


def test_a_queued_update_of_a_busy_inventory_waits_and_the_next_one_runs(store, project):
    store.save_inventory("other")
    busy = scm(store, source_path="hosts.ini")
    free = scm(store, name="other-src", inventory="other", source_path="hosts.ini")
    queued = U.queue_source_update(store, busy)
    nxt = U.queue_source_update(store, free)
    won, _running = U.claim_update(store, busy)  # another node runs an update of "prod"
    assert won is not None
    assert Q.run_next(store)["id"] == nxt["id"]
    assert U.get_update(store, queued["id"])["status"] == "pending"
    with store.transaction():
        update_repo.finish(store, won, busy, "successful", {}, "", "", "", None)
    assert Q.run_next(store)["id"] == queued["id"]


def test_a_project_update_run_by_a_worker_updates_its_sources_that_follow_it(store, project, repo):
    src = scm(store, source_path="hosts.ini", update_on_project_update=True)
    pu = PU.queue_project_update(store, project)
    rec = Q.run_next(store)
    assert rec["id"] == pu["id"] and rec["status"] == "successful"
    assert [u["status"] for u in rec["inventory_updates"]] == ["successful"]
    assert rec["inventory_updates"][0]["source_project_update"] == pu["id"]
    assert sorted(h["name"] for h in store.list_hosts("prod")) == ["web1", "web2"]
    # the same revision again: the source is not updated
    PU.queue_project_update(store, project)
    assert Q.run_next(store)["inventory_updates"] == []
    assert len(U.list_updates(store, src)) == 1


def test_two_worker_processes_racing_on_queued_updates_run_each_exactly_once(store, project, tmp_path):
    for n in range(6):
        store.save_inventory("inv%d" % n)
        U.queue_source_update(store, scm(store, name="s%d" % n, inventory="inv%d" % n, source_path="hosts.ini"))
    PU.queue_project_update(store, project)
    flag = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(COLLECTIONS_ROOT), _target(store), str(flag)],
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ, FLEET_INVENTORY_NODE="node-%d" % n))
             for n in range(2)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        flag.write_text("")
        results = [json.loads(proc.communicate(timeout=300)[0].strip().splitlines()[-1]) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    ran = [tuple(r[:2]) for result in results for r in result]
    assert len(ran) == len(set(ran)) == 7, results
    assert all(r[2] == "successful" for result in results for r in result)
    assert {r["status"] for r in store.query("SELECT status FROM inventory_updates")} == {"successful"}
    assert {r["hostname"] for r in store.query("SELECT hostname FROM inventory_updates")} <= {"node-0", "node-1"}


# ------------------------------------------------------------------------------ the log while it runs


def test_a_controlled_run_streams_stderr_while_the_process_runs():
    seen = []
    control = process.ProcessControl(on_output=lambda data: seen.append((time.monotonic(), data)))
    start = time.monotonic()
    with process.controlled(control):
        code, out, err = process.run_process(["sh", "-c", "echo one >&2; sleep 0.6; echo two >&2; echo done"])
    assert (code, out, err) == (0, b"done\n", b"one\ntwo\n")
    assert seen[0][1] == b"one\n" and seen[0][0] - start < 0.5


def test_the_log_is_appended_to_the_record_while_the_update_runs(store, project):
    src = scm(store, source_path="slow.py", source_vars={"STEPS": 20, "DELAY": 0.15})
    rec = U.queue_source_update(store, src)
    worker = Worker(_target(store))
    worker.start()

    def streamed():
        now = U.get_update(store, rec["id"])
        return now["status"] == "running" and "ansible-inventory -i" in now["result_stdout"] and now
    running = _wait(streamed, what="the log of the running update")
    assert "updating inventory 'prod' from source 'git'" in running["result_stdout"]
    worker.join(120)
    assert worker.error is None and worker.record["status"] == "successful"
    final = U.get_update(store, rec["id"])["result_stdout"]
    assert final.count("updating inventory 'prod'") == 1 and "hosts added 2" in final


# ------------------------------------------------------------------------------ cancel


def test_cancel_a_pending_update_marks_it_canceled_at_once(store, project):
    rec = U.queue_source_update(store, scm(store, source_path="hosts.ini"))
    assert U.can_cancel(rec)
    got = U.cancel_update(store, rec["id"])
    assert got["status"] == "canceled" and got["failed"] and got["finished"] and "cancel" in got["job_explanation"]
    assert S.get_source(store, "prod", "git")["status"] == "canceled"
    assert Q.run_next(store) is None
    with pytest.raises(ValidationError, match="cannot be canceled: it is canceled"):
        U.cancel_update(store, rec["id"])


def test_cancel_a_running_update_kills_its_process_group_and_the_record_reads_canceled(store, project, tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    src = scm(store, source_path="slow.py", source_vars={"STEPS": 600, "DELAY": 0.1, "PIDFILE": str(pidfile)})
    rec = U.queue_source_update(store, src)
    worker = Worker(_target(store))
    worker.start()
    _wait(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the script's grandchild")
    grandchild = int(pidfile.read_text())
    assert _alive(grandchild)
    started = time.monotonic()
    U.cancel_update(store, rec["id"])
    worker.join(60)
    assert worker.error is None, worker.error
    assert time.monotonic() - started < 10
    got = U.get_update(store, rec["id"])
    assert got["status"] == "canceled" and got["failed"] and got["job_explanation"] == U.CANCEL_REQUESTED
    assert S.get_source(store, "prod", "git")["status"] == "canceled"
    _wait(lambda: not _alive(grandchild), timeout=10, what="the grandchild to die")
    assert store.list_hosts("prod") == []
    with pytest.raises(ValidationError):
        U.cancel_update(store, rec["id"])


def test_the_workers_own_cancel_stops_the_update_as_canceled(store, project, tmp_path):
    src = scm(store, source_path="slow.py", source_vars={"STEPS": 600, "DELAY": 0.1})
    rec = U.queue_source_update(store, src)
    control = process.ProcessControl(kill_grace=1.0)
    worker = Worker(_target(store), control)
    worker.start()
    _wait(lambda: U.get_update(store, rec["id"])["status"] == "running", what="the update to run")
    time.sleep(0.5)
    control.cancel("canceled: the service stopped before the update finished")
    worker.join(60)
    got = U.get_update(store, rec["id"])
    assert got["status"] == "canceled" and got["job_explanation"].startswith("canceled: the service stopped")


def test_a_canceled_control_refuses_to_start_another_process():
    control = process.ProcessControl()
    control.cancel("stop")
    with process.controlled(control), pytest.raises(UpdateCanceled, match="stop"):
        process.run_process(["true"])


def test_cancel_a_running_project_update(store, project, monkeypatch, tmp_path):
    # a git that hangs: the project update runs until it is canceled
    bindir = tmp_path / "slowgit-bin"
    bindir.mkdir()
    (bindir / "git").write_text("#!/bin/sh\nsleep 600\n")
    (bindir / "git").chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ["PATH"]))
    pu = PU.queue_project_update(store, project)
    worker = Worker(_target(store))
    worker.start()
    _wait(lambda: PU.get_project_update(store, pu["id"])["status"] == "running", what="the project update to run")
    time.sleep(0.3)
    PU.cancel_project_update(store, pu["id"])
    worker.join(60)
    got = PU.get_project_update(store, pu["id"])
    assert got["status"] == "canceled" and got["job_explanation"] == U.CANCEL_REQUESTED
    assert P.require_project(store, "infra")["status"] == "canceled"


def test_cancel_a_pending_project_update_marks_it_and_its_project_canceled(store, project):
    pu = PU.queue_project_update(store, project)
    assert P.require_project(store, "infra")["status"] == "pending"
    got = PU.cancel_project_update(store, pu["id"])
    assert got["status"] == "canceled" and got["finished"] and got["job_explanation"]
    assert got["job_explanation"] in got["result_stdout"]
    assert P.require_project(store, "infra")["status"] == "canceled"
    with pytest.raises(ValidationError, match="it is canceled"):
        PU.cancel_project_update(store, pu["id"])


def test_cancel_of_a_finished_or_unknown_update_is_refused(store, project):
    rec = U.queue_source_update(store, scm(store, source_path="hosts.ini"))
    Q.run_next(store)
    with pytest.raises(ValidationError, match="it is successful"):
        U.cancel_update(store, rec["id"])
    with pytest.raises(U.NotFound):
        U.cancel_update(store, 9999)


# ------------------------------------------------------------------------------ a worker that dies


def test_a_killed_worker_leaves_a_record_whose_lease_lapses(store, project, tmp_path, monkeypatch):
    monkeypatch.setenv("FLEET_INVENTORY_LEASE_SECONDS", "1")
    pidfile = tmp_path / "grandchild.pid"
    src = scm(store, source_path="slow.py", source_vars={"STEPS": 600, "DELAY": 0.1, "PIDFILE": str(pidfile)})
    rec = U.queue_source_update(store, src)
    flag = tmp_path / "go"
    flag.write_text("")
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(COLLECTIONS_ROOT), _target(store), str(flag)],
                            stdout=subprocess.PIPE, text=True, env=dict(os.environ, FLEET_INVENTORY_NODE="doomed"))
    try:
        _wait(lambda: pidfile.exists() and pidfile.read_text().strip(), what="the update to run")
        assert U.get_update(store, rec["id"])["status"] == "running"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    got = _wait(lambda: _in(U.get_update(store, rec["id"]), "failed"), timeout=15,
                what="the lease to lapse")
    assert "node doomed stopped renewing the lease" in got["job_explanation"]
    _wait(lambda: not _alive(int(pidfile.read_text())), timeout=10, what="the grandchild to die with the worker")
    # the next claim records it, and the inventory is free again
    rec2 = U.queue_source_update(store, scm(store, source_path="hosts.ini"))
    assert Q.run_next(store)["id"] == rec2["id"]


def test_a_checkout_left_between_git_init_and_remote_add_is_repaired(store, project):
    # what a worker killed during its first update of a project leaves behind
    path = PU.project_checkout_path(store, project)
    os.makedirs(path)
    subprocess.run(["git", "init", "-q", path], check=True)
    assert PU.run_project_update(store, project)["status"] == "successful"


def test_a_queued_update_whose_source_can_no_longer_update_fails_with_the_reason(store, project):
    rec = U.queue_source_update(store, scm(store, source_path="hosts.ini"))
    with store.transaction():
        store.execute("UPDATE inventories SET pending_delete = TRUE WHERE name = 'prod'")
    got = Q.run_next(store)
    assert got["id"] == rec["id"] and got["status"] == "failed"
    assert got["job_explanation"] == "inventory source 'git' cannot be updated any more: its inventory is being deleted"


def test_a_checkout_left_halfway_through_git_init_is_made_again(store, project):
    path = PU.project_checkout_path(store, project)
    os.makedirs(os.path.join(path, ".git", "objects"))
    assert PU.run_project_update(store, project)["status"] == "successful"
