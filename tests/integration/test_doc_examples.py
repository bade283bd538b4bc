"""Examples of the guides in docs/, run as written (see tests/doc_examples.py for the rules)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from doc_examples import Reader, blocks, clean_env, file_name, section

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS_ROOT = REPO / ".pytest_collections"


def _reader(tmp_path: Path) -> Reader:
    work = tmp_path / "example"
    work.mkdir()
    env = clean_env(tmp_path / "home", path_prefix=[str(Path(sys.executable).parent)])
    env["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)  # the collection as installed
    return Reader(work, env)


def test_scm_guide_local_repository_example_runs_as_written(tmp_path):
    text = section((REPO / "docs" / "scm.md").read_text(), "## A complete example: an inventory in a local git repository")
    # the runnable part stops before the https/ssh variations, which need a real server
    runnable = text.split("### https and ssh", maxsplit=1)[0]
    assert {"ansible.cfg", "scm-setup.yml", "production.scm.yml", "scm-update.yml"} <= {file_name(b) for b in blocks(runnable)}
    reader = _reader(tmp_path)
    reader.run_section(runnable)

    work = reader.workdir
    assert (work / "store.db").is_file()
    # the checkout lives next to the store, as the guide says
    assert list((work / "projects").glob("*__inventories/prod/hosts.ini")), sorted(p.name for p in work.iterdir())
    update = next(s for s in reader.steps if s.command == "ansible-playbook -i localhost, scm-update.yml")
    assert '"msg": "production - from-git: successful"' in update.stdout, update.stdout
    # the graphs (checked against the guide's output by the reader) differ by web3
    graphs = [s.stdout for s in reader.steps if s.command.endswith("--graph")]
    assert len(graphs) == 2 and "web3" not in graphs[0] and "web3" in graphs[1]


@pytest.mark.postgresql_only
def test_store_guide_postgresql_examples_run_against_a_real_server(tmp_path, store_target):
    """docs/store.md "Trying it on one machine": the commands after the cluster is up, and the Python example,
    against this run's PostgreSQL (the guide's URL replaced by the test database's; starting the cluster is
    what the test suite itself does)."""
    text = section((REPO / "docs" / "store.md").read_text(), "### Trying it on one machine")
    guide_url = "postgresql://postgres@127.0.0.1:5499/fleet"
    console, python = [b for b in blocks(text) if b.lang in ("console", "python")]
    assert guide_url in console.text and guide_url in python.text
    env = clean_env(tmp_path / "home", path_prefix=[str(Path(sys.executable).parent)])
    env["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)
    env["FLEET_INVENTORY_STORE"] = store_target
    commands = [ln[2:] for ln in console.text.splitlines() if ln.startswith("$ ansible ")]
    assert len(commands) == 2
    for command in commands:
        proc = subprocess.run(["bash", "-c", command], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                              check=False)
        assert proc.returncode == 0 and "CHANGED" in proc.stdout, proc.stdout + proc.stderr
    psql = subprocess.run(["psql", store_target, "-c", "SELECT h.name, h.enabled, h.variables FROM hosts h"],
                          capture_output=True, text=True, timeout=60, check=False)
    expected = console.text.split("FROM hosts h'\n", 1)[1].split("\n$ ", 1)[0]
    assert re.sub(r"\s+", " ", psql.stdout).strip().startswith(re.sub(r"\s+", " ", expected).strip()), psql.stdout + psql.stderr

    script = python.text.replace(guide_url, store_target)
    env["PYTHONPATH"] = str(COLLECTIONS_ROOT)
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "{'ansible_distribution': 'Debian'}" in proc.stdout and "@" in proc.stdout.split()[0], proc.stdout
