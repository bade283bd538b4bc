"""Mixed roles over HTTP (issue 11 item 4): an scm source's update needs ``update`` on its inventory AND on its source
project, through a real service process (workers on) and ``requests``, on both backends.

What AWX does, and what the service does (docs/service.md "Update endpoints and their status codes"):

- ``POST /api/v2/inventory_sources/{id}/update/`` of an scm source whose project the user may not update: 403
  (AWX 3.2, when it had this rule, raised PermissionDenied "You do not have permission to update project `x`.").
- ``POST /api/v2/inventories/{id}/update_inventory_sources/`` checks ``update`` on the inventory (403 without it, AWX's
  InventoryInventorySourcesUpdatePermission); each source the user may not update is a source that did not start, with
  AWX 3.2's status "You do not have permission to update project `x`": 202 when others started, 400 when none did
  (the interface's 200 all / 202 some / 400 none), nothing queued for the refused ones.
- ``use`` or ``read`` on the project is not ``update``; ``admin`` on the inventory (or the project) implies it; a
  ``read`` token cannot POST whatever its user holds; update lists show only what the token's user may read.
"""

from __future__ import annotations

import itertools
import time

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as project_rules
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as source_rules

from git_repo import Repo

API = "/api/v2"
ACTIVE = ("new", "pending", "waiting", "running")
COUNTER = itertools.count()
EVERY_ROLE = ("admin", "update", "use", "read")


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    r = Repo(tmp_path_factory.mktemp("mixed-git"))
    r.write("hosts.ini", "[web]\nweb1\nweb2\n")
    r.commit("first")
    return r


@pytest.fixture(scope="module")
def svc(request, tmp_path_factory):
    """One service per module (two workers, the default), its checkouts in a directory of its own and no sandbox."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FLEET_INVENTORY_PROJECTS_ROOT", str(tmp_path_factory.mktemp("mixed-projects")))
        mp.setenv("FLEET_INVENTORY_SCM_SANDBOX", "off")
        yield request.getfixturevalue("shared_service")


@pytest.fixture
def service(svc, shared):  # pylint: disable=unused-argument  # svc starts it with the environment above
    """The module's service, with its stderr shown when this test fails."""
    return shared


def world(svc, repo, plugin=False):
    """A fresh inventory with an scm source of a fresh project (and with ``plugin`` a source that needs no project); ids."""
    tag = "t%d" % next(COUNTER)
    inv, proj = "inv-" + tag, "proj-" + tag
    with svc.open_store() as store:
        store.save_inventory(inv)
        project_rules.save_project(store, proj, scm_url=repo.url, scm_branch="main")
        source_rules.save_source(store, inv, "scm", source="scm", source_project=proj, source_path="hosts.ini",
                                 update_project=False)
        if plugin:
            source_rules.save_source(store, inv, "plugin", source="fleet.inventory.smart",
                                     source_vars={"store": svc.store, "host_filter": "name=nothing-matches-this"})
        ids = {"tag": tag, "inv_name": inv, "proj_name": proj, "inv": store.get_inventory(inv)["id"],
               "proj": project_rules.require_project(store, proj)["id"]}
    listed = svc.get(API + "/inventory_sources/", token=svc.superuser_token(), params={"inventory": ids["inv"]}).json()
    ids.update({s["name"]: s["id"] for s in listed["results"]})
    return ids


def user(svc, w, inventory_roles=(), project_roles=(), scope="write", name=None):
    """A token of a new user holding ``inventory_roles`` on ``w``'s inventory and ``project_roles`` on its project."""
    roles = [(r, "inventory", w["inv"]) for r in inventory_roles] + [(r, "project", w["proj"]) for r in project_roles]
    return svc.token(name or "u-%s-%d" % (w["tag"], next(COUNTER)), roles=roles, scope=scope)


def source_update(svc, w, token, source="scm"):
    return svc.post("%s/inventory_sources/%d/update/" % (API, w[source]), token=token)


def bulk_update(svc, w, token):
    return svc.post("%s/inventories/%d/update_inventory_sources/" % (API, w["inv"]), token=token)


def can_update(svc, w, token, source="scm"):
    return svc.get("%s/inventory_sources/%d/update/" % (API, w[source]), token=token).json()["can_update"]


def updates_of(svc, w):
    """Every inventory update of ``w``'s inventory (as the superuser sees them)."""
    body = svc.get(API + "/inventory_updates/", token=svc.superuser_token(), params={"inventory": w["inv"], "page_size": 200})
    assert body.status_code == 200, body.text
    return body.json()["results"]


def finished(svc, url, timeout=120.0):
    token = svc.superuser_token()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        body = svc.get(url, token=token).json()
        if body["status"] not in ACTIVE:
            return body
        time.sleep(0.2)
    raise AssertionError("%s did not finish in %s s: %s" % (url, timeout, body))


