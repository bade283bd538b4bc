"""Updates through a real service process on 127.0.0.1 with a real HTTP client: POST update -> 202 + Location, the
log growing while it runs, successful with counts; 405/400 refusals; update_inventory_sources' 200/202/400; cancel;
SIGTERM during an update; RBAC; two service processes on one PostgreSQL store racing on the same 20 updates."""

from __future__ import annotations

import signal
import sys
import time

import pytest
import requests

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates as U

from git_repo import Repo

API = "/api/v2"
SCRIPT = """\
#!{python}
import json, os, sys, time
if "--host" in sys.argv:
    print("{{}}")
    sys.exit(0)
if os.environ.get("RUNLOG"):
    with open(os.environ["RUNLOG"], "a") as handle:
        handle.write(os.environ.get("NAME", "?") + "\\n")
time.sleep(float(os.environ.get("SLEEP", "0")))
print(json.dumps({{"slow": {{"hosts": ["s1", "s2", "s3"]}}}}))
"""


@pytest.fixture
def store(prod_store, tmp_path, monkeypatch):
    monkeypatch.setenv("FLEET_INVENTORY_SCM_SANDBOX", "off")
    s = prod_store
    r = Repo(tmp_path / "git")
    r.write("hosts.ini", "[web]\nweb1\nweb2\n")
    r.write("slow.py", SCRIPT.format(python=sys.executable), mode=0o755)
    r.commit("first")
    P.save_project(s, "infra", scm_url=r.url, scm_branch="main")
    access.create_user(s, "admin", is_superuser=True)
    return s


def _target(store):
    return getattr(store, "connect_target", None) or store.target


def start(start_service, store, tmp_path, workers=2, grace=1.0, node="node-a"):
    """A real service process (tests/service/conftest.py) with ``workers`` and the stop grace ``grace``."""
    config = tmp_path / ("service-%s.yml" % node)
    config.write_text("stop_grace: %s\n" % grace)
    return start_service(_target(store), workers=workers, extra_args=["--config", str(config)],
                         env={"FLEET_INVENTORY_NODE": node})


@pytest.fixture
def service(store, start_service, tmp_path):
    return start(start_service, store, tmp_path)


def token(store, user="admin", scope="write"):
    return {"Authorization": "Bearer %s" % access.create_token(store, user, scope=scope)["token"]}


def scm(store, name="git", inventory="prod", **fields):
    S.save_source(store, inventory, name, source="scm", source_project="infra", update_project=False, **fields)
    return S.get_source(store, inventory, name)


def _wait(predicate, timeout=60.0, what="the condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s" % what)


def _get(svc, path, headers, **kw):
    return requests.get(svc.url + path, headers=headers, timeout=30, **kw)


def _post(svc, path, headers, **kw):
    return requests.post(svc.url + path, headers=headers, timeout=30, **kw)


def _finished(svc, path, headers, timeout=90):
    def done():
        body = _get(svc, path, headers).json()
        return body if body["status"] not in ("pending", "waiting", "running") else None
    return _wait(done, timeout, "%s to finish" % path)


# ------------------------------------------------------------------------------ start, follow, finish


def test_post_update_answers_202_with_location_and_the_log_grows_until_successful(store, service):
    auth = token(store)
    src = scm(store, source_path="slow.py", source_vars={"SLEEP": 3})
    assert _get(service, "%s/inventory_sources/%d/update/" % (API, src["id"]), auth).json() == {"can_update": True}
    resp = _post(service, "%s/inventory_sources/%d/update/" % (API, src["id"]), auth)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert resp.headers["Location"] == body["url"] == "%s/inventory_updates/%d/" % (API, body["id"])
    assert body["inventory_update"] == body["id"] and body["type"] == "inventory_update"
    assert body["status"] in ("pending", "running") and body["related"]["stdout"].endswith("/stdout/")

    def running_log():  # the log shows progress while it runs
        rec = _get(service, body["url"], auth).json()
        text = _get(service, body["related"]["stdout"], auth, params={"format": "txt"}).text
        return rec["status"] == "running" and "ansible-inventory -i" in text and text
    text = _wait(running_log, what="the running update's log")
    assert "updating inventory 'prod' from source 'git'" in text
    done = _finished(service, body["url"], auth)
    assert done["status"] == "successful" and done["failed"] is False and done["elapsed"] > 2
    assert done["started"].endswith("Z") and done["finished"] and done["event_processing_finished"] is True
    assert done["counts"]["hosts"]["added"] == 3 and done["execution_node"] == "node-a"
    out = _get(service, body["related"]["stdout"], auth, params={"format": "json"}).json()
    assert "hosts added 3" in out["content"] and out["range"]["start"] == 0
    listed = _get(service, API + "/inventory_updates/", auth, params={"inventory_source": src["id"]}).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]


