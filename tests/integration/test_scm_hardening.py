"""Hostile repositories and dead processes (issue 9, items 5-7 and 10), through ansible-playbook and ansible-inventory.

Each test drives the public interface with real git repositories, real inventory scripts and real
signals: what an scm update lets an inventory script see, symlinks that leave the checkout,
passwords inside ssh URLs, and children that must die with the process that started them.
"""

from __future__ import annotations

import os
import shutil
import scaffolding
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from git_repo import Repo
from scaffolding import failed

# a node that dies is told by its lease: short ones here (see store/leases.py), and the time to let one pass
SHORT_LEASE = {"FLEET_INVENTORY_LEASE_SECONDS": "1.5"}
LEASE_PASSED = 2.0


def task(title, module, /, **args):
    return {"name": title, module: args}


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def store_rows(path, sql, params=()):
    return scaffolding.rows(path, sql, params)


# --------------------------------------------------------------------------- 7. credentials in ssh URLs


@pytest.mark.parametrize("given, cleaned", [
    ("ssh://deploy:S3CRET-pw@127.0.0.1:9/ops/inv.git", "ssh://deploy@127.0.0.1:9/ops/inv.git"),
    ("git+ssh://deploy:S3CRET-pw@127.0.0.1:9/ops/inv.git", "git+ssh://deploy@127.0.0.1:9/ops/inv.git"),
    ("deploy:S3CRET-pw@127.0.0.1:ops/inv.git", "deploy@127.0.0.1:ops/inv.git"),
])
def test_password_in_an_ssh_url_is_never_kept_shown_or_written(run_playbook, ansible_env, given, cleaned):
    # the update runs (and fails: nothing listens there) so that the checkout's .git/config is written
    res = run_playbook(play(task("define", "fleet.inventory.project", name="p", scm_url=given)),
                       extra_args=["-vvv"], expect_rc=2)
    out = failed(res.task("define"))
    assert out["project"]["scm_url"] == cleaned
    assert out["project"]["credential"] == {"username": "deploy", "password": "$encrypted$"}
    assert "S3CRET-pw" not in res.stdout and "S3CRET-pw" not in res.stderr
    store = ansible_env["FLEET_INVENTORY_STORE"]
    assert store_rows(store, "SELECT scm_url FROM projects") == [(cleaned,)]
    config = scaffolding.projects_dir(ansible_env) / "1__p" / ".git" / "config"
    assert config.is_file() and cleaned in config.read_text() and "S3CRET-pw" not in config.read_text()
    shown = run_playbook(play(task("show", "fleet.inventory.project", name="p", update=False)), extra_args=["-vvv"])
    assert shown.task("show")["project"]["scm_url"] == cleaned and "S3CRET-pw" not in shown.stdout


def test_password_in_the_scm_plugin_repo_url_stays_out_of_git_config_and_messages(run_inventory, tmp_path):
    proc = run_inventory("--list", {"plugin": "fleet.inventory.scm", "repo": "ssh://deploy:S3CRET-pw@127.0.0.1:9/inv.git",
                                    "checkout_dir": str(tmp_path / "co")},
                         expect_rc=1, inventory_filename="x.scm.yml")
    assert "git fetch failed" in proc.stderr and "S3CRET-pw" not in proc.stderr + proc.stdout
    configs = list((tmp_path / "co").glob("*/.git/config"))
    assert configs and all("S3CRET-pw" not in c.read_text() for c in configs)
    assert "ssh://deploy@127.0.0.1:9/inv.git" in configs[0].read_text()


# --------------------------------------------------------------------------- 5. owner-only files


