"""Which store a run uses, and that readers never create one (issue 10 items 6 and 7).

Everything runs through ansible-inventory and ansible-playbook with no store configured
except what each test sets: HOME, XDG_DATA_HOME and the working directory are the test's own.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import unwrap_tagged as unwrap_unsafe
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

if os.path.isfile("/etc/ansible/ansible.cfg"):
    pytestmark = pytest.mark.skip(reason="/etc/ansible/ansible.cfg exists on this machine and would be Ansible's config")

SMART = "plugin: fleet.inventory.smart\nhost_filter: name__startswith=web\n"

PLAY = """\
- name: Fill the store
  hosts: localhost
  gather_facts: false
  tasks:
    - name: inventory
      fleet.inventory.inventory:
        name: prod
    - name: host
      fleet.inventory.host:
        name: web1
        inventory: prod
    - name: search
      fleet.inventory.host_info:
        host_filter: name__startswith=web
      register: found
"""


@pytest.fixture
def env(ansible_env, tmp_path):
    """No store configured: no FLEET_INVENTORY_STORE, no ANSIBLE_CONFIG, an empty HOME, XDG_DATA_HOME in tmp."""
    e = dict(ansible_env)
    e.pop("FLEET_INVENTORY_STORE")
    e.pop("ANSIBLE_CONFIG", None)
    (tmp_path / "home").mkdir()
    e["HOME"] = str(tmp_path / "home")
    e["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    return e


def ansible_bin(name) -> str:
    return str(Path(sys.executable).parent / name)


def default_store(tmp_path) -> Path:
    return tmp_path / "xdg" / "fleet.inventory" / "store.db"


def run(cmd, env, cwd, expect_rc=0):
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=str(cwd), capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL, check=False)
    if expect_rc is not None:
        assert proc.returncode == expect_rc, "rc %d\n--- stdout\n%s\n--- stderr\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    return proc


def inventory_hosts(proc) -> list:
    data = unwrap_unsafe(json.loads(proc.stdout))
    return sorted(data.get("ungrouped", {}).get("hosts", []))


def playbook(path, env, cwd, expect_rc=0, extra=()):
    e = dict(env)
    e["ANSIBLE_STDOUT_CALLBACK"] = "fleet_test_json"
    proc = run([ansible_bin("ansible-playbook"), "-i", "localhost,", "-c", "local", *extra, path], e, cwd, expect_rc)
    return proc


def found_hosts(proc) -> list:
    doc = unwrap_unsafe(json.loads(proc.stdout[proc.stdout.find("{"):]))
    for play in doc["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"] == "search":
                return [h["name"] for h in task["hosts"]["localhost"]["hosts"]]
    raise AssertionError("no search task")


def make_store(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store(str(path)) as s:
        s.save_inventory("prod")
        s.save_host("prod", "web1")


# --------------------------------------------------------------------------------- readers create nothing


@pytest.mark.parametrize("how", ["option", "environment", "ansible.cfg", "default"])
def test_smart_file_on_a_missing_store_is_an_error_naming_it(env, tmp_path, how):
    work = tmp_path / "work"
    work.mkdir()
    missing = tmp_path / "typo" / "stroe.db"
    text = SMART
    if how == "option":
        text += "store: %s\n" % missing
        origin = "named by the store option of %s" % (work / "web.smart.yml")
    elif how == "environment":
        env["FLEET_INVENTORY_STORE"] = str(missing)
        origin = "named by the environment variable FLEET_INVENTORY_STORE"
    elif how == "ansible.cfg":
        (work / "ansible.cfg").write_text("[fleet_inventory]\nstore = ../typo/stroe.db\n")
        origin = "named by [fleet_inventory] store in %s" % (work / "ansible.cfg")
    else:
        missing = default_store(tmp_path)
        origin = "the default store: no store option, FLEET_INVENTORY_STORE is not set, and Ansible loaded no ansible.cfg"
    (work / "web.smart.yml").write_text(text)
    proc = run([ansible_bin("ansible-inventory"), "-i", "web.smart.yml", "--list"], env, work, expect_rc=None)
    assert proc.returncode != 0
    assert "store %s does not exist (%s" % (missing, origin) in proc.stderr.replace("\n", " ").replace("  ", " ") or \
        "store %s does not exist (%s" % (missing, origin) in proc.stderr, proc.stderr
    assert not missing.exists() and not missing.parent.exists()


def test_without_unparsed_failed_the_missing_store_is_still_the_first_warning(env, tmp_path):
    env.pop("ANSIBLE_INVENTORY_UNPARSED_FAILED")
    missing = tmp_path / "nope.db"
    inv = tmp_path / "web.smart.yml"
    inv.write_text(SMART + "store: %s\n" % missing)
    proc = run([ansible_bin("ansible-inventory"), "-i", inv, "--list"], env, tmp_path)
    first = proc.stderr.strip().splitlines()[0]
    assert first.startswith("[WARNING]: Failed to parse inventory with 'auto' plugin: %s: store %s does not exist" % (inv, missing)), \
        proc.stderr
    assert not missing.exists()


def test_an_empty_file_is_never_made_into_a_store(env, tmp_path):
    empty = tmp_path / "store.db"
    empty.write_bytes(b"")
    inv = tmp_path / "web.smart.yml"
    inv.write_text(SMART + "store: %s\n" % empty)
    proc = run([ansible_bin("ansible-inventory"), "-i", inv, "--list"], env, tmp_path, expect_rc=None)
    assert proc.returncode != 0
    assert "store %s is an empty (0-byte) file, not a store" % empty in proc.stderr
    assert empty.stat().st_size == 0 and not Path(str(empty) + "-wal").exists()


def test_a_database_without_the_schema_is_not_migrated_by_a_reader(env, tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(str(other))
    conn.execute("CREATE TABLE mine (x)")
    conn.commit()
    conn.close()
    inv = tmp_path / "web.smart.yml"
    inv.write_text(SMART + "store: %s\n" % other)
    proc = run([ansible_bin("ansible-inventory"), "-i", inv, "--list"], env, tmp_path, expect_rc=None)
    assert proc.returncode != 0
    assert "is a SQLite database without the fleet.inventory schema" in proc.stderr
    conn = sqlite3.connect(str(other))
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["mine"]
    conn.close()


def test_unknown_smart_inventory_names_the_store(env, tmp_path):
    store = tmp_path / "s.db"
    make_store(store)
    inv = tmp_path / "x.smart.yml"
    inv.write_text("plugin: fleet.inventory.smart\ninventory: nosuch\nstore: %s\n" % store)
    proc = run([ansible_bin("ansible-inventory"), "-i", inv, "--list"], env, tmp_path, expect_rc=None)
    assert proc.returncode != 0
    assert "inventory 'nosuch' does not exist in store %s" % store in proc.stderr


@pytest.mark.parametrize("content", [None, b""])
def test_host_info_never_creates_a_store(env, tmp_path, content):
    store = tmp_path / "sub" / "store.db"
    if content is not None:
        store.parent.mkdir()
        store.write_bytes(content)
    env["FLEET_INVENTORY_STORE"] = str(store)
    book = tmp_path / "search.yml"
    book.write_text("""\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: search
      fleet.inventory.host_info:
        host_filter: name=web1
