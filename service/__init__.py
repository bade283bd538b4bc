# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet.inventory HTTP service: AWX's inventory API under ``/api/v2/`` over a store (see docs/service.md).

An adapter over the engine: routes turn requests into calls of ``rules``/``store``
and engine errors into AWX's status codes; no SQL and no business rule here.
"""

from __future__ import annotations
