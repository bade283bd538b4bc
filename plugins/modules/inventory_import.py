#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inventory_import
short_description: Import any inventory that ansible-inventory can read into a stored inventory
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Reads an inventory source with C(ansible-inventory --list --export) (an INI or YAML file, a directory of them,
    an inventory script, an inventory plugin configuration) and writes its hosts, groups and variables into a normal
    inventory of the fleet.inventory store, as AWX's inventory import does.
  - Variables of the source's C(all) group are merged into the inventory's variables (also with O(overwrite_vars)).
  - Hosts are matched to the stored ones by O(instance_id_var) first, then by name; a host matched by its instance id
    takes the source's name. New hosts and groups get the description C(imported), or the value of their
    C(_awx_description) variable, which is not stored as a variable.
  - Only what differs is written; importing the same source again changes nothing and reports C(changed=false).
  - The whole import is one transaction; when reading the source or writing the store fails, the stored inventory is
    left exactly as it was.
  - The source is read before the store is locked, so a slow source does not block other writers.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  inventory:
    description:
      - Name of the inventory to import into. It must be a normal inventory (not smart or constructed).
      - It must exist, unless O(create_inventory=true).
    type: str
    required: true
  source:
    description:
      - What C(ansible-inventory -i) reads; a file, a directory, an executable inventory script or an inventory
        plugin configuration file.
      - A relative path is taken from the directory the task runs in (where C(ansible-playbook) was started);
        use C({{ playbook_dir }}/...) for a path next to the playbook.
      - C(group_vars/) and C(host_vars/) next to the source apply, as the source's directory is also given as
        C(--playbook-dir).
      - A source that does not exist, that no inventory plugin can parse, or a script that fails, fails the task
        with ansible's reason and writes nothing.
    type: str
    required: true
  overwrite:
    description:
      - When true, hosts and groups that the source does not have are removed from the inventory, and so are
        group memberships and child groups that the source does not have. The inventory then holds exactly the
        source's hosts and groups.
      - When false, existing hosts, groups, memberships and child groups are kept; the source's are added.
    type: bool
    default: false
  overwrite_vars:
    description:
      - When true, the variables of every imported host and group are replaced by the source's.
      - When false, the source's variables are merged into the stored ones (top-level keys of the source win;
        other stored keys are kept).
      - The inventory's own variables are always merged with the source's C(all) variables, as in AWX.
    type: bool
    default: false
  enabled_var:
    description:
      - Host variable that decides whether a host is enabled. A dotted path like C(status.state) looks into nested
        mappings.
      - A host without this variable keeps its enabled state (a new host is enabled).
      - When not given, the enabled state of existing hosts is left alone and new hosts are enabled.
    type: str
  enabled_value:
    description:
      - With O(enabled_var), the value that means enabled; any other value means disabled. The comparison is on
        the text of the value, case-insensitive (C(true) matches a boolean true).
      - When not given, the truth of the variable's value decides, as in AWX (a non-empty string, even C("false"),
        is true).
    type: str
  instance_id_var:
    description:
      - Comma-separated list of host variables (dotted paths allowed) holding a host's unique, immutable id in
        the source, such as a cloud instance id; the first one that has a value wins.
      - Imported hosts are matched to stored hosts by this id before their name, so a host whose name changed in the
        source is renamed instead of replaced. The id is stored in the host's C(instance_id).
      - When a stored host of the same name exists and is not claimed by another host's id, the name wins, as in AWX.
      - When not given, hosts are matched by name and stored instance ids are left alone.
    type: str
  timeout:
    description:
      - Seconds C(ansible-inventory) may run; it is stopped, with any inventory script it started, after that and the
        task fails. No limit when not given or V(0).
    type: int
  create_inventory:
    description:
      - Create the inventory (a normal one) when it does not exist. AWX requires the inventory to exist, and so does
        this module by default.
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads the source and reports the counts of what would be added, updated and removed, without writing.
    support: full
  diff_mode:
    description: Returns the inventory's sorted host and group names before and after the import.
    support: full
notes:
  - The module runs C(ansible-inventory) next to the Python interpreter that runs C(ansible-playbook), else the one on
    E(PATH).
  - Unlike AWX, the module does not remember which hosts came from which source; with O(overwrite=true) every host
    and group of the inventory that the source lacks is removed.
seealso:
  - module: fleet.inventory.inventory
  - module: fleet.inventory.inventory_source
  - module: fleet.inventory.host
