"""Engine tests of plugins/module_utils/rules/projects.py: git projects, project updates, suggested inventory files.

Real git repositories are made by the tests (``git init --bare -b main`` + ``file://`` URLs).
"""

from __future__ import annotations

import base64
import http.server
import os
import stat
import subprocess
import sys
import threading
import types
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from git_repo import Repo, git

UPDATES_MODULE = "ansible_collections.fleet.inventory.plugins.module_utils.rules.updates"


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path / "git")
    r.write("hosts", "[web]\nweb1\nweb2\n")
    r.write("inventories/prod.yml", "all:\n  children:\n    db:\n      hosts:\n        db1:\n")
    r.write("site.yml", "- hosts: all\n  tasks: []\n")
    r.commit("first")
    return r


@pytest.fixture
def db(tmp_path, monkeypatch, store_target):
    monkeypatch.delenv(P.ENV_PROJECTS_ROOT, raising=False)
    (tmp_path / "store").mkdir()
    if store_target.startswith("postgresql://"):  # no store directory: the root a node configures
        monkeypatch.setenv(P.ENV_PROJECTS_ROOT, str(tmp_path / "store" / "projects"))
        s = Store(store_target)
    else:
        s = Store(str(tmp_path / "store" / "store.db"))
    yield s
    s.close()


@pytest.fixture
def triggered(monkeypatch):
    """Replace updates.update_sources_for_project (helper C's) with a recorder."""
    calls = []

    def fake(store, project_id, project_update_id):
        calls.append((project_id, project_update_id))
        return [{"id": 99, "status": "successful"}]

    try:
        from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates
    except ImportError:
        updates = types.ModuleType(UPDATES_MODULE)
        monkeypatch.setitem(sys.modules, UPDATES_MODULE, updates)
        import ansible_collections.fleet.inventory.plugins.module_utils as pkg

        monkeypatch.setattr(pkg, "updates", updates, raising=False)
    monkeypatch.setattr(updates, "update_sources_for_project", fake, raising=False)
    return calls


def count(db, table):
    return db.query_one("SELECT COUNT(*) AS n FROM %s" % table)["n"]


# ------------------------------------------------------------------------------ definitions


def test_create_and_change_project(db, repo):
    before, after, changed = P.save_project(db, "inv", scm_url=repo.url, scm_branch="main", description="d")
    assert before is None and changed
    assert after["scm_url"] == repo.url and after["scm_branch"] == "main" and after["status"] == "never updated"
    assert after["local_path"] == "%d__inv" % after["id"]
    assert P.require_project(db, "inv") == P.get_project(db, after["id"]) == after
    # the same values again: nothing changes
    _b, again, changed = P.save_project(db, "inv", scm_url=repo.url, scm_branch="main")
    assert not changed and again["modified"] == after["modified"]
    _b, changed_one, changed = P.save_project(db, "inv", scm_branch="dev")
    assert changed and changed_one["scm_branch"] == "dev" and changed_one["description"] == "d"
    assert P.scm_fields_changed(after, changed_one)
    assert not P.scm_fields_changed(changed_one, P.save_project(db, "inv", description="e")[1])


@pytest.mark.parametrize("kwargs, message", [
    (dict(name=""), "project name must not be empty"),
    (dict(name="p"), "project 'p' does not exist; scm_url is required to create it"),
    (dict(name="p", scm_url="ftp://host/repo.git"), "unsupported scheme 'ftp'"),
    (dict(name="p", scm_url="file://relative/repo"), "a file:// URL needs an absolute path"),
    (dict(name="p", scm_url="/srv/repo.git"), "is not a git URL"),
    (dict(name="p", scm_url="file:///srv/r.git", scm_type="svn"), "scm_type must be 'git', not 'svn'"),
    (dict(name="p", scm_url="https://h/r.git", password="x"), "scm_password needs scm_username"),
    (dict(name="p", scm_url="ssh://h/r.git", ssh_key_file="keys/id"), "must be an absolute path"),
    (dict(name="p", scm_url="-oProxyCommand=touch /tmp/x:r.git"), "is not a git URL"),
    (dict(name="p", scm_url="file:///srv/r.git", scm_branch="--upload-pack=touch /tmp/x"),
     "scm_branch '--upload-pack=touch /tmp/x' is not a valid git reference"),
    (dict(name="p", scm_url="file:///srv/r.git", scm_refspec="refs/x --exec=y"), "scm_refspec 'refs/x --exec=y' is not"),
])
def test_refused_definitions_write_nothing(db, kwargs, message):
    with pytest.raises(ValidationError) as err:
        P.save_project(db, **kwargs)
    assert message in str(err.value)
    assert count(db, "projects") == 0


