# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's inventory plugins share to construct hosts from stored data.

Controller-side helpers for ``compose``/``groups``/``keyed_groups`` over stored
hosts and their cached facts: which fact keys the expressions can read (so
only those are loaded), the ``ansible_facts`` view of cached facts, trusting
stored variables as templates the way inventory files are, and compiling each
expression once per run instead of once per host, and the one assembly of a
host's variables for those expressions (:func:`constructing_vars`).

They live in :mod:`module_utils.rules.constructed` (the engine of constructed
inventories, which an update also runs outside of a plugin) and are
re-exported here for the plugins.
"""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.rules.constructed import (  # noqa: F401  pylint: disable=unused-import
    FactKeys,
    compile_once,
    constructing_vars,
    namespace_facts,
    refresh_composed,
    trusted,
)

__all__ = ["FactKeys", "compile_once", "constructing_vars", "namespace_facts", "refresh_composed", "trusted"]
