"""Paths and a free port for the service and browser tests: a plain module to import from (tests/ is on sys.path).

A test module cannot import these from ``conftest``: with tests/browser in the same run there are two
``tests/*/conftest.py`` and the name ``conftest`` is whichever pytest loaded last.
"""

from __future__ import annotations

import socket
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS_ROOT = REPO / ".pytest_collections"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
