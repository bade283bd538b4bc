#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: project
short_description: Create, update or delete a git project in the fleet.inventory store
version_added: 0.2.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Manages a git project, AWX's project of C(scm_type=git) a SCM inventory source reads its inventory from
    (see M(fleet.inventory.inventory_source) with C(source=scm)).
  - The project is checked out into a directory managed next to the store (C(<store dir>/projects/<id>__<name>),
    or under E(FLEET_INVENTORY_PROJECTS_ROOT) when set).
  - As in AWX, creating a project or changing what it fetches (O(scm_url), O(scm_branch), O(scm_refspec), the
    credential) runs a project update at once (unless O(update=false)); the update refreshes the project's suggested
    O(ignore:inventory_files) and updates the inventory sources that have C(update_on_project_update) when the
    revision changed. A failed update fails the task; the project definition itself stays saved, as in AWX.
  - Deleting a project removes its checkout and its update records. A project that an inventory source uses cannot
    be deleted.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  name:
    description: Name of the project; unique in the store.
    type: str
    required: true
  description:
    description: Free text description. When not given, an existing project keeps its own.
    type: str
  scm_type:
    description: The kind of repository. Only git is supported.
    type: str
    choices: [git]
  scm_url:
    description:
      - URL of the git repository, C(https://), C(ssh://), C(git@host:path) or C(file:///path).
      - Required to create the project.
      - A password given in the URL, in any form (C(https://user:secret@host/repo.git),
        C(ssh://user:secret@host/repo.git), C(user:secret@host:repo.git)), is removed from the URL and kept as the
        credential's password (masked as C($encrypted$)); it is never stored in the URL, returned, logged (the task's
        C(invocation) included) or written into the checkout's C(.git/config). SSH itself does not use it; give SSH
        access with O(scm_ssh_key_file).
    type: str
  scm_branch:
    description:
      - Branch, tag or commit to check out. Empty means the remote's default branch.
    type: str
  scm_refspec:
    description:
      - Extra refspecs fetched besides all branches and tags (for example V(refs/pull/*:refs/remotes/origin/pull/*)),
        space separated.
    type: str
  scm_username:
    description: User name for an https URL. An empty string removes it.
    type: str
  scm_password:
    description:
      - Password or token for an https URL. It is given to git by a credential helper in git's environment only; it is
        never written to the checkout's C(.git/config), to the update's log or to the task's output (shown as
        C($encrypted$)).
      - It is stored encrypted (with the whole credential), with a key that lives outside the store, the environment
        variable E(FLEET_INVENTORY_SECRET_KEY), else the key file named by E(FLEET_INVENTORY_KEY_FILE), else (SQLite
        stores only) the file C(<store>.key) beside the store, created C(0600) when first needed. A PostgreSQL store
        without a configured key refuses to store a credential.
      - An empty string removes it.
    type: str
  scm_ssh_key_file:
    description:
      - Absolute path of an SSH private key file on the controller for C(ssh://) and C(git@host:path) URLs.
        git runs C(ssh -i KEY -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o BatchMode=yes).
      - The key must have no passphrase (or be loaded in an ssh-agent). An empty string removes it.
    type: path
  update:
    description:
      - Run a project update when the project is created or what it fetches changed.
      - With V(false) the project is only saved; run M(fleet.inventory.project_update) later.
    type: bool
    default: true
  timeout:
    description: Seconds the whole git update may take. V(0) means the default (600).
    type: int
    default: 0
  state:
    description: V(present) creates or updates the project; V(absent) deletes it with its checkout.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Reports what would change; nothing is written and git is not run.
    support: full
  diff_mode:
    description: Returns the project's fields before and after the change (the password masked).
    support: full
seealso:
  - module: fleet.inventory.project_update
  - module: fleet.inventory.inventory_source
"""

EXAMPLES = r"""
- name: A project from an https repository, on branch main
  fleet.inventory.project:
    name: inventories
    scm_url: https://git.example.com/ops/inventories.git
    scm_branch: main
    scm_username: deploy
    scm_password: "{{ vault_git_token }}"
  register: project

- name: Show the inventory files found in it
  ansible.builtin.debug:
    var: project.inventory_files

- name: A project over SSH with a deploy key, saved without fetching yet
  fleet.inventory.project:
    name: network
    scm_url: git@git.example.com:ops/network-inventory.git
    scm_ssh_key_file: /home/ops/.ssh/deploy_key
    update: false

- name: Remove a project and its checkout
  fleet.inventory.project:
    name: network
    state: absent
"""

RETURN = r"""
project:
  description:
    - The project as stored after the task (in check mode, as it would be); for O(state=absent) the deleted
      project or null. The credential's password is shown as C($encrypted$).
    - C(status) is that of its last update; an update left C(running) by a node that stopped renewing its lease
      (killed, even with C(SIGKILL)) shows as V(failed) once the lease has passed, with a warning naming the node and the update.
  returned: always
  type: dict
  sample:
    id: 1
    name: inventories
    description: ''
    scm_type: git
    scm_url: https://git.example.com/ops/inventories.git
    scm_branch: main
    scm_refspec: ''
    credential: {username: deploy, password: $encrypted$}
    local_path: 1__inventories
    scm_revision: 5a1e0d3c9f0b7e5c2f4e2b8e6f1a9d3c7b2e4f60
    status: successful
    last_updated: '2025-01-01T10:00:00.000000+00:00'
    inventory_files: [hosts, inventories/prod.yml]
id:
  description: The project's id (null when there was none).
  returned: always
  type: int
  sample: 1
inventory_files:
  description:
    - The project's suggested inventory files, relative to the project root, sorted, at most 50 (AWX's rules plus
      YAML inventories).
  returned: always
  type: list
  elements: str
  sample: [hosts, inventories/prod.yml]
project_update:
  description: The project update this task ran (see M(fleet.inventory.project_update)); null when none ran.
  returned: always
  type: dict
inventory_updates:
  description: The inventory updates the project update started (sources with C(update_on_project_update)).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects
except ImportError:  # pragma: no cover - reported by FleetModule
    projects = None

FIELDS = ("name", "description", "scm_type", "scm_url", "scm_branch", "scm_refspec", "credential")


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        scm_type=dict(type="str", choices=["git"]),
        scm_url=dict(type="str"),
        scm_branch=dict(type="str"),
        scm_refspec=dict(type="str"),
        scm_username=dict(type="str"),
        scm_password=dict(type="str", no_log=True),
        scm_ssh_key_file=dict(type="path", no_log=False),
        update=dict(type="bool", default=True),
        timeout=dict(type="int", default=0),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    ))
    p = module.params
    secret = projects.url_secret(p["scm_url"])
    if secret:
        # a password inside scm_url (any URL form) is masked in everything the module returns, its invocation included
        module.no_log_values.add(secret)
    if p["timeout"] < 0:
        module.fail_json(msg="timeout must be 0 (the default) or a number of seconds, not %d" % p["timeout"])
    store = module.store

    if p["state"] == "absent":
        def delete():
            with store.transaction(dry_run=module.check_mode):
                return projects.delete_project(store, p["name"])

        before = module.guard(delete)
        if before is not None and not module.check_mode:
            projects.remove_checkout(store, before)
        shown = projects.public_project(before)
        result = dict(changed=before is not None, project=shown, id=before["id"] if before else None,
                      inventory_files=[], project_update=None, inventory_updates=[])
        if module._diff:
            result["diff"] = dict(before={k: shown[k] for k in FIELDS} if shown else {}, after={})
        module.exit_json(**result)

    def save():
        with store.transaction(dry_run=module.check_mode):
            return projects.save_project(
                store, p["name"], description=p["description"], scm_type=p["scm_type"], scm_url=p["scm_url"],
                scm_branch=p["scm_branch"], scm_refspec=p["scm_refspec"], username=p["scm_username"],
                password=p["scm_password"], ssh_key_file=p["scm_ssh_key_file"])

    before, after, changed = module.guard(save)
    update = None
    if p["update"] and projects.scm_fields_changed(before, after):
        if module.check_mode:
            changed = True
        else:
            update = module.guard(projects.update_project, store, after["id"], timeout=p["timeout"] or None)
            after = projects.get_project(store, after["id"])
            changed = True
    shown_before, shown_after = projects.public_project(before), projects.public_project(after)
    result = dict(changed=changed, project=shown_after, id=after["id"] if not module.check_mode or before else None,
                  inventory_files=after["inventory_files"], project_update=update,
                  inventory_updates=(update or {}).get("inventory_updates", []))
    if module._diff:
        view_after = {k: shown_after[k] for k in FIELDS}
        old_password = (before or {}).get("credential", {}).get("password")
        new_password = after["credential"].get("password")
        if old_password and new_password and old_password != new_password:
            # both are masked: say that the secret changed without showing it
            view_after["credential"] = dict(view_after["credential"], password="$encrypted$ (changed)")
        result["diff"] = dict(before={k: shown_before[k] for k in FIELDS} if shown_before else {}, after=view_after)
    if after.get("id") is not None:
        dead = projects.project_state(store, after["id"])[1]
        if dead:
            module.warn("project '%s' shows as failed: %s; its next update records it" % (p["name"], dead))
    if update is not None and update["status"] != "successful":
        result.pop("changed")
        module.fail_json(msg="project '%s' was saved but its update failed: %s\n%s" % (
            p["name"], update["job_explanation"], projects.log_tail(update["result_stdout"], 2000)), changed=True, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
