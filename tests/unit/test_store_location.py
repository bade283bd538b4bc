"""Where the store is and why (StoreLocation, locate_store, location_from_ansible), and reader opens."""

from __future__ import annotations

import os

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store import core as store_mod
from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store, locate_store, location_from_ansible


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for var in ("FLEET_INVENTORY_STORE", "ANSIBLE_CONFIG", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "home").mkdir()
    (tmp_path / "cwd").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path / "cwd")
    if os.path.isfile("/etc/ansible/ansible.cfg"):
        pytest.skip("/etc/ansible/ansible.cfg exists on this machine")
    return tmp_path


def test_the_controller_config_file_passed_in_wins_over_a_search(clean_env):
    (clean_env / "cwd" / "ansible.cfg").write_text("[fleet_inventory]\nstore = here.db\n")
    other = clean_env / "other.cfg"
    other.write_text("[fleet_inventory]\nstore = 'quoted dir/s.db' ; a comment\n")
    # no hint: searched as ansible-core searches
    assert locate_store().target == str(clean_env / "cwd" / "here.db")
    # the action plugin passes the file the controller loaded: only that one counts
    loc = locate_store(config_file=str(other))
    assert (loc.target, loc.origin, loc.config_file) == (str(clean_env / "quoted dir" / "s.db"), "ansible.cfg", str(other))
    assert loc.describe() == "named by [fleet_inventory] store in %s" % other
    # empty: the controller loaded no config file at all, whatever the working directory holds
    loc = locate_store(config_file=None)
    assert loc.origin == "default" and "Ansible loaded no ansible.cfg" in loc.describe()


def test_a_world_writable_cwd_is_not_searched(clean_env):
    cwd = clean_env / "cwd"
    (cwd / "ansible.cfg").write_text("[fleet_inventory]\nstore = /srv/x.db\n")
    os.chmod(cwd, 0o777)
    try:
        assert store_mod.find_ansible_cfg() is None
    finally:
        os.chmod(cwd, 0o755)
    assert store_mod.find_ansible_cfg() == str(cwd / "ansible.cfg")


@pytest.mark.parametrize("value, origin, expected_origin", [
    ("/x/s.db", "Direct", "option"),
    ("/x/s.db", "env: FLEET_INVENTORY_STORE", "environment"),
    ("postgresql://db/fleet", "Direct", "option"),
])
def test_location_from_ansible_origins(clean_env, value, origin, expected_origin):
    loc = location_from_ansible(value, origin, config_file=None, option_of="/inv/a.smart.yml")
    assert (loc.target, loc.origin) == (value, expected_origin)


def test_location_from_ansible_ini_is_relative_to_that_file(clean_env):
    cfg = clean_env / "proj" / "ansible.cfg"
    cfg.parent.mkdir()
    cfg.write_text("")
    loc = location_from_ansible("data/s.db", str(cfg), config_file=str(cfg))
    assert (loc.target, loc.origin, loc.config_file) == (str(clean_env / "proj" / "data" / "s.db"), "ansible.cfg", str(cfg))
    # not set anywhere: the default, saying which ansible.cfg had no setting
    loc = location_from_ansible(None, "default", config_file=str(cfg))
    assert loc.origin == "default" and str(cfg) in loc.describe()


def test_a_reader_opens_only_a_store(clean_env):
    path = clean_env / "s.db"
    with pytest.raises(StoreError, match="does not exist"):
        Store.open_existing(str(path))
    assert not path.exists()
    Store(str(path)).close()
    with Store.open_existing(str(path)) as s:
        assert s.location.origin == "option" and s.list_inventories() == []


def test_check_mode_stand_in_names_the_missing_store(clean_env):
    path = clean_env / "later.db"
    with Store.open(str(path), create=False) as s:
        with pytest.raises(Exception, match="inventory 'x' does not exist in store %s \\(which does not exist yet\\)" % path):
            s.require_inventory("x")
    assert not path.exists()


def test_an_unreadable_probe_is_reported(clean_env):
    path = clean_env / "garbage.db"
    path.write_bytes(b"not sqlite at all" * 300)
    with pytest.raises(StoreError, match="is not a usable SQLite database"):
        Store.open_existing(str(path))
    assert path.read_bytes() == b"not sqlite at all" * 300
