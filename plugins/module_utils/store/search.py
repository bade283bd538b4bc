# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host search: a host_filter compiled for this store's backend, and the one query that selects hosts by it.

The store layer owns the use of host_filter's SQL compilers (they write SQL,
and SQL is the store's business): :func:`compile_filter` parses a filter and
compiles it for the store's dialect, :func:`check_filter` also makes the
database prepare it, and :func:`matching_hosts` is the one query behind
``host_info``, smart inventories and every search, including AWX's "one host
per name" rule (the lowest id of each name wins), written once here.
"""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import HostFilterError, parse_host_filter
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.sql import compile_sql
from ansible_collections.fleet.inventory.plugins.module_utils.store.rows import variables

#: the columns of a search result row (see :func:`search_hosts`)
HOST_COLUMNS = "h.*, i.name AS inventory"
#: the columns :func:`smart_rows` reads: what a smart inventory shows of a host
SMART_COLUMNS = "h.id, h.name, h.variables"


def compile_filter(store, host_filter):
    """``(where_sql, params)`` for a host_filter text, over ``hosts h``; a bad filter is a ValidationError."""
    store.prepare_search()
    try:
        return compile_sql(parse_host_filter(host_filter), dialect=store.dialect.name)
    except HostFilterError as exc:
        raise ValidationError(str(exc)) from exc


def check_filter(store, host_filter):
    """Compile ``host_filter`` and have the database prepare it (not run it).

    A filter this backend cannot run is refused now (a ValidationError), not
    at every later use; a busy or locked store is still a StoreError.
    """
    where, params = compile_filter(store, host_filter)
    try:
        store.execute("EXPLAIN SELECT h.id FROM hosts h WHERE %s" % where, params).fetchall()
    except StoreError as exc:
        cause = str(exc.__cause__ or exc)
        if "locked" in cause or "busy" in cause or "disk" in cause:
            raise
        raise ValidationError("host_filter: this filter cannot run on the store (%s)" % cause) from exc


def matching_hosts(store, host_filter, columns=HOST_COLUMNS, one_per_name=False, inventory_id=None, enabled_only=False, limit=None):
    """A cursor over the hosts matching ``host_filter`` (``columns`` of ``hosts h`` joined to ``inventories i``).

    Hosts of inventories pending deletion never match.  ``one_per_name``
    keeps only the lowest id of each name, after the other conditions
    (AWX's smart inventory rule; disabled hosts are left out first with
    ``enabled_only``).  Rows come by name then id.
    """
    where, params = compile_filter(store, host_filter)
    params = list(params)
    conditions = "i.pending_delete = FALSE"
    if enabled_only:
        conditions += " AND h.enabled = TRUE"
    if inventory_id is not None:
        conditions += " AND h.inventory_id = ?"
        params.insert(0, inventory_id)
    if one_per_name:
        # the filter runs once; the window keeps the lowest id of each name
        sql = ("SELECT * FROM (SELECT %s, ROW_NUMBER() OVER (PARTITION BY h.name ORDER BY h.id) AS name_rank"
               " FROM hosts h JOIN inventories i ON i.id = h.inventory_id WHERE %s AND (%s)) m"
               " WHERE m.name_rank = 1 ORDER BY m.name, m.id" % (columns, conditions, where))
    else:
        sql = ("SELECT %s FROM hosts h JOIN inventories i ON i.id = h.inventory_id WHERE %s AND (%s) ORDER BY h.name, h.id"
               % (columns, conditions, where))
    if limit is not None:
        sql += " LIMIT %d" % int(limit)
    return store.execute(sql, params)


def search_hosts(store, host_filter, one_per_name=False, inventory=None, limit=None) -> list:
    """Hosts (dicts of every host column plus ``inventory``, its name) matching ``host_filter``, by name then id.

    ``inventory`` (a name or id) restricts to that inventory.
    """
    inventory_id = store.require_inventory(inventory)["id"] if inventory is not None else None
    cur = matching_hosts(store, host_filter, one_per_name=one_per_name, inventory_id=inventory_id, limit=limit)
    # one dict per host, built here: a filter may match tens of thousands of hosts
    cols = [d[0] for d in cur.description]
    hosts = []
    for values in cur:
        row = dict(zip(cols, values))
        row.pop("name_rank", None)
        row["variables"] = variables(row["variables"])
        row["enabled"] = bool(row["enabled"])
        hosts.append(row)
    return hosts


def smart_rows(store, host_filter, include_disabled=False) -> list:
    """``[(host_id, name, variables_json_text)]`` of AWX's smart result (one host per name), ordered by name."""
    cur = matching_hosts(store, host_filter, columns=SMART_COLUMNS, one_per_name=True, enabled_only=not include_disabled)
    return [row[:3] for row in cur.fetchall()]