def test_a_manual_source_cannot_update_405_and_a_pending_delete_inventory_400(store, service):
    auth = token(store)
    S.save_source(store, "prod", "manual", source="")
    manual = S.get_source(store, "prod", "manual")
    assert _get(service, "%s/inventory_sources/%d/update/" % (API, manual["id"]), auth).json() == {"can_update": False}
    resp = _post(service, "%s/inventory_sources/%d/update/" % (API, manual["id"]), auth)
    assert resp.status_code == 405 and resp.json() == {"detail": 'Method "POST" not allowed.'}
    src = scm(store, source_path="hosts.ini")
    with store.transaction():
        store.execute("UPDATE inventories SET pending_delete = TRUE WHERE name = 'prod'")
    resp = _post(service, "%s/inventory_sources/%d/update/" % (API, src["id"]), auth)
    assert resp.status_code == 400 and "being deleted" in resp.json()["detail"]
    assert store.query("SELECT id FROM inventory_updates") == []
    assert _post(service, "%s/inventory_sources/999/update/" % API, auth).status_code == 404


def test_update_inventory_sources_200_202_400(store, service):
    auth = token(store)
    path = "%s/inventories/%d/update_inventory_sources/" % (API, store.get_inventory("prod")["id"])
    S.save_source(store, "prod", "manual", source="")
    resp = _post(service, path, auth)
    assert resp.status_code == 400 and resp.json() == {"detail": "No inventory sources to update."}
    a = scm(store, "a", source_path="hosts.ini")
    resp = _post(service, path, auth)
    assert resp.status_code == 200, resp.text
    (started,) = resp.json()["results"]
    assert started["status"] == "started" and started["inventory_source"] == a["id"] and started["inventory_update"]
    _finished(service, "%s/inventory_updates/%d/" % (API, started["inventory_update"]), auth)
    S.save_source(store, "prod", "b", source="file")  # never updated: can_update is false
    listing = _get(service, path, auth).json()["results"]
    b_id = S.get_source(store, "prod", "b")["id"]
    assert sorted((r["inventory_source"], r["can_update"]) for r in listing) == [(a["id"], True), (b_id, False)]
    resp = _post(service, path, auth)
    assert resp.status_code == 202
    assert sorted(r["status"] for r in resp.json()["results"]) == ["Could not start because `can_update` returned False", "started"]
    store.save_inventory("empty-but-file")
    S.save_source(store, "empty-but-file", "f", source="file")
    resp = _post(service, "%s/inventories/%d/update_inventory_sources/" % (API, store.get_inventory("empty-but-file")["id"]), auth)
    assert resp.status_code == 400 and resp.json()["results"][0]["status"].startswith("Could not start")


def test_project_update_through_the_service_follows_its_sources(store, service):
    auth = token(store)
    scm(store, source_path="hosts.ini", update_on_project_update=True)
    project = P.require_project(store, "infra")
    assert _get(service, "%s/projects/%d/update/" % (API, project["id"]), auth).json() == {"can_update": True}
    resp = _post(service, "%s/projects/%d/update/" % (API, project["id"]), auth)
    assert resp.status_code == 202 and resp.headers["Location"] == resp.json()["url"]
    done = _finished(service, resp.json()["url"], auth)
    assert done["status"] == "successful" and done["scm_revision"]
    assert "$ git fetch" in _get(service, done["related"]["stdout"], auth, params={"format": "txt"}).text
    follow = _wait(lambda: [u for u in U.list_updates(store, S.get_source(store, "prod", "git")) if u["status"] == "successful"],
                   what="the source to follow the project")
    assert follow[0]["source_project_update"] == done["id"]
    listed = _get(service, API + "/project_updates/", auth, params={"project": project["id"]}).json()
    assert [r["id"] for r in listed["results"]] == [done["id"]]


# ------------------------------------------------------------------------------ cancel, SIGTERM