""")
    proc = playbook(book, env, tmp_path, expect_rc=2)
    doc = json.loads(proc.stdout[proc.stdout.find("{"):])
    msg = doc["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"]
    if content is None:
        assert msg.startswith("store %s does not exist (named by the environment variable FLEET_INVENTORY_STORE)" % store), msg
        assert not store.parent.exists()
    else:
        assert msg.startswith("store %s is an empty (0-byte) file" % store), msg
        assert store.stat().st_size == 0


def test_writers_still_create_the_store(env, tmp_path):
    book = tmp_path / "site.yml"
    book.write_text(PLAY)
    proc = playbook(book, env, tmp_path)
    assert found_hosts(proc) == ["web1"]
    assert default_store(tmp_path).stat().st_size > 0


# --------------------------------------------------------------------------------- playbooks and ansible-inventory agree


@pytest.fixture
def project(tmp_path):
    """tmp/proj/{ansible.cfg, site.yml, web.smart.yml}; ansible.cfg names proj/data/store.db (relative)."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "ansible.cfg").write_text("[defaults]\nretry_files_enabled = false\n\n[fleet_inventory]\nstore = data/store.db  ; relative\n")
    (proj / "site.yml").write_text(PLAY)
    (proj / "web.smart.yml").write_text(SMART)
    return proj


def test_from_the_project_directory_both_use_its_ansible_cfg(env, tmp_path, project):
    proc = playbook("site.yml", env, project)
    assert found_hosts(proc) == ["web1"]
    assert (project / "data" / "store.db").is_file()
    assert not default_store(tmp_path).exists()
    listed = run([ansible_bin("ansible-inventory"), "-i", "web.smart.yml", "--list"], env, project)
    assert inventory_hosts(listed) == ["web1"]


def test_from_the_directory_above_neither_reads_the_project_ansible_cfg(env, tmp_path, project):
    # ansible-core reads ./ansible.cfg of the directory it runs in only: from tmp/ it loads no
    # config file, so the modules (which run in the playbook's directory) must not pick up
    # proj/ansible.cfg either; both use the default store.
    proc = playbook("proj/site.yml", env, tmp_path)
    assert found_hosts(proc) == ["web1"]
    assert not (project / "data").exists()
    assert default_store(tmp_path).is_file()
    listed = run([ansible_bin("ansible-inventory"), "-i", "proj/web.smart.yml", "--list"], env, tmp_path)
    assert inventory_hosts(listed) == ["web1"]


