"""AWX's own inventory plugin, ``awx.awx.controller``, reads smart and constructed inventories from the service.

awx.awx comes from the ``ansible`` package on PyPI: tests/service/awx_collection.py runs
``scripts/awx_collection.sh`` once to unpack it into ``.awx_collections/`` (or point
FLEET_TEST_AWX_COLLECTIONS at a directory holding ``ansible_collections/awx/awx``).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import awx_collection
from service_paths import COLLECTIONS_ROOT

from ansible_collections.fleet.inventory.plugins.module_utils.rules.constructed import update_constructed_inventory


@pytest.fixture(scope="module", autouse=True)
def awx():
    """awx.awx, unpacked once (tests/service/awx_collection.py)."""
    return awx_collection.ensure()


def _plain(value):
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def controller_list(awx, service, token, inventory_id, tmp_path):
    """``ansible-inventory --list`` of ``awx.awx.controller`` pointed at the service."""
    config = tmp_path / ("inventory-%d.controller.yml" % inventory_id)  # the file name the plugin verifies
    config.write_text("plugin: awx.awx.controller\nhost: %s\noauth_token: %s\ninventory_id: %d\nvalidate_certs: false\n"
                      % (service.url, token, inventory_id))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (awx, COLLECTIONS_ROOT), ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
               ANSIBLE_DEPRECATION_WARNINGS="0")
    proc = subprocess.run(["ansible-inventory", "-i", str(config), "--list"], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return _plain(json.loads(proc.stdout))


def test_controller_plugin_reads_smart_and_constructed(awx, service, tmp_path):
    with service.open_store() as store:
        store.save_inventory("east", variables={"site": "east"})
        for name, distro in (("h1", "Debian"), ("h2", "RedHat"), ("h3", "Debian")):
            store.save_host("east", name, variables={"distro": distro})
        store.save_group("east", "web", hosts=["h1", "h2"])
        store.save_inventory("debian", kind="smart", host_filter="variables__distro=Debian")
        store.save_inventory("by-distro", kind="constructed", input_inventories=["east"],
                             source_vars={"keyed_groups": [{"key": "distro", "prefix": "distro"}]})
        update_constructed_inventory(store, "by-distro")
        ids = {inv["name"]: inv["id"] for inv in store.list_inventories()}
    token = service.token("reader", roles=[("read", "inventory", "debian"), ("read", "inventory", "by-distro")], scope="read")

    smart = controller_list(awx, service, token, ids["debian"], tmp_path)
    assert sorted(smart["_meta"]["hostvars"]) == ["h1", "h3"]
    assert smart["_meta"]["hostvars"]["h1"]["distro"] == "Debian"
    assert smart["_meta"]["hostvars"]["h1"]["remote_tower_enabled"] == "true"

    built = controller_list(awx, service, token, ids["by-distro"], tmp_path)
    assert sorted(built["_meta"]["hostvars"]) == ["h1", "h2", "h3"]
    assert sorted(built["distro_Debian"]["hosts"]) == ["h1", "h3"] and built["distro_RedHat"]["hosts"] == ["h2"]
    assert sorted(built["web"]["hosts"]) == ["h1", "h2"]

    # an inventory the token's user may not read: the plugin fails with AWX's 403
    config = tmp_path / "denied.controller.yml"
    config.write_text("plugin: awx.awx.controller\nhost: %s\noauth_token: %s\ninventory_id: %d\nvalidate_certs: false\n"
                      % (service.url, token, ids["east"]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (awx, COLLECTIONS_ROOT), ANSIBLE_INVENTORY_UNPARSED_FAILED="1")
    proc = subprocess.run(["ansible-inventory", "-i", str(config), "--list"], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert proc.returncode != 0
