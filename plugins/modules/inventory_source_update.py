#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inventory_source_update
short_description: Update one inventory source of a stored inventory
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Runs an inventory source (M(fleet.inventory.inventory_source)) into its inventory, as AWX's
    C(POST /api/v2/inventory_sources/{id}/update/) does, and returns the inventory update record.
  - The source is read with C(ansible-inventory --list --export) (for scm sources, the project's checkout at the
    source's C(source_path), with its C(source_vars) as environment variables; for plugin sources, a configuration
    made of C(source_vars)) and imported in one transaction, with the source's C(overwrite), C(overwrite_vars),
    C(enabled_var), C(enabled_value) and C(instance_id_var). A failed update leaves the inventory as it was.
  - An scm source whose project has no checkout yet updates the project first.
  - Updates of one inventory are serialized; while another update of the same inventory runs, the task waits up to
    O(timeout) seconds and then fails, naming that update.
  - Manual (V('')) and V(file) sources cannot be updated, nor scm sources without a project; the task fails with
    AWX's reason.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  name:
    description: Name of the source.
    type: str
    required: true
  inventory:
    description: Name of the inventory the source belongs to.
    type: str
    required: true
  wait:
    description:
      - When true, the update runs in the task and the task returns its finished record; a failed update fails the
        task, with the record in RV(inventory_update).
      - When false, the update starts in a detached background process and the task returns the C(pending) record at
        once (C(changed) is true); follow it in the store's C(inventory_updates) records. Needs a store file.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for another running update of the same inventory before giving up; V(0) does not wait.
      - No limit when not given (an update whose node stopped renewing its lease is marked failed once the lease has passed, so it never blocks).
    type: int
attributes:
  check_mode:
    description: Reads the source and reports what the update would change, without writing a record or the inventory.
    support: full
  diff_mode:
    description: Not supported; see the counts in RV(inventory_update).
    support: none
seealso:
  - module: fleet.inventory.inventory_source
  - module: fleet.inventory.update_inventory_sources
"""

EXAMPLES = r"""
- name: Update an scm source and wait for it
  fleet.inventory.inventory_source_update:
    name: from-git
    inventory: production
  register: update

- name: Show what it did
  ansible.builtin.debug:
    msg: "{{ update.inventory_update.counts.hosts }}"

- name: Start an update in the background
  fleet.inventory.inventory_source_update:
    name: ec2
    inventory: cloud
    wait: false
"""

RETURN = r"""
id:
  description: The id of the inventory update record (null in check mode).
  returned: always
  type: int
  sample: 12
status:
  description: The record's status, C(successful), C(failed), or with O(wait=false) C(pending) or C(running).
  returned: always
  type: str
  sample: successful
inventory_update:
  description:
    - The inventory update record, with AWX's fields C(id), C(inventory_source), C(inventory), C(status),
      C(launch_type), C(started), C(finished), C(elapsed), C(result_stdout) (the log), C(job_explanation),
      C(scm_revision) and C(source_project_update); C(counts) holds the importer's counts (C(hosts), C(groups),
      C(group_hosts), C(group_children), C(total_hosts), C(total_groups), C(changed)).
  returned: success, and when the update failed
  type: dict
counts:
  description: In check mode, what the update would change (the importer's counts).
  returned: check mode
  type: dict
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources, updates
except ImportError:  # pragma: no cover - reported by FleetModule
    sources = updates = None


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        name=dict(type="str", required=True),
        inventory=dict(type="str", required=True),
        wait=dict(type="bool", default=True),
        timeout=dict(type="int"),
    ))
    p = module.params
    if p["timeout"] is not None and p["timeout"] < 0:
        module.fail_json(msg="timeout must be 0 (do not wait) or a number of seconds, not %d" % p["timeout"])
    store = module.store
    source = module.guard(sources.require_source, store, p["inventory"], p["name"])
    if module.check_mode:
        counts = module.guard(updates.preview_source_update, store, source)
        module.exit_json(changed=bool(counts.get("changed")), id=None, status="pending", counts=counts)
    record = module.guard(updates.run_source_update, store, source, wait=p["wait"], timeout=p["timeout"])
    if record["status"] in ("failed", "error", "canceled"):
        module.fail_json(msg="inventory update %d of source '%s' (inventory '%s') %s: %s" % (
            record["id"], p["name"], p["inventory"], record["status"], record["job_explanation"]),
            id=record["id"], status=record["status"], inventory_update=record, changed=False)
    changed = True if not p["wait"] else record["changed"]
    module.exit_json(changed=changed, id=record["id"], status=record["status"], inventory_update=record)


if __name__ == "__main__":
    main()
