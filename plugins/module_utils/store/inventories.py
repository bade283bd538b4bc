# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``inventories`` repository: read, create, update and delete inventories.

Functions take the :class:`~store.core.Store` as first argument (the Store's
methods of the same names are one-line delegations to them).  What an
inventory row must satisfy to be stored (a known kind fixed at creation, a
smart inventory's host_filter that compiles and runs on this backend, the
constructed options of :mod:`store.constructed_inputs`) is checked here, as a
CHECK constraint would be: every writer gets it.
"""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import load_mapping, now
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store import constructed_inputs, search
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import delete_host_items
from ansible_collections.fleet.inventory.plugins.module_utils.store.rows import inventory_row, kind_name, quote

INVENTORY_KINDS = ("", "smart", "constructed")


def get(store, name_or_id):
    """The inventory (a dict), by id (an int) or name, or None."""
    column = "id" if isinstance(name_or_id, int) else "name"
    return inventory_row(store.query_one("SELECT * FROM inventories WHERE %s = ?" % column, (name_or_id,)))


def require(store, name_or_id, kinds=None, purpose=None, pending_ok=False):
    """The inventory, or NotFound; with ``kinds``, a ValidationError when it is of another kind.

    An inventory pending deletion is gone for its readers and writers: NotFound
    saying so (``pending_ok`` returns it, for the deletion itself).
    """
    inv = get(store, name_or_id)
    if inv is None:
        raise NotFound("inventory %s does not exist in store %s" % (quote(name_or_id), store.label))
    if inv["pending_delete"] and not pending_ok:
        raise NotFound(being_deleted(inv, store))
    if kinds is not None and inv["kind"] not in kinds:
        raise ValidationError("%s: inventory '%s' is a %s inventory" % (purpose or "not allowed", inv["name"], kind_name(inv["kind"])))
    return inv


def require_normal(store, inventory, what):
    """The inventory named, when hosts/groups may be added to it by hand."""
    inv = require(store, inventory)
    if inv["kind"]:
        raise ValidationError("cannot add %s to %s inventory '%s': its hosts come from %s" % (
            what, kind_name(inv["kind"]), inv["name"],
            "its host_filter" if inv["kind"] == "smart" else "its input inventories"))
    return inv


def being_deleted(inv, store) -> str:
    """The message for a use of an inventory pending deletion."""
    return ("inventory '%s' is being deleted (pending_delete) in store %s; its hosts and groups are gone for every reader,"
            " and its name stays taken until its rows are removed" % (inv["name"], store.label))


def list_all(store, kind=None, include_pending=False) -> list:
    """The inventories by id (of one ``kind``); those pending deletion only with ``include_pending``."""
    conditions, params = [], []
    if not include_pending:
        conditions.append("pending_delete = FALSE")
    if kind is not None:
        conditions.append("kind = ?")
        params.append(kind)
    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    return [inventory_row(r) for r in store.query("SELECT * FROM inventories%s ORDER BY id" % where, params)]


def save(store, name, description=None, kind=None, host_filter=None, variables=None,
         input_inventories=None, source_vars=None, limit=None, update_cache_timeout=None, verbosity=None):
    """Create or update an inventory; returns ``(before, after)`` (before is None on create).

    ``kind`` is fixed at creation.  A smart inventory needs a valid
    ``host_filter``; other kinds refuse one.  A constructed inventory owns
    exactly one inventory source (``source = 'constructed'``), created with
    it, which holds ``source_vars`` (its constructed options), ``limit``,
    ``update_cache_timeout`` and ``verbosity``; ``input_inventories`` (names,
    in order) when given replace its inputs.  These options are refused for
    other kinds.  For a constructed inventory ``before``/``after`` also hold
    them (see :func:`constructed_view`).
    """
    constructed = {"input_inventories": input_inventories, "source_vars": source_vars, "limit": limit,
                   "update_cache_timeout": update_cache_timeout, "verbosity": verbosity}
    if not name or not str(name).strip():
        raise ValidationError("inventory name must not be empty")
    if kind is not None and kind not in INVENTORY_KINDS:
        raise ValidationError("kind must be one of '', 'smart', 'constructed', not '%s'" % kind)
    with store.transaction():
        before = get(store, name)
        if before is not None and before["pending_delete"]:
            raise ValidationError("cannot save inventory '%s': %s" % (name, being_deleted(before, store)))
        if before is not None and kind is not None and kind != before["kind"]:
            raise ValidationError(
                "inventory '%s' is a %s inventory; kind is set at creation and cannot be changed to %s"
                % (name, kind_name(before["kind"]), kind_name(kind)))
        new = {
            "description": before["description"] if before else "",
            "kind": before["kind"] if before else (kind or ""),
            "host_filter": before["host_filter"] if before else "",
            "variables": before["variables"] if before else {},
        }
        if description is not None:
            new["description"] = description
        if host_filter is not None:
            new["host_filter"] = host_filter.strip()
        if variables is not None:
            new["variables"] = load_mapping(variables, "variables")
        _check_host_filter(store, name, new["kind"], new["host_filter"])
        given = [k for k, v in constructed.items() if v is not None]
        if given and new["kind"] != "constructed":
            raise ValidationError("inventory '%s' is a %s inventory: %s only appl%s to constructed inventories" % (
                name, kind_name(new["kind"]), ", ".join(given), "ies" if len(given) == 1 else "y"))
        if new["kind"] == "constructed":
            before = constructed_view(store, before)
        stamp = now()
        if before is None:
            store.execute(
                "INSERT INTO inventories (name, description, kind, host_filter, variables, created, modified)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, new["description"], new["kind"], new["host_filter"], json.dumps(new["variables"]), stamp, stamp))
        elif any(new[k] != before[k] for k in new):
            store.execute(
                "UPDATE inventories SET description = ?, host_filter = ?, variables = ?, modified = ? WHERE id = ?",
                (new["description"], new["host_filter"], json.dumps(new["variables"]), stamp, before["id"]))
        if new["kind"] == "constructed":
            constructed_inputs.save_source(store, get(store, name), stamp, **constructed)
            return before, constructed_view(store, get(store, name))
        return before, get(store, name)


def _check_host_filter(store, name, kind, host_filter):
    if kind == "smart":
        if not host_filter:
            raise ValidationError("smart inventory '%s' needs a host_filter" % name)
        try:
            search.check_filter(store, host_filter)
        except ValidationError as exc:
            raise ValidationError("smart inventory '%s': %s" % (name, exc)) from exc
    elif host_filter:
        raise ValidationError(
            "inventory '%s' is a %s inventory: host_filter only applies to smart inventories" % (name, kind_name(kind)))


def constructed_view(store, inv):
    """A constructed inventory's row with its ``input_inventories`` (names, in order), ``source_vars``,
    ``limit``, ``update_cache_timeout`` and ``verbosity``; other rows (and None) unchanged."""
    if inv is None or inv.get("kind") != "constructed":
        return inv
    inv = dict(inv)
    source = constructed_inputs.constructed_source(store, inv["id"]) or {}
    inv["input_inventories"] = [name for _id, name, _kind in constructed_inputs.input_inventories(store, inv["id"])]
    inv["source_vars"] = source.get("source_vars") or {}
    inv["limit"] = source.get("limit") or ""
    inv["update_cache_timeout"] = source.get("update_cache_timeout") or 0
    inv["verbosity"] = source.get("verbosity", 1) if source else 1
    return inv


def delete(store, name):
    """Delete an inventory with its hosts, groups and facts in this one transaction; returns what was deleted (or None).

    For small inventories and tests; the modules and the service delete in the
    background instead (:mod:`rules.deletion`).  As there (and in AWX), an
    input of a constructed inventory may be deleted: the link goes with it.
    """
    with store.transaction():
        before = get(store, name)
        if before is not None:
            store.execute("DELETE FROM inventory_input_inventories WHERE input_inventory_id = ?", (before["id"],))
            delete_host_items(store, inventory_id=before["id"])  # no cascade reaches the leaf rows (schema migration 7)
            store.execute("DELETE FROM inventories WHERE id = ?", (before["id"],))
        return before


def variables_text(store, inventory_id):
    """The stored ``variables`` text of inventory ``inventory_id``, or None when it does not exist."""
    row = store.execute("SELECT variables FROM inventories WHERE id = ?", (inventory_id,)).fetchone()
    return None if row is None else row[0]


def set_variables(store, inventory_id, text, stamp):
    """Replace the ``variables`` (a JSON text) of inventory ``inventory_id``."""
    store.execute("UPDATE inventories SET variables = ?, modified = ? WHERE id = ?", (text, stamp, inventory_id))


def any_constructed(store) -> bool:
    """Whether the store holds a constructed inventory at all (pending deletion or not)."""
    return store.execute("SELECT 1 FROM inventories WHERE kind = 'constructed' LIMIT 1").fetchone() is not None
