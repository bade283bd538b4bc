# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: store
short_description: Keep gathered facts in the fleet.inventory store, where host_filter can search them
version_added: 0.1.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - A fact cache (C(fact_caching = fleet.inventory.store)) that writes the facts of every play into
    the fleet.inventory store, the way AWX saves the facts of a job, so that smart inventories and
    C(host_filter) searches such as C(ansible_facts__ansible_system="Linux") find them.
  - Facts are merged per host, key by key; a host's C(ansible_facts_modified) only moves when its
    facts really change.
  - Facts set for a host name go to every stored host of that name, in any inventory. When no
    stored host has that name, one is created in the normal inventory named by O(inventory)
    (created when missing), so that the facts of any play become searchable.
  - Facts read for a host name are those of the oldest stored host of that name that has facts
    (the host a smart inventory shows).
  - Facts whose C(ansible_facts_modified) is older than O(_timeout) seconds count as absent.
    Facts read or written during a run stay available for the rest of that run, as with
    C(ansible.builtin.jsonfile).
  - This plugin only caches facts. When an inventory plugin is configured to use it as its
    inventory cache (for example through C(fact_caching) being the default of C(cache_plugin)),
    that inventory cache is kept in memory only and a warning says so; set C(cache_plugin) of the
    inventory source to a cache such as C(ansible.builtin.jsonfile) to keep it between runs.
