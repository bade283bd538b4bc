"""The README's first command must keep working: run the demo and check what it shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scripts" / "demo.sh"
VENV_BIN = REPO / ".venv" / "bin"


@pytest.mark.skipif(not (VENV_BIN / "ansible-playbook").exists() or Path(sys.executable).parent != VENV_BIN,
                    reason="the demo runs the bootstrapped .venv (make test runs pytest from it)")
def test_demo_builds_the_store_and_shows_smart_inventories(tmp_path, run_inventory):
    out = tmp_path / "demo-output"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "FLEET_INVENTORY_STORE"}
    env["DEMO_OUTPUT"] = str(out)
    proc = subprocess.run(["bash", str(DEMO)], env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # AWX's East/West example: the shut-down product_dev hosts across both inventories
    assert "product-dev-shutdown (2 hosts): host2, host6" in proc.stdout
    data = run_inventory(["-i", str(out / "product-dev-shutdown.smart.yml"), "--list"])
    assert set(data["_meta"]["hostvars"]) == {"host2", "host6"}

    # the same example as a constructed inventory: stored, updated (materialized) and read by the plugin
    assert "shutdown-product-dev constructed (2 hosts): host2, host6" in proc.stdout
    data = run_inventory(["-i", str(out / "shutdown-product-dev.yml"), "--list"])
    assert set(data["_meta"]["hostvars"]) == {"host2", "host6"}
    assert set(data["shutdown_in_product_dev"]["hosts"]) == {"host2", "host6"}

    # the smart inventory with source groups and fact-based keyed groups
    data = run_inventory(["-i", str(out / "ubuntu-web-8cpu.smart.yml"), "--list"])
    hosts = set(data["_meta"]["hostvars"])
    assert hosts and all(h.startswith("web") for h in hosts)
    assert set(data["release_jammy"]["hosts"]) | set(data["release_noble"]["hosts"]) == hosts
    # compose reads the cached facts: ansible_host comes from ansible_default_ipv4.address
    assert all(v["ansible_host"].startswith("10.") for v in data["_meta"]["hostvars"].values())
    # facts stay out of the host vars, as in AWX
    assert not any(k.startswith("ansible_facts") or k == "ansible_distribution" for v in data["_meta"]["hostvars"].values() for k in v)

    # every step shows what it ran: the files and the playbook whose results are shown
    text = proc.stdout
    for name in ("ubuntu-web-8cpu.smart.yml", "lo-ipv6-host.smart.yml", "nyc-not-debian.smart.yml",
                 "product-dev-shutdown.smart.yml", "intel-db.smart.yml", "constructed-playbook.yml",
                 "shutdown-product-dev.yml"):
        shown = text.index("$ cat " + name)
        assert (text.find("$ ansible-inventory -i " + name, shown) > shown
                or text.find("$ ansible-playbook -i localhost, " + name, shown) > shown), name
        # what is printed is the file that ran
        assert text[shown:].split("\n", 1)[1].startswith((out / name).read_text()), name
    assert "kind: constructed" in text[text.index("$ cat constructed-playbook.yml"):text.index("$ ansible-playbook -i localhost, constructed")]
    # the empty @sustaining group of the constructed inventory is explained
    graph = text[text.index("$ ansible-inventory -i shutdown-product-dev.yml --graph"):]
    assert "  |--@sustaining:\n  |--@" in graph
    assert "The empty @sustaining group" in graph

    # the closing hint works as printed, and does not lean on the test tree's collection path
    assert ".pytest_collections" not in text
    done = text[text.index("==== Done"):]
    hint = [ln.strip() for ln in done.splitlines() if ln.startswith("       ")]
    assert hint and hint[-1].startswith("cd ") and "ansible-inventory" in hint[-1]
    shell = subprocess.run(["bash", "-c", "set -e\n" + "\n".join(hint)], env=env, cwd=str(tmp_path),
                           capture_output=True, text=True, timeout=300, check=False)
    assert shell.returncode == 0, shell.stdout[-2000:] + shell.stderr[-2000:]
    assert json.loads(shell.stdout)["_meta"]["hostvars"], shell.stdout[:2000]