def permission_status(w):
    return "You do not have permission to update project `%s`" % w["proj_name"]


# ------------------------------------------------------------------------------ update on the inventory only


def test_update_on_the_inventory_without_a_project_role_is_403_on_the_source_update(service, repo):
    w = world(service, repo)
    token = user(service, w, inventory_roles=["update"])
    assert can_update(service, w, token) is False
    resp = source_update(service, w, token)
    assert resp.status_code == 403, resp.text
    assert resp.json()["detail"].startswith("You do not have permission to perform this action.")
    assert "source project" in resp.json()["detail"]
    assert updates_of(service, w) == []  # nothing queued


def test_update_inventory_sources_without_the_project_role_starts_nothing_400(service, repo):
    """The endpoint's own role (update on the inventory) is held: AWX's per-source answer, 400 when none started."""
    w = world(service, repo)
    token = user(service, w, inventory_roles=["update"])
    listing = service.get("%s/inventories/%d/update_inventory_sources/" % (API, w["inv"]), token=token).json()
    assert listing == {"results": [{"inventory_source": w["scm"], "can_update": False}]}
    resp = bulk_update(service, w, token)
    assert resp.status_code == 400, resp.text
    assert resp.json() == {"results": [{"inventory_source": w["scm"], "status": permission_status(w)}]}
    assert updates_of(service, w) == []


def test_update_inventory_sources_with_a_mix_starts_what_the_user_may_update_202(service, repo):
    w = world(service, repo, plugin=True)
    token = user(service, w, inventory_roles=["update"])
    resp = bulk_update(service, w, token)
    assert resp.status_code == 202, resp.text
    results = {r["inventory_source"]: r for r in resp.json()["results"]}
    assert results[w["scm"]] == {"inventory_source": w["scm"], "status": permission_status(w)}
    started = results[w["plugin"]]
    assert started["status"] == "started" and started["inventory_update"] == started["id"]
    assert finished(service, started["url"])["status"] == "successful"
    assert [u["inventory_source"] for u in updates_of(service, w)] == [w["plugin"]]


def test_without_update_on_the_inventory_both_posts_are_403_even_with_update_on_the_project(service, repo):
    w = world(service, repo, plugin=True)
    token = user(service, w, inventory_roles=["read"], project_roles=["update"])
    for resp in (source_update(service, w, token), source_update(service, w, token, "plugin"), bulk_update(service, w, token)):
        assert resp.status_code == 403, resp.text
    assert updates_of(service, w) == []


# ------------------------------------------------------------------------------ update on both


def test_update_on_both_is_202_and_the_update_runs(service, repo):
    w = world(service, repo)
    token = user(service, w, inventory_roles=["update"], project_roles=["update"])
    assert can_update(service, w, token) is True
    resp = source_update(service, w, token)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert resp.headers["Location"] == body["url"] and body["inventory_update"] == body["id"]
    done = finished(service, body["url"])
    assert done["status"] == "successful", service.get(body["related"]["stdout"], token=token, params={"format": "txt"}).text
    assert done["counts"]["hosts"]["added"] == 2
    # the user follows it: the detail and the log are readable with the same token
    assert service.get(body["url"], token=token).json()["status"] == "successful"
    assert service.get(body["related"]["stdout"], token=token, params={"format": "txt"}).status_code == 200


def test_update_on_both_update_inventory_sources_starts_every_source_200(service, repo):
    w = world(service, repo, plugin=True)
    token = user(service, w, inventory_roles=["update"], project_roles=["update"])
    resp = bulk_update(service, w, token)
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert sorted(r["inventory_source"] for r in results) == sorted([w["scm"], w["plugin"]])
    assert all(r["status"] == "started" for r in results)
    assert all(finished(service, r["url"])["status"] == "successful" for r in results)


@pytest.mark.parametrize("project_role", ["use", "read"])
def test_use_or_read_on_the_project_is_not_update(service, repo, project_role):
    w = world(service, repo, plugin=True)
    token = user(service, w, inventory_roles=["update"], project_roles=[project_role])
    # the project is visible (read, or use which implies read) but cannot be updated by this user
    assert service.get("%s/projects/%d/" % (API, w["proj"]), token=token).status_code == 200
    assert service.post("%s/projects/%d/update/" % (API, w["proj"]), token=token).status_code == 403
    assert can_update(service, w, token) is False
    assert source_update(service, w, token).status_code == 403
    resp = bulk_update(service, w, token)
    assert resp.status_code == 202, resp.text
    statuses = {r["inventory_source"]: r["status"] for r in resp.json()["results"]}
    assert statuses == {w["scm"]: permission_status(w), w["plugin"]: "started"}


# ------------------------------------------------------------------------------ admin implies update


