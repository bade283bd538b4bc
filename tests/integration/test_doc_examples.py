"""Examples of the guides in docs/, run as written (see tests/doc_examples.py for the rules)."""

from __future__ import annotations

import sys
from pathlib import Path

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