@pytest.mark.sqlite_only
def test_store_its_wal_and_shm_and_the_projects_directory_are_owner_only(run_playbook, ansible_env, tmp_path):
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

    repo = Repo(tmp_path / "git")
    repo.write("hosts", "[web]\nweb1\n")
    repo.commit()
    old = os.umask(0o022)  # the usual umask: without care, files are 0644 and directories 0755
    try:
        run_playbook(play(task("define", "fleet.inventory.project", name="p", scm_url=repo.url)))
        store = ansible_env["FLEET_INVENTORY_STORE"]
        with Store(store):  # an open store has its -wal and -shm
            modes = {suffix: stat.S_IMODE(os.stat(store + suffix).st_mode) for suffix in ("", "-wal", "-shm")}
        assert modes == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
        assert stat.S_IMODE(os.stat(Path(store).parent / "projects").st_mode) == 0o700
    finally:
        os.umask(old)


# --------------------------------------------------------------------------- 5. what an inventory script sees

ENV_SCRIPT = """\
#!/usr/bin/env python3
import json, os, sys
if len(sys.argv) > 1 and sys.argv[1] == "--host":
    print("{}")
    sys.exit(0)
found = {}
for name in ("STORE_PATH", "FLEET_INVENTORY_STORE"):
    path = os.environ.get(name)
    if path:
        try:
            with open(path, "rb") as handle:
                found[name] = handle.read(16).decode("latin-1")
        except OSError as exc:
            found[name] = "refused: %s" % exc.__class__.__name__
def can_write(path):
    try:
        with open(path, "w") as handle:
            handle.write("written by the inventory script")
        return True
    except OSError:
        return False
print(json.dumps({"probe": {"hosts": ["h1"]}, "_meta": {"hostvars": {"h1": {
    "env": sorted(os.environ),
    "tier": os.environ.get("TIER"),
    "store": found,
    "wrote_checkout": can_write("written-by-script"),
    "wrote_tmp": can_write("/tmp/fleet-sandbox-probe-%s" % os.environ.get("PROBE_ID", "")),
    "home_entries": sorted(os.listdir(os.environ["HOME"])) if os.path.isdir(os.environ.get("HOME", "")) else None,
}}}}))
"""

ALLOWED = {"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "PWD", "SHLVL", "_", "ANSIBLE_INVENTORY_UNPARSED_FAILED",
           "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED", "ANSIBLE_NOCOLOR", "ANSIBLE_FORCE_COLOR", "ANSIBLE_COLLECTIONS_PATH",
           "ANSIBLE_COLLECTIONS_PATHS", "TIER", "STORE_PATH", "PROBE_ID"}


@pytest.fixture
def probe_repo(tmp_path):
    repo = Repo(tmp_path / "git")
    repo.write("probe/inventory.py", ENV_SCRIPT, mode=0o755)
    repo.commit()
    return repo


def run_probe(run_playbook, ansible_env, probe_repo, tmp_path, sandbox):
    store = ansible_env["FLEET_INVENTORY_STORE"]
    probe_id = "%s-%s" % (os.getpid(), tmp_path.name)
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True, exist_ok=True)
    (home / ".aws" / "credentials").write_text("[default]\naws_secret_access_key = aws-s3cret\n")
    secrets = {"AWS_SECRET_ACCESS_KEY": "aws-s3cret", "GITHUB_TOKEN": "gh-t0ken", "FLEET_INVENTORY_SCM_SANDBOX": sandbox,
               "HOME": str(home)}
    res = run_playbook(play(
        task("project", "fleet.inventory.project", name="p", scm_url=probe_repo.url, scm_username="u", scm_password="pw-s3cret"),
        task("inventory", "fleet.inventory.inventory", name="prod"),
        task("source", "fleet.inventory.inventory_source", name="probe", inventory="prod", source="scm", source_project="p",
             source_path="probe/inventory.py", source_vars={"TIER": "gold", "STORE_PATH": store, "PROBE_ID": probe_id}),
        task("update", "fleet.inventory.inventory_source_update", name="probe", inventory="prod"),
        task("read", "fleet.inventory.host_info", host_filter="name=h1"),
    ), env=secrets)
    hostvars = res.task("read")["hosts"][0]["variables"]
    checkout = scaffolding.projects_dir(ansible_env) / "1__p"
    tmp_probe = Path("/tmp/fleet-sandbox-probe-%s" % probe_id)
    return res, hostvars, checkout, tmp_probe


