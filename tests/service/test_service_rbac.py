"""The RBAC matrix of the service (issue 11 item 8): each role x each endpoint family, token scopes, other users' objects."""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as project_rules
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as source_rules

ROLES = ("none", "read", "use", "update", "admin", "superuser")
READS = ("/api/v2/inventories/{inv}/", "/api/v2/inventories/{inv}/hosts/", "/api/v2/inventories/{inv}/groups/",
         "/api/v2/inventories/{inv}/inventory_sources/", "/api/v2/inventories/{inv}/script/", "/api/v2/hosts/{host}/",
         "/api/v2/hosts/{host}/ansible_facts/", "/api/v2/inventory_sources/{src}/", "/api/v2/inventory_sources/{src}/update/",
         "/api/v2/inventories/{inv}/update_inventory_sources/", "/api/v2/projects/{proj}/")
#: (method, path, status when allowed, the least role allowed)
WRITES = (("POST", "/api/v2/inventory_sources/{src}/update/", 202, "update"),
          ("POST", "/api/v2/inventories/{inv}/update_inventory_sources/", 200, "update"),
          ("POST", "/api/v2/projects/{proj}/update/", 202, "update"),
          ("DELETE", "/api/v2/inventories/{inv}/", 202, "admin"))
ALLOWED = {"update": ("update", "admin", "superuser"), "admin": ("admin", "superuser")}
COUNTER = itertools.count()


def _seed(svc, tag):
    """A throwaway inventory (2 hosts, a group, an scm source) and project; their ids."""
    with svc.open_store() as store:
        store.save_inventory("inv-%s" % tag)
        store.save_host("inv-%s" % tag, "h1-%s" % tag)
        store.save_host("inv-%s" % tag, "h2-%s" % tag)
        store.save_group("inv-%s" % tag, "g-%s" % tag, hosts=["h1-%s" % tag])
        hosts = {h["name"]: h["id"] for h in store.list_hosts("inv-%s" % tag)}
        store.set_facts(hosts["h1-%s" % tag], {"ansible_distribution": "Debian"})
        project_rules.save_project(store, "proj-%s" % tag, scm_url="file:///nowhere/repo.git")
        source_rules.save_source(store, "inv-%s" % tag, "src-%s" % tag, source="scm", source_project="proj-%s" % tag,
                                 source_path="hosts.ini")
        ids = {i["name"]: i["id"] for i in store.list_inventories()}
    resp = svc.get("/api/v2/inventory_sources/?name=src-%s" % tag, token=svc.superuser_token())
    src = resp.json()["results"][0]
    return {"inv": ids["inv-%s" % tag], "host": hosts["h1-%s" % tag], "src": src["id"], "proj": src["source_project"],
            "tag": tag}


def _token(svc, role, objs, scope="write"):
    name = "u-%s-%s-%d" % (role, objs["tag"], next(COUNTER))
    if role == "superuser":
        return svc.token(name, superuser=True, scope=scope)
    roles = [] if role == "none" else [(role, "inventory", objs["inv"]), (role, "project", objs["proj"])]
    return svc.token(name, roles=roles, scope=scope)


@pytest.fixture(scope="module")
def world(shared_service):
    objs = _seed(shared_service, "main")
    other = _seed(shared_service, "other")
    tokens = {role: _token(shared_service, role, objs) for role in ROLES}
    return {"objs": objs, "other": other, "tokens": tokens}


@pytest.mark.parametrize("role, path", list(itertools.product(ROLES, READS)))
def test_reads(shared, world, role, path):
    resp = shared.get(path.format(**world["objs"]), token=world["tokens"][role])
    assert resp.status_code == (403 if role == "none" else 200), resp.text
    if role != "superuser":
        assert shared.get(path.format(**world["other"]), token=world["tokens"][role]).status_code == 403


@pytest.mark.parametrize("role, write", list(itertools.product(ROLES, WRITES)))
def test_writes(shared, role, write):
    method, path, allowed, least = write
    objs = _seed(shared, "w%d" % next(COUNTER))
    token = _token(shared, role, objs)
    resp = shared.request(method, path.format(**objs), token=token)
    assert resp.status_code == (allowed if role in ALLOWED[least] else 403), resp.text


@pytest.mark.parametrize("write", WRITES)
def test_read_token_cannot_write_even_for_superuser(shared, world, write):
    method, path = write[:2]
    token = _token(shared, "superuser", world["objs"], scope="read")
    resp = shared.request(method, path.format(**world["objs"]), token=token)
    assert resp.status_code == 403, resp.text


@pytest.mark.parametrize("role", ROLES)
def test_host_list_visibility(shared, world, role):
    body = shared.get("/api/v2/hosts/?page_size=200", token=world["tokens"][role]).json()
    names = {h["name"] for h in body["results"]}
    if role == "none":
        assert body["count"] == 0
    elif role != "superuser":
        assert names == {"h1-main", "h2-main"} and body["count"] == 2
    else:
        assert {"h1-main", "h2-main", "h1-other", "h2-other"} <= names


@pytest.mark.parametrize("path", ("/api/v2/inventories/999999/", "/api/v2/hosts/999999/", "/api/v2/inventory_sources/999999/",
                                  "/api/v2/projects/999999/"))
def test_unknown_id_404(shared, world, path):
    assert shared.get(path, token=world["tokens"]["read"]).status_code == 404
