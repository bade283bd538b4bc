"""The service's foundation against a real process: ping, root documents, authentication, errors, paging, OpenAPI, SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest

from service_paths import COLLECTIONS_ROOT

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access


def test_ping_needs_no_token(shared):
    resp = shared.get("/api/v2/ping/")
    assert resp.status_code == 200
    body = resp.json()
    assert body["version"] and body["active_node"]
    assert body["instances"][0]["node"] == body["active_node"]


def test_root_documents(shared):
    root = shared.get("/api/").json()
    assert root["current_version"] == "/api/v2/" and root["available_versions"] == {"v2": "/api/v2/"}
    v2 = shared.get("/api/v2/").json()
    for name in ("ping", "me", "inventories", "hosts", "inventory_sources", "projects"):
        assert v2[name] == "/api/v2/%s/" % name


def test_openapi_at_api_v2_and_no_cdn_pages(shared):
    resp = shared.get("/api/v2/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert "/api/v2/hosts/" in paths and "/api/v2/inventories/{id}/script/" in paths
    for page in ("/docs", "/redoc", "/openapi.json"):
        assert shared.get(page).status_code == 404


def test_me_is_the_tokens_user_in_an_envelope(shared):
    token = shared.token("me-user")
    body = shared.get("/api/v2/me/", token=token).json()
    assert body["count"] == 1 and body["next"] is None and body["previous"] is None
    assert body["results"][0]["username"] == "me-user" and body["results"][0]["is_superuser"] is False


@pytest.mark.parametrize("headers, detail", [
    ({}, "Authentication credentials were not provided."),
    ({"Authorization": "Basic dXNlcjpwdw=="}, "Authentication credentials were not provided."),
    ({"Authorization": "Bearer"}, "Authentication credentials were not provided."),
    ({"Authorization": "Bearer fli_not-a-token"}, "Invalid token."),
])
def test_without_a_valid_token_401(shared, headers, detail):
    resp = shared.get("/api/v2/inventories/", headers=headers)
    assert resp.status_code == 401
    assert resp.json() == {"detail": detail}
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_401(shared):
    token = shared.token("revoked-user")
    assert shared.get("/api/v2/me/", token=token).status_code == 200
    with shared.open_store() as store:
        principal = access.authenticate(store, token, touch=False)
        assert access.revoke_token(store, principal.token_id)
    resp = shared.get("/api/v2/me/", token=token)
    assert resp.status_code == 401 and resp.json() == {"detail": "Invalid token."}


def test_read_token_refused_on_write_methods_before_405(shared):
    read = shared.token("reader-scope", scope="read")
    write = shared.token("writer-scope", scope="write")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        resp = shared.request(method, "/api/v2/inventories/", token=read, json={})
        assert resp.status_code == 403, (method, resp.text)
        assert "read scope" in resp.json()["detail"]
        resp = shared.request(method, "/api/v2/inventories/", token=write, json={})
        if method == "POST":  # the list takes POST (create, tests/service/test_service_web.py): the body is checked
            assert resp.status_code == 400 and list(resp.json()) == ["name"], resp.text
            continue
        assert resp.status_code == 405 and resp.json() == {"detail": "Method \"%s\" not allowed." % method}
    assert shared.request("POST", "/api/v2/inventories/", json={}).status_code == 401


@pytest.mark.parametrize("path", ["/api/v2/nothing/", "/api/v3/", "/api/v2/inventories/abc/", "/api/v2/hosts/-1/",
                                  "/api/v2/hosts/1.5/", "/api/v2/projects/%C2%B9/", "/api/v2/hosts/99999999999999999999/"])
def test_unknown_routes_and_non_numeric_ids_404(shared, path):
    resp = shared.get(path, token=shared.superuser_token())
    assert resp.status_code == 404
    assert resp.json() == {"detail": "The requested resource could not be found."}


@pytest.mark.parametrize("path", ["/api/v2/inventories/999999/", "/api/v2/hosts/999999/", "/api/v2/groups/999999/",
                                  "/api/v2/inventory_sources/999999/", "/api/v2/projects/999999/",
                                  "/api/v2/inventories/999999/hosts/", "/api/v2/hosts/999999/ansible_facts/"])
def test_unknown_id_404(shared, path):
    resp = shared.get(path, token=shared.superuser_token())
    assert resp.status_code == 404 and resp.json() == {"detail": "Not found."}


def test_body_not_json_400(shared):
    token = shared.superuser_token()
    resp = shared.post("/api/v2/inventories/", token=token, data=b"{not json", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["detail"].startswith("JSON parse error - ")


def test_huge_body_413(shared):
    token = shared.superuser_token()
    resp = shared.post("/api/v2/inventories/", token=token, data=b"[" + b"1," * (600 * 1024) + b"1]",
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 413 and "too large" in resp.json()["detail"]

    def chunks():  # no Content-Length: the limit holds for a streamed body too
        for _chunk in range(40):
            yield b" " * 65536
    resp = shared.post("/api/v2/inventories/", token=token, data=chunks(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 413


@pytest.mark.parametrize("query, field", [("page_size=0", "page_size"), ("page_size=-1", "page_size"),
                                          ("page_size=abc", "page_size"), ("page=0", "page"), ("page=abc", "page"),
                                          ("page=1.5", "page")])
def test_bad_paging_400_naming_the_parameter(shared, query, field):
    resp = shared.get("/api/v2/inventories/?" + query, token=shared.superuser_token())
    assert resp.status_code == 400
    assert list(resp.json()) == [field]


def test_sigterm_stops_cleanly(service):
    assert service.get("/api/v2/ping/").status_code == 200
    assert service.stop(sig=signal.SIGTERM) == 0
    log = service.stderr()
    assert "Shutting down" in log and "Traceback" not in log


def test_bad_command_line_exits_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.fleet.inventory.service", "--store",
                           str(tmp_path / "s.db"), "--listen", "nowhere"], capture_output=True, text=True,
                          env={"PYTHONPATH": str(COLLECTIONS_ROOT), "PATH": "/usr/bin:/bin"}, timeout=60, check=False)
    assert proc.returncode == 2 and "--listen must be HOST:PORT" in proc.stderr


def test_config_file_gives_workers_and_the_command_line_wins(start_service, store_target, tmp_path):
    config = tmp_path / "service.yml"
    config.write_text("store: %s\nworkers: 3\nlisten: 127.0.0.1:1\n" % store_target)
    svc = start_service(store_target, extra_args=["--config", str(config)])  # --listen of the fixture wins
    assert svc.get("/api/v2/ping/").json()["instances"][0]["capacity"] == 3


@pytest.mark.parametrize("processes", ["1", "2"])
def test_store_password_never_in_the_output(tmp_path, processes):
    """A PostgreSQL store that cannot be reached: the service says which one and exits, without its password."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port, listen_port = sock.getsockname()[1], None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        listen_port = sock.getsockname()[1]
    url = "postgresql://fleet:Sup3rS3cret@127.0.0.1:%d/fleet?connect_timeout=2" % dead_port
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.fleet.inventory.service", "--store", url,
                           "--listen", "127.0.0.1:%d" % listen_port, "--processes", processes, "--workers", "0"],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PYTHONPATH": str(COLLECTIONS_ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "127.0.0.1:%d" % dead_port in output and "Sup3rS3cret" not in output, output
