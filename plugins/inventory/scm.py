# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: scm
short_description: An inventory kept in a git repository (AWX's SCM inventory source)
version_added: 0.2.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Either serves a stored SCM inventory source (O(inventory_source)) or reads an inventory straight from a git
    repository (O(repo), O(branch), O(source_path)).
  - With O(inventory_source), the hosts and groups that the source imported into its inventory are read from the
    store, with their variables; the inventory's variables become vars of C(all). When the source has
    C(update_on_launch) and its last successful update is older than its C(update_cache_timeout), it is updated
    first (AWX's rule), and the plugin fails when that update fails.
  - With O(repo), the repository is fetched into O(checkout_dir) and C(ansible-inventory --list --export) reads
    O(source_path) there, so any format that Ansible reads works (INI, YAML, directories with C(group_vars) and
    C(host_vars), executable scripts, inventory plugin configurations). The store is not used.
  - As for an scm source's update, C(ansible-inventory) runs with a clean environment (only C(PATH), C(HOME), the
    locale, the C(ANSIBLE_*) settings it sets and O(source_vars)) and, where C(bwrap) is installed, in a sandbox
    that sees the checkout read-only, a private C(/tmp) and home, and nothing of the store nor of O(checkout_dir)'s
    other checkouts (environment variable C(FLEET_INVENTORY_SCM_SANDBOX)=V(auto), V(bwrap) or V(off)). A symbolic
    link in O(source_path) that resolves outside the checkout is refused. A password in O(repo) is given to git by a
    credential helper, never written into the checkout.
  - With O(inventory_source), a warning says when the source's last update failed (an update whose node stopped
    renewing its lease included); the hosts served are then those of its last complete update.
  - Disabled hosts are left out unless O(include_disabled) is set, as AWX leaves them out of a job's inventory.
  - The inventory file name must end in C(scm.yml) or C(scm.yaml), or be any C(.yml)/C(.yaml) file whose
    C(plugin) key is C(fleet.inventory.scm).