options:
  _uri:
    description:
      - The store (a SQLite file path or a C(postgresql://) URL). Takes precedence over O(store).
    type: str
    env:
      - name: ANSIBLE_CACHE_PLUGIN_CONNECTION
    ini:
      - section: defaults
        key: fact_caching_connection
  _timeout:
    description:
      - Seconds after which facts that have not changed count as expired; C(0) never expires them.
      - The age is measured from the host's C(ansible_facts_modified).
    type: int
    default: 86400
    env:
      - name: ANSIBLE_CACHE_PLUGIN_TIMEOUT
    ini:
      - section: defaults
        key: fact_caching_timeout
  _prefix:
    description:
      - Accepted for compatibility with the other cache plugins and ignored; facts are kept per host.
    type: str
    env:
      - name: ANSIBLE_CACHE_PLUGIN_PREFIX
    ini:
      - section: defaults
        key: fact_caching_prefix
  inventory:
    description:
      - The normal inventory in which a host is created when facts are set for a name that no stored
        host has. It is created on demand.
    type: str
    default: fact_cache
    env:
      - name: FLEET_INVENTORY_FACT_CACHE_INVENTORY
    ini:
      - section: fleet_inventory
        key: fact_cache_inventory
extends_documentation_fragment:
  - fleet.inventory.store.plugin
notes:
  - C(flush) (used for example by an inventory cache refresh) removes the facts of every host in the store,
    as the file based caches remove every file; C(ansible-playbook --flush-cache) only removes the facts of
    the hosts of the play's inventory.
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# fact_caching = fleet.inventory.store
# fact_caching_connection = /var/lib/fleet/store.db
# fact_caching_timeout = 86400
#
# [fleet_inventory]
# fact_cache_inventory = gathered
"""

import copy
import json

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.cache import BaseCacheModule
from ansible.utils.display import Display

from ansible_collections.fleet.inventory.plugins.module_utils.store import fact_cache
from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store, locate_store, location_from_ansible

display = Display()


def _plain(value):
    """JSON-able plain data from what a play hands to the cache (tagged strings, tuples, sets, dates ...)."""
    return json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))


def _json_default(value):
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


class CacheModule(BaseCacheModule):
    """Facts kept per host in the fleet.inventory store."""

    # The store serializes facts itself (as plain JSON, searchable); ansible's JSON
    # wrapper of persistent caches would hide them in an opaque payload.
    _persistent = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._store = None
        self._cache = {}
        # Loaded with options by an inventory plugin (cache_connection, cache_timeout ...):
        # act as an in-memory inventory cache instead of writing inventory data as facts.
        self._inventory_cache = bool(kwargs)
        if self._inventory_cache:
            display.warning(
                "The fleet.inventory.store cache plugin only caches facts; an inventory source that uses it as its inventory cache "
                "keeps that cache in memory for this run only. Set the source's cache_plugin (for example to ansible.builtin.jsonfile) "
                "to keep it between runs.")
        try:
            self._timeout = int(self.get_option("_timeout") or 0)
        except (TypeError, ValueError, KeyError):
            self._timeout = 86400
        # resolved now (FLEET_INVENTORY_STORE, ansible.cfg [fleet_inventory] store, default), opened on first use
        uri = self.get_option("_uri")
        if uri and str(uri).strip():
            self._target = locate_store(uri).target
        else:
            value, origin = self.get_option_and_origin("store")
            self._target = location_from_ansible(value, origin, config_file=C.CONFIG_FILE).target
        self._host_inventory = self.get_option("inventory") or "fact_cache"

    # -- helpers -----------------------------------------------------------------

    def _db(self):
        if self._store is None:
            try:
                self._store = Store(self._target)
            except FleetInventoryError as exc:
                raise AnsibleError("fleet.inventory.store fact cache: %s" % to_native(exc)) from exc
        return self._store

    def _cutoff(self):
        return fact_cache.cutoff_for(self._timeout)

    def _call(self, func, *args, **kwargs):
        try:
            return func(self._db(), *args, **kwargs)
        except FleetInventoryError as exc:
            raise AnsibleError("fleet.inventory.store fact cache: %s" % to_native(exc)) from exc

    # -- BaseCacheModule -----------------------------------------------------------

    def get(self, key):
        """The facts of host ``key``; KeyError when it has none (or they expired)."""
        if key in self._cache:
            return self._cache[key]
        if self._inventory_cache or key == "":
            raise KeyError(key)
        facts = self._call(fact_cache.get_facts, key, cutoff=self._cutoff())
        if facts is None:
            raise KeyError(key)
        self._cache[key] = facts
        return facts

    def set(self, key, value):
        """Merge the facts ``value`` into every stored host called ``key`` (creating one when there is none)."""
        if self._inventory_cache:
            self._cache[key] = value
            return
        facts = _plain(value)
        if not isinstance(facts, dict):
            raise AnsibleError("fleet.inventory.store fact cache: facts of host '%s' must be a mapping, not %s" % (key, type(value).__name__))
        try:
            self._call(fact_cache.set_facts, key, facts, inventory=self._host_inventory)
        except AnsibleError as exc:
            display.error_as_warning("fleet.inventory.store fact cache could not save the facts of host '%s'." % key, exception=exc)
            self._cache[key] = facts
            return
        # what the store now holds for the name (merged with facts set earlier, possibly on another host record)
        stored = self._call(fact_cache.get_facts, key)
        self._cache[key] = stored if stored is not None else facts

    def keys(self):
        if self._inventory_cache:
            return list(self._cache)
        names = set(self._call(fact_cache.names_with_facts, cutoff=self._cutoff()))
        return sorted(names | set(self._cache))

    def contains(self, key):
        if key in self._cache:
            return True
        if self._inventory_cache:
            return False
        return self._call(fact_cache.fact_host_id, key, cutoff=self._cutoff()) is not None

    def delete(self, key):
        self._cache.pop(key, None)
        if not self._inventory_cache:
            self._call(fact_cache.delete_facts, key)

    def flush(self):
        self._cache = {}
        if not self._inventory_cache:
            self._call(fact_cache.flush_facts)

    def copy(self):
        """Every (fresh) host's facts, as ``{name: facts}`` (a deep copy)."""
        return {key: copy.deepcopy(self.get(key)) for key in self.keys()}

    def __getstate__(self):
        # the connection is not picklable; a copy opens its own
        state = self.__dict__.copy()
        state["_store"] = None
        return state
