# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounds on what a filter may be (documented in docs/host_filter.md "Limits").

Each is checked before the work it protects: the length before tokenizing.
"""

from __future__ import annotations

__all__ = ['MAX_DEPTH', 'MAX_LENGTH', 'MAX_TERMS', 'MAX_IN_ITEMS', 'MAX_VALUES', 'MAX_PATH_STEPS', 'MAX_DIGITS',
           'INT_MIN', 'INT_MAX']

# Maximum nesting of parentheses / ``not``.
MAX_DEPTH = 100
MAX_LENGTH = 65536          # characters of filter text
MAX_TERMS = 5000            # key=value terms
MAX_IN_ITEMS = 1000         # items of one ``__in`` list
MAX_VALUES = 10000          # values compared with, in all (each ``__in`` item counts)
MAX_PATH_STEPS = 32         # keys of a fact / variables path
MAX_DIGITS = 100            # digits of an unquoted number
# Integers a filter may compare with: SQLite's (and PostgreSQL's bigint) range.
INT_MIN = -(2 ** 63)
INT_MAX = 2 ** 63 - 1