options:
  plugin:
    description: Marks this file as a source for this plugin.
    required: true
    type: str
    choices: ['fleet.inventory.scm']
  inventory_source:
    description:
      - Name of a stored inventory source (C(source=scm)) to serve. Mutually exclusive with O(repo).
    type: str
  inventory:
    description:
      - Name of the inventory that holds O(inventory_source). Needed only when several inventories have a source of
        that name.
    type: str
  update:
    description:
      - With O(inventory_source), update the source first when C(update_on_launch) and C(update_cache_timeout) say
        so. V(false) never updates.
    type: bool
    default: true
  include_disabled:
    description: Keep hosts whose C(enabled) is false (with O(inventory_source)).
    type: bool
    default: false
  repo:
    description:
      - URL of a git repository (C(https://), C(ssh://), C(git@host:path), C(file:///path)) to read directly.
        Mutually exclusive with O(inventory_source).
    type: str
  branch:
    description: Branch, tag or commit of O(repo). Empty means the remote's default branch.
    type: str
    default: ''
  source_path:
    description:
      - Path of the inventory inside O(repo) (a file or a directory), relative to the repository root; empty means
        the root. It must stay inside the checkout.
    type: str
    default: ''
  source_vars:
    description:
      - Environment variables for the C(ansible-inventory) run over O(repo) (what scripts in the repository read),
        as AWX passes an SCM source's C(source_vars).
    type: dict
    default: {}
  ssh_key_file:
    description: Absolute path of an SSH private key for O(repo).
    type: path
  checkout_dir:
    description:
      - Directory under which O(repo) is checked out (one subdirectory per repository and branch).
    type: path
    default: ~/.cache/fleet.inventory/scm
  timeout:
    description: Seconds that git, and then C(ansible-inventory), may each take. V(0) means no limit for the
      inventory run and the default (600) for git.
    type: int
    default: 0
extends_documentation_fragment:
  - fleet.inventory.store.plugin
seealso:
  - module: fleet.inventory.inventory_source
  - module: fleet.inventory.project
"""

EXAMPLES = r"""
# prod.scm.yml -- the hosts of the stored SCM source "from-git" of inventory "production"
plugin: fleet.inventory.scm
inventory_source: from-git
inventory: production

# direct.scm.yml -- read inventories/prod (a directory with group_vars/) from a repository
plugin: fleet.inventory.scm
repo: https://git.example.com/ops/inventories.git
branch: main
source_path: inventories/prod
source_vars:
  REGION: eu-west-1
"""

import hashlib
import os

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects, sources, updates
from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError
from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import parse_inventory_data, run_ansible_inventory
from ansible_collections.fleet.inventory.plugins.plugin_utils.constructing import trusted
from ansible_collections.fleet.inventory.plugins.plugin_utils.store_plugin import StorePlugin


class InventoryModule(StorePlugin, BaseInventoryPlugin):
    """An inventory kept in git: a stored SCM source, or a repository read directly."""

    NAME = "fleet.inventory.scm"
    FILE_SUFFIX = "scm"

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        source, repo = self.get_option("inventory_source"), self.get_option("repo")
        if bool(source) == bool(repo):
            raise AnsibleParserError("%s: set exactly one of inventory_source (a stored SCM source) or repo (a git URL)"
                                     % to_native(path))
        if self.get_option("timeout") is not None and self.get_option("timeout") < 0:
            raise AnsibleParserError("%s: timeout must be 0 or a number of seconds" % to_native(path))
        try:
            data = self._from_store(source) if source else self._from_repo(repo)
        except (FleetInventoryError, projects.GitError) as exc:
            raise AnsibleParserError("%s: %s" % (to_native(path), to_native(exc))) from exc
        try:
            self._populate(data, trust=True)
        except AnsibleError as exc:
            raise AnsibleParserError("%s: %s" % (to_native(path), to_native(exc.message))) from exc

    # -- a stored source ------------------------------------------------------------------

    def _from_store(self, name):
        store = self.open_store()
        try:
            source = projects.find_scm_source(store, name, self.get_option("inventory"))
            if source["source"] != "scm":
                raise FleetInventoryError("inventory source '%s' of inventory '%s' is a '%s' source, not an scm source"
                                          % (name, source["inventory_name"], source["source"] or "manual"))
            if self.get_option("update"):
                if updates.needs_update_on_launch(store, source):
                    record = updates.run_source_update(store, source, launch_type="dependency", wait=True,
                                                       timeout=self.get_option("timeout") or None)
                    if record.get("status") != "successful":
                        raise FleetInventoryError("the update on launch of inventory source '%s' failed: %s\n%s" % (
                            name, record.get("job_explanation") or record.get("status"),
                            projects.log_tail(record.get("result_stdout"), 2000)))
            status, explanation = updates.source_state(store, source["id"])
            if status in ("failed", "error", "canceled"):
                self.display.warning("inventory source '%s' of inventory '%s': its last update failed (%s); serving what its "
                                     "last complete update imported" % (name, source["inventory_name"], explanation or status))
            return projects.source_inventory_data(store, source, include_disabled=self.get_option("include_disabled"))
        finally:
            store.close()

    # -- a repository read directly ---------------------------------------------------------

    def _from_repo(self, repo):
        # a password in the URL (any form) goes to git's credential helper, never into .git/config or a message
        url, url_user, url_password = projects.split_url_credentials(str(repo).strip())
        url = projects.validate_scm_url(url)
        branch = self.get_option("branch") or ""
        key = hashlib.sha256(("%s\n%s" % (url, branch)).encode("utf-8")).hexdigest()[:16]
        checkout = os.path.join(os.path.expanduser(self.get_option("checkout_dir")), key)
        credential = {"username": url_user, "password": url_password} if url_password is not None else {}
        if self.get_option("ssh_key_file"):
            credential["ssh_key_file"] = self.get_option("ssh_key_file")
        timeout = self.get_option("timeout") or None
        # the same rules as an scm source's update: source_vars as environment, the path kept inside the
        # checkout (after resolving symlinks), the run made in the checkout
        env = updates.scm_environment(self.get_option("source_vars"))
        # the lock keeps another run from moving the checkout while ansible-inventory reads it
        with projects.checkout_lock(checkout, timeout):
            projects.sync_checkout(checkout, url, branch, "", credential, timeout, lock=False)
            target = sources.resolve_in_checkout(checkout, self.get_option("source_path"))
            sources.refuse_escaping_links(checkout, target, self.get_option("source_path") or ".")
            # a clean environment and, where bwrap is installed, a sandbox that sees nothing of the store
            # nor of the other checkouts
            hide = [os.path.expanduser(self.get_option("checkout_dir"))]
            # the repository mode needs no store, but hides the one a store option would name
            store = self.store_location().target
            if not store.startswith(("postgresql://", "postgres://")):
                hide += [os.path.dirname(store), store]
            base_env, wrapper = updates.scm_run_isolation(os.path.realpath(checkout), env, hide=hide)
            data, _stderr = run_ansible_inventory(target, timeout=timeout, cwd=os.path.realpath(checkout), base_env=base_env,
                                                  wrapper=wrapper)
        mem = parse_inventory_data(data)
        return {
            "all_vars": mem.variables,
            "hosts": list(mem.hosts.items()),
            "groups": [(g.name, g.variables, list(g.hosts), list(g.children)) for g in mem.groups.values()],
        }

    def _populate(self, data, trust):
        inventory = self.inventory
        wrap = trusted if trust else (lambda v: v)
        for key, value in (data.get("all_vars") or {}).items():
            inventory.set_variable("all", key, wrap(value))
        for name, variables in data["hosts"]:
            inventory.add_host(name)
            for key, value in (variables or {}).items():
                inventory.set_variable(name, key, wrap(value))
        for name, variables, _hosts, _children in data["groups"]:
            inventory.add_group(name)
            for key, value in (variables or {}).items():
                inventory.set_variable(name, key, wrap(value))
        for name, _variables, hosts, children in data["groups"]:
            for child in children:
                inventory.add_child(name, child)
            for host in hosts:
                if host in inventory.hosts:
                    inventory.add_child(name, host)
