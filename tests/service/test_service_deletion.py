"""DELETE /api/v2/inventories/{id}/ through a real service process on 127.0.0.1 with a real HTTP client: 202 and the
hosts gone from every search at once, the rows removed by the service's deletion worker, 400 a second time, 409
while an update is pending, 404 unknown or not a number, 401/403 (no token, read token, no admin role), and the
deletion of a big inventory while another process writes (no error, no long wait)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.rules import deletion
from ansible_collections.fleet.inventory.plugins.module_utils.rules import importer
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates as update_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

HERE = Path(__file__).resolve().parent
BENCHMARKS = HERE.parents[1] / "benchmarks"
API = "/api/v2"


def _fill(store, name, hosts):
    doc = {"_meta": {"hostvars": {"%s-h%d" % (name, i): {"v": i} for i in range(hosts)}}, "all": {"children": ["web"]},
           "web": {"hosts": ["%s-h%d" % (name, i) for i in range(hosts)]}}
    store.save_inventory(name)
    importer.import_inventory(store, name, doc, overwrite=False)
    store.set_facts_many([(h["id"], {"ansible_distribution": "Debian", "ansible_lo": {"ipv6": [{"scope": "host"}]}})
                          for h in store.list_hosts(name)])
    return store.get_inventory(name)["id"]


def _wait(predicate, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def store(store_target):
    s = Store.open(store_target)
    access.create_user(s, "admin", is_superuser=True)
    access.create_user(s, "alice")
    access.create_user(s, "bob")
    yield s
    s.close()


class _Client:
    """DELETE /api/v2/inventories/{id}/ on a started service (tests/service/conftest.py)."""

    def __init__(self, started):
        self.started = started

    def delete(self, inventory_id, token=None):
        return self.started.delete("%s/inventories/%s/" % (API, inventory_id), token=token)


@pytest.fixture
def service(store, start_service):
    return _Client(start_service(store.connect_target))


def token(store, user, scope="write"):
    return access.create_token(store, user, scope=scope)["token"]


def test_delete_202_hides_at_once_and_the_worker_removes_the_rows(store, service):
    inv_id = _fill(store, "prod", 300)
    store.save_inventory("stage")
    store.save_host("stage", "prod-h1")
    admin = token(store, "admin")
    resp = service.delete(inv_id, admin)
    assert resp.status_code == 202 and resp.content == b""
    assert [h["inventory"] for h in store.search_hosts("name__startswith=prod-h")] in (["stage"], [])
    again = service.delete(inv_id, admin)
    if again.status_code == 400:  # the worker may already have finished it (then 404)
        assert again.json() == {"error": "Inventory is already pending deletion."}
    else:
        assert again.status_code == 404
    assert _wait(lambda: store.get_inventory(inv_id) is None, 60)  # woken by the DELETE, not its 30 s poll
    assert store.query("SELECT COUNT(*) AS n FROM hosts WHERE inventory_id = ?", (inv_id,))[0]["n"] == 0
    assert service.delete(inv_id, admin).status_code == 404


def test_a_second_delete_is_400_while_the_rows_are_still_there(store, service):
    inv_id = _fill(store, "prod", 300)
    host_id = store.save_host("prod", "keep")[1]["id"]
    group_id = store.save_group("prod", "g")[1]["id"]
    # marked outside the service (as a module with wait: false does): the worker has not been woken
    deletion.request_delete(store, inv_id)
    admin = token(store, "admin")
    resp = service.delete(inv_id, admin)
    assert resp.status_code == 400 and resp.json() == {"error": "Inventory is already pending deletion."}
    # AWX: the inventory reads with pending_delete until its row is gone; its hosts and groups are gone at once
    detail = service.started.get("%s/inventories/%d/" % (API, inv_id), token=admin)
    assert detail.status_code in (200, 404)
    if detail.status_code == 200:
        assert detail.json()["pending_delete"] is True
    assert service.started.get("%s/hosts/%d/" % (API, host_id), token=admin).status_code == 404
    assert service.started.get("%s/hosts/?name=keep" % API, token=admin).json()["count"] == 0
    assert service.started.get("%s/groups/%d/" % (API, group_id), token=admin).status_code == 404


def test_409_while_an_update_is_pending(store, service):
    store.save_inventory("prod")
    S.save_source(store, "prod", "src")
    source = S.get_source(store, "prod", "src")
    with store.transaction():
        record = update_repo.insert_pending(store, source, "manual", None, leases.node_name())
    resp = service.delete(source["inventory_id"], token(store, "admin"))
    assert resp.status_code == 409
    body = resp.json()
    assert body["error"] == "Resource is being used by running jobs." and body["active_jobs"] == [
        {"type": "inventory_update", "id": record}]
    assert store.get_inventory("prod")["pending_delete"] is False


def test_bad_requests(store, service):
    store.save_inventory("prod")
    inv_id = store.get_inventory("prod")["id"]
    access.grant(store, "alice", "admin", "inventory", "prod")
    access.grant(store, "bob", "read", "inventory", "prod")
    assert service.delete(inv_id).status_code == 401
    assert service.delete(inv_id, "not-a-token").status_code == 401
    resp = service.delete(inv_id, token(store, "alice", scope="read"))
    assert resp.status_code == 403 and "read scope" in resp.json()["detail"]
    resp = service.delete(inv_id, token(store, "bob"))
    assert resp.status_code == 403 and "admin role" in resp.json()["detail"]
    assert service.delete(4242, token(store, "admin")).json() == {"detail": "Not found."}
    assert service.delete(4242, token(store, "admin")).status_code == 404
    assert service.delete("abc", token(store, "admin")).status_code == 404
    assert store.get_inventory("prod")["pending_delete"] is False
    assert service.delete(inv_id, token(store, "alice")).status_code == 202


def test_background_deletion_while_another_client_writes(store, service, tmp_path):
    inv_id = _fill(store, "big", 3000)
    store.save_inventory("writer")
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import deletion as bench  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    proc, out_path, stop_path = bench.start_writer(store.connect_target, str(tmp_path), dict(os.environ))
    try:
        assert service.delete(inv_id, token(store, "admin")).status_code == 202
        assert _wait(lambda: store.get_inventory(inv_id) is None, 120)
    finally:
        report = bench.stop_writer(proc, out_path, stop_path)
    assert report["errors"] == [] and report["transactions"] > 3
    assert report["max_wait_s"] < 1.0, report
