"""A postgresql:// store through ansible-playbook and the inventory plugins: the password never shows.

The server-down cases need no PostgreSQL server (a free port of the loopback refuses at once), only
psycopg; the others run with FLEET_TEST_PG_URL (scripts/test.sh's PostgreSQL run).
"""

from __future__ import annotations

import socket

import pytest

from backends import BACKEND

pytest.importorskip("psycopg")

PASSWORD = "Sh0uld-N3ver-Show"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _everything(res) -> str:
    return (res.stdout or "") + (res.stderr or "")


def test_store_url_with_a_password_never_shows_it(run_playbook, run_inventory, ansible_env, tmp_path):
    url = "postgresql://fleet:%s@127.0.0.1:%d/fleetdb" % (PASSWORD, _free_port())
    playbook = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: From the environment
      fleet.inventory.inventory:
        name: prod
      ignore_errors: true
    - name: From the option
      fleet.inventory.host_info:
        store: "%s"
        host_filter: name=web1
      ignore_errors: true
""" % url
    ansible_env["FLEET_INVENTORY_STORE"] = url
    res = run_playbook(playbook, extra_args=["-vvv"])
    for name in ("From the environment", "From the option"):
        out = res.task(name)
        assert out.get("failed") is True and "not reachable" in out["msg"] and "fleetdb" in out["msg"], out
    # the playbook's own text (its task args, printed at -vvv) is the user's; the results never quote it
    shown = _everything(res).replace(url, "<the task's own argument>")
    assert PASSWORD not in shown
    # an inventory plugin reading that store
    proc = run_inventory(("--list", "-vvv"), {"plugin": "fleet.inventory.smart", "inventory": "prod"}, expect_rc=None,
                         inventory_filename="prod.smart.yml", raw=True)
    assert proc.returncode != 0 or "not reachable" in proc.stderr
    assert "fleetdb" in proc.stdout + proc.stderr and PASSWORD not in proc.stdout + proc.stderr


@pytest.mark.skipif(BACKEND != "postgresql", reason="runs with FLEET_TEST_BACKEND=postgresql")
def test_playbook_round_trip_on_postgresql(run_playbook, ansible_env):
    assert ansible_env["FLEET_INVENTORY_STORE"].startswith("postgresql://")
    playbook = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Inventory
      fleet.inventory.inventory:
        name: prod
    - name: Host
      fleet.inventory.host:
        inventory: prod
        name: web1
        enabled: false
        variables: {port: 8080}
    - name: Again
      fleet.inventory.host:
        inventory: prod
        name: web1
        enabled: false
        variables: {port: 8080}
"""
    res = run_playbook(playbook)
    assert res.task("Inventory")["changed"] is True
    assert res.task("Host")["changed"] is True
    assert res.task("Again")["changed"] is False
