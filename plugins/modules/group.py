#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: group
short_description: Create, update or delete a group of an inventory in the fleet.inventory store
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Manages a group of a normal inventory in the fleet.inventory store, with AWX's fields,
    its hosts and its child groups.
  - Smart and constructed inventories have no groups of their own; adding a group to one is an error.
  - The groups V(all) and V(ungrouped) exist implicitly in every inventory and cannot be stored.
  - Deleting a group removes its memberships; its hosts and child groups stay in the inventory.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  name:
    description:
      - Name of the group; unique within its inventory.
    type: str
    required: true
  inventory:
    description:
      - Name of the inventory the group belongs to. It must exist and be a normal inventory.
    type: str
    required: true
  description:
    description:
      - Free text description of the group.
      - When not given, a new group gets an empty description and an existing one keeps its own.
    type: str
  variables:
    description:
      - Group variables, as a mapping or as a YAML or JSON string holding a mapping.
      - When given, they replace the stored variables entirely.
    type: raw
  hosts:
    description:
      - Names of the hosts directly in the group; they must exist in the same inventory.
      - When given, this is the exact set of the group's hosts, unless O(preserve_existing_hosts=true).
        When not given, the group's hosts are left alone.
    type: list
    elements: str
  children:
    description:
      - Names of the groups directly under this group; they must exist in the same inventory.
      - When given, this is the exact set of the group's children, unless O(preserve_existing_children=true).
        When not given, the group's children are left alone.
      - A group cannot contain itself, directly or through its children; such a change is an error.
    type: list
    elements: str
    aliases: [groups]
  preserve_existing_hosts:
    description:
      - Add the hosts of O(hosts) to the group and keep the hosts it already has.
    type: bool
    default: false
  preserve_existing_children:
    description:
      - Add the groups of O(children) to the group and keep the children it already has.
    type: bool
    default: false
    aliases: [preserve_existing_groups]
  state:
    description:
      - V(present) creates or updates the group; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and report what would change without writing to the store.
    support: full
  diff_mode:
    description: Returns the group's fields, hosts and children before and after the change.
    support: full
seealso:
  - module: fleet.inventory.inventory
  - module: fleet.inventory.host
"""

EXAMPLES = r"""
- name: A group with its hosts
  fleet.inventory.group:
    name: web
    inventory: production
    description: Web servers
    variables:
      http_port: 8080
    hosts:
      - web1.example.com
      - web2.example.com

- name: A parent group; add a child without removing the other children
  fleet.inventory.group:
    name: frontend
    inventory: production
    children:
      - web
    preserve_existing_children: true

- name: Remove a group
  fleet.inventory.group:
    name: web
    inventory: production
    state: absent
"""

RETURN = r"""
id:
  description: The id of the group (of the deleted one when O(state=absent); null when there was none).
  returned: always
  type: int
  sample: 4
group:
  description:
    - The group as stored after the task (as it would be, in check mode), with the names of its hosts and children.
    - For O(state=absent), the group that was deleted, or null.
  returned: always
  type: dict
  sample:
    id: 4
    name: web
    inventory: production
    inventory_id: 1
    description: Web servers
    variables:
      http_port: 8080
    hosts: [web1.example.com, web2.example.com]
    children: []
    created: '2025-01-01T10:00:00.000000+00:00'
    modified: '2025-01-01T10:00:00.000000+00:00'
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

FIELDS = ("name", "inventory", "description", "variables", "hosts", "children")


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        name=dict(type="str", required=True),
        inventory=dict(type="str", required=True),
        description=dict(type="str"),
        variables=dict(type="raw"),
        hosts=dict(type="list", elements="str"),
        children=dict(type="list", elements="str", aliases=["groups"]),
        preserve_existing_hosts=dict(type="bool", default=False),
        preserve_existing_children=dict(type="bool", default=False, aliases=["preserve_existing_groups"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    ))
    p = module.params
    store = module.store

    def apply():
        with store.transaction(dry_run=module.check_mode):
            if p["state"] == "absent":
                return store.delete_group(p["inventory"], p["name"]), None
            return store.save_group(p["inventory"], p["name"], description=p["description"], variables=p["variables"],
                                    hosts=p["hosts"], children=p["children"],
                                    preserve_existing_hosts=p["preserve_existing_hosts"],
                                    preserve_existing_children=p["preserve_existing_children"])

    before, after = module.guard(apply)
    shown = after if p["state"] == "present" else before
    module.exit_with_diff(before, after, FIELDS, id=shown["id"] if shown else None, group=shown)


if __name__ == "__main__":
    main()
