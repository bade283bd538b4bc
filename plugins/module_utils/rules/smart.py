# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data of a smart inventory, read from the store in a few bulk queries.

This is the engine behind the ``fleet.inventory.smart`` inventory plugin; it
returns plain JSON-able values (so that the plugin can keep them in an
inventory cache) and knows nothing of Ansible's inventory objects.

The rules are AWX's (``HostManager`` and ``Inventory.get_script_data``):

* the hosts are those of every inventory that match the ``host_filter``, one
  per name: the host with the lowest id wins;
* disabled hosts are left out (``include_disabled`` keeps them) before that
  rule is applied, as AWX's script data does;
* the smart inventory's own ``variables`` become the ``all`` group's vars.

Membership the other way round (which smart inventories hold a host, AWX's
``/api/v2/hosts/{id}/smart_inventories/``, which AWX keeps in a table that a
background task rebuilds) is computed on demand from the stored filters:
:func:`smart_inventories_for_hosts`.
"""

from __future__ import annotations

import functools
import json

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import HostFilterError, compile_python, parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import walk_terms
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.fields import FACTS_FIELD
from ansible_collections.fleet.inventory.plugins.module_utils.store.facts import ALL_FACTS, read_facts
from ansible_collections.fleet.inventory.plugins.module_utils.store.search import namesakes, smart_rows


def resolve_smart_source(store, inventory=None, host_filter=None):
    """``(host_filter, all_vars, inventory_row_or_None)`` for a stored smart inventory or an inline filter.

    Raises :class:`~errors.NotFound` for an unknown inventory and
    :class:`~errors.ValidationError` for one that is not a smart inventory or
    when not exactly one of ``inventory`` and ``host_filter`` is given.
    """
    has_inv = inventory is not None and str(inventory).strip() != ""
    has_filter = host_filter is not None and str(host_filter).strip() != ""
    if has_inv and has_filter:
        raise ValidationError("give either 'inventory' or 'host_filter', not both")
    if not has_inv and not has_filter:
        raise ValidationError("one of 'inventory' (a stored smart inventory's name) or 'host_filter' is required")
    if has_filter:
        return str(host_filter).strip(), {}, None
    inv = store.require_inventory(str(inventory).strip())
    if inv["kind"] != "smart":
        raise ValidationError("inventory '%s' is a %s inventory, not a smart inventory" % (inv["name"], inv["kind"] or "normal"))
    if not inv["host_filter"]:
        raise ValidationError("smart inventory '%s' has no host_filter" % inv["name"])
    return inv["host_filter"], inv["variables"] or {}, inv


def select_hosts(store, host_filter, include_disabled=False):
    """``[(host_id, name, variables_json_text)]`` of AWX's smart result, ordered by name.

    The store's one "one host per name" query (:func:`store.search.smart_rows`).
    """
    return smart_rows(store, host_filter, include_disabled=include_disabled)


def merged_groups(store, host_ids_by_name):
    """The groups of the selected hosts in their source inventories, merged by name.

    ``host_ids_by_name`` maps the selected host ids to their names.  Returns
    ``(groups, warnings)`` where ``groups`` is a list, in name order, of
    ``[name, variables, [host names], [child group names]]``; it includes
    every ancestor of a host's groups even when it holds no selected host
    directly.

    Groups of the same name from several inventories become one group: their
    hosts and children are united, and their variables are merged key by key
    with the group of the inventory with the lowest id winning a conflict
    (the same "lowest id wins" rule that picks one host per name).  Each
    conflicting key is reported in ``warnings``.
    """
    data = store.groups_for_hosts(list(host_ids_by_name))
    by_id = data["groups"]
    merged = {}
    # lowest inventory id last, so that it wins the conflicts
    order = sorted(by_id, key=lambda gid: (by_id[gid]["inventory_id"], gid), reverse=True)
    conflicts = {}
    for gid in order:
        group = by_id[gid]
        entry = merged.setdefault(group["name"], {"vars": {}, "hosts": set(), "children": set(), "sources": 0})
        entry["sources"] += 1
        for key, value in (group["variables"] or {}).items():
            if key in entry["vars"] and entry["vars"][key] != value:
                conflicts.setdefault(group["name"], set()).add(key)
            entry["vars"][key] = value
    for gid, host_id in data["memberships"]:
        if gid in by_id and host_id in host_ids_by_name:
            merged[by_id[gid]["name"]]["hosts"].add(host_ids_by_name[host_id])
    for parent, child in data["children"]:
        if parent in by_id and child in by_id:
            parent_name, child_name = by_id[parent]["name"], by_id[child]["name"]
            if parent_name != child_name:
                merged[parent_name]["children"].add(child_name)
    warnings = ["group '%s' is defined in several inventories with different values of %s; the inventory with the lowest id wins"
                % (name, ", ".join("'%s'" % k for k in sorted(keys))) for name, keys in sorted(conflicts.items())]
    groups = [[name, entry["vars"], sorted(entry["hosts"]), sorted(entry["children"])] for name, entry in sorted(merged.items())]
    return groups, warnings


def facts_of_hosts(store, host_ids_by_name, keys=ALL_FACTS):
    """``{host name: {fact key: value}}`` for the selected hosts (``host_ids_by_name``: ``{host_id: name}``).

    ``keys`` is :data:`ALL_FACTS` or an iterable of top-level fact keys; read
    by the store's one fact reader (:func:`store.facts.read_facts`).
    """
    if keys != ALL_FACTS and not keys:
        return {}
    return {host_ids_by_name[host_id]: facts for host_id, facts in read_facts(store, host_ids_by_name, keys).items()}


def smart_inventory_data(store, inventory=None, host_filter=None, source_groups=False, include_disabled=False, facts=None):
    """Everything the smart inventory plugin shows, as one JSON-able dict.

    ``facts``: ``None`` (no facts), :data:`ALL_FACTS`, or a list of top-level
    fact keys to load.  Returns::

        {"inventory": name or None, "host_filter": text, "all_vars": {...},
         "hosts": [[name, variables], ...],           # by name; variables may be {}
         "groups": [[name, vars, hosts, children]],   # only with source_groups
         "facts": {name: {key: value}},               # only when facts were asked for
         "warnings": [...]}

    Host variables are parsed from the stored JSON text here once per host;
    a host without variables costs no parsing at all.
    """
    flt, all_vars, inv = resolve_smart_source(store, inventory, host_filter)
    try:
        rows = select_hosts(store, flt, include_disabled=include_disabled)
    except ValidationError as exc:
        if inv is None:
            raise
        raise ValidationError("smart inventory '%s': %s" % (inv["name"], exc)) from exc
    loads = json.loads
    hosts = [[name, loads(text) if text and text != "{}" else {}] for _id, name, text in rows]
    data = {"inventory": inv["name"] if inv else None, "host_filter": flt, "all_vars": all_vars, "hosts": hosts, "warnings": []}
    if source_groups or facts is not None:
        host_ids_by_name = {host_id: name for host_id, name, _text in rows}
        if source_groups:
            data["groups"], data["warnings"] = merged_groups(store, host_ids_by_name)
        if facts is not None:
            data["facts"] = facts_of_hosts(store, host_ids_by_name, facts)
    return data



#: up to this many hosts, their facts are read whole by host (an index lookup each) rather than by key over the fleet
FACTS_BY_HOST = 64


@functools.lru_cache(maxsize=1024)
def _predicate(host_filter):
    """``(predicate, fact keys)`` of a host_filter text (parsed once per process: a service asks again and again)."""
    node = parse_host_filter(host_filter)
    keys = set()
    for term in walk_terms(node):
        if term.field == FACTS_FIELD:
            keys.add(term.path[0].key if term.path else ALL_FACTS)
    return compile_python(node), frozenset(keys)


def _smart_predicates(store):
    """``([(inventory id, name, predicate)], fact keys, warnings)`` for every stored smart inventory not pending deletion."""
    predicates, keys, warnings = [], set(), []
    for inv in store.list_inventories(kind="smart"):
        if inv.get("pending_delete") or not inv.get("host_filter"):
            continue
        try:
            predicate, fact_keys = _predicate(inv["host_filter"])
        except (HostFilterError, ValueError) as exc:
            warnings.append("smart inventory '%s' (id %d) is left out of the smart inventory memberships: its host_filter"
                            " cannot run: %s" % (inv["name"], inv["id"], exc))
            continue
        keys |= fact_keys
        predicates.append((inv["id"], inv["name"], predicate))
    return predicates, (ALL_FACTS if ALL_FACTS in keys else keys), warnings


def smart_memberships(store, host_ids, enabled_only=False):
    """``(memberships, warnings)``: :func:`smart_inventories_for_hosts` and what could not be evaluated.

    ``warnings`` names each stored smart inventory whose host_filter cannot
    be compiled or run (it holds none of the hosts here; the others are
    evaluated as usual).
    """
    ids = [int(host_id) for host_id in host_ids]
    memberships = {host_id: [] for host_id in ids}
    predicates, keys, warnings = _smart_predicates(store)
    if not predicates or not ids:
        return memberships, warnings
    # the given hosts and every host of the same names: the one host per name is chosen among them
    candidates = namesakes(store, ids)
    if enabled_only:
        candidates = [host for host in candidates if host["enabled"]]
    facts = {}
    if keys:
        # a few hosts: all their facts by host id; many: only the keys the filters name, key by key
        few = len(candidates) <= FACTS_BY_HOST
        facts = read_facts(store, [host["id"] for host in candidates], ALL_FACTS if few else keys)
    for host in candidates:
        host["ansible_facts"] = facts.get(host["id"], {})
    for inventory_id, name, predicate in predicates:
        chosen = {}
        try:
            for host in candidates:  # by id: the first match of a name is its lowest id
                if host["name"] not in chosen and predicate(host):
                    chosen[host["name"]] = host["id"]
        except (HostFilterError, ValueError, TypeError) as exc:
            warnings.append("smart inventory '%s' (id %d) is left out of the smart inventory memberships: its host_filter"
                            " cannot run: %s" % (name, inventory_id, exc))
            continue
        for host_id in chosen.values():
            if host_id in memberships:
                memberships[host_id].append(inventory_id)
    return memberships, warnings


def smart_inventories_for_hosts(store, host_ids, enabled_only=False) -> dict:
    """``{host_id: [smart inventory id, ...]}``: the stored smart inventories whose hosts include each given host.

    Every given id is a key (an unknown id, or a host of an inventory pending
    deletion, maps to ``[]``); the ids are in ascending order.  A smart
    inventory holds a host when the host matches its host_filter and is the
    one host of its name that the smart inventory lists (AWX's rule: the
    lowest id of each name among the matching hosts of every inventory not
    pending deletion), exactly the hosts of ``Store.smart_inventory_hosts``
    and of the smart inventory plugin with ``include_disabled: true``.
    ``enabled_only=True`` leaves disabled hosts out before the rule is
    applied, as the plugin does by default (AWX's script data).

    Smart inventories pending deletion hold nothing; one whose stored
    host_filter cannot be compiled or run holds nothing either (see
    :func:`smart_memberships` for the warning).

    Computed on demand, with no membership table to keep up to date: the
    given hosts and their namesakes are read once (with only the fact keys
    the filters name), and each stored filter is evaluated on them by
    host_filter's Python predicate, which agrees with the SQL compilers of
    both backends (the property test of ``test_host_filter_agreement.py``).
    The cost grows with the given hosts and the number of smart inventories,
    not with the size of the fleet.
    """
    return smart_memberships(store, host_ids, enabled_only=enabled_only)[0]
