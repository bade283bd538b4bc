# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's inventory plugins share: which files they claim, the
store they read, and the key of their inventory cache entries."""

from __future__ import annotations

import hashlib
import json
import re

from ansible import constants as C

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store, location_from_ansible

HEAD_BYTES = 65536


def plugin_key_pattern(name):
    """A regex finding ``plugin: <name>`` in a YAML (or JSON-style ``"plugin": "<name>"``) file."""
    fqcn = re.escape(name)
    return re.compile(r"""^plugin\s*:\s*(["']?)%s\1\s*(#.*)?$|(["'])plugin\3\s*:\s*(["'])%s\4""" % (fqcn, fqcn), re.MULTILINE)


class StorePlugin:
    """Mixin for ``BaseInventoryPlugin`` subclasses of this collection (list it first).

    ``FILE_SUFFIX``: files named ``*<suffix>.yml``/``.yaml`` are claimed without
    reading them; other YAML files when their ``plugin`` key names the plugin.
    ``_cache_selection``: what the plugin read, set by ``parse``; the cache key
    hashes it (never the file's path, so two files asking for the same data
    share an entry).
    """

    FILE_SUFFIX = ""
    _cache_selection = None
    _key_pattern = None

    def verify_file(self, path):
        if not super().verify_file(path) or not path.endswith((".yml", ".yaml")):
            return False
        if self.FILE_SUFFIX and path.endswith((self.FILE_SUFFIX + ".yml", self.FILE_SUFFIX + ".yaml")):
            return True
        cls = type(self)
        if cls._key_pattern is None:
            cls._key_pattern = plugin_key_pattern(self.NAME)
        try:
            with open(path, "rb") as handle:
                head = handle.read(HEAD_BYTES).decode("utf-8", errors="replace")
        except OSError:
            return False
        return bool(cls._key_pattern.search(head))

    _source_path = None

    def _read_config_data(self, path):
        self._source_path = path
        return super()._read_config_data(path)

    def store_location(self):
        """Where the store is and where its name came from: the file's ``store``, else
        ``$FLEET_INVENTORY_STORE``, else ``[fleet_inventory] store`` of the ansible.cfg
        Ansible loaded (all through Ansible's own configuration), else the default."""
        value, origin = self.get_option_and_origin("store")
        return location_from_ansible(value, origin, config_file=C.CONFIG_FILE, option_of=self._source_path)

    def store_target(self):
        """The store this file names, as an absolute path or a URL; a StoreError when it
        does not exist (or is an empty file): a reader never creates a store."""
        location = self.store_location()
        location.check_readable()
        return location.target

    def open_store(self):
        """The existing store this file names (see :meth:`Store.open_existing`)."""
        return Store.open_existing(self.store_location())

    def get_cache_key(self, path):
        """Key of the inventory cache entry: the resolved store and every option that selects data (not the file path)."""
        material = json.dumps(self._cache_selection, sort_keys=True, default=str)
        return "%s_%s" % (self.NAME, hashlib.sha256(material.encode("utf-8")).hexdigest()[:16])
