# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: smart
short_description: Hosts of an AWX-style smart inventory kept in the fleet.inventory store
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Builds an inventory from the hosts of every stored inventory that match a C(host_filter),
    the way an AWX/Tower Smart Inventory does.
  - The filter is either the C(host_filter) of a stored smart inventory (O(inventory)) or given
    inline (O(host_filter)). Exactly one of the two is required.
  - Like AWX, each host name appears once; of several stored hosts with the same name the one
    with the lowest id (the oldest) is used. Disabled hosts are left out unless
    O(include_disabled) is set, as AWX leaves them out of the inventory a job runs against.
  - The host's stored C(variables) become its host vars; the smart inventory's own C(variables)
    become vars of the C(all) group. Stored variables are trusted as templates, like the vars of
    an inventory file.
  - By default the result has AWX's shape, hosts only (they appear in C(ungrouped)).
    With O(source_groups) the hosts' groups from their source inventories are added too.
  - Cached facts of the hosts (gathered with the P(fleet.inventory.store#cache) fact cache or set by
    M(fleet.inventory.host_facts)) are available to O(compose), O(groups) and O(keyed_groups)
    expressions as a fact cache makes them available to C(ansible.builtin.constructed);
    every top-level fact key is a variable (C(ansible_distribution)) and C(ansible_facts)
    holds them without the C(ansible_) prefix (C(ansible_facts.distribution)). Facts are only
    read when one of these options is set, only the fact keys the expressions name when that
    can be told from the expressions, and they are not added to the host vars of the result.
  - A filter naming a fact path that no stored host has (a typo, or C(ansible_facts__distribution) for the
    stored C(ansible_distribution)) gives a warning with the closest fact paths the store holds.
  - The inventory file name must end in C(smart.yml) or C(smart.yaml) (for example
    C(smart.yml), C(prod.smart.yml)), or be any C(.yml)/C(.yaml) file whose C(plugin) key is
    C(fleet.inventory.smart).
options:
  plugin:
    description: Marks this file as a source for this plugin.
    required: true
    type: str
    choices: ['fleet.inventory.smart']
  inventory:
    description:
      - Name of a stored smart inventory whose C(host_filter) and C(variables) to use.
      - Mutually exclusive with O(host_filter); one of them is required.
    type: str
  host_filter:
    description:
      - An inline host_filter (AWX SmartFilter syntax, for example
        C(ansible_facts__ansible_distribution="Ubuntu" and groups__name=web)).
      - Mutually exclusive with O(inventory); one of them is required.
    type: str
  source_groups:
    description:
      - Also create the groups that the selected hosts belong to in their source inventories,
        with their nesting (a parent group is created even when it holds no selected host
        directly) and their group vars.
      - Groups of the same name from several inventories become one group holding the hosts and
        children of all of them. Their variables are merged key by key; when they disagree on a
        key the group of the inventory with the lowest id wins (the rule that also picks one host
        per name) and a warning names the group and the keys.
    type: bool
    default: false
  include_disabled:
    description:
      - Keep hosts whose C(enabled) is false. AWX leaves them out of a job's inventory.
    type: bool
    default: false
requirements:
  - pyparsing >= 3.1 and google-re2 (the host_filter language)
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - fleet.inventory.store.plugin
notes:
  - With O(cache) on, the data read from the store (hosts, variables, groups and the facts the
    expressions need) is kept in the inventory cache under a key made from the resolved store and
    the options that select that data; C(ansible-inventory --flush-cache) or the C(refresh_inventory) meta task
    read the store again.
  - Compose results that are computed from facts are not trusted as templates.
seealso:
  - name: AWX smart inventories
    description: How AWX selects the hosts of a smart inventory.
    link: https://docs.ansible.com/automation-controller/latest/html/userguide/inventories.html#smart-inventories
"""

EXAMPLES = r"""
# smart.yml -- the hosts of the stored smart inventory "ubuntu-web"
plugin: fleet.inventory.smart
inventory: ubuntu-web

# web.smart.yml -- an inline filter, with the hosts' groups and facts-based groups
plugin: fleet.inventory.smart
store: /var/lib/fleet/store.db
host_filter: 'groups__name=web and ansible_facts__ansible_distribution="Ubuntu"'
source_groups: true
compose:
  ansible_host: ansible_default_ipv4.address
keyed_groups:
  - prefix: distro
    key: ansible_facts.distribution_major_version
groups:
  big_memory: ansible_memtotal_mb > 16000
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-inventory
"""


from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.helpers import get_group_vars
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import HostFilterError, parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.rules.smart import ALL_FACTS, smart_inventory_data
from ansible_collections.fleet.inventory.plugins.plugin_utils.constructing import FactKeys, compile_once, constructing_vars, refresh_composed, trusted
from ansible_collections.fleet.inventory.plugins.plugin_utils.store_plugin import StorePlugin


class InventoryModule(StorePlugin, BaseInventoryPlugin, Constructable, Cacheable):
    """Hosts of an AWX-style smart inventory from the fleet.inventory store."""

    NAME = "fleet.inventory.smart"
    FILE_SUFFIX = "smart"

    # -- options ---------------------------------------------------------------------

    def _constructing(self):
        return bool(self.get_option("compose") or self.get_option("groups") or self.get_option("keyed_groups"))

    def _fact_keys(self):
        """``None`` (no facts needed), :data:`ALL_FACTS` or the sorted list of fact keys the expressions can read."""
        if not self._constructing():
            return None
        finder = FactKeys()
        finder.add_config({key: self.get_option(key) for key in ("compose", "groups", "keyed_groups")})
        return ALL_FACTS if finder.keys == ALL_FACTS else sorted(finder.keys)

    def _selection(self, store_target, facts):
        return {
            "store": store_target,
            "inventory": self.get_option("inventory"),
            "host_filter": self.get_option("host_filter"),
            "source_groups": bool(self.get_option("source_groups")),
            "include_disabled": bool(self.get_option("include_disabled")),
            "facts": facts,
        }

    # -- parse -----------------------------------------------------------------------

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)

        try:
            if self.get_option("host_filter"):
                # the file's own mistake first: a malformed filter is reported before the store is looked for
                parse_host_filter(str(self.get_option("host_filter")))
            facts = self._fact_keys()
            store_target = self.store_target()
            self._cache_selection = self._selection(store_target, facts)

            use_cache = bool(self.get_option("cache"))
            data = None
            cache_key = None
            if use_cache:
                cache_key = self.get_cache_key(path)
                if cache:
                    try:
                        data = self._cache[cache_key]
                    except KeyError:
                        data = None
            if data is None:
                data = self._read_store(store_target, facts)
                if use_cache:
                    self._cache[cache_key] = data
        except (FleetInventoryError, HostFilterError) as exc:
            raise AnsibleParserError("%s: %s" % (to_native(path), to_native(exc))) from exc

        try:
            self._populate(data, path)
        except AnsibleError as exc:
            raise AnsibleParserError("%s: %s" % (to_native(path), to_native(exc.message))) from exc

    def _read_store(self, store_target, facts):
        store = self.open_store()
        try:
            data = smart_inventory_data(
                store,
                inventory=self.get_option("inventory"),
                host_filter=self.get_option("host_filter"),
                source_groups=self.get_option("source_groups"),
                include_disabled=self.get_option("include_disabled"),
                facts=facts,
            )
            # fact paths of the filter that no stored host has ("did you mean ...?")
            data["warnings"] = store.fact_path_warnings(data["host_filter"]) + list(data.get("warnings") or ())
            return data
        finally:
            store.close()

    def _populate(self, data, path):
        inventory = self.inventory
        for warning in data.get("warnings") or ():
            self.display.warning("%s: %s" % (path, warning))

        for key, value in (data.get("all_vars") or {}).items():
            inventory.set_variable("all", key, trusted(value))

        add_host = inventory.add_host
        set_variable = inventory.set_variable
        for name, variables in data["hosts"]:
            add_host(name)
            if variables:
                variables = trusted(variables)
                for key, value in variables.items():
                    set_variable(name, key, value)

        groups = data.get("groups") or ()
        for name, variables, _hosts, _children in groups:
            inventory.add_group(name)
            for key, value in (variables or {}).items():
                inventory.set_variable(name, key, trusted(value))
        for name, _variables, hosts, children in groups:
            for child in children:
                try:
                    inventory.add_child(name, child)
                except AnsibleError as exc:
                    # same-named groups of two inventories nested the opposite way make a loop
                    self.display.warning("%s: group '%s' is not made a child of '%s': %s" % (path, child, name, to_native(exc.message)))
            for host in hosts:
                inventory.add_child(name, host)

        if self._constructing():
            with compile_once(self.templar):
                self._construct(data)

    def _construct(self, data):
        """compose, groups and keyed_groups over host vars, group vars and facts, like ansible.builtin.constructed."""
        inventory = self.inventory
        strict = self.get_option("strict")
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed_groups = self.get_option("keyed_groups")
        facts_by_host = data.get("facts") or {}
        all_vars = inventory.groups["all"].get_vars()
        with_groups = bool(data.get("groups"))

        for name, _variables in data["hosts"]:
            host = inventory.get_host(name)
            group_vars = dict(all_vars)
            if with_groups:
                group_vars.update(get_group_vars(host.get_groups()))
            facts = facts_by_host.get(name)
            hostvars = constructing_vars(group_vars, host.get_vars(), facts, facts_view=True)

            if compose:
                self._set_composite_vars(compose, hostvars, name, strict=strict)
                # the new vars are visible to groups and keyed_groups; facts still take precedence, as in constructed
                refresh_composed(hostvars, compose, host.vars, facts)

            self._add_host_to_composed_groups(groups, hostvars, name, strict=strict, fetch_hostvars=False)
            self._add_host_to_keyed_groups(keyed_groups, hostvars, name, strict=strict, fetch_hostvars=False)
