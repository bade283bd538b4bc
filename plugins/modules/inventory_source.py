#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inventory_source
short_description: Manage the inventory sources of a stored inventory (SCM, inventory plugins)
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Creates, changes or deletes an inventory source of a normal inventory of the fleet.inventory store, with AWX's
    fields and rules. A source says where the inventory's hosts come from; M(fleet.inventory.inventory_source_update)
    and M(fleet.inventory.update_inventory_sources) run it.
  - "Every rule is checked before anything is written; a broken rule fails the task with a message that names it and
    leaves the store untouched: smart and constructed inventories take no sources; an scm source needs
    O(source_project), a relative O(source_path) that stays inside the project, and O(overwrite_vars=true); an scm
    source with O(update_on_project_update=true) must be the only source of its inventory and cannot also have
    O(update_on_launch=true)."
  - Creating an scm source with O(update_on_project_update=true) updates its project at once, which updates the
    source (see RV(project_update)).
  - Changing an scm source's project or path makes the next project update update it again, even when the project's
    revision did not change.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  name:
    description: Name of the source, unique in its inventory.
    type: str
    required: true
  inventory:
    description: Name of the inventory the source belongs to. It must be a normal inventory.
    type: str
    required: true
  description:
    description: Free text.
    type: str
  source:
    description:
      - V('') (the default) for a manual source, which is never updated.
      - V(scm) for inventory files kept in a git project (O(source_project), O(source_path)); any format
        C(ansible-inventory) reads works there (INI, YAML, directories with C(group_vars)/C(host_vars), executable
        scripts, plugin configuration files).
      - V(file) for a source that only records an import (never updated, as in AWX).
      - The name of an inventory plugin (such as V(amazon.aws.aws_ec2) or V(fleet.inventory.smart)); O(source_vars) is
        then the plugin's configuration.
      - V(constructed) cannot be set by hand; constructed inventories manage their own source.
      - When not given, an existing source keeps its type.
    type: str
  source_project:
    description: Name of the project (M(fleet.inventory.project)) that holds the inventory of an scm source.
    type: str
  source_path:
    description:
      - For scm sources, the file or directory in the project to read, relative to the project's root; empty for the
        root itself. An absolute path, or one that leaves the project (C(..)), is refused, and so is a path that
        leads outside the checkout through a symbolic link when the source is updated.
    type: str
  source_vars:
    description:
      - A mapping, or a YAML/JSON string holding one.
      - For scm sources, environment variables of the inventory run (what inventory scripts in the repository read);
        values that are not strings are passed as JSON.
      - For plugin sources, the plugin's configuration (the content of its C(.yml) file, without C(plugin)).
      - C(HOME), C(USER), C(_), C(TERM) and C(PATH) are refused, as in AWX.
    type: raw
  overwrite:
    description:
      - When true, an update removes the hosts and groups that this source brought earlier and no longer has, and
        the group memberships and child groups of its groups that it no longer has. Hosts and groups added by hand
        or by another source stay.
    type: bool
  overwrite_vars:
    description:
      - When true, an update replaces the variables of the hosts and groups it imports; when false it merges them.
      - scm sources must have V(true), which is their default.
    type: bool
  update_on_launch:
    description:
      - Whether the source is updated before it is used (by the C(fleet.inventory.scm) inventory plugin), unless it
        had a successful update in the last O(update_cache_timeout) seconds.
    type: bool
  update_on_project_update:
    description:
      - For scm sources, update the source when its project is updated and the project's revision changed.
    type: bool
  update_cache_timeout:
    description: Seconds a successful update stays fresh for O(update_on_launch).
    type: int
  limit:
    description: A host pattern given to C(ansible-inventory --limit) when the source is updated.
    type: str
  verbosity:
    description: How much of C(ansible-inventory)'s output the update's log keeps (V(0) warnings and errors, V(1) and V(2) all).
    type: int
    choices: [0, 1, 2]
  enabled_var:
    description: Host variable that decides whether an imported host is enabled (see M(fleet.inventory.inventory_import)).
    type: str
  enabled_value:
    description: With O(enabled_var), the value that means enabled.
    type: str
  instance_id_var:
    description: Comma-separated host variables holding an imported host's unique id (see M(fleet.inventory.inventory_import)).
    type: str
  state:
    description:
      - V(absent) deletes the source and its update records. The hosts and groups it brought stay in the inventory,
        as in AWX. A source whose update is running cannot be deleted.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Checks every rule and reports what would change; no project is updated.
    support: full
  diff_mode:
    description: Shows the source's fields before and after.
    support: full