def test_ansible_config_names_the_project_ansible_cfg_for_both(env, tmp_path, project):
    env["ANSIBLE_CONFIG"] = str(project / "ansible.cfg")
    proc = playbook("proj/site.yml", env, tmp_path)
    assert found_hosts(proc) == ["web1"]
    assert (project / "data" / "store.db").is_file()
    assert not default_store(tmp_path).exists()
    listed = run([ansible_bin("ansible-inventory"), "-i", "proj/web.smart.yml", "--list"], env, tmp_path)
    assert inventory_hosts(listed) == ["web1"]
    # the environment variable beats ansible.cfg, for both
    env["FLEET_INVENTORY_STORE"] = str(tmp_path / "env.db")
    make_store(tmp_path / "env.db")
    with Store(str(tmp_path / "env.db")) as s:
        s.save_host("prod", "web2")
    proc = playbook("proj/site.yml", env, tmp_path)
    assert found_hosts(proc) == ["web1", "web2"]
    listed = run([ansible_bin("ansible-inventory"), "-i", "proj/web.smart.yml", "--list"], env, tmp_path)
    assert inventory_hosts(listed) == ["web1", "web2"]


def test_ansible_doc_shows_the_env_and_ini_entries(env, tmp_path):
    for kind, name in (("inventory", "fleet.inventory.smart"), ("inventory", "fleet.inventory.constructed"),
                       ("inventory", "fleet.inventory.scm"), ("cache", "fleet.inventory.store")):
        proc = run([ansible_bin("ansible-doc"), "-t", kind, name, "--json"], env, tmp_path)
        option = json.loads(proc.stdout)[name]["doc"]["options"]["store"]
        assert option["env"] == [{"name": "FLEET_INVENTORY_STORE"}], name
        assert option["ini"] == [{"section": "fleet_inventory", "key": "store"}], name
    text = run([ansible_bin("ansible-doc"), "-t", "inventory", "fleet.inventory.smart"], env, tmp_path).stdout
    assert "FLEET_INVENTORY_STORE" in text and "fleet_inventory" in text
    listed = run([ansible_bin("ansible-config"), "list", "-t", "inventory", "fleet.inventory.smart"], env, tmp_path).stdout
    assert "FLEET_INVENTORY_STORE" in listed


# --------------------------------------------------------------------------------- a broken file is not "no hosts matched"

BROKEN = {
    "smart": ("bad.smart.yml", "plugin: fleet.inventory.smart\nhost_filter: name=web1 and (\n",
              "host_filter: unbalanced '(': missing ')' at column 15"),
    "constructed": ("bad.constructed.yml", "plugin: fleet.inventory.constructed\ninput_inventories: [prod, nope]\n",
                    "input_inventories: inventory 'nope' does not exist"),
    "scm": ("bad.scm.yml", "plugin: fleet.inventory.scm\n", "set exactly one of inventory_source (a stored SCM source) or repo"),
}

PING = "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.ping:\n"


@pytest.mark.parametrize("plugin", sorted(BROKEN))
@pytest.mark.parametrize("setting", [None, "ANSIBLE_INVENTORY_UNPARSED_FAILED", "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"])
def test_a_broken_plugin_file_shows_its_own_error_first(env, tmp_path, plugin, setting):
    store = tmp_path / "s.db"
    make_store(store)
    env["FLEET_INVENTORY_STORE"] = str(store)
    env.pop("ANSIBLE_INVENTORY_UNPARSED_FAILED")
    if setting:
        env[setting] = "1"
    name, text, reason = BROKEN[plugin]
    (tmp_path / name).write_text(text)
    (tmp_path / "ping.yml").write_text(PING)
    proc = run([ansible_bin("ansible-playbook"), "-i", name, "ping.yml"], env, tmp_path, expect_rc=None)
    # the first thing on stderr is this plugin's error, naming the file and the reason
    first = proc.stderr.strip().splitlines()[0]
    assert first.startswith("[WARNING]: Failed to parse inventory with 'auto' plugin: %s: " % (tmp_path / name)), proc.stderr
    assert reason in first
    if setting is None:
        # Ansible only warns: the play runs on no host and succeeds
        assert proc.returncode == 0 and "skipping: no hosts matched" in proc.stdout
    else:
        assert proc.returncode != 0 and "no hosts matched" not in proc.stdout
    # with another source beside it, only any_unparsed_is_failed still fails the run
    proc = run([ansible_bin("ansible-playbook"), "-i", "localhost,", "-i", name, "ping.yml", "--list-hosts"], env, tmp_path, expect_rc=None)
    assert (proc.returncode != 0) == (setting == "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED"), proc.stderr
