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

import math
from contextlib import contextmanager

from ansible_collections.fleet.inventory.plugins.module_utils.common import chunks, sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import (
    COMPILERS, HostFilterError, SqliteFilterCompiler, compile_sql, fact_keys, group_terms, parse_host_filter)
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.ast import Node, walk_terms
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.fields import FACTS_FIELD
from ansible_collections.fleet.inventory.plugins.module_utils.store.rows import variables

#: the columns of a search result row (see :func:`search_hosts`)
HOST_COLUMNS = "h.*, (SELECT i.name FROM inventories i WHERE i.id = h.inventory_id) AS inventory"
#: the columns :func:`smart_rows` reads: what a smart inventory shows of a host
SMART_COLUMNS = "h.id, h.name, h.variables"


@contextmanager
def _as_validation_error():
    """A bad filter (HostFilterError: its text, a name, a lookup, a value) as the engine's ValidationError."""
    try:
        yield
    except HostFilterError as exc:
        raise ValidationError(str(exc)) from exc


def parse_filter(host_filter):
    """The syntax tree of a host_filter text (a tree is returned as it is); a bad filter is a ValidationError."""
    if isinstance(host_filter, Node):
        return host_filter
    with _as_validation_error():
        return parse_host_filter(host_filter)


def compile_filter(store, host_filter):
    """``(where_sql, params)`` for a host_filter text (or its tree from :func:`parse_filter`), over ``hosts h``;
    a bad filter is a ValidationError."""
    store.prepare_search()
    node = parse_filter(host_filter)
    with _as_validation_error():
        key_ids = group_ids = None
        if store.dialect.name == "postgresql":
            # the fact key ids and group ids as bound values: PostgreSQL then plans with the statistics of the
            # key's values (host_facts_key_value) and of each group's hosts (group_hosts), not with a guess for an
            # InitPlan's result or a join (three groups named web in three inventories were estimated at 7k
            # hosts for 30k, and the page walked hosts_name probing each host)
            names = fact_keys(node)
            key_ids = {}
            for chunk in chunks(names):
                key_ids.update(store.execute("SELECT name, id FROM fact_keys WHERE name IN (%s)" % sql_marks(chunk), chunk).fetchall())
            group_ids = _group_ids(store, node)
        return compile_sql(node, dialect=store.dialect.name, key_ids=key_ids, group_ids=group_ids)


def _group_ids(store, node) -> dict:
    """``{term: [group id, ...]}`` of the filter's ``groups__`` terms, at most one past the compiler's limit each."""
    out = {}
    compiler = COMPILERS[store.dialect.name]()
    for term in group_terms(node):
        if term not in out:
            sql, params = compiler.group_select(term)
            sql += " ORDER BY g.id LIMIT %d" % (compiler.MAX_GROUP_IDS + 1)
            out[term] = [row[0] for row in store.execute(sql, params).fetchall()]
    return out


def reads_related(node) -> bool:
    """Whether the filter ``node`` has a term over facts, groups or inventories (a subquery per term), not
    only terms over host columns (which PostgreSQL's planner estimates well from the statistics of ``hosts``)."""
    return any(term.relation is not None or term.field == FACTS_FIELD for term in walk_terms(node))


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


#: a plan's estimate of an operand counts at most this many times the walk threshold of rows (see :func:`drive`)
ESTIMATE_CAP = 1


def host_set_plan(store, node):
    """SQLite: the filter tree ``node`` as a ``HostSetPlan`` (``host_filter/compile_sqlite.py``), or None
    (no operand selects hosts from an index, or another backend: PostgreSQL's planner makes these choices itself)."""
    if store.dialect.name != "sqlite":
        return None
    store.prepare_search()
    with _as_validation_error():
        return SqliteFilterCompiler().host_set_plan(node)


