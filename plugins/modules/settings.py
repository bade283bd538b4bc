#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: settings
short_description: Read or change the settings of a fleet.inventory store
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Settings that belong to the store itself (every module and plugin that opens the store sees the
    same value), in the spirit of AWX's settings.
  - Without O(settings) the module only returns the current settings.
  - "Known settings: C(fact_history_entries) (default V(20), V(0) to V(10000)): how many fact changes
    are kept per host (see M(fleet.inventory.host_info) O(fleet.inventory.host_info#module:fact_history)).
    Lowering it removes a host's older entries the next time its facts change; reading never returns more."
extends_documentation_fragment:
  - fleet.inventory.store
options:
  settings:
    description:
      - A mapping of setting names to their new values; settings not named keep their value.
      - An unknown name or a value out of range is an error, and nothing is changed.
    type: dict
attributes:
  check_mode:
    description: Can run in check mode and report what would change without writing to the store.
    support: full
  diff_mode:
    description: Returns the settings before and after the change.
    support: full
seealso:
  - module: fleet.inventory.host_info
"""

EXAMPLES = r"""
- name: Keep the last 50 fact changes of every host
  fleet.inventory.settings:
    settings:
      fact_history_entries: 50
  run_once: true

- name: Read the settings
  fleet.inventory.settings:
  run_once: true
  register: store_settings
"""

RETURN = r"""
settings:
  description: Every setting of the store with its value (after the change).
  returned: always
  type: dict
  sample:
    fact_history_entries: 20
"""

from ansible_collections.fleet.inventory.plugins.module_utils.store import fact_history
from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(settings=dict(type="dict")))
    p = module.params
    store = module.store

    def apply():
        if not p["settings"]:
            current = fact_history.get_settings(store)
            return current, current
        with store.transaction(dry_run=module.check_mode):
            return fact_history.save_settings(store, p["settings"])

    before, after = module.guard(apply)
    module.exit_with_diff(before, after, sorted(after), settings=after)


if __name__ == "__main__":
    main()