def test_require_project_names_the_missing_one(db):
    with pytest.raises(NotFound, match="project 'nope' does not exist"):
        P.require_project(db, "nope")
    assert P.get_project(db, 42) is None


def test_password_in_url_moves_to_the_credential_and_is_masked(db):
    _b, after, _c = P.save_project(db, "p", scm_url="https://deploy:s3cret@git.example.com/ops/inv.git")
    assert after["scm_url"] == "https://git.example.com/ops/inv.git"
    assert after["credential"] == {"username": "deploy", "password": "s3cret"}
    shown = P.public_project(after)
    assert shown["credential"] == {"username": "deploy", "password": "$encrypted$"}
    # a new password is a change even though both are shown masked; an empty string removes it
    assert P.save_project(db, "p", password="other")[2]
    assert P.save_project(db, "p", password="", username="")[1]["credential"] == {}


# ------------------------------------------------------------------------------ updates


def test_update_checks_out_records_and_finds_inventory_files(db, repo, tmp_path):
    P.save_project(db, "inv", scm_url=repo.url)
    head = git("rev-parse", "HEAD", cwd=repo.work)
    record = P.update_project(db, "inv")
    assert record["status"] == "successful" and not record["failed"]
    assert record["scm_revision"] == head and record["revision_changed"] and record["previous_revision"] == ""
    assert record["launch_type"] == "manual" and record["started"] and record["finished"]
    assert "git fetch" in record["result_stdout"] and record["job_explanation"] == ""
    assert record["inventory_files"] == ["hosts", "inventories/prod.yml"]
    path = P.project_checkout_path(db, "inv")
    assert path == str(tmp_path / "store" / "projects" / ("%d__inv" % record["project"]))
    assert (tmp_path / "store" / "projects" / os.path.basename(path) / "hosts").read_text() == "[web]\nweb1\nweb2\n"
    project = P.require_project(db, "inv")
    assert project["scm_revision"] == head and project["status"] == "successful" and project["last_updated"]
    assert project["inventory_files"] == ["hosts", "inventories/prod.yml"]
    assert [u["id"] for u in P.list_project_updates(db, "inv")] == [record["id"]]
    assert P.get_project_update(db, record["id"])["status"] == "successful"


def test_unchanged_and_changed_revisions(db, repo):
    P.save_project(db, "inv", scm_url=repo.url)
    first = P.update_project(db, "inv")
    again = P.update_project(db, "inv")
    assert again["status"] == "successful" and not again["revision_changed"]
    assert again["scm_revision"] == first["scm_revision"]
    repo.write("more.ini", "[extra]\nx1\n")
    new = repo.commit("second")
    third = P.update_project(db, "inv")
    assert third["revision_changed"] and third["scm_revision"] == new and third["previous_revision"] == first["scm_revision"]
    assert "more.ini" in third["inventory_files"]
    # a file removed upstream is removed from the checkout too
    os.unlink(repo.work / "more.ini")
    repo.commit("third")
    assert "more.ini" not in P.update_project(db, "inv")["inventory_files"]
    assert not os.path.exists(os.path.join(P.project_checkout_path(db, "inv"), "more.ini"))


