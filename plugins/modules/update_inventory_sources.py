#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: update_inventory_sources
short_description: Update every inventory source of a stored inventory (AWX's update_inventory_sources)
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Does what AWX's C(/api/v2/inventories/{id}/update_inventory_sources/) does. With O(list_only=true), its C(GET) view
    lists each source that is not manual with C(can_update). Otherwise (C(POST)) every such source that can update is
    updated (see M(fleet.inventory.inventory_source_update)), one after the other.
  - Each source gets an entry in RV(inventory_updates) with C(inventory_source) (its id), C(name), C(can_update) and
    C(status) - V(started) with C(inventory_update) (the update record's id) and the record's fields, or
    V(Could not start because `can_update` returned False).
  - RV(status_code) is AWX's outcome - V(200) when every source started, V(202) when only some did, V(400) when none
    could, and V(400) with RV(detail) V(No inventory sources to update.) when the inventory has no source that is not
    manual. The task fails when it is V(400), with the results in its output.
  - With O(wait=true), a started update that failed also fails the task (the status code is still AWX's, which tells
    whether updates started, not how they ended).
  - Manual sources (C(source) V('')) are never listed nor updated; V(file) sources and scm sources without a project
    cannot update.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  inventory:
    description: Name of the inventory.
    type: str
    required: true
  wait:
    description:
      - When true, every update runs in the task and its entry holds the finished record (C(update_status) is its
        status).
      - When false, each update starts in a detached background process (they run one after the other, as updates of
        one inventory are serialized) and its entry holds the pending record.
    type: bool
    default: true
  timeout:
    description:
      - Seconds each update waits for another running update of the same inventory before giving up; V(0) does not
        wait. No limit when not given.
    type: int
  list_only:
    description: Only list the sources with C(can_update) (AWX's GET view); nothing runs and C(changed) is false.
    type: bool
    default: false
attributes:
  check_mode:
    description: Lists what would start, reads every source that can update and reports whether any would change.
    support: full
  diff_mode:
    description: Not supported.
    support: none
seealso:
  - module: fleet.inventory.inventory_source
  - module: fleet.inventory.inventory_source_update
"""

EXAMPLES = r"""
- name: Update every source of the production inventory
  fleet.inventory.update_inventory_sources:
    inventory: production
  register: result

- name: Which sources could update
  fleet.inventory.update_inventory_sources:
    inventory: production
    list_only: true

- name: Start them all in the background, accept that some cannot start
  fleet.inventory.update_inventory_sources:
    inventory: production
    wait: false
  register: started
  failed_when: started.status_code not in [200, 202]
"""

RETURN = r"""
inventory_updates:
  description:
    - One entry per source that is not manual, in the order the sources were created.
    - C(inventory_source) (id), C(name), C(source), C(can_update) (with C(reason) when false), C(source_status) (the
      source's status when the request was made; V(failed) when an update was left running by a process that died);
      unless O(list_only),
      C(status) and, when started, C(inventory_update) (the record's id), C(update_status) (the record's status) and
      the record's other fields (C(started), C(finished), C(result_stdout), C(job_explanation), C(counts),
      C(scm_revision) ...).
    - "C(status) is V(started), V(Could not start because `can_update` returned False), or V(Could not start: ...)
      with the reason when another update kept the inventory busy beyond O(timeout)."
  returned: always
  type: list
  elements: dict
  sample:
    - inventory_source: 4
      name: from-git
      source: scm
      can_update: true
      source_status: successful
      status: started
      inventory_update: 31
      update_status: successful
    - inventory_source: 5
      name: legacy
      source: file
      can_update: false
      reason: file inventory sources are filled by inventory imports, not updated
      status: Could not start because `can_update` returned False
status_code:
  description: AWX's HTTP status for the request - 200, 202 or 400 (200 with O(list_only)).
  returned: always
  type: int
  sample: 202
detail:
  description: V(No inventory sources to update.) when the inventory has no source that is not manual.
  returned: when there is nothing to update
  type: str
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates
    from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError
except ImportError:  # pragma: no cover - reported by FleetModule
    updates = FleetInventoryError = None


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        inventory=dict(type="str", required=True),
        wait=dict(type="bool", default=True),
        timeout=dict(type="int"),
        list_only=dict(type="bool", default=False),
    ))
    p = module.params
    if p["timeout"] is not None and p["timeout"] < 0:
        module.fail_json(msg="timeout must be 0 (do not wait) or a number of seconds, not %d" % p["timeout"])
    store = module.store
    out = module.guard(updates.update_inventory_sources, store, p["inventory"], wait=p["wait"], timeout=p["timeout"],
                       list_only=p["list_only"], check_mode=module.check_mode)
    entries = out["inventory_updates"]
    result = dict(inventory_updates=entries, status_code=out["status_code"])
    if "detail" in out:
        result["detail"] = out["detail"]
    if p["list_only"]:
        module.exit_json(changed=False, **result)
    if module.check_mode:
        changed = False
        for entry in entries:
            if entry.get("status") == "started":
                try:
                    entry["counts"] = updates.preview_source_update(store, entry["inventory_source"])
                except FleetInventoryError as exc:
                    entry["preview_error"] = str(exc)
                    continue
                changed = changed or bool(entry["counts"].get("changed"))
    elif p["wait"]:
        changed = any(e.get("changed") for e in entries)
    else:
        changed = any(e.get("status") == "started" for e in entries)
    if out["status_code"] == 400:
        msg = out.get("detail") or "no inventory source of inventory '%s' could start: %s" % (
            p["inventory"], "; ".join("'%s': %s" % (e["name"], e.get("reason") or e["status"]) for e in entries))
        module.fail_json(msg=msg, changed=False, **result)
    failed = [e for e in entries if e.get("update_status") in ("failed", "error", "canceled")]
    if failed and p["wait"] and not module.check_mode:
        module.fail_json(msg="%d inventory update(s) of inventory '%s' failed: %s" % (
            len(failed), p["inventory"], "; ".join("'%s' (update %s): %s" % (e["name"], e["inventory_update"], e.get("job_explanation"))
                                                   for e in failed)), changed=changed, **result)
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