def test_cancel_a_long_update(store, service):
    auth = token(store)
    src = scm(store, source_path="slow.py", source_vars={"SLEEP": 600})
    body = _post(service, "%s/inventory_sources/%d/update/" % (API, src["id"]), auth).json()
    _wait(lambda: _get(service, body["url"], auth).json()["status"] == "running", what="the update to run")
    assert _get(service, body["related"]["cancel"], auth).json() == {"can_cancel": True}
    start = time.monotonic()
    resp = _post(service, body["related"]["cancel"], auth)
    assert resp.status_code == 202
    done = _finished(service, body["url"], auth, timeout=30)
    assert time.monotonic() - start < 15
    assert done["status"] == "canceled" and done["failed"] is True and "cancel" in done["job_explanation"]
    assert _get(service, body["related"]["cancel"], auth).json() == {"can_cancel": False}
    resp = _post(service, body["related"]["cancel"], auth)
    assert resp.status_code == 405


def test_sigterm_during_an_update_leaves_nothing_running(store, start_service, tmp_path):
    svc = start(start_service, store, tmp_path, workers=1, grace=1.0)
    try:
        auth = token(store)
        src = scm(store, source_path="slow.py", source_vars={"SLEEP": 600})
        body = _post(svc, "%s/inventory_sources/%d/update/" % (API, src["id"]), auth).json()
        _wait(lambda: _get(svc, body["url"], auth).json()["status"] == "running", what="the update to run")
    finally:
        begin = time.monotonic()
        code = svc.stop(30, signal.SIGTERM)
    assert code == 0 and time.monotonic() - begin < 30
    rec = U.get_update(store, body["id"])
    assert rec["status"] == "canceled" and "the service stopped" in rec["job_explanation"]
    assert store.query("SELECT id FROM inventory_updates WHERE status IN ('pending', 'running')") == []


# ------------------------------------------------------------------------------ RBAC


def test_roles_and_scopes_decide_who_may_start_and_cancel(store, service):
    src = scm(store, source_path="hosts.ini")
    access.create_user(store, "alice")
    access.create_user(store, "bob")
    access.grant(store, "alice", "read", "inventory", "prod")
    path = "%s/inventory_sources/%d/update/" % (API, src["id"])
    assert _get(service, path, {}).status_code == 401
    assert _get(service, path, {"Authorization": "Bearer nope"}).status_code == 401
    assert _get(service, path, token(store, "bob")).status_code == 403  # bob may not read the inventory (AWX: 403 for an object that exists)
    alice = token(store, "alice")
    assert _get(service, path, alice).json() == {"can_update": False}
    assert _post(service, path, alice).status_code == 403
    access.grant(store, "alice", "update", "inventory", "prod")
    assert _post(service, path, token(store, "alice", scope="read")).status_code == 403
    assert _post(service, path, alice).status_code == 403  # an scm source: also update on its project
    access.grant(store, "alice", "update", "project", "infra")
    resp = _post(service, path, alice)
    assert resp.status_code == 202
    assert _get(service, resp.json()["url"], token(store, "bob")).status_code == 403
    assert _get(service, API + "/inventory_updates/", token(store, "bob")).json()["count"] == 0
    assert _get(service, API + "/inventory_updates/", alice).json()["count"] == 1


# ------------------------------------------------------------------------------ two services, one store


@pytest.mark.postgresql_only
def test_two_service_processes_on_one_store_run_each_of_20_updates_exactly_once(store, tmp_path, start_service):
    runlog = tmp_path / "runs.log"
    auth = token(store)
    ids = []
    for n in range(20):
        store.save_inventory("inv%d" % n)
        ids.append(scm(store, "s%d" % n, "inv%d" % n, source_path="slow.py",
                       source_vars={"RUNLOG": str(runlog), "NAME": "s%d" % n, "SLEEP": 0.2})["id"])
    services = [start(start_service, store, tmp_path, node="node-%s" % n) for n in "ab"]
    try:
        urls = []
        for n, source_id in enumerate(ids):
            resp = _post(services[n % 2], "%s/inventory_sources/%d/update/" % (API, source_id), auth)
            assert resp.status_code == 202
            urls.append(resp.json()["url"])
        done = [_finished(services[0], url, auth, timeout=300) for url in urls]
    finally:
        for svc in services:
            svc.stop()
    assert [d["status"] for d in done] == ["successful"] * 20
    runs = runlog.read_text().split()
    assert sorted(runs) == sorted("s%d" % n for n in range(20))
    assert {d["execution_node"] for d in done} <= {"node-a", "node-b"}