def drive(store, plan, rows_needed) -> tuple:
    """``(statements, estimate, threshold, hosts)``: the plan driven by the operand that selects the fewest hosts.

    ``threshold`` is where a page by walk (an index in the requested order,
    each host tested) becomes cheaper than reading and sorting every match: a
    walk reads about ``rows_needed * hosts / matches`` hosts, the sort
    ``matches``, so a walk pays from ``matches >= sqrt(rows_needed * hosts)``.
    ``hosts`` is how many hosts the store holds; ``estimate`` (None when the count itself is the index ranges alone and is
    exact) is how many hosts the driver selects, an upper bound of the matches.
    The operands are estimated in the compiler's order of likely selectivity,
    each an index-only count capped at the smallest so far (and at
    ``ESTIMATE_CAP`` times the threshold), so estimating costs at most a few
    thousand index entries per operand.
    """
    hosts = store.execute("SELECT COUNT(*) FROM hosts").fetchone()[0]
    threshold = math.isqrt(max(1, int(rows_needed)) * max(1, hosts)) + 1
    order = sorted(plan.candidates, key=plan.rank)
    first = plan.driven(order[0])
    if first.cheap:
        return first, None, threshold, hosts
    best = estimate = None
    for index in order:
        cap = ESTIMATE_CAP * threshold if estimate is None else min(estimate, ESTIMATE_CAP * threshold)
        found = sum(store.execute(sql, params).fetchone()[0] for sql, params in plan.estimates(index, cap))
        if estimate is None or found < estimate:
            best, estimate = index, found
    return (first if best == order[0] else plan.driven(best)), estimate, threshold, hosts


#: at most this many pending-delete inventory ids are written into a statement (more: a subquery reads them)
MAX_HIDDEN_IDS = 100


def visible(store, alias) -> tuple:
    """``(sql, params)``: rows of ``alias`` whose inventory is not pending deletion (``("", [])``: no inventory is).

    The few pending-delete ids are read first and written as ``NOT IN (?, ...)``,
    not a join with ``inventories``: with the join PostgreSQL estimated one
    visible inventory and ran a host_filter once per inventory inside a nested
    loop (the and/or benchmark filter at 100k hosts: seconds instead of tenths),
    and a ``NOT IN (SELECT ...)`` made SQLite test every row of an unfiltered
    count.  Usually no inventory is pending deletion and there is no condition.
    """
    ids = [int(r[0]) for r in store.execute("SELECT id FROM inventories WHERE pending_delete = TRUE ORDER BY id").fetchall()]
    if not ids:
        return "", []
    if len(ids) > MAX_HIDDEN_IDS:
        return "%s.inventory_id NOT IN (SELECT pd.id FROM inventories pd WHERE pd.pending_delete = TRUE)" % alias, []
    return "%s.inventory_id NOT IN (%s)" % (alias, sql_marks(ids)), ids


def matching_hosts(store, host_filter, columns=HOST_COLUMNS, one_per_name=False, inventory_id=None, enabled_only=False, limit=None):
    """A cursor over the hosts matching ``host_filter`` (``columns`` of ``hosts h``).

    Hosts of inventories pending deletion never match.  ``one_per_name``
    keeps only the lowest id of each name, after the other conditions
    (AWX's smart inventory rule; disabled hosts are left out first with
    ``enabled_only``).  Rows come by name then id.
    """
    compiled = compile_filter(store, host_filter)
    where, fparams = compiled
    hidden, params = visible(store, "h")
    conditions = [hidden] if hidden else []
    if enabled_only:
        conditions.append("h.enabled = TRUE")
    if inventory_id is not None:
        conditions.append("h.inventory_id = ?")
        params.append(inventory_id)
    conditions.append("(%s)" % where)
    params.extend(fparams)
    conditions = " AND ".join(conditions)
    if one_per_name:
        # the filter runs once; the window keeps the lowest id of each name
        sql = ("SELECT * FROM (SELECT %s, ROW_NUMBER() OVER (PARTITION BY h.name ORDER BY h.id) AS name_rank"
               " FROM hosts h WHERE %s) m WHERE m.name_rank = 1 ORDER BY m.name, m.id" % (columns, conditions))
    else:
        sql = "SELECT %s FROM hosts h WHERE %s ORDER BY h.name, h.id" % (columns, conditions)
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