@pytest.mark.parametrize("project_role", ["update", "admin"])
def test_admin_on_the_inventory_implies_update(service, repo, project_role):
    w = world(service, repo, plugin=True)
    token = user(service, w, inventory_roles=["admin"], project_roles=[project_role])
    assert can_update(service, w, token) is True and can_update(service, w, token, "plugin") is True
    resp = source_update(service, w, token)
    assert resp.status_code == 202, resp.text
    assert finished(service, resp.json()["url"])["status"] == "successful"
    resp = bulk_update(service, w, token)
    assert resp.status_code == 200, resp.text
    for r in resp.json()["results"]:
        assert finished(service, r["url"])["status"] == "successful"


def test_admin_on_the_inventory_alone_updates_a_source_without_project_but_not_the_scm_source(service, repo):
    w = world(service, repo, plugin=True)
    token = user(service, w, inventory_roles=["admin"])
    assert can_update(service, w, token, "plugin") is True and can_update(service, w, token) is False
    resp = source_update(service, w, token, "plugin")
    assert resp.status_code == 202, resp.text
    assert finished(service, resp.json()["url"])["status"] == "successful"
    assert source_update(service, w, token).status_code == 403


# ------------------------------------------------------------------------------ read tokens


def test_a_read_token_of_a_user_with_every_role_cannot_post(service, repo):
    w = world(service, repo, plugin=True)
    token = user(service, w, inventory_roles=EVERY_ROLE, project_roles=EVERY_ROLE, scope="read")
    writer = service.superuser_token()
    queued = source_update(service, w, writer, "plugin").json()  # something to try to cancel
    posts = [("POST", "%s/inventory_sources/%d/update/" % (API, w["scm"])),
             ("POST", "%s/inventory_sources/%d/update/" % (API, w["plugin"])),
             ("POST", "%s/inventories/%d/update_inventory_sources/" % (API, w["inv"])),
             ("POST", "%s/projects/%d/update/" % (API, w["proj"])),
             ("POST", queued["related"]["cancel"]),
             ("DELETE", "%s/inventories/%d/" % (API, w["inv"]))]
    for method, path in posts:
        resp = service.request(method, path, token=token)
        assert resp.status_code == 403, (method, path, resp.text)
        assert "read scope" in resp.json()["detail"], resp.text
    # it still reads everything, including whether the sources could be updated with a write token
    assert can_update(service, w, token) is True
    assert service.get(queued["url"], token=token).status_code == 200
    finished(service, queued["url"])
    assert [u["id"] for u in updates_of(service, w)] == [queued["id"]]
    assert service.get("%s/inventories/%d/" % (API, w["inv"]), token=writer).json()["pending_delete"] is False


# ------------------------------------------------------------------------------ update lists


def test_update_lists_show_only_updates_of_what_the_user_may_read(service, repo):
    mine, theirs = world(service, repo), world(service, repo)
    su = service.superuser_token()
    started = {}
    for w in (mine, theirs):
        inv_up = source_update(service, w, su).json()
        proj_up = service.post("%s/projects/%d/update/" % (API, w["proj"]), token=su).json()
        started[w["tag"]] = (inv_up, proj_up)
    # read on mine's inventory only and on theirs' project only: the two lists must not mix them up
    token = service.token("lists-%s" % mine["tag"], roles=[("read", "inventory", mine["inv"]), ("read", "project", theirs["proj"])])
    inv_ids = {u["id"] for u in service.get(API + "/inventory_updates/", token=token, params={"page_size": 200}).json()["results"]}
    proj_body = service.get(API + "/project_updates/", token=token, params={"page_size": 200}).json()
    proj_ids = {u["id"] for u in proj_body["results"]}
    assert inv_ids == {started[mine["tag"]][0]["id"]}
    assert proj_ids == {started[theirs["tag"]][1]["id"]} and proj_body["count"] == 1
    inv_body = service.get(API + "/inventory_updates/", token=token, params={"inventory": theirs["inv"]}).json()
    assert inv_body["count"] == 0 and inv_body["results"] == []
    proj_filtered = service.get(API + "/project_updates/", token=token, params={"project": mine["proj"]}).json()
    assert proj_filtered["count"] == 0
    # details of the others are 403 (they exist), the readable ones 200
    assert service.get(started[theirs["tag"]][0]["url"], token=token).status_code == 403
    assert service.get(started[mine["tag"]][1]["url"], token=token).status_code == 403
    assert service.get(started[mine["tag"]][0]["url"], token=token).status_code == 200
    assert service.get(started[theirs["tag"]][1]["url"], token=token).status_code == 200
    # a user with no role at all sees empty lists
    nobody = service.token("nobody-%s" % mine["tag"])
    assert service.get(API + "/inventory_updates/", token=nobody).json()["count"] == 0
    assert service.get(API + "/project_updates/", token=nobody).json()["count"] == 0
    for inv_up, proj_up in started.values():
        finished(service, inv_up["url"])
        finished(service, proj_up["url"])
