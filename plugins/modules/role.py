#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: role
short_description: Grant or revoke a role of a fleet.inventory HTTP service user on inventories and projects
version_added: 0.2.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Gives a user of the collection's HTTP service (M(fleet.inventory.user)) one of AWX's roles on inventories
    and projects, or takes it away. The service checks them on every request; its lists show only what the
    token's user may read.
  - V(read) sees the object (for an inventory also its hosts, groups, inventory sources and updates). V(use) may use
    a project as the source project of an scm inventory source. V(update) may update an inventory's sources, or a
    project. V(admin) may do all of these and change or delete the object. V(admin) implies the three others;
    V(update) and V(use) imply V(read). A superuser (O(fleet.inventory.user#module:is_superuser)) holds every role.
  - Updating an scm inventory source needs V(update) on its inventory and V(update) on its source project.
  - Revoking takes away the role named only; a role it implied is kept when the user holds it directly.
  - A role goes with its object; deleting the inventory, the project or the user deletes it.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  user:
    description: The username the role is given to or taken from.
    type: str
    required: true
  role:
    description: The role.
    type: str
    choices: [admin, update, use, read]
    required: true
  inventories:
    description: Names of the inventories the role applies to.
    type: list
    elements: str
  projects:
    description: Names of the projects the role applies to.
    type: list
    elements: str
  state:
    description: V(present) grants the role on every object named; V(absent) revokes it.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and report what would change without writing to the store.
    support: full
  diff_mode:
    description: Returns the roles the user holds on the objects named, before and after the change.
    support: full
notes:
  - Every object named must exist; an unknown user, inventory or project fails the task and changes nothing.
seealso:
  - module: fleet.inventory.user
  - module: fleet.inventory.token
"""

EXAMPLES = r"""
- name: CI may update the sources of two inventories and the project they come from
  fleet.inventory.role:
    user: ci
    role: update
    inventories: [prod, staging]
    projects: [inventories]

- name: The dashboard sees the production inventory
  fleet.inventory.role:
    user: dashboard
    role: read
    inventories: [prod]

- name: No longer
  fleet.inventory.role:
    user: dashboard
    role: read
    inventories: [prod]
    state: absent
"""

RETURN = r"""
roles:
  description: Every role the user holds directly after the task (in check mode, as it would be), by kind and object.
  returned: always
  type: list
  elements: dict
  sample:
    - {role: update, object_kind: inventory, object_id: 1, object_name: prod}
    - {role: update, object_kind: project, object_id: 1, object_name: inventories}
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
except ImportError:  # pragma: no cover - reported by FleetModule
    access = None

SHOWN = ("role", "object_kind", "object_id", "object_name")
OPTION_OF_KIND = (("inventory", "inventories"), ("project", "projects"))


def _held(store, user, targets):
    """``{"inventories": {name: [roles]}, "projects": {...}}``: the roles held directly on the objects named."""
    held = {option: {name: [] for name in names} for option, names in targets.items()}
    for row in access.roles_of(store, user):
        option = dict(OPTION_OF_KIND)[row["object_kind"]]
        if row["object_name"] in held.get(option, {}):
            held[option][row["object_name"]].append(row["role"])
    return {option: {name: sorted(roles) for name, roles in by_name.items()} for option, by_name in held.items()}


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        user=dict(type="str", required=True),
        role=dict(type="str", required=True, choices=["admin", "update", "use", "read"]),
        inventories=dict(type="list", elements="str"),
        projects=dict(type="list", elements="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    ), required_one_of=[("inventories", "projects")])
    p = module.params
    targets = {option: list(dict.fromkeys(p[option] or [])) for _kind, option in OPTION_OF_KIND if p[option] is not None}
    store = module.store

    def apply():
        with store.transaction(dry_run=module.check_mode):
            access.require_user(store, p["user"])
            for kind, option in OPTION_OF_KIND:  # every name first: an unknown one changes nothing
                for name in targets.get(option, []):
                    access.require_object(store, kind, name)
            before = _held(store, p["user"], targets)
            changed = False
            act = access.grant if p["state"] == "present" else access.revoke
            for kind, option in OPTION_OF_KIND:
                for name in targets.get(option, []):
                    changed = act(store, p["user"], p["role"], kind, name) or changed
            return before, _held(store, p["user"], targets), changed, access.roles_of(store, p["user"])

    before, after, changed, roles = module.guard(apply)
    result = dict(changed=changed, roles=[{k: r[k] for k in SHOWN} for r in roles])
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
