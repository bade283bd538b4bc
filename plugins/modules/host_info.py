#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: Search the hosts of the fleet.inventory store with a host_filter
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Returns the stored hosts that match a host_filter, searched over every host of every inventory
    and their cached facts; the module form of AWX's C(/api/v2/hosts/?host_filter=).
  - The host_filter language is AWX's SmartFilter language (C(key=value) terms, C(and), C(or),
    parentheses, Django-style lookups such as C(__icontains), C(groups__name), C(ansible_facts__a__b)),
    plus C(not), comparisons on fact values and searches of host variables (C(variables__a__b)).
  - C(regex) and C(iregex) use RE2 syntax (the Python library C(google-re2)) and run in linear time; the
    limits of a filter (length, nesting, terms, values) are listed in the collection's docs/host_filter.md.
  - This module never changes anything, and never creates a store. A store that does not exist (or
    an empty file) is an error that names the store and where its name came from.
  - When the filter names a fact path that no stored host has (a typo such as
    C(ansible_facts__ansible_distrbution), or C(ansible_facts__distribution) for the stored
    C(ansible_distribution)), the result carries a warning with the closest fact paths the store
    does hold.
requirements:
  - pyparsing >= 3.1 and google-re2 on the controller (the host_filter language)
extends_documentation_fragment:
  - fleet.inventory.store
options:
  host_filter:
    description:
      - The search, for example V(groups__name=web and ansible_facts__ansible_distribution=Debian).
      - A malformed filter is an error that names the problem and its position.
    type: str
    required: true
  inventory:
    description:
      - Only search the hosts of this inventory, which must exist.
    type: str
  one_per_name:
    description:
      - Keep only the first stored host (lowest id) of each host name, as a smart inventory does.
    type: bool
    default: false
  variables:
    description:
      - Include each host's C(variables) in the results (as AWX's host list does).
      - With V(false) the results leave them out, which makes a big result cheaper for Ansible to
        handle; every value of a result is visited by ansible-core after the task, more so when it is
        registered.
    type: bool
    default: true
  facts:
    description:
      - Include each host's C(ansible_facts) in the results (AWX's host list has none; AWX serves them
        apart, at C(/api/v2/hosts/{id}/ansible_facts/)).
    type: bool
    default: false
  smart_inventories:
    description:
      - Include in each host the stored smart inventories that hold it, as C(smart_inventories) (AWX's
        C(/api/v2/hosts/{id}/smart_inventories/)), computed from their host_filters when the task runs.
      - A smart inventory holds a host when the host matches its host_filter and is the one host of
        its name that the smart inventory lists (the lowest id of each name among the matching
        hosts; disabled hosts count, as in AWX). Smart inventories pending deletion hold nothing.
      - A stored smart inventory whose host_filter cannot run on this store holds nothing here, and
        the result carries a warning that names it.
    type: bool
    default: false
  fact_history:
    description:
      - Include each host's C(fact_history) in the results, newest first; each entry says when its facts
        changed and which top-level keys were added, changed or removed (not their values).
      - The store keeps the last C(fact_history_entries) changes per host (default 20; see
        M(fleet.inventory.settings)); a write that changes no fact adds no entry.
    type: bool
    default: false
attributes:
  check_mode:
    description: Runs in check mode; it never changes anything.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: N/A
seealso:
  - module: fleet.inventory.inventory
  - module: fleet.inventory.host_facts
"""

EXAMPLES = r"""
- name: Every Debian host in the web group, in any inventory
  fleet.inventory.host_info:
    host_filter: groups__name=web and ansible_facts__ansible_distribution=Debian
  run_once: true
  register: found

- name: Their names
  ansible.builtin.debug:
    msg: "{{ found.hosts | map(attribute='name') | list }}"

- name: Hosts with an Intel processor in one inventory, with their facts
  fleet.inventory.host_info:
    host_filter: ansible_facts__ansible_processor[]="GenuineIntel"
    inventory: production
    facts: true
    store: /srv/fleet/store.db
  run_once: true
  register: intel

- name: Which smart inventories hold the web hosts, without their variables
  fleet.inventory.host_info:
    host_filter: groups__name=web
    variables: false
    smart_inventories: true
  run_once: true
  register: web

- name: Names of the smart inventories of each web host
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.smart_inventories | map(attribute='name') | list }}"
  loop: "{{ web.hosts }}"

