# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: constructed
short_description: AWX-style constructed inventory over inventories kept in the fleet.inventory store
version_added: 0.2.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Applies the logic of C(ansible.builtin.constructed) (O(compose), O(groups), O(keyed_groups)) over several
    inventories kept in the store, in order, and keeps the hosts that match O(limit), the way an AWX
    constructed inventory does.
  - The inputs and the options are those of a stored constructed inventory (O(inventory), see
    M(fleet.inventory.inventory) with O(fleet.inventory.inventory#module:kind=constructed)), or given inline
    (O(input_inventories), O(limit) and the constructed options). Exactly one of O(inventory) and
    O(input_inventories) is required.
  - The inputs' hosts, nested groups, host and group variables and inventory variables (the vars of C(all))
    are loaded as C(ansible-inventory -i input1 -i input2 ...) loads them; later inputs win on variable
    conflicts. Every host gets the variables C(awx_inventory_name) and C(awx_inventory_id) of the input it
    came from (the last input that has a host of that name).
  - Cached facts of the hosts (gathered with the P(fleet.inventory.store#cache) fact cache or set by
    M(fleet.inventory.host_facts)) are visible to the expressions as a fact cache makes them visible to
    C(ansible.builtin.constructed); every top-level fact key is a variable (for example
    C(ansible_distribution)) that wins over host and group variables. Only the fact keys the expressions can
    read are loaded, and facts are not added to the host vars of the result.
  - O(limit) uses Ansible's host-pattern language (C(group), C(a:&b), C(a:!b), wildcards, C(~regex)). It is
    applied after the construction, so it can name constructed groups. Every group is kept, as
    C(ansible-inventory --limit) keeps them; a limit that matches no host is an error, as in AWX.
  - The result (groups, memberships, composed variables) is the same as that of
    C(ansible-inventory -i input1 -i input2 -i constructed.yml --list --export --limit LIMIT) over the inputs
    exported to files with their facts in a fact cache.
  - The inventory file name must end in C(.yml) or C(.yaml) and its C(plugin) key must name
    C(fleet.inventory.constructed).
options:
  plugin:
    description: Marks this file as a source for this plugin.
    required: true
    type: str
    choices: ['fleet.inventory.constructed']
  inventory:
    description:
      - Name of a stored constructed inventory whose input inventories, C(source_vars) (the constructed options)
        and C(limit) to use.
      - Mutually exclusive with O(input_inventories), O(limit), O(compose), O(groups) and O(keyed_groups).
    type: str
  input_inventories:
    description:
      - The names of stored (normal) inventories to build from, in order. Later inputs win on variable conflicts.
      - Mutually exclusive with O(inventory); one of them is required.
    type: list
    elements: str
  limit:
    description:
      - A host pattern; only the matching hosts are kept (with every group). Only with O(input_inventories).
    type: str
  use_vars_plugins:
    description:
      - Accepted for compatibility with C(ansible.builtin.constructed). Stored inventories have no
        C(host_vars)/C(group_vars) files next to them, so it has no effect.
    type: bool
    default: false
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - fleet.inventory.store.plugin
notes:
  - With O(cache) on, what is read from the store (the definition, the inputs and the facts the expressions need)
    is kept in the inventory cache under a key made from the resolved store and the options; the construction runs
    again on every read. C(ansible-inventory --flush-cache) or the C(refresh_inventory) meta task read the store again.
  - With O(strict=true) a template that fails is an error that names the host, the option (for example
    C(groups.shutdown)) and the expression.
  - Unlike C(ansible.builtin.constructed), each expression is compiled once per run, not once per host.
seealso:
  - name: AWX constructed inventories
    description: The AWX feature this plugin reproduces.
    link: https://docs.ansible.com/automation-controller/latest/html/userguide/inventories.html#constructed-inventories
  - module: fleet.inventory.inventory
"""

EXAMPLES = r"""
# east-west.yml -- the stored constructed inventory "east-west"
plugin: fleet.inventory.constructed
inventory: east-west

# shutdown.yml -- inline: the shut-down hosts of the product_dev account across East and West
plugin: fleet.inventory.constructed
store: /var/lib/fleet/store.db
input_inventories:
  - East
  - West
strict: true
compose:
  resolved_state: state | default("running")
groups:
  shutdown: resolved_state == "shutdown"
  shutdown_in_product_dev: resolved_state == "shutdown" and account_alias == "product_dev"
keyed_groups:
  - prefix: distro
    key: ansible_distribution
limit: shutdown_in_product_dev
"""


from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.fleet.inventory.plugins.module_utils.rules.constructed import (
    construct,
    host_variables,
    normalize_config,
    options_of,
    read_inputs,
    resolve_inputs,
    stored_definition,
)
from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError
from ansible_collections.fleet.inventory.plugins.plugin_utils.store_plugin import StorePlugin

_INLINE_ONLY = ("input_inventories", "limit", "compose", "groups", "keyed_groups")


class InventoryModule(StorePlugin, BaseInventoryPlugin, Constructable, Cacheable):
    """ansible's constructed logic over inventories of the fleet.inventory store."""

    NAME = "fleet.inventory.constructed"

    def _definition(self, store):
        """``(inputs, options, limit)`` from the stored inventory or the file."""
        name = self.get_option("inventory")
        names = self.get_option("input_inventories")
        if name and names:
            raise FleetInventoryError("give either 'inventory' (a stored constructed inventory) or 'input_inventories', not both")
        if name:
            given = [opt for opt in _INLINE_ONLY if self.get_option(opt)]
            if given:
                raise FleetInventoryError("%s cannot be combined with 'inventory': a stored constructed inventory has its own"
                                          % ", ".join("'%s'" % g for g in given))
            _inv, inputs, config, limit = stored_definition(store, name)
            if not inputs:
                raise FleetInventoryError("constructed inventory '%s' has no input inventories" % name)
            return inputs, options_of(config), limit
        if not names:
            raise FleetInventoryError("one of 'inventory' (a stored constructed inventory) or 'input_inventories' is required")
        config = {key: self.get_option(key) for key in ("compose", "groups", "keyed_groups", "strict", "leading_separator",
                                                        "use_vars_plugins")}
        config = normalize_config({k: v for k, v in config.items() if v is not None}, "options")
        options = options_of(config)
        options["use_extra_vars"] = bool(self.get_option("use_extra_vars"))
        return resolve_inputs(store, names), options, self.get_option("limit") or ""

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        try:
            store_target = self.store_target()
            self._cache_selection = {"store": store_target, "options": {
                key: self.get_option(key) for key in ("inventory", "input_inventories", "limit", "compose", "groups", "keyed_groups",
                                                      "strict", "leading_separator", "use_vars_plugins", "use_extra_vars")}}
            use_cache = bool(self.get_option("cache"))
            read = None
            if use_cache and cache:
                try:
                    read = self._cache[self.get_cache_key(path)]
                except KeyError:
                    read = None
            if read is None:
                store = self.open_store()
                try:
                    inputs, options, limit = self._definition(store)
                    read = {"options": options, "limit": limit, "data": read_inputs(store, inputs, options)}
                finally:
                    store.close()
                if use_cache:
                    self._cache[self.get_cache_key(path)] = read
            data = read["data"]
            # a cache that went through JSON has text keys
            data["facts"] = {int(k): v for k, v in (data.get("facts") or {}).items()}
            result = construct(data, read["options"], limit=read["limit"], loader=loader, extra_vars=self._vars)
        except FleetInventoryError as exc:
            raise AnsibleParserError("%s: %s" % (to_native(path), to_native(exc))) from exc
        self._populate(result)

    def _populate(self, result):
        """Copy the result into ansible's inventory: every group, the selected hosts."""
        built = result.inventory
        inventory = self.inventory
        for key, value in built.groups["all"].vars.items():
            inventory.set_variable("all", key, value)
        for name, group in built.groups.items():
            if name in ("all", "ungrouped"):
                continue
            inventory.add_group(name)
            for key, value in group.vars.items():
                inventory.set_variable(name, key, value)
            if group.priority != 1:
                inventory.groups[name].set_priority(group.priority)
        for name, group in built.groups.items():
            if name == "all":
                continue
            for child in group.child_groups:
                inventory.add_child(name, child.name)
        add_host = inventory.add_host
        for name in result.selected:
            host = built.hosts[name]
            add_host(name)
            target = inventory.hosts[name]
            for key, value in host_variables(host).items():
                target.set_variable(key, value)
        selected = set(result.selected)
        for name, group in built.groups.items():
            if name in ("all", "ungrouped"):
                continue
            for host in group.hosts:  # direct members only (host.groups also holds the ancestors)
                if host.name in selected:
                    add_host(host.name, name)