def namesakes(store, host_ids) -> list:
    """Every host named like one of ``host_ids``, in inventories not pending deletion, as host_filter's Python predicate reads a host.

    Each host is a dict of ``compile_python``'s shape (``id``, ``name``,
    ``description``, ``enabled``, ``instance_id``, ``ansible_facts_modified``,
    ``variables``, ``inventory`` {id, name, description, kind}, ``groups`` and
    ``all_groups`` {id, name, description}) without ``ansible_facts``, which
    the caller reads for the keys it needs (:func:`store.facts.read_facts`).
    Ordered by id; the hosts of the given ids are among them unless their
    inventory is pending deletion.
    """
    names = set()
    for chunk in chunks(sorted(set(int(i) for i in host_ids))):
        names.update(row[0] for row in store.execute("SELECT DISTINCT name FROM hosts WHERE id IN (%s)" % sql_marks(chunk), chunk))
    hosts = {}
    for chunk in chunks(sorted(names)):
        cur = store.execute(
            "SELECT h.id, h.name, h.description, h.enabled, h.instance_id, h.ansible_facts_modified, h.variables,"
            " i.id, i.name, i.description, i.kind FROM hosts h JOIN inventories i ON i.id = h.inventory_id"
            " WHERE i.pending_delete = FALSE AND h.name IN (%s)" % sql_marks(chunk), chunk)
        for hid, name, desc, enabled, instance_id, modified, text, inv_id, inv_name, inv_desc, kind in cur:
            hosts[hid] = {"id": hid, "name": name, "description": desc, "enabled": bool(enabled), "instance_id": instance_id,
                          "ansible_facts_modified": modified, "variables": variables(text),
                          "inventory": {"id": inv_id, "name": inv_name, "description": inv_desc, "kind": kind},
                          "groups": [], "all_groups": []}
    direct = {}
    for chunk in chunks(sorted(hosts)):
        cur = store.execute("SELECT gh.host_id, g.id, g.name, g.description FROM group_hosts gh JOIN groups g ON g.id = gh.group_id"
                            " WHERE gh.host_id IN (%s)" % sql_marks(chunk), chunk)
        for hid, gid, name, desc in cur:
            direct.setdefault(hid, set()).add(gid)
            hosts[hid]["groups"].append({"id": gid, "name": name, "description": desc})
    # the ancestors of the direct groups (cycle-safe), for all_groups
    parents, known, frontier = {}, {}, set().union(*direct.values()) if direct else set()
    seen = set(frontier)
    while frontier:
        found = []
        for chunk in chunks(sorted(frontier)):
            found += store.execute("SELECT child_id, parent_id FROM group_children WHERE child_id IN (%s)" % sql_marks(chunk),
                                   chunk).fetchall()
        for child, parent in found:
            parents.setdefault(child, set()).add(parent)
        frontier = {parent for _child, parent in found} - seen
        seen |= frontier
    for chunk in chunks(sorted(seen)):
        for gid, name, desc in store.execute("SELECT id, name, description FROM groups WHERE id IN (%s)" % sql_marks(chunk), chunk):
            known[gid] = {"id": gid, "name": name, "description": desc}
    for hid, gids in direct.items():
        closure, todo = set(), list(gids)
        while todo:
            gid = todo.pop()
            if gid not in closure:
                closure.add(gid)
                todo.extend(parents.get(gid, ()))
        hosts[hid]["groups"].sort(key=lambda g: g["id"])
        hosts[hid]["all_groups"] = [known[gid] for gid in sorted(closure)]
    return [hosts[hid] for hid in sorted(hosts)]
