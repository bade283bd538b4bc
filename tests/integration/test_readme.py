"""The README's Install section and its smallest example, run as written.

The Install test creates a real virtual environment (``python3 -m venv``, as the README says)
in a copy of the checkout, with ``HOME`` in the test's temp dir, so that the
collection lands in a throw-away ``~/.ansible/collections`` and the commands find nothing of
the test run's own venv: it takes about 12 s here
(pip installs ansible-core from the package index).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from doc_examples import Reader, blocks, clean_env, commands, copy_checkout, file_name, section

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
COLLECTIONS_ROOT = REPO / ".pytest_collections"


def test_install_section_runs_verbatim_in_a_fresh_venv(tmp_path):
    install = section(README, "## Install")
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    assert f"fleet-inventory-{version}.tar.gz" in install, "the Install section names another version than galaxy.yml"

    checkout = copy_checkout(REPO, tmp_path / "fleet-inventory")
    home = tmp_path / "home"
    # Nothing of this test run's venv on PATH: the section must bring its own ansible-galaxy.
    env = clean_env(home, drop_path=[str(Path(sys.executable).parent), str(REPO / ".venv" / "bin")])
    reader = Reader(checkout, env)

    ran = reader.run_section(install)
    shown = [c.command for b in blocks(install) if b.lang == "console" for c in commands(b)]
    assert [s.command for s in ran] == shown

    # the first part: the venv is real and ansible-galaxy came from it
    venv = home / "venvs" / "fleet"
    assert (venv / "bin" / "ansible-galaxy").exists()
    # installed into the default collections path under HOME
    default = home / ".ansible" / "collections" / "ansible_collections" / "fleet" / "inventory"
    assert (default / "MANIFEST.json").is_file(), reader.log()
    # the -p variation: into ./collections, which ansible.cfg puts on the collections path, without a warning
    assert not (checkout / "ansible.cfg").exists()  # the project's ansible.cfg went to the project
    local = home / "myproject" / "collections" / "ansible_collections" / "fleet" / "inventory"
    assert (local / "MANIFEST.json").is_file(), reader.log()
    install_p = next(s for s in ran if "-p ./collections" in s.command)
    assert "not part of the configured" not in install_p.stdout + install_p.stderr, install_p

    # ansible-doc rendered the plugin both times (the second time from ./collections only)
    docs = [s for s in ran if s.command.startswith("ansible-doc")]
    assert len(docs) == 2
    for step in docs:
        assert "fleet.inventory.smart" in step.stdout and "host_filter" in step.stdout, step
        assert "requirements" in step.stdout.lower() and "pyparsing" in step.stdout, step
    assert str(local) in reader.run("ansible-doc -t inventory fleet.inventory.smart --json").stdout


def test_smallest_example_runs_as_written(tmp_path):
    example = section(README, "## The smallest useful example")
    names = [file_name(b) for b in blocks(example)]
    assert {"ansible.cfg", "setup.yml", "ubuntu.smart.yml", "site.yml"} <= set(names)

    work = tmp_path / "example"
    work.mkdir()
    env = clean_env(tmp_path / "home", path_prefix=[str(Path(sys.executable).parent)])
    # the collection as the Install section leaves it: on the collections path
    env["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)
    reader = Reader(work, env)
    reader.run_section(example)

    # the store is where ansible.cfg says, relative to it
    assert (work / "store.db").is_file()
    last = reader.steps[-1]
    assert last.command == "ansible-playbook -i ubuntu.smart.yml site.yml"
    assert "web1.example.com (10.0.0.11) runs Ubuntu on 8 vCPUs" in last.stdout, reader.log()
    assert "web1.example.com (10.0.0.11) runs Ubuntu on 8 vCPUs" in example
    assert "ok=1" in last.stdout and "failed=0" in last.stdout


def test_smallest_example_fails_on_a_broken_smart_file(tmp_path):
    """What `unparsed_is_failed` in the example's ansible.cfg is for: a bad filter is an error, not "no hosts"."""
    example = section(README, "## The smallest useful example")
    cfg = next(b.text for b in blocks(example) if file_name(b) == "ansible.cfg")
    work = tmp_path / "example"
    work.mkdir()
    (work / "ansible.cfg").write_text(cfg)
    (work / "bad.smart.yml").write_text("plugin: fleet.inventory.smart\nhost_filter: name=web1 and and\n")
    env = clean_env(tmp_path / "home", path_prefix=[str(Path(sys.executable).parent)])
    env["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)
    reader = Reader(work, env)
    try:
        reader.run("ansible-inventory -i bad.smart.yml --graph")
    except AssertionError as exc:
        assert "exited 1" in str(exc) and "host_filter" in str(exc), str(exc)
    else:
        raise AssertionError("a broken smart inventory file did not fail: " + reader.log())