- name: When did the facts of the Debian hosts change, and which keys
  fleet.inventory.host_info:
    host_filter: ansible_facts__ansible_distribution=Debian
    fact_history: true
  run_once: true
  register: changes
"""

RETURN = r"""
hosts:
  description:
    - The matching hosts, ordered by name then id, with AWX's field names.
    - C(inventory) is the inventory's name and C(inventory_id) its id.
    - C(variables) is there unless O(variables=false).
    - C(ansible_facts) is only there with O(facts=true) (an empty mapping for a host without facts).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 12
      name: web1.example.com
      inventory: production
      inventory_id: 1
      description: ''
      enabled: true
      instance_id: ''
      variables:
        ansible_host: 10.0.0.11
      ansible_facts_modified: '2025-01-01T10:00:00.000000+00:00'
      created: '2025-01-01T10:00:00.000000+00:00'
      modified: '2025-01-01T10:00:00.000000+00:00'
  contains:
    smart_inventories:
      description:
        - Only with O(smart_inventories=true). The stored smart inventories that hold the host, by id.
      returned: when O(smart_inventories=true)
      type: list
      elements: dict
      sample:
        - id: 7
          name: debian-web
      contains:
        id:
          description: The smart inventory's id.
          type: int
          returned: always
        name:
          description: The smart inventory's name.
          type: str
          returned: always
    fact_history:
      description:
        - Only with O(fact_history=true). The host's fact changes, newest first; C(modified) is the
          time of the change (the host's C(ansible_facts_modified) right after it).
        - C(added), C(changed) and C(removed) are the top-level fact keys, sorted.
      returned: when O(fact_history=true)
      type: list
      elements: dict
      sample:
        - modified: '2025-01-02T08:00:00.000000+00:00'
          added: []
          changed: [ansible_date_time, ansible_memfree_mb]
          removed: []
        - modified: '2025-01-01T10:00:00.000000+00:00'
          added: [ansible_date_time, ansible_distribution, ansible_memfree_mb]
          changed: []
          removed: []
warnings:
  description:
    - Fact paths named by O(host_filter) that no stored host has, with the closest known paths
      (C(host_filter names the fact path ansible_facts__distribution, which no stored host has; did you mean
      ansible_facts__ansible_distribution?)).
    - With O(smart_inventories=true), each stored smart inventory whose host_filter cannot run.
  returned: when there are any
  type: list
  elements: str
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.rules.smart import smart_memberships
except ImportError:  # pragma: no cover - reported by FleetModule
    smart_memberships = None

FIELDS = ("id", "name", "inventory", "inventory_id", "description", "enabled", "instance_id", "variables",
          "ansible_facts_modified", "created", "modified")


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        host_filter=dict(type="str", required=True),
        inventory=dict(type="str"),
        one_per_name=dict(type="bool", default=False),
        facts=dict(type="bool", default=False),
        fact_history=dict(type="bool", default=False),
        variables=dict(type="bool", default=True),
        smart_inventories=dict(type="bool", default=False),
    ), reader=True)
    p = module.params
    store = module.store
    fields = FIELDS if p["variables"] else tuple(k for k in FIELDS if k != "variables")

    def search():
        rows = store.search_hosts(p["host_filter"], one_per_name=p["one_per_name"], inventory=p["inventory"])
        hosts = [{k: row.get(k) for k in fields} for row in rows]
        warnings = store.fact_path_warnings(p["host_filter"])
        if p["facts"]:
            facts = store.facts_for_hosts([h["id"] for h in hosts])
            for host in hosts:
                host["ansible_facts"] = facts.get(host["id"], {})
        if p["fact_history"]:
            history = store.fact_history([h["id"] for h in hosts])
            for host in hosts:
                host["fact_history"] = history.get(host["id"], [])
        if p["smart_inventories"]:
            memberships, smart_warnings = smart_memberships(store, [h["id"] for h in hosts])
            names = {inv["id"]: inv["name"] for inv in store.list_inventories(kind="smart")}
            for host in hosts:
                host["smart_inventories"] = [{"id": i, "name": names[i]} for i in memberships[host["id"]]]
            warnings.extend(smart_warnings)
        return hosts, warnings

    hosts, warnings = module.guard(search)
    for warning in warnings:
        module.warn(warning)
    module.exit_json(changed=False, hosts=hosts)


if __name__ == "__main__":
    main()