def test_branch_tag_and_commit(db, repo):
    first = git("rev-parse", "HEAD", cwd=repo.work)
    git("tag", "v1", cwd=repo.work)
    git("push", "-q", "origin", "v1", cwd=repo.work)
    repo.write("dev-only.ini", "[dev]\nd1\n")
    dev = repo.commit("on dev", branch="dev")
    P.save_project(db, "p", scm_url=repo.url, scm_branch="dev")
    assert P.update_project(db, "p")["scm_revision"] == dev
    P.save_project(db, "p", scm_branch="v1")
    assert P.update_project(db, "p")["scm_revision"] == first
    P.save_project(db, "p", scm_branch=dev[:12])
    assert P.update_project(db, "p")["scm_revision"] == dev
    # blank: the remote's default branch (main has no dev-only.ini: the branch dev was pushed from the same work tree)
    P.save_project(db, "p", scm_branch="")
    assert P.update_project(db, "p")["scm_revision"] == first


def test_remote_revision_for_check_mode(db, repo):
    _b, project, _c = P.save_project(db, "p", scm_url=repo.url, scm_branch="main")
    assert P.remote_revision(project) == git("rev-parse", "HEAD", cwd=repo.work)
    assert count(db, "project_updates") == 0


@pytest.mark.parametrize("setup, explanation", [
    (dict(scm_branch="nope"), "scm_branch 'nope' is not a branch, tag or commit of the repository"),
    (dict(scm_url="file:///nonexistent/repo.git"), "git fetch failed"),
])
def test_failed_update_is_recorded_and_triggers_nothing(db, repo, triggered, setup, explanation):
    P.save_project(db, "p", scm_url=repo.url)
    good = P.update_project(db, "p")
    assert good["status"] == "successful" and triggered == [(good["project"], good["id"])]
    assert good["inventory_updates"] == [{"id": 99, "status": "successful"}]
    P.save_project(db, "p", **setup)
    bad = P.update_project(db, "p")
    assert bad["status"] == "failed" and bad["failed"]
    assert explanation in bad["job_explanation"] and explanation in bad["result_stdout"]
    assert bad["scm_revision"] == "" and bad["inventory_updates"] == []
    assert triggered == [(good["project"], good["id"])]  # nothing more
    project = P.require_project(db, "p")
    assert project["status"] == "failed" and project["scm_revision"] == good["scm_revision"]
    assert project["inventory_files"] == good["inventory_files"]


def test_trigger_can_be_turned_off(db, repo, triggered):
    P.save_project(db, "p", scm_url=repo.url)
    assert P.update_project(db, "p", trigger_inventory_updates=False)["inventory_updates"] == []
    assert triggered == []


def test_https_password_never_reaches_git_config_or_log(db, tmp_path):
    P.save_project(db, "p", scm_url="https://deploy:s3cret-token@127.0.0.1:9/ops/inv.git")
    record = P.update_project(db, "p")
    assert record["status"] == "failed" and "git fetch failed" in record["job_explanation"]
    assert "s3cret-token" not in record["result_stdout"] and "s3cret-token" not in record["job_explanation"]
    config = (tmp_path / "store" / "projects" / ("%d__p" % record["project"]) / ".git" / "config").read_text()
    assert "s3cret-token" not in config and "deploy" not in config


class _GitHTTP(http.server.BaseHTTPRequestHandler):
    """``git http-backend`` behind HTTP basic auth (user ``deploy``, password ``s3cret``)."""

    root = None
    expected = "Basic " + base64.b64encode(b"deploy:s3cret").decode()

    def log_message(self, *args):  # quiet
        pass

    def _serve(self):
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _sep, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = dict(os.environ, GIT_PROJECT_ROOT=str(self.root), GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path,
                   QUERY_STRING=query, REQUEST_METHOD=self.command, CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)), REMOTE_USER="deploy", GIT_PROTOCOL=self.headers.get("Git-Protocol", ""))
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, check=True).stdout
        head, _sep, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode().split("\r\n"):
            key, _sep, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve


