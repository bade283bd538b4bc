# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The service's routers, one module per resource; service/app.py includes them (ROUTERS)."""

from __future__ import annotations
