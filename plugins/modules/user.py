#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: user
short_description: Create, update or delete a user of the fleet.inventory HTTP service
version_added: 0.2.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Manages a user of the collection's HTTP service, AWX's user in small. A user authenticates to the service with
    its API tokens (M(fleet.inventory.token)) and may do what its roles allow (M(fleet.inventory.role)).
  - The store itself is the root of trust, not the service's users; modules and plugins that open the store need no
    user.
  - Deleting a user deletes its tokens (they stop working at once) and its roles.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  username:
    description:
      - The user's name; unique in the store. At most 150 printable characters, no spaces.
    type: str
    required: true
  is_superuser:
    description:
      - A superuser holds every role on every inventory and project.
      - When not given, a new user is not a superuser and an existing one keeps its setting.
    type: bool
  state:
    description: V(present) creates or updates the user; V(absent) deletes it with its tokens and roles.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and report what would change without writing to the store.
    support: full
  diff_mode:
    description: Returns the user's fields before and after the change.
    support: full
notes:
  - Check mode computes the result in a transaction that is rolled back, so C(changed) and the diff are exact.
seealso:
  - module: fleet.inventory.token
  - module: fleet.inventory.role
"""

EXAMPLES = r"""
- name: A user for the CI system
  fleet.inventory.user:
    username: ci

- name: An administrator of everything
  fleet.inventory.user:
    username: admin
    is_superuser: true

- name: Remove a user, its tokens and its roles
  fleet.inventory.user:
    username: ci
    state: absent
"""

RETURN = r"""
user:
  description: The user after the task (in check mode, as it would be); for O(state=absent) the deleted user or null.
  returned: always
  type: dict
  sample:
    id: 1
    username: ci
    is_superuser: false
    created: '2026-12-01T23:30:00.000000+00:00'
    modified: '2026-12-01T23:30:00.000000+00:00'
id:
  description: The user's id (null when there is none).
  returned: always
  type: int
  sample: 1
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
except ImportError:  # pragma: no cover - reported by FleetModule
    access = None

FIELDS = ("username", "is_superuser")


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        username=dict(type="str", required=True),
        is_superuser=dict(type="bool"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    ))
    p = module.params
    store = module.store

    def apply():
        with store.transaction(dry_run=module.check_mode):
            if p["state"] == "absent":
                return access.delete_user(store, p["username"]), None
            return access.save_user(store, p["username"], is_superuser=p["is_superuser"])

    before, after = module.guard(apply)
    shown = after if p["state"] == "present" else before
    known = shown is not None and not (module.check_mode and before is None)  # a user check mode would create has no id yet
    module.exit_with_diff(before, after, FIELDS, user=shown, id=shown["id"] if known else None)


if __name__ == "__main__":
    main()