@pytest.fixture
def http_repo(repo):
    handler = type("Handler", (_GitHTTP,), {"root": repo.bare.parent})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/%s" % (server.server_address[1], repo.bare.name)
    server.shutdown()
    server.server_close()


def test_http_username_and_password_authenticate_without_leaking(db, http_repo, repo, tmp_path):
    P.save_project(db, "p", scm_url=http_repo, username="deploy", password="wrong-pass")
    bad = P.update_project(db, "p")
    assert bad["status"] == "failed" and "Authentication failed" in bad["job_explanation"]
    P.save_project(db, "p", password="s3cret")
    good = P.update_project(db, "p")
    assert good["status"] == "successful", good["result_stdout"]
    assert good["scm_revision"] == git("rev-parse", "HEAD", cwd=repo.work)
    checkout = Path(P.project_checkout_path(db, "p"))
    config = (checkout / ".git" / "config").read_text()
    assert "s3cret" not in config and "wrong-pass" not in config and "deploy" not in config
    for rec in P.list_project_updates(db, "p"):
        assert "s3cret" not in rec["result_stdout"] + rec["job_explanation"]
        assert "wrong-pass" not in rec["result_stdout"] + rec["job_explanation"]
    stored = Path.home() / ".git-credentials"  # no credential helper of ours stores anything
    assert not stored.exists() or "s3cret" not in stored.read_text()


def test_credential_helper_gives_git_the_secret_from_the_environment(tmp_path):
    env = P.git_env({"username": "deploy", "password": "s3cret"})
    proc = subprocess.run(["git", "credential", "fill"], input="protocol=https\nhost=git.example.com\n\n",
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), check=True)
    assert "username=deploy" in proc.stdout and "password=s3cret" in proc.stdout
    assert env["GIT_TERMINAL_PROMPT"] == "0"


def test_ssh_key_credential(db, tmp_path):
    key = tmp_path / "id_deploy"
    env = P.git_env({"ssh_key_file": str(key)})
    assert env["GIT_SSH_COMMAND"].startswith("ssh -i %s " % key)
    assert "IdentitiesOnly=yes" in env["GIT_SSH_COMMAND"] and "StrictHostKeyChecking=accept-new" in env["GIT_SSH_COMMAND"]
    P.save_project(db, "p", scm_url="git@127.0.0.1:ops/inv.git", ssh_key_file=str(key))
    record = P.update_project(db, "p")
    assert record["status"] == "failed"
    assert record["job_explanation"] == "scm_ssh_key_file %s does not exist or is not a file" % key


def test_git_runs_ssh_with_the_key(db, tmp_path, monkeypatch):
    """A stand-in ``ssh`` on PATH records how git calls it."""
    key = tmp_path / "id_deploy"
    key.write_text("not a real key\n")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    args_file = tmp_path / "ssh-args"
    (fake_bin / "ssh").write_text('#!/bin/sh\nprintf "%%s\\n" "$@" > %s\necho "Permission denied (publickey)." >&2\nexit 255\n'
                                  % args_file)
    (fake_bin / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_bin) + os.pathsep + os.environ["PATH"])
    P.save_project(db, "p", scm_url="ssh://git@git.example.com/ops/inv.git", ssh_key_file=str(key))
    record = P.update_project(db, "p")
    assert record["status"] == "failed" and "Permission denied (publickey)" in record["result_stdout"]
    args = args_file.read_text().splitlines()
    assert args[:2] == ["-i", str(key)]
    for option in ("IdentitiesOnly=yes", "StrictHostKeyChecking=accept-new", "BatchMode=yes"):
        assert option in args
    assert "git@git.example.com" in args


def test_git_timeout_fails_the_update(db, repo, tmp_path, monkeypatch):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "git").write_text("#!/bin/sh\nexec sleep 60\n")
    (fake_bin / "git").chmod(0o755)
    P.save_project(db, "p", scm_url=repo.url)
    monkeypatch.setenv("PATH", str(fake_bin) + os.pathsep + os.environ["PATH"])
    record = P.update_project(db, "p", timeout=1)
    assert record["status"] == "failed"
    assert "did not finish within 1 seconds" in record["job_explanation"]