@pytest.mark.parametrize("sandbox", ["off", "auto"])
def test_inventory_scripts_get_a_clean_environment(run_playbook, ansible_env, probe_repo, tmp_path, sandbox):
    res, hv, _checkout, tmp_probe = run_probe(run_playbook, ansible_env, probe_repo, tmp_path, sandbox)
    tmp_probe.unlink(missing_ok=True)
    extra = [k for k in hv["env"] if k not in ALLOWED and not k.startswith("LC_")]
    assert extra == [], extra
    assert "FLEET_INVENTORY_STORE" not in hv["env"] and "AWS_SECRET_ACCESS_KEY" not in hv["env"]
    assert hv["tier"] == "gold"
    assert "FLEET_INVENTORY_STORE" not in hv["store"]
    assert "aws-s3cret" not in res.stdout and "pw-s3cret" not in res.stdout


@pytest.mark.skipif(not shutil.which("bwrap"), reason="bwrap (bubblewrap) is not installed: apt-get install -y bubblewrap")
def test_sandboxed_script_cannot_read_the_store_nor_write_the_checkout(run_playbook, ansible_env, probe_repo, tmp_path):
    res, hv, checkout, tmp_probe = run_probe(run_playbook, ansible_env, probe_repo, tmp_path, "auto")
    update = res.task("update")["inventory_update"]
    assert "sandbox: bwrap" in update["result_stdout"]
    # the store's path was handed over in source_vars: the file is not there for the script
    assert hv["store"]["STORE_PATH"].startswith("refused"), hv["store"]
    assert hv["wrote_checkout"] is False and not (checkout / "written-by-script").exists()
    # /tmp is private: what the script wrote there is gone, and the real /tmp never saw it
    assert hv["wrote_tmp"] is True and not tmp_probe.exists()
    # the home directory is an empty one of its own (ansible writes its temp files there)
    assert ".aws" not in hv["home_entries"] and set(hv["home_entries"]) <= {".ansible"}, hv["home_entries"]


def test_sandbox_setting_is_checked(run_playbook, ansible_env, probe_repo, tmp_path):
    with pytest.raises(AssertionError) as info:
        run_probe(run_playbook, ansible_env, probe_repo, tmp_path, "maybe")
    assert "FLEET_INVENTORY_SCM_SANDBOX=maybe: use auto (the default), bwrap or off" in str(info.value)


# --------------------------------------------------------------------------- 6. no symlink leaves the checkout


