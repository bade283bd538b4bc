"""The decisions of DELETE /api/v2/inventories/{id}/ (service/routes/deletion.py) on both backends: 202 and the
mark, 400 a second time, 409 while an update is pending or running, 404 unknown, 403 with a read token or without
the admin role (rules/access.py).  The HTTP round trip is tested in tests/service/ with a real service process."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates as update_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from ansible_collections.fleet.inventory.service.routes.deletion import delete_inventory


@pytest.fixture
def store(store_target):
    s = Store.open(store_target)
    s.save_inventory("prod")
    s.save_host("prod", "web1")
    S.save_source(s, "prod", "src")
    access.create_user(s, "admin", is_superuser=True)
    access.create_user(s, "alice")
    access.create_user(s, "bob")
    access.grant(s, "alice", "admin", "inventory", "prod")
    access.grant(s, "bob", "update", "inventory", "prod")
    yield s
    s.close()


def principal(store, user, scope="write"):
    token = access.create_token(store, user, scope=scope)["token"]
    return access.authenticate(store, token)


def test_202_marks_and_a_second_delete_is_400(store):
    inv_id = store.get_inventory("prod")["id"]
    assert delete_inventory(store, principal(store, "alice"), inv_id) == (202, None)
    assert store.get_inventory(inv_id)["pending_delete"] is True
    assert store.search_hosts("name=web1") == []
    assert delete_inventory(store, principal(store, "admin"), inv_id) == (400, {"error": "Inventory is already pending deletion."})


def test_404_for_an_unknown_id(store):
    assert delete_inventory(store, principal(store, "admin"), 4242) == (404, {"detail": "Not found."})


def test_403_without_the_admin_role_or_with_a_read_token(store):
    inv_id = store.get_inventory("prod")["id"]
    status, body = delete_inventory(store, principal(store, "bob"), inv_id)
    assert status == 403 and "does not have the admin role on inventory 'prod'" in body["detail"]
    status, body = delete_inventory(store, principal(store, "alice", scope="read"), inv_id)
    assert status == 403 and "read token" in body["detail"]
    assert delete_inventory(store, None, inv_id)[0] == 403
    assert store.get_inventory(inv_id)["pending_delete"] is False


def test_409_while_an_update_is_pending_or_running(store):
    inv_id = store.get_inventory("prod")["id"]
    source = S.get_source(store, "prod", "src")
    with store.transaction():
        record = update_repo.insert_pending(store, source, "manual", None, leases.node_name())
    status, body = delete_inventory(store, principal(store, "admin"), inv_id)
    assert status == 409 and body["error"] == "Resource is being used by running jobs."
    assert body["active_jobs"] == [{"type": "inventory_update", "id": record}]
    assert store.get_inventory(inv_id)["pending_delete"] is False
