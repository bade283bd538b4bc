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

from ansible_collections.fleet.inventory.plugins.module_utils.common import chunks, sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import (
    CompiledFilter, HostFilterError, compile_sql, parse_host_filter)
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
    compiled = compile_filter(store, host_filter)
    where, params = compiled
    try:
        store.execute_search("EXPLAIN SELECT h.id FROM hosts h WHERE %s" % where, list(params), compiled).fetchall()
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
    compiled = compile_filter(store, host_filter)
    where, params = compiled
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
    return store.execute_search(sql, params, compiled)  # a regex search has a time limit on PostgreSQL


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


#: smart filters evaluated by one statement of :func:`smart_members` (SQLite allows 500 SELECTs in a UNION)
MEMBERS_PER_STATEMENT = 50


def smart_members(store, filters, host_ids, enabled_only=False):
    """Which of ``host_ids`` each smart filter of ``filters`` lists: ``(members, problems)``.

    ``filters`` maps a key (a smart inventory's id) to its host_filter text.
    ``members`` maps each key to the set of the given host ids that the
    filter's smart result holds; the rule is :func:`matching_hosts`' one
    host per name (the lowest id of each name among the matching hosts of
    inventories not pending deletion; with ``enabled_only``, among the
    enabled ones, as the smart inventory plugin lists by default), so a
    matching host is a member only when no other host of its name with a
    lower id matches too.  ``problems`` maps the key of a filter that cannot
    be compiled or run to the reason; the other filters are not affected.

    The statement only reads the hosts named like the given ones: each
    filter is one ``SELECT MIN(h.id) ... GROUP BY h.name`` over them, and up
    to :data:`MEMBERS_PER_STATEMENT` filters go in one ``UNION ALL``.
    """
    members = {key: set() for key in filters}
    problems = {}
    compiled = {}
    for key, host_filter in filters.items():
        try:
            compiled[key] = compile_filter(store, host_filter)
        except ValidationError as exc:
            problems[key] = str(exc)
            members.pop(key)
    keys = list(compiled)
    for id_chunk in chunks(sorted(set(int(i) for i in host_ids))):
        wanted = set(id_chunk)
        batches = [keys[i:i + MEMBERS_PER_STATEMENT] for i in range(0, len(keys), MEMBERS_PER_STATEMENT)]
        while batches:
            batch = batches.pop(0)
            try:
                rows = _members_query(store, batch, compiled, id_chunk, enabled_only)
            except (StoreError, ValidationError) + tuple(store.dialect.database_errors) as exc:
                if len(batch) > 1:  # find the filter that fails: each one alone
                    batches[:0] = [[key] for key in batch]
                    continue
                problems[batch[0]] = str(exc)
                members.pop(batch[0], None)
                continue
            for key, host_id in rows:
                if host_id in wanted and key in members:
                    members[key].add(host_id)
    return members, problems


def _members_query(store, batch, compiled, id_chunk, enabled_only):
    """``[(index in batch -> key, host_id)]``: the lowest matching id of each name of ``id_chunk``'s hosts, per filter."""
    params = list(id_chunk)
    branches = []
    conditions = "i.pending_delete = FALSE" + (" AND h.enabled = TRUE" if enabled_only else "")
    timeouts = []
    for index, key in enumerate(batch):
        where, filter_params = compiled[key]
        branches.append("SELECT %d AS k, MIN(h.id) AS host_id FROM hosts h JOIN inventories i ON i.id = h.inventory_id"
                        " WHERE %s AND h.name IN (SELECT name FROM wanted) AND (%s) GROUP BY h.name"
                        % (index, conditions, where))
        params.extend(filter_params)
        if compiled[key].timeout_ms:
            timeouts.append(compiled[key].timeout_ms)
    sql = ("WITH wanted AS (SELECT DISTINCT name FROM hosts WHERE id IN (%s)) %s"
           % (sql_marks(id_chunk), " UNION ALL ".join(branches)))
    limit = CompiledFilter(sql, params, max(timeouts) if timeouts else None)  # a regex filter's time limit
    rows = store.execute_search(sql, params, limit).fetchall()
    return [(batch[index], host_id) for index, host_id in rows]
