"""Make ``ansible_collections.fleet.inventory`` importable from the checkout.

The repository root is the collection root.  Python, ansible and pytest find
a collection as ``<path>/ansible_collections/<namespace>/<name>``, so we build
that shape under ``.pytest_collections`` (git-ignored) with a symlink back to
the checkout and put it first on ``sys.path`` and ANSIBLE_COLLECTIONS_PATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS_ROOT = REPO / ".pytest_collections"

# Shared helpers of the test modules (git_repo.py, scaffolding.py) are plain
# modules in this folder; put it on sys.path whatever pytest's import mode.
TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)


def _link_collection() -> None:
    ns = COLLECTIONS_ROOT / "ansible_collections" / "fleet"
    ns.mkdir(parents=True, exist_ok=True)
    link = ns / "inventory"
    if not link.exists():
        try:
            link.symlink_to(REPO, target_is_directory=True)
        except FileExistsError:  # another xdist worker won the race
            pass


_link_collection()
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)

# Import the collection through ansible's own collection loader, as ansible
# does at run time.  Installing it once, before any test module imports
# ``ansible_collections.*``, keeps one copy of every module (a second import
# path would give two distinct classes of, say, HostFilterError).
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([str(COLLECTIONS_ROOT)])

# In CI, property tests draw the same examples on every run (a failure there is
# reproducible and never a coin toss); locally they explore new examples each run.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