def test_concurrent_updates_of_one_project_are_serialized(db, repo, tmp_path):
    P.save_project(db, "p", scm_url=repo.url)
    results = []

    def run():
        s = Store(db.target)
        try:
            results.append(P.update_project(s, "p")["status"])
        finally:
            s.close()

    threads = [threading.Thread(target=run) for _n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["successful"] * 3
    assert count(db, "project_updates") == 3


def test_update_waits_for_the_checkout_lock_and_records_a_timeout(db, repo):
    P.save_project(db, "p", scm_url=repo.url)
    path = P.project_checkout_path(db, "p")
    taken, release = threading.Event(), threading.Event()

    def hold():  # another thread (or process) reading the checkout
        with P.checkout_lock(path):
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        taken.wait(30)
        record = P.update_project(db, "p", timeout=1)
    finally:
        release.set()
        holder.join()
    assert record["status"] == "failed" and record["inventory_updates"] == []
    assert "another update of this project holds %s.lock for more than 1 seconds" % path in record["job_explanation"]
    # the thread that holds the lock may update the project itself (re-entrant)
    with P.checkout_lock(path):
        assert P.update_project(db, "p")["status"] == "successful"


def _running_update(db, project, pid=4242, node="other-node", lease=60.0, heartbeat="2026-01-01T00:00:00.000000+00:00"):
    """A project update record left running (and its project marked running) by ``node``, its lease ending in ``lease`` s."""
    until = (datetime.now(timezone.utc) + timedelta(seconds=lease)).isoformat(timespec="microseconds")
    with db.transaction():
        rid = db.query_one("INSERT INTO project_updates (project_id, status, created, started, pid, hostname, lease_expires,"
                           " heartbeat) VALUES (?, 'running', 'x', 'x', ?, ?, ?, ?) RETURNING id",
                           (project["id"], pid, node, until, heartbeat))["id"]
        db.execute("UPDATE projects SET status = 'running' WHERE id = ?", (project["id"],))
    return rid


REASON = "node other-node stopped renewing the lease of this update at 2026-01-01T00:00:00.000000+00:00"


def test_a_running_record_whose_lease_passed_is_marked_failed(db, repo):
    _b, project, _c = P.save_project(db, "p", scm_url=repo.url)
    _running_update(db, project, lease=-1)
    record = P.update_project(db, "p")
    assert record["status"] == "successful"
    first = P.list_project_updates(db, "p")[0]
    assert first["status"] == "failed" and first["job_explanation"] == REASON
    assert db.query_one("SELECT status FROM project_updates WHERE id = ?", (first["id"],))["status"] == "failed"


def _stored(db):
    return ([tuple(r.values()) for r in db.query("SELECT id, status, job_explanation, finished FROM project_updates ORDER BY id")],
            [tuple(r.values()) for r in db.query("SELECT id, status FROM projects ORDER BY id")])


def test_an_update_records_the_node_running_it_and_its_lease(db, repo, monkeypatch):
    monkeypatch.setenv("FLEET_INVENTORY_NODE", "node-a")
    P.save_project(db, "p", scm_url=repo.url)
    record = P.update_project(db, "p")
    assert (record["pid"], record["hostname"]) == (os.getpid(), "node-a")
    assert record["started"] <= record["heartbeat"] < record["lease_expires"]


def test_a_record_whose_lease_passed_reads_as_failed_without_a_write(db, repo):
    _b, project, _c = P.save_project(db, "p", scm_url=repo.url)
    P.update_project(db, "p")
    rid = _running_update(db, project, pid=os.getpid(), lease=-1)  # this very process: /proc would call it alive
    stored = _stored(db)
    record = P.get_project_update(db, rid)
    assert (record["status"], record["failed"], record["job_explanation"]) == ("failed", True, REASON)
    assert [(r["id"], r["status"]) for r in P.list_project_updates(db, "p")] == [(rid - 1, "successful"), (rid, "failed")]
    assert P.get_project(db, "p")["status"] == "failed" and P.get_project(db, project["id"])["status"] == "failed"
    assert [x["status"] for x in P.list_projects(db)] == ["failed"]
    assert P.project_state(db, project["id"]) == ("failed", "%s (project update %d)" % (REASON, rid))
    assert _stored(db) == stored  # readers wrote nothing
    # the next update records it
    assert P.update_project(db, "p")["status"] == "successful"
    assert P.get_project_update(db, rid)["job_explanation"] == REASON
    assert P.project_state(db, project["id"]) == ("successful", "")


@pytest.mark.parametrize("who", ["a node whose lease holds", "no lease (made before schema 6)"])
def test_a_record_whose_lease_holds_stays_running(db, repo, who):
    _b, project, _c = P.save_project(db, "p", scm_url=repo.url)
    rid = _running_update(db, project, pid=1, node="elsewhere.invalid")
    if who.startswith("no lease"):
        with db.transaction():
            db.execute("UPDATE project_updates SET lease_expires = NULL, heartbeat = NULL WHERE id = ?", (rid,))
    assert P.get_project_update(db, rid)["status"] == "running"
    assert P.get_project(db, "p")["status"] == "running"
    assert P.project_state(db, project["id"]) == ("running", "")


def test_another_nodes_running_update_does_not_stop_this_nodes(db, repo):
    # each node has its own checkout: an update of another node's is left alone, and this one runs
    _b, project, _c = P.save_project(db, "p", scm_url=repo.url)
    rid = _running_update(db, project)
    assert P.update_project(db, "p")["status"] == "successful"
    assert P.get_project_update(db, rid)["status"] == "running"


def test_a_project_marked_running_without_a_running_update_reads_as_failed(db, repo):
    _b, project, _c = P.save_project(db, "p", scm_url=repo.url)
    with db.transaction():
        db.execute("UPDATE projects SET status = 'running' WHERE id = ?", (project["id"],))
    assert P.project_state(db, project["id"]) == ("failed", "no update of the project is running")
    assert P.project_state(db, project["id"] + 1) == ("", "")  # no such project


def test_migration_5_adds_the_process_of_a_project_update(tmp_path, monkeypatch):
    from ansible_collections.fleet.inventory.plugins.module_utils.store import schema

    path = str(tmp_path / "v4.db")
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:4])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 4)
    with Store(path) as old:
        _b, project, _c = P.save_project(old, "p", scm_url="https://h/r.git")
        with old.transaction():  # a record as a version-4 store holds it (no process)
            old.execute("INSERT INTO project_updates (project_id, status, created, started) VALUES (?, 'running', 'x', 'x')",
                        (project["id"],))
            old.execute("UPDATE projects SET status = 'running' WHERE id = ?", (project["id"],))
    monkeypatch.undo()
    with Store(path) as new:
        assert new.schema_version == schema.SCHEMA_VERSION >= 5
        assert [tuple(r.values()) for r in new.query("SELECT status, pid, pid_start, hostname FROM project_updates")] == [
            ("running", None, "", "")]
        # a record of a process nobody can check is trusted, as before
        assert P.get_project(new, "p")["status"] == "running"


