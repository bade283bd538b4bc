# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host_filter language's error (defined with every engine error in ``module_utils.errors``) and message helpers."""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.errors import HostFilterError

__all__ = ['HostFilterError', 'shorten']


def shorten(text: str, limit: int = 40) -> str:
    """``text`` for an error message: long values are cut (a 4,400-digit value is not repeated)."""
    return text if len(text) <= limit else '%s... (%d characters)' % (text[:limit], len(text))
