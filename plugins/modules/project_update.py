#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: project_update
short_description: Update a git project of the fleet.inventory store (fetch and check out)
version_added: 0.2.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Runs an AWX-style project update of a project made with M(fleet.inventory.project) - fetches the repository,
    checks out its O(ignore:scm_branch), records the update (status, revision, log) and refreshes the project's
    suggested inventory files.
  - After a successful update, every inventory source of the project with C(update_on_project_update) whose last
    imported revision differs from the project's new revision is updated (AWX's rule); their inventory updates are
    returned in RV(inventory_updates). A failed project update updates no inventory source.
  - The task fails, with the tail of the git log, when the update fails. The failed update is still recorded.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  name:
    description: Name (or numeric id) of the project.
    type: str
    required: true
    aliases: [project]
  update_inventory_sources:
    description:
      - Update the inventory sources that have C(update_on_project_update) after a successful update.
    type: bool
    default: true
  timeout:
    description: Seconds the git update may take. V(0) means the default (600).
    type: int
    default: 0
attributes:
  check_mode:
    description:
      - Asks the remote for its revision (C(git ls-remote)) and reports C(changed) when it differs from the
        project's; nothing is fetched or written.
    support: full
  diff_mode:
    description: Returns the project's revision before and after.
    support: full
seealso:
  - module: fleet.inventory.project
  - module: fleet.inventory.inventory_source_update
"""

EXAMPLES = r"""
- name: Fetch the project and update the inventories that follow it
  fleet.inventory.project_update:
    name: inventories
  register: update

- name: Which inventory sources were updated
  ansible.builtin.debug:
    msg: "{{ update.inventory_updates | map(attribute='inventory_source') | list }}"
"""

RETURN = r"""
project_update:
  description: The project update record, with AWX's field names.
  returned: success or when the update failed
  type: dict
  contains:
    id:
      description: Id of the update record.
      type: int
    project:
      description: Id of the project.
      type: int
    status:
      description: V(successful) or V(failed).
      type: str
    launch_type:
      description: V(manual) for this module.
      type: str
    scm_revision:
      description: The commit checked out (empty when the update failed).
      type: str
    result_stdout:
      description: The git commands run and their output (a password is never shown).
      type: str
    job_explanation:
      description: Why the update failed, in one line.
      type: str
    started:
      description: When the update started (ISO 8601, UTC).
      type: str
    finished:
      description: When the update finished.
      type: str
    pid:
      description: The process that ran the update (with C(hostname), its node, and C(lease_expires)/C(heartbeat), its lease).
      type: int
  sample:
    id: 7
    project: 1
    status: successful
    launch_type: manual
    scm_revision: 5a1e0d3c9f0b7e5c2f4e2b8e6f1a9d3c7b2e4f60
    result_stdout: "$ git fetch ..."
    job_explanation: ''
    started: '2025-01-01T10:00:00.000000+00:00'
    finished: '2025-01-01T10:00:01.000000+00:00'
id:
  description: Id of the project update (null in check mode).
  returned: always
  type: int
status:
  description: Status of the project update (V(successful), V(failed)); in check mode V(check).
  returned: always
  type: str
scm_revision:
  description: The project's revision after the update (in check mode, the remote's revision).
  returned: always
  type: str
previous_revision:
  description: The project's revision before the update (empty when it had never been updated).
  returned: always
  type: str
project:
  description:
    - The project after the update (its password shown as C($encrypted$)).
    - In check mode, a project whose last update was left C(running) by a node that stopped renewing its lease shows
      C(status) V(failed), with a warning naming the node and the update.
  returned: always
  type: dict
inventory_files:
  description: The project's suggested inventory files (sorted, at most 50).
  returned: always
  type: list
  elements: str
  sample: [hosts, inventories/prod.yml]
inventory_updates:
  description:
    - The inventory updates that this project update triggered (sources with C(update_on_project_update) whose
      revision changed), each an inventory update record.
  returned: always
  type: list
  elements: dict
changed:
  description:
    - True when the checked out revision changed, or an inventory update it triggered changed its inventory.
      The update record itself is written every time.
  returned: always
  type: bool
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects
except ImportError:  # pragma: no cover - reported by FleetModule
    projects = None


def _inventory_changed(inventory_update):
    counts = inventory_update.get("counts") or {}
    return bool(counts.get("changed")) if isinstance(counts, dict) else False


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        name=dict(type="str", required=True, aliases=["project"]),
        update_inventory_sources=dict(type="bool", default=True),
        timeout=dict(type="int", default=0),
    ))
    p = module.params
    if p["timeout"] < 0:
        module.fail_json(msg="timeout must be 0 (the default) or a number of seconds, not %d" % p["timeout"])
    store = module.store
    ref = int(p["name"]) if p["name"].isdigit() else p["name"]
    project = module.guard(projects.require_project, store, ref)

    if module.check_mode:
        try:
            remote = projects.remote_revision(project, timeout=p["timeout"] or None)
        except projects.GitError as exc:
            module.fail_json(msg="project '%s': %s" % (project["name"], exc))
        changed = remote is None or remote != project["scm_revision"]
        dead = projects.project_state(store, project["id"])[1]
        if dead:
            module.warn("project '%s' shows as failed: %s; its next update records it" % (project["name"], dead))
        result = dict(changed=changed, id=None, status="check", scm_revision=remote or "",
                      previous_revision=project["scm_revision"], project=projects.public_project(project),
                      inventory_files=project["inventory_files"], inventory_updates=[])
        if module._diff:
            result["diff"] = dict(before={"scm_revision": project["scm_revision"]}, after={"scm_revision": remote or ""})
        module.exit_json(**result)

    update = module.guard(projects.update_project, store, project, launch_type="manual",
                          trigger_inventory_updates=p["update_inventory_sources"], timeout=p["timeout"] or None)
    after = projects.get_project(store, project["id"])
    inventory_updates = update.pop("inventory_updates", [])
    result = dict(id=update["id"], status=update["status"], scm_revision=after["scm_revision"],
                  previous_revision=update.pop("previous_revision"), project=projects.public_project(after),
                  inventory_files=update.pop("inventory_files"), inventory_updates=inventory_updates, project_update=update)
    revision_changed = update.pop("revision_changed")
    if module._diff:
        result["diff"] = dict(before={"scm_revision": result["previous_revision"]}, after={"scm_revision": after["scm_revision"]})
    if update["status"] != "successful":
        module.fail_json(msg="update of project '%s' failed: %s\n%s" % (
            project["name"], update["job_explanation"], projects.log_tail(update["result_stdout"], 2000)),
            changed=False, **result)
    for inv_update in inventory_updates:
        if inv_update.get("status") != "successful":
            module.warn("the inventory update of %s that this project update started ended %s: %s" % (
                inv_update.get("name") or "inventory source %s" % inv_update.get("inventory_source"),
                inv_update.get("status"), inv_update.get("job_explanation") or "see its result_stdout"))
    changed = revision_changed or any(_inventory_changed(u) for u in inventory_updates)
    module.exit_json(changed=changed, **result)


if __name__ == "__main__":
    main()
