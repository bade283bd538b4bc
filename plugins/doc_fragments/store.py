# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The store option of every module.
    DOCUMENTATION = r"""
options:
  store:
    description:
      - Where the fleet.inventory store lives.
      - A filesystem path of a SQLite database file (created with its schema on first use),
        or a C(postgresql://) URL.
      - When not given, the environment variable E(FLEET_INVENTORY_STORE) is used, then
        C(store) in the C([fleet_inventory]) section of C(ansible.cfg), then
        C(~/.local/share/fleet.inventory/store.db) (under E(XDG_DATA_HOME) when set).
      - Modules run on the controller; use C(delegate_to=localhost) or C(connection=local).
    type: str
notes:
  - The store is changed in one transaction per task; a task that fails writes nothing.
"""

    # The store option of inventory and cache plugins, with its configuration sources.
    PLUGIN = r"""
options:
  store:
    description:
      - Where the fleet.inventory store lives.
      - A filesystem path of a SQLite database file, or a C(postgresql://) URL.
      - When not given, the environment variable E(FLEET_INVENTORY_STORE) is used, then
        C(store) in the C([fleet_inventory]) section of C(ansible.cfg) (a relative path there is
        relative to the directory of that C(ansible.cfg)), then
        C(~/.local/share/fleet.inventory/store.db) (under E(XDG_DATA_HOME) when set).
      - Modules, inventory plugins and the cache plugin resolve it the same way.
    type: str
"""