def test_checkout_location(db, tmp_path, monkeypatch):
    _b, project, _c = P.save_project(db, "My Project/1", scm_url="https://h/r.git")
    assert P.project_checkout_path(db, project) == str(tmp_path / "store" / "projects" / ("%d__My_Project_1" % project["id"]))
    monkeypatch.setenv(P.ENV_PROJECTS_ROOT, str(tmp_path / "elsewhere"))
    assert P.project_checkout_path(db, "My Project/1") == str(tmp_path / "elsewhere" / ("%d__My_Project_1" % project["id"]))
    monkeypatch.delenv(P.ENV_PROJECTS_ROOT)
    mem = Store(":memory:")
    try:
        _b, p2, _c = P.save_project(mem, "m", scm_url="https://h/r.git")
        assert os.path.isabs(P.project_checkout_path(mem, p2)) and P.project_checkout_path(mem, p2).endswith("__m")
    finally:
        mem.close()


def test_delete_project(db, repo):
    P.save_project(db, "p", scm_url=repo.url)
    record = P.update_project(db, "p")
    path = P.project_checkout_path(db, "p")
    assert os.path.isdir(path)
    inv_id = db.save_inventory("i")[1]["id"]
    with db.transaction():
        db.execute("INSERT INTO inventory_sources (inventory_id, name, source, source_project_id, created, modified)"
                   " VALUES (?, 'from-git', 'scm', ?, '', '')", (inv_id, record["project"]))
    with pytest.raises(ValidationError, match="project 'p' is the source_project of inventory source 'from-git' of inventory 'i'"):
        P.delete_project(db, "p")
    assert P.get_project(db, "p") is not None and count(db, "project_updates") == 1
    with db.transaction():
        db.execute("DELETE FROM inventory_sources")
    deleted = P.delete_project(db, "p")
    P.remove_checkout(db, deleted)
    assert deleted["name"] == "p" and P.get_project(db, "p") is None and count(db, "project_updates") == 0
    assert not os.path.exists(path)
    assert P.delete_project(db, "p") is None


