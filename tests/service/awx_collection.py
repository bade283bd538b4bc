"""The awx.awx collection for the tests that run AWX's own client against the service.

``ensure()`` returns the directory holding ``ansible_collections/awx/awx``: FLEET_TEST_AWX_COLLECTIONS when set,
else ``.awx_collections/`` of the checkout, filled once by ``scripts/awx_collection.sh`` (it downloads the
``ansible`` wheel from PyPI and unpacks only awx.awx; a second call finds it there).  A lock file keeps xdist
workers from unpacking it twice at once.  When it cannot be had, the test fails in CI (``CI`` or
FLEET_TEST_AWX_REQUIRED set: scripts/test.sh sets it) and is skipped elsewhere (an offline laptop).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
PLUGIN = "ansible_collections/awx/awx/plugins/inventory/controller.py"


def ensure() -> Path:
    given = os.environ.get("FLEET_TEST_AWX_COLLECTIONS")
    root = Path(given) if given else REPO / ".awx_collections"
    if (root / PLUGIN).is_file():
        return root
    if not given:
        root.mkdir(parents=True, exist_ok=True)
        with open(root / ".lock", "w", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (root / PLUGIN).is_file():
                proc = subprocess.run(["bash", str(REPO / "scripts/awx_collection.sh")], capture_output=True, text=True,
                                      env=dict(os.environ, PYTHON=sys.executable), timeout=600, check=False)
                if proc.returncode != 0 and not (root / PLUGIN).is_file():
                    _unavailable("scripts/awx_collection.sh failed (%d): %s" % (proc.returncode, proc.stderr[-2000:]))
    if not (root / PLUGIN).is_file():
        _unavailable("no awx.awx under %s" % root)
    return root


def _unavailable(why):
    if os.environ.get("CI") or os.environ.get("FLEET_TEST_AWX_REQUIRED"):
        pytest.fail("awx.awx is needed in CI: " + why)
    pytest.skip("awx.awx is not available: " + why)
