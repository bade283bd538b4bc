#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host
short_description: Create, update or delete a host of an inventory in the fleet.inventory store
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Manages a host of a normal inventory in the fleet.inventory store, with AWX's fields.
  - Smart and constructed inventories have no hosts of their own; adding a host to one is an error.
  - Deleting a host deletes its facts and its group memberships.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  name:
    description:
      - Name of the host; unique within its inventory.
    type: str
    required: true
  inventory:
    description:
      - Name of the inventory the host belongs to. It must exist and be a normal inventory.
    type: str
    required: true
  description:
    description:
      - Free text description of the host.
      - When not given, a new host gets an empty description and an existing one keeps its own.
    type: str
  enabled:
    description:
      - Whether the host is enabled.
      - When not given, a new host is enabled and an existing one keeps its state.
    type: bool
  instance_id:
    description:
      - The id of the host in a remote source (a cloud instance id, for example).
      - When not given, a new host gets an empty instance_id and an existing one keeps its own.
    type: str
  variables:
    description:
      - Host variables, as a mapping or as a YAML or JSON string holding a mapping.
      - When given, they replace the stored variables entirely.
    type: raw
  groups:
    description:
      - The names of the groups the host belongs to directly; they must exist in the same inventory.
      - When given, this is the exact set of the host's groups; the host is removed from any other group.
        V([]) removes it from every group. When not given, the memberships are left alone.
    type: list
    elements: str
  state:
    description:
      - V(present) creates or updates the host; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and report what would change without writing to the store.
    support: full
  diff_mode:
    description: Returns the host's fields and groups before and after the change.
    support: full
seealso:
  - module: fleet.inventory.inventory
  - module: fleet.inventory.group
  - module: fleet.inventory.host_facts
"""

EXAMPLES = r"""
- name: Add a host with variables to two groups
  fleet.inventory.host:
    name: web1.example.com
    inventory: production
    description: Front web server
    instance_id: i-0123456789abcdef0
    variables:
      ansible_host: 10.0.0.11
      http_port: 8080
    groups:
      - web
      - debian

- name: Disable a host without touching anything else
  fleet.inventory.host:
    name: web1.example.com
    inventory: production
    enabled: false

- name: Remove a host
  fleet.inventory.host:
    name: web1.example.com
    inventory: production
    state: absent
"""

RETURN = r"""
id:
  description: The id of the host (of the deleted one when O(state=absent); null when there was none).
  returned: always
  type: int
  sample: 12
host:
  description:
    - The host as stored after the task (as it would be, in check mode), with the names of its groups.
    - For O(state=absent), the host that was deleted, or null.
  returned: always
  type: dict
  sample:
    id: 12
    name: web1.example.com
    inventory: production
    inventory_id: 1
    description: Front web server
    enabled: true
    instance_id: i-0123456789abcdef0
    variables:
      ansible_host: 10.0.0.11
    groups: [debian, web]
    ansible_facts_modified: null
    created: '2025-01-01T10:00:00.000000+00:00'
    modified: '2025-01-01T10:00:00.000000+00:00'
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

FIELDS = ("name", "inventory", "description", "enabled", "instance_id", "variables", "groups")


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        name=dict(type="str", required=True),
        inventory=dict(type="str", required=True),
        description=dict(type="str"),
        enabled=dict(type="bool"),
        instance_id=dict(type="str"),
        variables=dict(type="raw"),
        groups=dict(type="list", elements="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    ))
    p = module.params
    store = module.store

    def apply():
        with store.transaction(dry_run=module.check_mode):
            if p["state"] == "absent":
                return store.delete_host(p["inventory"], p["name"]), None
            return store.save_host(p["inventory"], p["name"], description=p["description"], enabled=p["enabled"],
                                   instance_id=p["instance_id"], variables=p["variables"], groups=p["groups"])

    before, after = module.guard(apply)
    shown = after if p["state"] == "present" else before
    module.exit_with_diff(before, after, FIELDS, id=shown["id"] if shown else None, host=shown)


if __name__ == "__main__":
    main()
