# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host_filter compiler for PostgreSQL (work in progress)."""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compiler import SqlFilterCompiler

__all__ = ['PostgresqlFilterCompiler']


class PostgresqlFilterCompiler(SqlFilterCompiler):
    """PostgreSQL 13+."""

    dialect = 'postgresql'
