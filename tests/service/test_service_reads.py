"""The read API against a real service process: lists, filters, order_by, pages, details, RBAC, smart hosts, script."""

from __future__ import annotations

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as project_rules
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as source_rules


@pytest.fixture(scope="module")
def world(shared_service):
    """One data set for the module: inventories web (30 hosts in groups), db (3 hosts), a smart and an empty one."""
    with shared_service.open_store() as store:
        store.save_inventory("web", description="Web servers", variables={"site": "east"})
        store.save_inventory("db", description="Databases")
        store.save_inventory("empty")
        for i in range(30):
            store.save_host("web", "web%02d" % i, variables={"n": i}, enabled=(i != 7))
        for name in ("db1", "db2", "web00"):
            store.save_host("db", name, description="database %s" % name)
        store.save_group("web", "frontend", hosts=["web%02d" % i for i in range(10)], variables={"tier": "front"})
        store.save_group("web", "all_web", children=["frontend"])
        host_ids = {h["name"]: h["id"] for h in store.list_hosts("web")}
        db_ids = {h["name"]: h["id"] for h in store.list_hosts("db")}
        store.set_facts(host_ids["web01"], {"ansible_distribution": "Debian", "ansible_processor_vcpus": 4})
        store.save_inventory("smart-web", kind="smart", host_filter="name__startswith=web")
        store.save_inventory("smart-debian", kind="smart", host_filter="ansible_facts__ansible_distribution=Debian")
        project_rules.save_project(store, "proj", scm_url="file:///nowhere/repo.git", username="u", password="s3cret")
        source_rules.save_source(store, "web", "from-git", source="scm", source_project="proj", source_path="hosts.ini")
        ids = {inv["name"]: inv["id"] for inv in store.list_inventories()}
    superuser = shared_service.superuser_token()
    return {"inv": ids, "web": host_ids, "db": db_ids, "su": superuser}


def _get(svc, path, token):
    resp = svc.get(path, token=token)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_inventory_list_envelope_and_fields(shared, world):
    body = _get(shared, "/api/v2/inventories/", world["su"])
    assert body["count"] == 5 and body["next"] is None and body["previous"] is None
    assert [r["name"] for r in body["results"]] == ["db", "empty", "smart-debian", "smart-web", "web"]
    web = body["results"][-1]
    assert web["type"] == "inventory" and web["url"] == "/api/v2/inventories/%d/" % web["id"]
    assert web["related"]["hosts"] == "/api/v2/inventories/%d/hosts/" % web["id"]
    assert web["related"]["script"].endswith("/script/")
    assert web["kind"] == "" and web["description"] == "Web servers" and web["pending_delete"] is False
    assert web["variables"] == '{"site": "east"}' or '"site"' in web["variables"]
    assert set(web) >= {"id", "type", "url", "related", "summary_fields", "created", "modified", "name", "description"}
    smart = _get(shared, "/api/v2/inventories/%d/" % world["inv"]["smart-web"], world["su"])
    assert smart["kind"] == "smart" and smart["host_filter"] == "name__startswith=web"


@pytest.mark.parametrize("query, names", [
    ("name=web", ["web"]),
    ("name__icontains=WEB", ["smart-web", "web"]),
    ("name__contains=WEB", []),
    ("name__startswith=smart", ["smart-debian", "smart-web"]),
    ("kind=smart", ["smart-debian", "smart-web"]),
    ("not__kind=smart", ["db", "empty", "web"]),
    ("or__name=db&or__name=empty", ["db", "empty"]),
    ("search=databases", ["db"]),
    ("search=e&or__name=web&or__name=empty", ["empty", "web"]),
    ("search=databases&or__name=web&or__name=empty", []),
    ("name__in=db,web,nothing", ["db", "web"]),
    ("order_by=-name", ["web", "smart-web", "smart-debian", "empty", "db"]),
])
def test_inventory_filters_and_order_by(shared, world, query, names):
    body = _get(shared, "/api/v2/inventories/?" + query, world["su"])
    assert [r["name"] for r in body["results"]] == names


