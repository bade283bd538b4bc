#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inventory
short_description: Create, update or delete an inventory in the fleet.inventory store
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Manages an inventory in the fleet.inventory store, with AWX's fields.
  - A normal inventory holds hosts and groups (see M(fleet.inventory.host) and M(fleet.inventory.group)).
  - A smart inventory holds no hosts of its own; its hosts are every stored host that matches its O(host_filter),
    one per host name (AWX's rule). Read them with the P(fleet.inventory.smart#inventory) inventory plugin or
    M(fleet.inventory.host_info).
  - Deleting an inventory deletes its hosts, groups and their facts at once.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  name:
    description:
      - Name of the inventory; unique in the store.
    type: str
    required: true
  description:
    description:
      - Free text description of the inventory.
      - When not given, a new inventory gets an empty description and an existing one keeps its own.
    type: str
  kind:
    description:
      - The kind of inventory. V('') is a normal inventory, V(smart) selects hosts with O(host_filter),
        V(constructed) is built from other inventories.
      - The kind is set when the inventory is created and cannot be changed afterwards; giving a different
        kind for an existing inventory is an error.
      - When not given, a new inventory is a normal one and an existing one keeps its kind.
    type: str
    choices: ['', smart, constructed]
  host_filter:
    description:
      - The search that selects the hosts of a smart inventory, in AWX's host_filter language
        (for example V(groups__name=web and ansible_facts__ansible_distribution=Debian)).
      - Required to create a smart inventory; not allowed for other kinds.
      - The filter is validated when it is saved; a malformed filter is an error that names the problem
        and its position, and nothing is written.
    type: str
  variables:
    description:
      - Inventory variables, as a mapping or as a YAML or JSON string holding a mapping.
      - When given, they replace the stored variables entirely.
    type: raw
  input_inventories:
    description:
      - For O(kind=constructed) only. The ordered names of the inventories it is built from.
      - Constructed inventories are built by a later release of this collection; giving this option is an error for now.
    type: list
    elements: str
  source_vars:
    description:
      - For O(kind=constructed) only. The options of the C(constructed) logic (C(compose), C(groups), C(keyed_groups), ...),
        as a mapping or a YAML or JSON string.
      - Constructed inventories are built by a later release of this collection; giving this option is an error for now.
    type: raw
  limit:
    description:
      - For O(kind=constructed) only. A host pattern that restricts the hosts taken from the input inventories.
      - Constructed inventories are built by a later release of this collection; giving this option is an error for now.
    type: str
  state:
    description:
      - V(present) creates or updates the inventory; V(absent) deletes it with its hosts, groups and facts.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Can run in check mode and report what would change without writing to the store.
    support: full
  diff_mode:
    description: Returns the inventory's fields before and after the change.
    support: full
notes:
  - Check mode computes the result in a transaction that is rolled back, so C(changed) and the diff are exact.
seealso:
  - module: fleet.inventory.host
  - module: fleet.inventory.group
  - module: fleet.inventory.host_info
"""

EXAMPLES = r"""
- name: A normal inventory with variables
  fleet.inventory.inventory:
    name: production
    description: Production servers
    variables:
      ntp_server: ntp.example.com
  delegate_to: localhost

- name: A smart inventory of every Debian web server, in any inventory
  fleet.inventory.inventory:
    name: debian-web
    kind: smart
    host_filter: groups__name=web and ansible_facts__ansible_distribution=Debian
    store: /srv/fleet/store.db
  delegate_to: localhost

- name: Variables given as a YAML string
  fleet.inventory.inventory:
    name: staging
    variables: |
      http_port: 8080
      admins: [alice, bob]
  delegate_to: localhost

- name: Delete an inventory with its hosts, groups and facts
  fleet.inventory.inventory:
    name: staging
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
id:
  description: The id of the inventory (of the deleted one when O(state=absent); null when there was none).
  returned: always
  type: int
  sample: 3
inventory:
  description:
    - The inventory as stored after the task (as it would be, in check mode).
    - For O(state=absent), the inventory that was deleted, or null.
  returned: always
  type: dict
  sample:
    id: 3
    name: debian-web
    description: ''
    kind: smart
    host_filter: groups__name=web and ansible_facts__ansible_distribution=Debian
    variables: {}
    pending_delete: false
    created: '2025-01-01T10:00:00.000000+00:00'
    modified: '2025-01-01T10:00:00.000000+00:00'
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

FIELDS = ("name", "description", "kind", "host_filter", "variables")
CONSTRUCTED_ONLY = ("input_inventories", "source_vars", "limit")


def main():
    module = FleetModule(argument_spec(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        kind=dict(type="str", choices=["", "smart", "constructed"]),
        host_filter=dict(type="str"),
        variables=dict(type="raw"),
        input_inventories=dict(type="list", elements="str"),
        source_vars=dict(type="raw"),
        limit=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    ))
    p = module.params

    given = [opt for opt in CONSTRUCTED_ONLY if p[opt] not in (None, "", [], {})]
    if given:
        module.fail_json(msg="%s: constructed inventories are not available in this release of fleet.inventory"
                             " (they come in a later release); nothing was changed" % ", ".join(given))

    store = module.store

    def apply():
        with store.transaction(dry_run=module.check_mode):
            if p["state"] == "absent":
                return store.delete_inventory(p["name"]), None
            return store.save_inventory(p["name"], description=p["description"], kind=p["kind"],
                                        host_filter=p["host_filter"], variables=p["variables"])

    before, after = module.guard(apply)
    shown = after if p["state"] == "present" else before
    module.exit_with_diff(before, after, FIELDS, id=shown["id"] if shown else None, inventory=shown)


if __name__ == "__main__":
    main()