seealso:
  - module: fleet.inventory.project
  - module: fleet.inventory.inventory_source_update
  - module: fleet.inventory.update_inventory_sources
"""

EXAMPLES = r"""
- name: An inventory kept in git, updated whenever the project's revision changes
  fleet.inventory.inventory_source:
    name: from-git
    inventory: production
    source: scm
    source_project: infra-inventory
    source_path: inventories/production
    overwrite: true
    update_on_project_update: true

- name: An inventory script in the repository that reads environment variables
  fleet.inventory.inventory_source:
    name: cmdb
    inventory: datacenter
    source: scm
    source_project: infra-inventory
    source_path: scripts/cmdb.py
    source_vars:
      CMDB_URL: https://cmdb.example.com
      CMDB_SITE: par1

- name: Hosts of a cloud, through its inventory plugin
  fleet.inventory.inventory_source:
    name: ec2
    inventory: cloud
    source: amazon.aws.aws_ec2
    source_vars:
      regions: [eu-west-1]
      hostnames: [instance-id]
    instance_id_var: instance_id
    update_on_launch: true
    update_cache_timeout: 600

- name: Remove a source (its hosts stay)
  fleet.inventory.inventory_source:
    name: ec2
    inventory: cloud
    state: absent
"""

RETURN = r"""
inventory_source:
  description:
    - The source as stored after the task (as it would be, in check mode); for O(state=absent) the deleted source,
      or null.
    - C(status) is that of its last update (AWX's C(never updated) is an empty string); an update left C(running) by a
      node that stopped renewing its lease shows as V(failed) once the lease has passed.
  returned: always
  type: dict
  sample:
    id: 4
    name: from-git
    inventory: production
    source: scm
    source_project: infra-inventory
    source_path: inventories/production
    source_vars: {}
    overwrite: true
    overwrite_vars: true
    update_on_launch: false
    update_on_project_update: true
    update_cache_timeout: 0
    status: successful
    scm_last_revision: 5b0e3c9c0f1e4b8c9a0d2e7f6a1b3c4d5e6f7a8b
project_update:
  description:
    - When the task created an scm source with O(update_on_project_update=true), the update of its project that it
      ran, with the C(inventory_updates) that the project update ran.
  returned: when a project update ran
  type: dict
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources
except ImportError:  # pragma: no cover - reported by FleetModule
    sources = None

OPTIONS = ("description", "source", "source_project", "source_path", "source_vars", "overwrite", "overwrite_vars",
           "update_on_launch", "update_on_project_update", "update_cache_timeout", "limit", "verbosity", "enabled_var",
           "enabled_value", "instance_id_var")


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        name=dict(type="str", required=True),
        inventory=dict(type="str", required=True),
        description=dict(type="str"),
        source=dict(type="str"),
        source_project=dict(type="str"),
        source_path=dict(type="str"),
        source_vars=dict(type="raw"),
        overwrite=dict(type="bool"),
        overwrite_vars=dict(type="bool"),
        update_on_launch=dict(type="bool"),
        update_on_project_update=dict(type="bool"),
        update_cache_timeout=dict(type="int"),
        limit=dict(type="str"),
        verbosity=dict(type="int", choices=[0, 1, 2]),
        enabled_var=dict(type="str"),
        enabled_value=dict(type="str"),
        instance_id_var=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    ))
    p = module.params
    store = module.store
    if p["state"] == "absent":
        before = module.guard(sources.delete_source, store, p["inventory"], p["name"], dry_run=module.check_mode)
        module.exit_with_diff(before, None, sources.VIEW_FIELDS, inventory_source=sources.public_source(before))
    fields = {k: p[k] for k in OPTIONS if p[k] is not None}
    before, after = module.guard(sources.save_source, store, p["inventory"], p["name"], dry_run=module.check_mode, **fields)
    result = dict(inventory_source=sources.public_source(after))
    if after.get("project_update") is not None:
        result["project_update"] = after["project_update"]
        pu = after["project_update"]
        if pu.get("status") != "successful":
            module.warn("the update of project '%s' failed: %s" % (after["source_project"], pu.get("job_explanation")))
    module.exit_with_diff(before, after, sources.VIEW_FIELDS, **result)


if __name__ == "__main__":
    main()
