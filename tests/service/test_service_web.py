"""What the web page (docs/web.md) added to the service: the static files at ``/`` and ``/web/``,
``GET /api/v2/fact_paths/`` (completion) and ``POST /api/v2/inventories/`` (save as smart inventory),
against a real service process on both backends."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.store import fact_catalog

API = "/api/v2"


def populate(service):
    with service.open_store() as store:
        store.save_inventory("web")
        store.save_inventory("db")
        hosts = {}
        for inv, name in (("web", "web1"), ("web", "web2"), ("db", "db1")):
            _before, row = store.save_host(inv, name)
            hosts[name] = row["id"]
        store.set_facts_many([
            (hosts["web1"], {"ansible_distribution": "Ubuntu", "ansible_lo": {"ipv4": {"address": "127.0.0.1"}, "mtu": 65536}}),
            (hosts["web2"], {"ansible_distribution": "Debian", "ansible_local": {"app": {"version": "1"}}}),
            (hosts["db1"], {"ansible_distribution": "Ubuntu", "ansible_mounts": [{"mount": "/"}]}),
        ])
        access.create_user(store, "reader")
        access.grant(store, "reader", "read", "inventory", "web")
    return service


@pytest.fixture(scope="module")
def seeded_module(shared_service):
    return populate(shared_service)


@pytest.fixture
def svc(seeded_module, shared):
    """One seeded service of the module (tests that change the store use names of their own)."""
    return seeded_module


def test_the_page_and_its_files_need_no_token_and_carry_the_security_headers(svc):
    for path, ctype in (("/", "text/html"), ("/web/app.js", "text/javascript"), ("/web/dom.js", "text/javascript"),
                        ("/web/style.css", "text/css"), ("/web/favicon.svg", "image/svg+xml")):
        resp = svc.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["content-type"].startswith(ctype), path
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["referrer-policy"] == "no-referrer"
        csp = resp.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
    for path in ("/web/", "/web/nothing.js", "/web/..%2F..%2Fapp.py", "/web/index.htm"):
        resp = svc.get(path)
        assert resp.status_code == 404 and resp.json() == {"detail": "The requested resource could not be found."}, path
    assert "/" not in svc.get(API + "/openapi.json").json()["paths"]


def test_fact_paths_complete_a_prefix_in_the_list_envelope(svc):
    token = svc.superuser_token()
    body = svc.get(API + "/fact_paths/?search=ansible_lo", token=token).json()
    paths = [r["path"] for r in body["results"]]
    assert paths == sorted(paths) and body["count"] == len(paths) and body["next"] is None
    assert {"ansible_lo", "ansible_lo__ipv4", "ansible_lo__ipv4__address", "ansible_lo__mtu", "ansible_local",
            "ansible_local__app", "ansible_local__app__version"} == set(paths)
    assert body["results"][0] == {"path": "ansible_lo", "filter": "ansible_facts__ansible_lo"}
    # the filter's own spelling works too; arrays as a filter writes them
    same = svc.get(API + "/fact_paths/?search=ansible_facts__ansible_lo", token=token).json()
    assert [r["path"] for r in same["results"]] == paths
    assert "ansible_mounts[]__mount" in [r["path"] for r in svc.get(API + "/fact_paths/?search=ansible_m", token=token).json()["results"]]
    # paging as every list
    first = svc.get(API + "/fact_paths/?page_size=2", token=token).json()
    assert len(first["results"]) == 2 and first["next"] and first["count"] > 2
    assert svc.get(API + "/fact_paths/?search=nosuch", token=token).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_fact_paths_need_a_token_and_any_user_reads_every_path(svc):
    assert svc.get(API + "/fact_paths/").status_code == 401
    reader = svc.token("reader", scope="read")
    paths = [r["path"] for r in svc.get(API + "/fact_paths/?search=ansible_m", token=reader).json()["results"]]
    assert "ansible_mounts" in paths  # only db1 has it, which the reader cannot read: paths are names, not values


def test_fact_paths_leave_out_keys_no_host_holds_any_more(service):
    svc = populate(service)
    with svc.open_store() as store:
        store.delete_host("db", "db1")
        assert fact_catalog.search_paths(store, "ansible_mounts")[0] == 0
    assert svc.get(API + "/fact_paths/?search=ansible_mounts", token=svc.superuser_token()).json()["count"] == 0


def test_a_superuser_creates_a_smart_inventory(svc):
    token = svc.superuser_token()
    smart = {"name": "ubuntu", "kind": "smart", "host_filter": "ansible_facts__ansible_distribution=Ubuntu"}
    resp = svc.post(API + "/inventories/", token=token, json=smart)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["kind"] == "smart" and body["host_filter"] == "ansible_facts__ansible_distribution=Ubuntu"
    assert resp.headers["Location"] == body["url"] == "%s/inventories/%d/" % (API, body["id"])
    hosts = svc.get(body["related"]["hosts"], token=token).json()
    assert sorted(h["name"] for h in hosts["results"]) == ["db1", "web1"]
    resp = svc.post(API + "/inventories/", token=token, json={"name": "plain", "description": "d", "variables": '{"a": 1}'})
    assert resp.status_code == 201 and resp.json()["kind"] == "" and resp.json()["variables"] == '{"a": 1}'


@pytest.mark.parametrize("body, field", [
    ({"name": "bad1", "kind": "smart", "host_filter": "nosuch=1"}, "host_filter"),
    ({"name": "bad2", "kind": "smart"}, "host_filter"),
    ({"name": "web"}, "name"),
    ({"name": "  "}, "name"),
    ({"name": "c", "kind": "constructed"}, "kind"),
    ({"kind": "smart"}, "name"),
    ({"name": "x", "host_filter": "name=a"}, "host_filter"),
])
def test_create_refuses_a_bad_body_with_400_naming_the_field(svc, body, field):
    resp = svc.post(API + "/inventories/", token=svc.superuser_token(), json=body)
    assert resp.status_code == 400 and field in resp.json(), resp.text


def test_only_superusers_create_inventories(svc):
    body = {"name": "mine", "kind": "smart", "host_filter": "name=web1"}
    admin = svc.token("web-admin", roles=[("admin", "inventory", "web")])
    resp = svc.post(API + "/inventories/", token=admin, json=body)
    assert resp.status_code == 403 and "superuser" in resp.json()["detail"]
    resp = svc.post(API + "/inventories/", token=svc.superuser_token(scope="read"), json=body)
    assert resp.status_code == 403 and "read scope" in resp.json()["detail"]
    assert svc.post(API + "/inventories/", json=body).status_code == 401
    with svc.open_store() as store:
        assert store.get_inventory("mine") is None