"""

EXAMPLES = r"""
- name: Import an INI inventory next to the playbook, replacing what the inventory held
  fleet.inventory.inventory_import:
    inventory: production
    source: "{{ playbook_dir }}/inventories/production.ini"
    overwrite: true
    overwrite_vars: true

- name: Import an inventory plugin configuration; hosts are matched by instance id, disabled unless running
  fleet.inventory.inventory_import:
    inventory: cloud
    source: /etc/ansible/inventories/cloud.aws_ec2.yml
    instance_id_var: instance_id
    enabled_var: state.name
    enabled_value: running
    timeout: 600

- name: Preview an import
  fleet.inventory.inventory_import:
    inventory: staging
    source: inventories/staging/
    create_inventory: true
  check_mode: true
  diff: true
  register: preview
"""

RETURN = r"""
inventory:
  description: The name of the inventory imported into.
  returned: always
  type: str
  sample: production
hosts:
  description:
    - Hosts C(added), C(updated) (variables, enabled state, instance id or name changed), C(removed) (with
      O(overwrite=true)) and C(unchanged).
  returned: success
  type: dict
  sample: {added: 120, updated: 3, removed: 1, unchanged: 880}
groups:
  description:
    - Groups C(added), C(updated) (variables, hosts or child groups changed), C(removed) (with O(overwrite=true))
      and C(unchanged).
  returned: success
  type: dict
  sample: {added: 2, updated: 1, removed: 0, unchanged: 17}
group_hosts:
  description: Group memberships of hosts C(added) and C(removed) (removals of deleted hosts and groups not counted).
  returned: success
  type: dict
  sample: {added: 240, removed: 0}
group_children:
  description: Child group links C(added) and C(removed).
  returned: success
  type: dict
  sample: {added: 1, removed: 0}
inventory_variables_changed:
  description: Whether the source's C(all) variables changed the inventory's variables.
  returned: success
  type: bool
  sample: false
total_hosts:
  description: Number of hosts in the inventory after the import.
  returned: success
  type: int
  sample: 1003
total_groups:
  description: Number of groups in the inventory after the import.
  returned: success
  type: int
  sample: 20
"""

import re

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound
    from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import import_inventory, run_ansible_inventory
except ImportError:  # pragma: no cover - reported by FleetModule
    NotFound = import_inventory = run_ansible_inventory = None

MAX_WARNINGS = 20
RESULT_KEYS = ("hosts", "groups", "group_hosts", "group_children", "inventory_variables_changed", "total_hosts", "total_groups")


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        inventory=dict(type="str", required=True),
        source=dict(type="str", required=True),
        overwrite=dict(type="bool", default=False),
        overwrite_vars=dict(type="bool", default=False),
        enabled_var=dict(type="str"),
        enabled_value=dict(type="str"),
        instance_id_var=dict(type="str"),
        timeout=dict(type="int"),
        create_inventory=dict(type="bool", default=False),
    ))
    p = module.params
    if p["timeout"] is not None and p["timeout"] < 0:
        module.fail_json(msg="timeout must be 0 (no limit) or a number of seconds, not %d" % p["timeout"])
    store = module.store

    # Read the source first: it can be slow, and the store is not locked meanwhile.
    data, stderr = module.guard(run_ansible_inventory, p["source"], timeout=p["timeout"] or None)
    warnings = [line for line in stderr.splitlines() if line.startswith("[WARNING]")]
    for line in warnings[:MAX_WARNINGS]:
        module.warn("ansible-inventory: " + re.sub(r"^\[WARNING\]:\s*", "", line))

    def apply():
        with store.transaction(dry_run=module.check_mode):
            created = False
            if store.get_inventory(p["inventory"]) is None:
                if not p["create_inventory"]:
                    raise NotFound("inventory '%s' does not exist: create it first (fleet.inventory.inventory) "
                                   "or set create_inventory=true" % p["inventory"])
                store.save_inventory(p["inventory"])
                created = True
            counts = import_inventory(store, p["inventory"], data, overwrite=p["overwrite"], overwrite_vars=p["overwrite_vars"],
                                      enabled_var=p["enabled_var"], enabled_value=p["enabled_value"],
                                      instance_id_var=p["instance_id_var"], with_names=module._diff)
            return created, counts

    created, counts = module.guard(apply)
    result = dict(changed=bool(created or counts["changed"]), inventory=p["inventory"])
    result.update((k, counts[k]) for k in RESULT_KEYS)
    if module._diff:
        result["diff"] = dict(before=counts["before"], after=counts["after"],
                              before_header="inventory %s" % p["inventory"], after_header="inventory %s" % p["inventory"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
