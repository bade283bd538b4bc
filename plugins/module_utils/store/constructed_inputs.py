# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A constructed inventory's stored definition: its one ``constructed`` source and its input inventories.

The repository of ``inventory_sources`` rows with ``source = 'constructed'``
(the constructed options, ``limit``, ``update_cache_timeout``, ``verbosity``)
and of ``inventory_input_inventories``, plus the bulk read of the input
inventories' content that the constructed engine (:mod:`rules.constructed`)
builds from.  What these rows may hold is checked here before they are
written (:func:`normalize_config`, :func:`resolve_inputs`), as a constraint
of the table would be; the constructed logic itself (templating, limit) is
the rules layer's.
"""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import load_mapping
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError

#: the options of the ``constructed`` logic a stored constructed inventory's ``source_vars`` may hold
CONSTRUCTED_OPTIONS = ("compose", "groups", "keyed_groups", "strict", "leading_separator", "use_vars_plugins")
PLUGIN_NAMES = ("constructed", "ansible.builtin.constructed", "fleet.inventory.constructed")
_KEYED_OPTIONS = ("key", "prefix", "separator", "parent_group", "default_value", "trailing_separator")


def normalize_config(source_vars, what="source_vars") -> dict:
    """The constructed options in ``source_vars`` (a mapping or YAML/JSON text), checked.

    A ``plugin`` key is allowed when it names the constructed plugin, and dropped.
    Unknown keys and values of the wrong type are a :class:`ValidationError`.
    """
    config = load_mapping(source_vars, what)
    plugin = config.pop("plugin", None)
    if plugin is not None and plugin not in PLUGIN_NAMES:
        raise ValidationError("%s: plugin must be one of %s (or left out), not '%s'" % (what, ", ".join(PLUGIN_NAMES), plugin))
    unknown = sorted(k for k in config if k not in CONSTRUCTED_OPTIONS)
    if unknown:
        raise ValidationError("%s: unknown option%s %s; a constructed inventory takes %s" % (
            what, "s" if len(unknown) > 1 else "", ", ".join("'%s'" % k for k in unknown), ", ".join(CONSTRUCTED_OPTIONS)))
    for key in ("compose", "groups"):
        value = config.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise ValidationError("%s: %s must be a mapping of names to Jinja expressions, not %s" % (what, key, type(value).__name__))
        for name, expr in value.items():
            if not isinstance(expr, (str, bool, int, float)) or isinstance(expr, str) and not expr.strip():
                raise ValidationError("%s: %s.%s must be a non-empty Jinja expression" % (what, key, name))
    keyed = config.get("keyed_groups")
    if keyed is not None:
        if not isinstance(keyed, list):
            raise ValidationError("%s: keyed_groups must be a list of mappings, not %s" % (what, type(keyed).__name__))
        for index, entry in enumerate(keyed):
            if not isinstance(entry, dict):
                raise ValidationError("%s: keyed_groups[%d] must be a mapping, not %s" % (what, index, type(entry).__name__))
            bad = sorted(k for k in entry if k not in _KEYED_OPTIONS)
            if bad:
                raise ValidationError("%s: keyed_groups[%d] has unknown option%s %s; allowed: %s" % (
                    what, index, "s" if len(bad) > 1 else "", ", ".join("'%s'" % k for k in bad), ", ".join(_KEYED_OPTIONS)))
            if not isinstance(entry.get("key"), str) or not entry["key"].strip():
                raise ValidationError("%s: keyed_groups[%d] needs a 'key' (a Jinja expression)" % (what, index))
            if entry.get("default_value") is not None and entry.get("trailing_separator") is not None:
                raise ValidationError("%s: keyed_groups[%d]: default_value and trailing_separator are mutually exclusive" % (what, index))
    for key in ("strict", "leading_separator", "use_vars_plugins"):
        if key in config and not isinstance(config[key], bool):
            raise ValidationError("%s: %s must be true or false, not %r" % (what, key, config[key]))
    return config


def source_name(inventory_name) -> str:
    """Name of the one inventory source a constructed inventory owns."""
    return "%s constructed source" % inventory_name


def constructed_source(store, inventory_id):
    """The ``source = 'constructed'`` row of a constructed inventory (a dict), or None."""
    row = store.query_one(
        'SELECT id, name, source_vars, "limit" AS "limit", update_cache_timeout, verbosity FROM inventory_sources'
        " WHERE inventory_id = ? AND source = 'constructed' ORDER BY id", (inventory_id,))
    if row is not None:
        row["source_vars"] = json.loads(row["source_vars"] or "{}")
    return row


def input_inventories(store, inventory_id) -> list:
    """``[(id, name, kind)]`` of a constructed inventory's inputs, in order.

    An input pending deletion is no input any more (AWX drops the link when it deletes the inventory).
    """
    return [tuple(r) for r in store.execute(
        "SELECT i.id, i.name, i.kind FROM inventory_input_inventories ii JOIN inventories i ON i.id = ii.input_inventory_id"
        " WHERE ii.inventory_id = ? AND i.pending_delete = FALSE ORDER BY ii.position", (inventory_id,)).fetchall()]


def resolve_inputs(store, names, constructed_name=None) -> list:
    """``[(id, name)]`` of input inventories given by name (or id), checked as AWX checks them."""
    if isinstance(names, (str, int)):
        names = [names]
    out, seen = [], set()
    for name in names or []:
        if isinstance(name, str):
            name = name.strip()
        if name in ("", None):
            raise ValidationError("input_inventories: an input inventory name must not be empty")
        inv = store.get_inventory(name)
        if inv is None:
            raise NotFound("input_inventories: inventory %s does not exist" % ("id %d" % name if isinstance(name, int) else "'%s'" % name))
        if inv["pending_delete"]:
            raise NotFound("input_inventories: inventory '%s' is being deleted (pending_delete)" % inv["name"])
        if constructed_name is not None and inv["name"] == constructed_name:
            raise ValidationError("input_inventories: constructed inventory '%s' cannot be an input of itself" % constructed_name)
        if inv["kind"] in ("smart", "constructed"):
            raise ValidationError("input_inventories: inventory '%s' is a %s inventory; only normal inventories can be inputs"
                                  " of a constructed inventory" % (inv["name"], inv["kind"]))
        if inv["id"] in seen:
            raise ValidationError("input_inventories: inventory '%s' is listed twice" % inv["name"])
        seen.add(inv["id"])
        out.append((inv["id"], inv["name"]))
    return out


def save_source(store, inv, stamp, input_inventories=None, source_vars=None, limit=None, update_cache_timeout=None, verbosity=None):
    """Create or update the one ``constructed`` source of constructed inventory ``inv``, and its inputs."""
    source = constructed_source(store, inv["id"])
    new = {
        "source_vars": source["source_vars"] if source else {},
        "limit": source["limit"] if source else "",
        "update_cache_timeout": source["update_cache_timeout"] if source else 0,
        "verbosity": source["verbosity"] if source else 1,
    }
    if source_vars is not None:
        new["source_vars"] = normalize_config(source_vars, "source_vars")
    if limit is not None:
        new["limit"] = str(limit).strip()
    if update_cache_timeout is not None:
        if isinstance(update_cache_timeout, bool) or not isinstance(update_cache_timeout, int) or update_cache_timeout < 0:
            raise ValidationError("update_cache_timeout must be a number of seconds (0 or more), not %r" % (update_cache_timeout,))
        new["update_cache_timeout"] = update_cache_timeout
    if verbosity is not None:
        if verbosity not in (0, 1, 2) or isinstance(verbosity, bool):
            raise ValidationError("verbosity must be 0, 1 or 2, not %r" % (verbosity,))
        new["verbosity"] = verbosity
    if source is None:
        store.execute(
            'INSERT INTO inventory_sources (inventory_id, name, source, source_vars, overwrite, overwrite_vars, "limit",'
            " update_cache_timeout, verbosity, created, modified) VALUES (?, ?, 'constructed', ?, ?, ?, ?, ?, ?, ?, ?)",
            (inv["id"], source_name(inv["name"]), json.dumps(new["source_vars"]), True, True, new["limit"],
             new["update_cache_timeout"], new["verbosity"], stamp, stamp))
    elif any(new[k] != source[k] for k in new):
        store.execute(
            'UPDATE inventory_sources SET source_vars = ?, "limit" = ?, update_cache_timeout = ?, verbosity = ?, modified = ?'
            " WHERE id = ?",
            (json.dumps(new["source_vars"]), new["limit"], new["update_cache_timeout"], new["verbosity"], stamp, source["id"]))
    if input_inventories is not None:
        wanted = [i for i, _n in resolve_inputs(store, input_inventories, constructed_name=inv["name"])]
        current = [r[0] for r in store.execute(
            "SELECT input_inventory_id FROM inventory_input_inventories WHERE inventory_id = ? ORDER BY position", (inv["id"],))]
        if wanted != current:
            store.execute("DELETE FROM inventory_input_inventories WHERE inventory_id = ?", (inv["id"],))
            store.executemany("INSERT INTO inventory_input_inventories (inventory_id, input_inventory_id, position) VALUES (?, ?, ?)",
                              [(inv["id"], input_id, position) for position, input_id in enumerate(wanted)])
            store.execute("UPDATE inventories SET modified = ? WHERE id = ?", (stamp, inv["id"]))


def input_content(store, inventory_id):
    """The stored content of one input inventory, as texts and id tuples, or None when it does not exist.

    ``{"variables": text, "hosts": [(id, name, enabled, variables_text)] by id,
    "groups": [(id, name, variables_text)] by id, "group_hosts": [(group_id, host_id)],
    "children": [(parent_id, child_id)]}``.
    """
    row = store.execute("SELECT variables FROM inventories WHERE id = ? AND pending_delete = FALSE", (inventory_id,)).fetchone()
    if row is None:
        return None
    return {
        "variables": row[0],
        "hosts": [(hid, name, bool(enabled), vtext) for hid, name, enabled, vtext in store.execute(
            "SELECT id, name, enabled, variables FROM hosts WHERE inventory_id = ? ORDER BY id", (inventory_id,))],
        "groups": [tuple(r) for r in store.execute(
            "SELECT id, name, variables FROM groups WHERE inventory_id = ? ORDER BY id", (inventory_id,))],
        "group_hosts": [tuple(r) for r in store.execute(
            "SELECT gh.group_id, gh.host_id FROM group_hosts gh JOIN groups g ON g.id = gh.group_id"
            " WHERE g.inventory_id = ? ORDER BY gh.group_id, gh.host_id", (inventory_id,))],
        "children": [tuple(r) for r in store.execute(
            "SELECT gc.parent_id, gc.child_id FROM group_children gc JOIN groups g ON g.id = gc.parent_id"
            " WHERE g.inventory_id = ? ORDER BY gc.parent_id, gc.child_id", (inventory_id,))],
    }
