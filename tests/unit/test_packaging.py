"""What ansible-doc and the built collection say about themselves: requirements, notes, licence, metadata."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(p for p in (REPO / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))
# the plugins and modules that parse host_filter text, which needs pyparsing
NEEDS_PYPARSING = ["plugins/inventory/smart.py", "plugins/modules/host_info.py", "plugins/modules/inventory.py"]


def documentation(path: Path) -> dict:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"{path} has no DOCUMENTATION")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_every_module_notes_that_it_runs_on_the_controller(path):
    # as ansible-doc shows it: the module's own notes plus those of its doc fragments
    from ansible.plugins.loader import fragment_loader
    from ansible.utils.plugin_docs import get_docstring

    doc = get_docstring(str(path), fragment_loader, collection_name="fleet.inventory", is_module=True)[0]
    notes = doc.get("notes") or []
    assert any("on the controller" in n and "controller's Ansible process" in n and "are not needed" in n for n in notes), notes


@pytest.mark.parametrize("rel", NEEDS_PYPARSING)
def test_host_filter_users_list_pyparsing_in_requirements(rel):
    reqs = documentation(REPO / rel).get("requirements") or []
    assert any(r.startswith("pyparsing") for r in reqs), reqs
    # the same lower bound as requirements.txt
    pin = next(ln for ln in (REPO / "requirements.txt").read_text().splitlines() if ln.startswith("pyparsing"))
    assert pin.split(">=")[1].split(",")[0] in next(r for r in reqs if r.startswith("pyparsing"))


def test_galaxy_metadata_has_no_placeholder_and_ships_no_dev_tooling():
    text = (REPO / "galaxy.yml").read_text()
    meta = yaml.safe_load(text)
    assert "example.invalid" not in text and "example.com" not in text
    for key in ("repository", "homepage", "issues", "documentation"):
        assert key not in meta or meta[key].startswith("https://"), key
    assert meta["license"] == ["GPL-3.0-or-later"]
    for path in ("Makefile", "scripts", "benchmarks", "requirements-dev.txt"):
        assert path in meta["build_ignore"], path
    for needed in ("plugins", "meta", "README.md", "LICENSE", "requirements.txt", "changelogs", "CHANGELOG.rst"):
        assert needed not in meta["build_ignore"], needed


def test_license_is_the_gpl3_text():
    text = (REPO / "LICENSE").read_text()
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE")
    assert "Version 3, 29 June 2007" in text and "END OF TERMS AND CONDITIONS" in text


def test_changelog_release_matches_the_galaxy_version():
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    changes = yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text())
    assert version in changes["releases"]
    rst = (REPO / "CHANGELOG.rst").read_text()
    assert f"v{version}\n" in rst