def test_filters_by_id_and_or_id(shared, world):
    ids = world["inv"]
    body = _get(shared, "/api/v2/inventories/?or__id=%d&or__id=%d" % (ids["db"], ids["web"]), world["su"])
    assert sorted(r["id"] for r in body["results"]) == sorted([ids["db"], ids["web"]])
    body = _get(shared, "/api/v2/inventories/?id=%d" % ids["empty"], world["su"])
    assert [r["name"] for r in body["results"]] == ["empty"]


@pytest.mark.parametrize("query, word", [("nosuchfield=1", "nosuchfield"), ("name__regexish=x", "regexish"),
                                         ("order_by=nosuchfield", "nosuchfield"), ("id=abc", "abc"),
                                         ("order_by=-password", "password")])
def test_unknown_filter_field_or_order_400(shared, world, query, word):
    resp = shared.get("/api/v2/inventories/?" + query, token=world["su"])
    assert resp.status_code == 400
    assert word in resp.json()["detail"]


def test_hosts_pages_links_and_last_page(shared, world):
    body = _get(shared, "/api/v2/hosts/?inventory=%d&page_size=10" % world["inv"]["web"], world["su"])
    assert body["count"] == 30 and len(body["results"]) == 10
    assert body["previous"] is None and body["next"].startswith("/api/v2/hosts/?")
    assert "page=2" in body["next"] and "page_size=10" in body["next"]
    third = _get(shared, "/api/v2/hosts/?inventory=%d&page_size=10&page=3" % world["inv"]["web"], world["su"])
    assert third["next"] is None and "page=2" in third["previous"] and len(third["results"]) == 10
    names = [r["name"] for r in body["results"]] + [r["name"] for r in third["results"]]
    assert len(set(names)) == 20
    resp = shared.get("/api/v2/hosts/?inventory=%d&page_size=10&page=4" % world["inv"]["web"], token=world["su"])
    assert resp.status_code == 404 and resp.json() == {"detail": "Invalid page."}
    for page in ("99999999999999999999", str(2 ** 63 // 10)):
        resp = shared.get("/api/v2/hosts/?page_size=10&page=" + page, token=world["su"])
        assert resp.status_code == 404 and resp.json() == {"detail": "Invalid page."}, page
    empty = _get(shared, "/api/v2/hosts/?name=nobody", world["su"])
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}


def test_page_size_capped_at_200_and_default_25(shared, world):
    assert len(_get(shared, "/api/v2/hosts/", world["su"])["results"]) == 25
    body = _get(shared, "/api/v2/hosts/?page_size=100000", world["su"])
    assert body["count"] == 33 and len(body["results"]) == 33


def test_host_fields_and_filters(shared, world):
    body = _get(shared, "/api/v2/hosts/?name=web00&order_by=inventory", world["su"])
    assert [r["summary_fields"]["inventory"]["name"] for r in body["results"]] == ["web", "db"][::1] if \
        world["inv"]["web"] < world["inv"]["db"] else ["db", "web"]
    host = body["results"][0]
    assert host["type"] == "host" and host["url"] == "/api/v2/hosts/%d/" % host["id"]
    assert host["related"]["ansible_facts"] == "/api/v2/hosts/%d/ansible_facts/" % host["id"]
    assert host["inventory"] in (world["inv"]["web"], world["inv"]["db"]) and host["enabled"] is True
    disabled = _get(shared, "/api/v2/hosts/?enabled=false", world["su"])
    assert [r["name"] for r in disabled["results"]] == ["web07"]
    assert _get(shared, "/api/v2/hosts/?description__icontains=DATABASE", world["su"])["count"] == 3


def test_host_filter_search(shared, world):
    body = _get(shared, "/api/v2/hosts/?host_filter=ansible_facts__ansible_distribution=Debian", world["su"])
    assert [r["name"] for r in body["results"]] == ["web01"]
    body = _get(shared, "/api/v2/hosts/?host_filter=group__name=frontend&page_size=5&order_by=-name", world["su"])
    assert body["count"] == 10 and body["results"][0]["name"] == "web09"


@pytest.mark.parametrize("host_filter, words", [
    ("name=a or or", ["expected a term after 'or'", "column 11"]),
    ("nosuch__field=1", ["unknown field 'nosuch__field'", "column 1"]),
    ("(name=a", ["unbalanced '('", "column 1"]),
    ("name__regex=(", ["must be quoted", "column 13"]),
])
def test_bad_host_filter_400_error_naming_problem_and_column(shared, world, host_filter, words):
    resp = shared.get("/api/v2/hosts/", params={"host_filter": host_filter}, token=world["su"])
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert all(w in error for w in words), error


def test_host_detail_facts_and_smart_inventories(shared, world):
    hid = world["web"]["web01"]
    host = _get(shared, "/api/v2/hosts/%d/" % hid, world["su"])
    assert host["name"] == "web01" and host["summary_fields"]["inventory"]["name"] == "web"
    assert host["variables"] and '"n": 1' in host["variables"]
    facts = _get(shared, "/api/v2/hosts/%d/ansible_facts/" % hid, world["su"])
    assert facts == {"ansible_distribution": "Debian", "ansible_processor_vcpus": 4}
    smart = _get(shared, "/api/v2/hosts/%d/smart_inventories/" % hid, world["su"])
    assert [r["name"] for r in smart["results"]] == ["smart-debian", "smart-web"]
    # web00 exists twice: the smart inventory keeps the lowest id (web's)
    assert [r["name"] for r in _get(shared, "/api/v2/hosts/%d/smart_inventories/" % world["db"]["web00"],
                                    world["su"])["results"]] == []


def test_inventory_hosts_groups_sources(shared, world):
    inv = world["inv"]
    hosts = _get(shared, "/api/v2/inventories/%d/hosts/?page_size=200" % inv["db"], world["su"])
    assert [h["name"] for h in hosts["results"]] == ["db1", "db2", "web00"]
    smart = _get(shared, "/api/v2/inventories/%d/hosts/?page_size=200" % inv["smart-web"], world["su"])
    assert smart["count"] == 30  # web00 of db is the same name as web's: one host per name
    assert all(h["inventory"] == inv["web"] for h in smart["results"])
    assert _get(shared, "/api/v2/inventories/%d/hosts/?name__startswith=web0" % inv["smart-web"], world["su"])["count"] == 10
    groups = _get(shared, "/api/v2/inventories/%d/groups/" % inv["web"], world["su"])
    assert [g["name"] for g in groups["results"]] == ["all_web", "frontend"]
    gid = groups["results"][1]["id"]
    group = _get(shared, "/api/v2/groups/%d/" % gid, world["su"])
    assert group["type"] == "group" and group["inventory"] == inv["web"] and "tier" in group["variables"]
    assert _get(shared, "/api/v2/groups/?name=frontend", world["su"])["count"] == 1
    sources = _get(shared, "/api/v2/inventories/%d/inventory_sources/" % inv["web"], world["su"])
    assert [s["name"] for s in sources["results"]] == ["from-git"]
    src = _get(shared, "/api/v2/inventory_sources/%d/" % sources["results"][0]["id"], world["su"])
    assert src["source"] == "scm" and src["source_path"] == "hosts.ini" and src["inventory"] == inv["web"]
    assert src["summary_fields"]["source_project"]["name"] == "proj"
    assert _get(shared, "/api/v2/inventory_sources/?source=scm", world["su"])["count"] == 1


def test_projects_never_show_credentials(shared, world):
    body = _get(shared, "/api/v2/projects/", world["su"])
    assert [p["name"] for p in body["results"]] == ["proj"]
    proj = body["results"][0]
    assert proj["scm_url"] == "file:///nowhere/repo.git" and proj["credential"] is None
    assert "s3cret" not in shared.get("/api/v2/projects/%d/" % proj["id"], token=world["su"]).text
    assert _get(shared, "/api/v2/projects/%d/inventories/" % proj["id"], world["su"]) == []


def test_script_as_awx_controller_reads_it(shared, world):
    inv = world["inv"]
    data = _get(shared, "/api/v2/inventories/%d/script/?hostvars=1&towervars=1&all=1" % inv["web"], world["su"])
    assert data["all"]["vars"] == {"site": "east"}
    assert sorted(data["all"]["children"]) == ["all_web", "frontend"]
    assert data["frontend"]["hosts"] == ["web%02d" % i for i in range(10)] and data["frontend"]["vars"] == {"tier": "front"}
    assert data["all_web"] == {"children": ["frontend"]}
    assert len(data["all"]["hosts"]) == 20  # the hosts in no group
    web07 = data["_meta"]["hostvars"]["web07"]
    assert web07 == {"n": 7, "remote_tower_enabled": "false", "remote_tower_id": world["web"]["web07"]}
    enabled_only = _get(shared, "/api/v2/inventories/%d/script/?hostvars=1" % inv["web"], world["su"])
    assert "web07" not in enabled_only["_meta"]["hostvars"] and "remote_tower_id" not in enabled_only["_meta"]["hostvars"]["web01"]
    smart = _get(shared, "/api/v2/inventories/%d/script/?hostvars=1&towervars=1&all=1" % inv["smart-debian"], world["su"])
    assert smart["all"]["hosts"] == ["web01"] and list(smart["_meta"]["hostvars"]) == ["web01"]


# -- RBAC: what a user without roles, a reader of one inventory, and a project reader see --------------------


def test_user_without_roles_sees_nothing_and_gets_403_on_details(shared, world):
    token = shared.token("nobody")
    for path in ("/api/v2/inventories/", "/api/v2/hosts/", "/api/v2/groups/", "/api/v2/inventory_sources/", "/api/v2/projects/"):
        assert _get(shared, path, token)["count"] == 0, path
    for path in ("/api/v2/inventories/%d/" % world["inv"]["web"], "/api/v2/hosts/%d/" % world["web"]["web01"],
                 "/api/v2/inventories/%d/hosts/" % world["inv"]["web"], "/api/v2/inventories/%d/script/" % world["inv"]["web"],
                 "/api/v2/hosts/%d/ansible_facts/" % world["web"]["web01"]):
        resp = shared.get(path, token=token)
        assert resp.status_code == 403, path
        assert resp.json() == {"detail": "You do not have permission to perform this action."}
    assert shared.get("/api/v2/inventories/999999/", token=token).status_code == 404


def test_reader_of_one_inventory(shared, world):
    token = shared.token("db-reader", roles=[("read", "inventory", "db")], scope="read")
    assert [r["name"] for r in _get(shared, "/api/v2/inventories/", token)["results"]] == ["db"]
    assert [r["name"] for r in _get(shared, "/api/v2/hosts/", token)["results"]] == ["db1", "db2", "web00"]
    assert _get(shared, "/api/v2/hosts/?host_filter=name__startswith=web", token)["count"] == 1
    assert shared.get("/api/v2/hosts/%d/" % world["web"]["web01"], token=token).status_code == 403
    assert shared.get("/api/v2/hosts/%d/" % world["db"]["db1"], token=token).status_code == 200
    smart = _get(shared, "/api/v2/hosts/%d/smart_inventories/" % world["db"]["db1"], token)
    assert smart["count"] == 0
    assert _get(shared, "/api/v2/projects/", token)["count"] == 0


def test_admin_of_an_inventory_and_use_of_a_project(shared, world):
    token = shared.token("web-admin", roles=[("admin", "inventory", "web"), ("use", "project", "proj")])
    assert [r["name"] for r in _get(shared, "/api/v2/inventories/", token)["results"]] == ["web"]
    assert _get(shared, "/api/v2/inventory_sources/", token)["count"] == 1
    assert [p["name"] for p in _get(shared, "/api/v2/projects/", token)["results"]] == ["proj"]
