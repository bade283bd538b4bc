"""The README's Service section: its three commands start a service with a token, as written."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from service_paths import REPO, free_port


def _commands():
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Service\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```console\n(.*?)```", section, re.S).group(1)
    return [line[2:] for line in block.splitlines() if line.startswith("$ ")]


@pytest.mark.sqlite_only
def test_readme_service_section_runs_as_written(tmp_path):
    commands = _commands()
    assert len(commands) == 3
    # a checkout after `make demo`: .venv, and demo-output/ with the collection link tree and a store
    (tmp_path / ".venv").symlink_to(Path(sys.executable).resolve().parent.parent if not (REPO / ".venv").exists()
                                    else (REPO / ".venv").resolve())
    fleet = tmp_path / "demo-output" / "collections" / "ansible_collections" / "fleet"
    fleet.mkdir(parents=True)
    (fleet / "inventory").symlink_to(REPO)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLEET_INVENTORY_", "ANSIBLE_COLLECTIONS"))}
    env["HOME"] = str(tmp_path)
    script = "set -e\n%s\n%s > token.out\n" % (commands[0], commands[1])
    subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, check=True, timeout=300, capture_output=True)
    token = re.search(r'"token": "(fli_[^"]+)"', (tmp_path / "token.out").read_text()).group(1)
    serve = "%s\nexec %s" % (commands[0], commands[2].replace("127.0.0.1:8052", "127.0.0.1:%d" % port))
    log = open(tmp_path / "service.log", "wb")
    proc = subprocess.Popen(["bash", "-c", serve], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get("http://127.0.0.1:%d/api/v2/ping/" % port, timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        resp = requests.get("http://127.0.0.1:%d/api/v2/me/" % port, headers={"Authorization": "Bearer " + token}, timeout=10)
        assert resp.status_code == 200, (tmp_path / "service.log").read_text()
        assert resp.json()["results"][0]["username"] == "admin"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        log.close()