@pytest.fixture
def linking_repo(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.ini").write_text("[stolen]\nfrom-outside\n")
    (outside / "vars.yml").write_text("secret: from-outside\n")
    repo = Repo(tmp_path / "git")
    repo.write("inv/hosts.ini", "[web]\nweb1\n")
    (repo.work / "inv" / "evil_hosts").symlink_to(outside / "evil.ini")
    repo.write("flat/hosts.ini", "[db]\ndb1\n")
    (repo.work / "flat" / "group_vars").mkdir()
    (repo.work / "flat" / "group_vars" / "db.yml").symlink_to(outside / "vars.yml")
    repo.write("fine/hosts.ini", "[app]\napp1\n")
    (repo.work / "fine" / "more.ini").symlink_to("../inv/hosts.ini")  # inside the checkout: allowed
    repo.commit()
    return repo


@pytest.mark.parametrize("source_path, link", [("inv", "inv/evil_hosts"), ("flat/hosts.ini", "flat/group_vars/db.yml")])
def test_update_refuses_a_link_out_of_the_checkout_naming_it(run_playbook, ansible_env, linking_repo, source_path, link):
    res = run_playbook(play(
        task("project", "fleet.inventory.project", name="p", scm_url=linking_repo.url),
        task("inventory", "fleet.inventory.inventory", name="prod"),
        task("source", "fleet.inventory.inventory_source", name="s", inventory="prod", source="scm", source_project="p",
             source_path=source_path),
        task("update", "fleet.inventory.inventory_source_update", name="s", inventory="prod"),
    ), expect_rc=2)
    msg = failed(res.task("update"))["msg"]
    assert "%s is a symbolic link to" % link in msg and "outside the project's checkout" in msg, msg
    assert store_rows(ansible_env["FLEET_INVENTORY_STORE"], "SELECT name FROM hosts") == []


def test_update_follows_links_that_stay_inside(run_playbook, ansible_env, linking_repo):
    res = run_playbook(play(
        task("project", "fleet.inventory.project", name="p", scm_url=linking_repo.url),
        task("inventory", "fleet.inventory.inventory", name="prod"),
        task("source", "fleet.inventory.inventory_source", name="s", inventory="prod", source="scm", source_project="p",
             source_path="fine"),
        task("update", "fleet.inventory.inventory_source_update", name="s", inventory="prod"),
    ))
    assert res.task("update")["inventory_update"]["status"] == "successful"
    assert sorted(r[0] for r in store_rows(ansible_env["FLEET_INVENTORY_STORE"], "SELECT name FROM hosts")) == ["app1", "web1"]


def test_scm_plugin_direct_mode_refuses_a_link_out_of_the_checkout(run_inventory, linking_repo, tmp_path):
    proc = run_inventory("--list", {"plugin": "fleet.inventory.scm", "repo": linking_repo.url, "source_path": "inv",
                                    "checkout_dir": str(tmp_path / "co")}, expect_rc=1, inventory_filename="x.scm.yml")
    assert "inv/evil_hosts is a symbolic link to" in proc.stderr and "from-outside" not in proc.stdout


# --------------------------------------------------------------------------- 10. nothing outlives its parent

SLOW_SCRIPT = """\
#!/usr/bin/env python3
import json, os, sys, time
if os.environ.get("SLOW") == "yes" and sys.argv[1:] == ["--list"]:
    time.sleep(900)
print(json.dumps({"slow": {"hosts": ["s1"]}} if sys.argv[1:] == ["--list"] else {}))
"""


def _procs():
    """{pid: (ppid, cmdline)} of every process, zombies left out."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                cmd = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if fields[0] != "Z":
            out[int(entry)] = (int(fields[1]), cmd)
    return out


def _wait_for(predicate, what, limit=180):
    """Poll ``predicate`` (returns a value or None) until it gives a value; fails after ``limit`` seconds."""
    import time

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("gave up waiting for %s" % what)


def _descendants(root, procs):
    children = {}
    for pid, (ppid, _cmd) in procs.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            out.append(child)
            todo.append(child)
    return out


def _kill_ancestor_and_check(leaf_marker, ancestor_marker):
    """SIGKILL the nearest ancestor of the process whose cmdline holds ``leaf_marker`` that matches ``ancestor_marker``;
    returns the processes that were below it, once none of them is left."""
    import signal

    def leaf():
        return next((pid for pid, (_ppid, cmd) in _procs().items()
                     if leaf_marker in cmd and "ansible-inventory" not in cmd and "bwrap" not in cmd), None)

    pid = _wait_for(leaf, "a process running %s" % leaf_marker)
    procs = _procs()
    target, chain = pid, []
    while target in procs and ancestor_marker not in procs[target][1]:
        chain.append(target)
        target = procs[target][0]
    assert target in procs and target > 1, "no ancestor matching %r above %s: %s" % (ancestor_marker, pid, chain)
    below = _descendants(target, procs)
    assert pid in below
    os.kill(target, signal.SIGKILL)
    try:
        _wait_for(lambda: not (set(below) & set(_procs())) or None, "the children of the killed process to die: %s" % below,
                  limit=60)
    finally:  # a failing test leaves no orphan behind
        for pid in set(below) & set(_procs()):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return below


def _kill_playbook_midway(tmp_path, env, one_task, leaf_marker, ancestor_marker):
    """Run ``one_task`` with ansible-playbook, SIGKILL the process running it (the nearest ancestor of ``leaf_marker``
    matching ``ancestor_marker``) and check that at least two processes below it (the children it started) are gone."""
    playbook = tmp_path / "killed.yml"
    playbook.write_text(yaml.safe_dump(play(one_task)))
    proc = subprocess.Popen([str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
                            env=env, cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        below = _kill_ancestor_and_check(leaf_marker, ancestor_marker)
        assert len(below) >= 2, below
    finally:
        proc.wait(timeout=300)


def _stored_slow_source(ansible_env, tmp_path, marker):
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects, sources
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

    repo = Repo(tmp_path / "git")
    repo.write("%s/inventory.py" % marker, SLOW_SCRIPT, mode=0o755)
    repo.commit()
    store = ansible_env["FLEET_INVENTORY_STORE"]
    with Store(store) as s:
        s.save_inventory("prod")
        projects.save_project(s, "p", scm_url=repo.url)
        projects.update_project(s, "p")
        sources.save_source(s, "prod", "slow", source="scm", source_project="p", source_path="%s/inventory.py" % marker,
                            source_vars={"SLOW": "yes"}, update_project=False)
    return store


def _make_fast(store):
    """The script sleeps no more: check mode's preview (which runs it) can finish."""
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

    with Store(store) as s:
        sources.save_source(s, "prod", "slow", source_vars={"SLOW": "no"})


def _readers_see_failed(run_playbook, run_inventory, store):
    before = store_rows(store, "SELECT status, pid FROM inventory_updates")
    assert [r[0] for r in before] == ["running"], before
    shown = run_playbook(play(task("show", "fleet.inventory.inventory_source", name="slow", inventory="prod")),
                         check=True).task("show")
    assert shown["inventory_source"]["status"] == "failed", shown
    _make_fast(store)
    listed = run_playbook(play(task("list", "fleet.inventory.update_inventory_sources", inventory="prod", list_only=True)))
    assert [e["source_status"] for e in listed.task("list")["inventory_updates"]] == ["failed"]
    checked = run_playbook(play(task("check", "fleet.inventory.update_inventory_sources", inventory="prod")), check=True)
    assert [e["source_status"] for e in checked.task("check")["inventory_updates"]] == ["failed"]
    proc = run_inventory("--list", {"plugin": "fleet.inventory.scm", "inventory_source": "slow", "update": False},
                         inventory_filename="slow.scm.yml", raw=True)
    assert proc.returncode == 0 and "stopped renewing the lease of this update" in proc.stderr, proc.stderr
    assert store_rows(store, "SELECT status FROM inventory_updates") == [("running",)]  # readers wrote nothing


@pytest.mark.parametrize("wait", [True, False], ids=["module", "background-update"])
def test_sigkill_of_an_update_kills_its_ansible_inventory_and_readers_see_it_failed(
        run_playbook, run_inventory, ansible_env, tmp_path, wait):
    marker = "slow-%s-%s" % (os.getpid(), tmp_path.name)
    store = _stored_slow_source(ansible_env, tmp_path, marker)
    # the module runs in ansible-playbook's worker process, a background update in a detached interpreter of its own;
    # below it: ansible-inventory and the script (and bwrap).  A short lease: readers see it failed once it passed.
    _kill_playbook_midway(tmp_path, dict(ansible_env, **SHORT_LEASE),
                          task("update", "fleet.inventory.inventory_source_update", name="slow", inventory="prod", wait=wait),
                          marker + "/inventory.py --list", "ansible-playbook" if wait else "_detached_main")
    time.sleep(LEASE_PASSED)
    _readers_see_failed(run_playbook, run_inventory, store)


def test_sigkill_of_a_project_update_kills_git_and_ssh(run_playbook, ansible_env, tmp_path):
    marker = "fakessh-%s-%s" % (os.getpid(), tmp_path.name)
    fakebin = tmp_path / marker
    fakebin.mkdir()
    (fakebin / "ssh").write_text("#!/bin/sh\nsleep 900\n")
    (fakebin / "ssh").chmod(0o755)
    env = dict(ansible_env, PATH="%s:%s" % (fakebin, ansible_env["PATH"]))
    # the worker running the module; below it git and the ssh it started
    _kill_playbook_midway(tmp_path, env, task("project", "fleet.inventory.project", name="p",
                                              scm_url="ssh://git@fleet-inventory.invalid/repo.git"),
                          marker + "/ssh", "ansible-playbook")


# ssh as git runs it (``ssh [-o ...] [-p port] host 'git-upload-pack ...'``), served from this machine: the remote
# command runs here.  While the flag file exists it first sleeps, so that an update can be killed in the middle.
LOCAL_SSH = """\
#!/bin/sh
if [ -e "{flag}" ]; then
    sleep 900
fi
for last; do :; done
exec /bin/sh -c "$last"
"""


def test_sigkill_of_a_project_update_shows_failed_to_readers(run_playbook, ansible_env, tmp_path):
    repo = Repo(tmp_path / "git")
    repo.write("hosts", "web1\n")
    first = repo.commit()
    marker = "localssh-%s-%s" % (os.getpid(), tmp_path.name)
    fakebin = tmp_path / marker
    fakebin.mkdir()
    flag = tmp_path / "slow"
    (fakebin / "ssh").write_text(LOCAL_SSH.format(flag=flag))
    (fakebin / "ssh").chmod(0o755)
    env = dict(ansible_env, PATH="%s:%s" % (fakebin, ansible_env["PATH"]))
    store = ansible_env["FLEET_INVENTORY_STORE"]
    made = run_playbook(play(task("project", "fleet.inventory.project", name="p",
                                  scm_url="ssh://git@fleet-inventory.invalid%s" % repo.bare)), env=env).task("project")
    assert made["project"]["status"] == "successful" and made["project"]["scm_revision"] == first

    flag.write_text("")
    _kill_playbook_midway(tmp_path, dict(env, **SHORT_LEASE), task("update", "fleet.inventory.project_update", name="p"),
                          marker + "/ssh", "ansible-playbook")
    flag.unlink()
    time.sleep(LEASE_PASSED)
    left = store_rows(store, "SELECT id, status, pid FROM project_updates ORDER BY id")
    assert [r[1] for r in left] == ["successful", "running"] and left[1][2] is not None, left
    assert store_rows(store, "SELECT status FROM projects") == [("running",)]
    node = socket.gethostname()
    dead = "node %s stopped renewing the lease of this update at " % node
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

    with Store(store) as s:
        state = projects.project_state(s, 1)
    assert state[0] == "failed" and state[1].startswith(dead) and state[1].endswith("(project update %d)" % left[1][0]), state

    shown = run_playbook(play(task("show", "fleet.inventory.project", name="p")), check=True, env=env).task("show")
    assert shown["project"]["status"] == "failed" and not shown["changed"], shown
    assert any(dead in w for w in shown.get("warnings", [])), shown.get("warnings")
    checked = run_playbook(play(task("check", "fleet.inventory.project_update", name="p")), check=True, env=env).task("check")
    assert checked["project"]["status"] == "failed" and checked["status"] == "check", checked
    assert any(dead in w for w in checked.get("warnings", [])), checked.get("warnings")
    assert store_rows(store, "SELECT status FROM project_updates ORDER BY id") == [("successful",), ("running",)]
    assert store_rows(store, "SELECT status FROM projects") == [("running",)]  # readers wrote nothing

    # the next update records it, as before
    again = run_playbook(play(task("update", "fleet.inventory.project_update", name="p")), env=env).task("update")
    assert again["status"] == "successful" and again["project"]["status"] == "successful"
    assert not any("shows as failed" in w for w in again.get("warnings", []))
    rows = store_rows(store, "SELECT status, job_explanation FROM project_updates ORDER BY id")
    assert [r[0] for r in rows] == ["successful", "failed", "successful"] and rows[1][1].startswith(dead), rows