# ------------------------------------------------------------------------------ suggested inventory files


def test_inventory_files_follow_awx_rules_plus_yaml(tmp_path):
    root = tmp_path / "co"
    files = {
        "hosts": "[web]\nw1\n",
        "inventory": "anything at all\n",
        "staging.ini": "[db]\nd1\n",
        "prod": "[web]\nweb1 ansible_host=10.0.0.1\n",  # no extension, every line looks like inventory
        "README": "# a readme\nnot an inventory\n",  # a line starting with '#': not an inventory
        "notes.txt": "[web]\nw1\n",  # an extension that is not .ini/.yml
        "yaml/prod.yml": "---\nall:\n  children:\n    web:\n      hosts:\n        w1:\n",
        "yaml/aws_ec2.yaml": "plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n",
        "yaml/site.yml": "- hosts: all\n  roles: [common]\n",  # a playbook
        "yaml/vars.yml": "ntp_server: ntp.example.com\n",  # a vars file
        "roles/common/hosts": "[x]\n",
        "tasks/hosts": "[x]\n",
        "group_vars/hosts": "[x]\n",
        "host_vars/web1.ini": "[x]\n",
        "sub/.hidden/hosts": "[x]\n",
        ".github/hosts": "[x]\n",
        "sub/group_vars/all.yml": "all:\n  hosts:\n    x:\n",
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    script = root / "scripts" / "dynamic.py"
    script.parent.mkdir()
    script.write_text("#!/usr/bin/env python3\nprint('{}')\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    assert P.find_inventory_files(str(root)) == [
        "hosts", "inventory", "prod", "scripts/dynamic.py", "staging.ini", "yaml/aws_ec2.yaml", "yaml/prod.yml"]


def test_inventory_files_at_most_50_sorted_case_insensitively(tmp_path):
    root = tmp_path / "co"
    root.mkdir()
    names = ["inv%03d.ini" % i for i in range(70)] + ["Alpha.ini"]
    for name in names:
        (root / name).write_text("[g]\nh\n")
    found = P.find_inventory_files(str(root))
    assert len(found) == 50
    assert found == sorted(names, key=str.lower)[:50] and found[0] == "Alpha.ini"
    assert P.find_inventory_files(str(tmp_path / "missing")) == []


def test_project_without_inventories(db, tmp_path):
    r = Repo(tmp_path / "empty")
    r.write("site.yml", "- hosts: all\n  tasks: []\n")
    r.write("README.md", "docs\n")
    r.commit()
    P.save_project(db, "p", scm_url=r.url)
    record = P.update_project(db, "p")
    assert record["status"] == "successful" and record["inventory_files"] == []
