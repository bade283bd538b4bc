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
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)
