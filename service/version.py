# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, as ``/api/v2/ping/`` and ``/api/v2/`` report it.

Read once from the collection root: ``MANIFEST.json`` of an installed
collection, else ``galaxy.yml`` of a checkout.
"""

from __future__ import annotations

import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _version() -> str:
    try:
        with open(os.path.join(ROOT, "MANIFEST.json"), encoding="utf-8") as handle:
            return str(json.load(handle)["collection_info"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as handle:
            found = re.search(r"^version:\s*['\"]?([^'\"\s#]+)", handle.read(), re.M)
            if found:
                return found.group(1)
    except OSError:
        pass
    return "unknown"


VERSION = _version()
