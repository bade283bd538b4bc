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
  - A constructed inventory is built from other inventories (O(input_inventories), in order) with the logic of
    C(ansible.builtin.constructed) (O(source_vars)) and a O(limit), as in AWX. It owns exactly one inventory source
    (of source V(constructed)) that holds these options; it is created with the inventory and cannot be deleted or
    doubled. Its hosts and groups cannot be added by hand; an update of that source (or the
    P(fleet.inventory.constructed#inventory) inventory plugin) computes them.
  - Deleting an inventory (O(state=absent)) is AWX's background deletion. First the inventory is marked
    C(pending_delete) in one statement; from then on it and its hosts are gone for every reader (searches, smart and
    constructed inventories, M(fleet.inventory.host_info), the inventory plugins, the fact cache). Then its rows
    (hosts with their facts, groups, sources, update records) are removed in batches of short transactions, so
    that other writers of the store never wait long; see O(wait).
  - As in AWX, an inventory cannot be deleted while an update of it is pending or running, and an input of a
    constructed inventory may be deleted (the constructed inventory loses that input). The name of an inventory
    pending deletion stays taken until its rows are removed.
requirements:
  - pyparsing >= 3.1 and google-re2 on the controller (the O(host_filter) of a smart inventory)
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
      - The filter is validated when it is saved; a malformed filter, or one that the store could not run
        (beyond the documented limits, a regular expression RE2 cannot express), is an error that names the
        problem and its position, and nothing is written.
    type: str
  variables:
    description:
      - Inventory variables, as a mapping or as a YAML or JSON string holding a mapping.
      - When given, they replace the stored variables entirely.
    type: raw
  input_inventories:
    description:
      - For O(kind=constructed) only. The names of the inventories it is built from, in order; later inputs win
        on variable conflicts.
      - Only normal inventories can be inputs; an unknown inventory, a smart or constructed one, the inventory itself or
        a name listed twice is an error, and nothing is written.
      - When given, the list replaces the stored inputs. A constructed inventory may be created without inputs (as in AWX),
        but its update is then an error that says so.
    type: list
    elements: str
  source_vars:
    description:
      - For O(kind=constructed) only. The options of the C(constructed) logic, as a mapping or a YAML or JSON string, with
        C(compose), C(groups), C(keyed_groups), C(strict), C(leading_separator), C(use_vars_plugins). A C(plugin) key
        naming the constructed plugin is accepted and ignored; any other key is an error.
      - When given, they replace the stored options.
    type: raw
  limit:
    description:
      - For O(kind=constructed) only. A host pattern (C(group), C(a:&b), C(a:!b), wildcards) that selects the hosts
        kept after the construction; it may name constructed groups. A limit that matches no host makes the update fail.
    type: str
  update_cache_timeout:
    description:
      - For O(kind=constructed) only. Seconds during which a finished update of the constructed source is recent enough
        not to be run again on launch (AWX's field).
    type: int
  verbosity:
    description:
      - For O(kind=constructed) only. How much the update of the constructed source logs (0, 1 or 2).
    type: int
    choices: [0, 1, 2]
  state:
    description:
      - V(present) creates or updates the inventory; V(absent) deletes it with its hosts, groups and facts.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - For O(state=absent) only. With V(true) the task removes the inventory's rows, batch by batch, before it
        returns; the inventory is gone from the store when it ends. An inventory already pending deletion (by an earlier
        O(wait=false) task, or by C(DELETE /api/v2/inventories/{id}/) of the service) is finished (V(changed)).
      - With V(false) the task only marks the inventory C(pending_delete) and returns at once; the rows are removed by the
        deletion worker of the fleet.inventory service when one runs on the store, or else by the next task with
        O(state=absent) and O(wait=true) for the same name. Until then the inventory is hidden from every reader and its
        name cannot be used for a new inventory. A second O(wait=false) task for it changes nothing.
    type: bool
    default: true
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

- name: A smart inventory of every Debian web server, in any inventory
  fleet.inventory.inventory:
    name: debian-web
    kind: smart
    host_filter: groups__name=web and ansible_facts__ansible_distribution=Debian
    store: /srv/fleet/store.db

- name: A constructed inventory of the shut-down product_dev hosts of East and West
  fleet.inventory.inventory:
    name: shutdown-product-dev
    kind: constructed
    input_inventories:
      - East
      - West
    source_vars:
      strict: true
      compose:
        resolved_state: state | default("running")
      groups:
        shutdown: resolved_state == "shutdown"
        shutdown_in_product_dev: resolved_state == "shutdown" and account_alias == "product_dev"
    limit: shutdown_in_product_dev

- name: Variables given as a YAML string
  fleet.inventory.inventory:
    name: staging
    variables: |
      http_port: 8080
      admins: [alice, bob]

- name: Delete an inventory with its hosts, groups and facts
  fleet.inventory.inventory:
    name: staging
    state: absent

- name: Mark a big inventory for deletion and return at once (the service's deletion worker removes the rows)
  fleet.inventory.inventory:
    name: old-datacenter
    state: absent
    wait: false
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
input_inventories:
  description: For a constructed inventory, the names of its input inventories, in order.
  returned: when the inventory is a constructed one
  type: list
  elements: str
  sample: [East, West]
source_vars:
  description: For a constructed inventory, its constructed options (the source_vars of its constructed source).
  returned: when the inventory is a constructed one
  type: dict
  sample:
    strict: true
    compose:
      resolved_state: state | default("running")
deletion:
  description:
    - For O(state=absent), what the task removed (nothing in check mode or with O(wait=false)), and whether the
      inventory is still pending deletion.
  returned: when O(state=absent) and the inventory existed
  type: dict
  sample:
    pending_delete: false
    hosts: 100000
    groups: 12
    updates: 3
    sources: 1
    batches: 61
    longest_batch: 0.21
limit:
  description: For a constructed inventory, the host pattern of its constructed source.
  returned: when the inventory is a constructed one
  type: str
  sample: shutdown_in_product_dev
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec
from ansible_collections.fleet.inventory.plugins.module_utils.rules import deletion

FIELDS = ("name", "description", "kind", "host_filter", "variables",
          "input_inventories", "source_vars", "limit", "update_cache_timeout", "verbosity")


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        kind=dict(type="str", choices=["", "smart", "constructed"]),
        host_filter=dict(type="str"),
        variables=dict(type="raw"),
        input_inventories=dict(type="list", elements="str"),
        source_vars=dict(type="raw"),
        limit=dict(type="str"),
        update_cache_timeout=dict(type="int"),
        verbosity=dict(type="int", choices=[0, 1, 2]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait=dict(type="bool", default=True),
    ))
    p = module.params
    store = module.store
    report = {}

    def absent():
        before = store.constructed_view(store.get_inventory(p["name"]))
        if before is None:
            return None, None
        stats = {"hosts": 0, "groups": 0, "updates": 0, "sources": 0, "batches": 0, "longest_batch": 0.0}
        if not before["pending_delete"]:
            deletion.request_delete(store, before["id"], dry_run=module.check_mode)
        elif not p["wait"]:
            report["deletion"] = dict(stats, pending_delete=True)
            return before, before  # marked already: the rows go in the background
        if p["wait"] and not module.check_mode:
            stats = deletion.delete_pending(store, before["id"])
        stats["pending_delete"] = not (p["wait"] and (module.check_mode or stats.pop("deleted", False)
                                                      or store.get_inventory(before["id"]) is None))
        report["deletion"] = stats
        return before, None

    def apply():
        if p["state"] == "absent":
            return absent()
        with store.transaction(dry_run=module.check_mode):
            return store.save_inventory(p["name"], description=p["description"], kind=p["kind"],
                                        host_filter=p["host_filter"], variables=p["variables"],
                                        input_inventories=p["input_inventories"], source_vars=p["source_vars"], limit=p["limit"],
                                        update_cache_timeout=p["update_cache_timeout"], verbosity=p["verbosity"])

    before, after = module.guard(apply)
    shown = after if p["state"] == "present" else before
    extra = {}
    if shown and shown.get("kind") == "constructed":
        extra = {k: shown[k] for k in ("input_inventories", "source_vars", "limit")}
    module.exit_with_diff(before, after, FIELDS, id=shown["id"] if shown else None, inventory=shown, **extra, **report)


if __name__ == "__main__":
    main()
