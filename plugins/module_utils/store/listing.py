# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX's list queries, once for every object kind: field filters, ``or__``/``not__``, ``order_by``, a page.

The HTTP service's list endpoints (``/api/v2/hosts/?name__icontains=web&order_by=-name&page=2``)
parse their query into :class:`Condition` objects and call :func:`list_page`; the SQL is
written here, from a whitelist of columns per object kind (:data:`KINDS`), with every
value bound as a parameter.  A field or lookup the kind does not have is a
ValidationError naming it; text lookups use the host_filter compiler of the store's
backend, so ``contains`` is case-sensitive and ``icontains`` is not, on both backends.

A page is the rows of one page (``LIMIT``/``OFFSET``), ordered by the requested
fields and then by ``id`` so that pages never overlap, then ``COUNT(*)`` of the
whole filtered set, which is skipped when the page is not full (the count is then
``offset`` plus its rows: the filter is evaluated once instead of twice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.fleet.inventory.plugins.module_utils.common import sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import COMPILERS
from ansible_collections.fleet.inventory.plugins.module_utils.store import search

#: lookups a list filter takes (AWX's field lookups that make sense on these columns)
LOOKUPS = ("exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith",
           "gt", "gte", "lt", "lte", "in", "isnull")
TEXT_LOOKUPS = ("iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith")
#: the most values one ``__in`` filter may list
MAX_IN = 200
#: the largest integer a filter value may be (the stores' integers are 64-bit)
MAX_INT = 2 ** 63 - 1


@dataclass(frozen=True)
class Kind:
    """How one object kind is listed: its table (as alias ``alias``), its columns by AWX field name, whether it hides rows of inventories pending deletion."""

    table: str
    alias: str
    #: AWX field name -> (column expression, type: int | text | bool | ts)
    fields: dict
    #: the column naming the inventory (or project) that decides who may read a row
    scope_column: str
    #: rows of an inventory pending deletion are gone for readers (see :func:`search.visible`)
    hides_pending: bool = False


#: a host's inventory name where a filter or ``order_by`` names ``inventory__name`` (a page's rows get theirs
#: from one statement after the page: a column of the page statement would be computed for every row sorted)
_INVENTORY_NAME = "(SELECT i.name FROM inventories i WHERE i.id = h.inventory_id)"


def _fields(alias, text=(), ints=(), bools=(), stamps=(), extra=None):
    out = {"id": ("%s.id" % alias, "int")}
    out.update({name: ("%s.%s" % (alias, name), "text") for name in text})
    out.update({name: ("%s.%s" % (alias, name), "int") for name in ints})
    out.update({name: ("%s.%s" % (alias, name), "bool") for name in bools})
    out.update({name: ("%s.%s" % (alias, name), "ts") for name in stamps})
    out.update(extra or {})
    return out


KINDS = {
    "inventory": Kind("inventories", "o", _fields(
        "o", text=("name", "description", "kind", "host_filter"), bools=("pending_delete",), stamps=("created", "modified")),
        scope_column="o.id"),
    "host": Kind("hosts", "h", _fields(
        "h", text=("name", "description", "instance_id"), bools=("enabled",),
        stamps=("created", "modified", "ansible_facts_modified"),
        extra={"inventory": ("h.inventory_id", "int"), "inventory__name": (_INVENTORY_NAME, "text")}),
        scope_column="h.inventory_id", hides_pending=True),
    "group": Kind("groups", "o", _fields(
        "o", text=("name", "description"), stamps=("created", "modified"),
        extra={"inventory": ("o.inventory_id", "int")}),
        scope_column="o.inventory_id", hides_pending=True),
    "inventory_source": Kind("inventory_sources", "o", _fields(
        "o", text=("name", "description", "source", "source_path", "status"),
        bools=("overwrite", "overwrite_vars", "update_on_launch", "update_on_project_update"),
        stamps=("created", "modified", "last_updated"),
        extra={"inventory": ("o.inventory_id", "int"), "source_project": ("o.source_project_id", "int")}),
        scope_column="o.inventory_id", hides_pending=True),
    "project": Kind("projects", "o", _fields(
        "o", text=("name", "description", "scm_type", "scm_url", "scm_branch", "scm_revision", "status"),
        stamps=("created", "modified", "last_updated")),
        scope_column="o.id"),
}
#: the kinds whose ``search=`` looks at name and description (AWX's search fields)
SEARCH_FIELDS = ("name", "description")


@dataclass(frozen=True)
class Condition:
    """One field filter: ``field__lookup=value``, negated with ``not__``, in the OR group with ``or__``."""

    field: str
    lookup: str
    value: object
    negate: bool = False
    either: bool = False
    #: the query parameter as the client wrote it, for messages
    param: str = ""
    #: which OR group an ``either`` condition belongs to (``or__`` terms are one group, ``search=`` another)
    group: str = "or"


def _typed(kind_name, cond, ftype, raw):
    """``raw`` (query text) as the column's type; a ValidationError naming the parameter otherwise."""
    name = cond.param or cond.field
    if ftype == "int":
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValidationError("%s: %r is not an integer (field %s of %s)" % (name, raw, cond.field, kind_name)) from None
        if not -MAX_INT <= value <= MAX_INT:
            raise ValidationError("%s: %r is out of range (field %s of %s is a 64-bit integer)" % (name, raw, cond.field, kind_name))
        return value
    if ftype == "bool":
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ValidationError("%s: %r is not a boolean (true or false)" % (name, raw))
    return str(raw)


def _where(store, kind_name, kind, conditions):
    """``(sql, params)`` of the field filters (AND of the plain ones, and one OR group of the ``or__`` ones)."""
    compiler = COMPILERS[store.dialect.name]()
    plain, either = [], {}
    for cond in conditions:
        if cond.field not in kind.fields:
            raise ValidationError("%s: %s has no field %r (fields: %s)" % (
                cond.param or cond.field, kind_name, cond.field, ", ".join(sorted(kind.fields))))
        if cond.lookup not in LOOKUPS:
            raise ValidationError("%s: unknown lookup %r (lookups: %s)" % (cond.param or cond.field, cond.lookup, ", ".join(LOOKUPS)))
        column, ftype = kind.fields[cond.field]
        if cond.lookup in TEXT_LOOKUPS and ftype != "text":
            raise ValidationError("%s: lookup %s needs a text field; %s is %s" % (cond.param, cond.lookup, cond.field, ftype))
        if cond.lookup == "isnull":
            value = _typed(kind_name, cond, "bool", cond.value)
        elif cond.lookup == "in":
            items = [v for v in str(cond.value).split(",") if v != ""]
            if not items or len(items) > MAX_IN:
                raise ValidationError("%s: __in takes 1 to %d comma-separated values" % (cond.param, MAX_IN))
            value = [_typed(kind_name, cond, ftype, v) for v in items]
        else:
            value = _typed(kind_name, cond, ftype, cond.value)
        if ftype == "bool" and cond.lookup not in ("exact", "isnull", "in"):
            raise ValidationError("%s: a boolean field takes exact, in or isnull" % cond.param)
        sql = compiler.column_predicate(column, "bool" if ftype == "bool" else "text", cond.lookup, value)
        if cond.lookup != "isnull":
            sql = compiler.coalesce_false(sql)
        if cond.negate:
            sql = "(NOT %s)" % sql
        if cond.either:
            either.setdefault(cond.group, []).append(sql)
        else:
            plain.append(sql)
    parts = list(plain)
    for group in either.values():
        parts.append("(%s)" % " OR ".join(group))
    sql = " AND ".join(parts)
    params = []

    def place(match):
        params.append(compiler.params[int(match.group(1))])
        return "?"
    return _MARKER.sub(place, sql), params


#: the host_filter compiler's parameter marker (see SqlFilterCompiler.bind)
_MARKER = re.compile("\x00([0-9]+)\x00")


def order_clause(kind_name, kind, order_by):
    """``ORDER BY`` text for AWX's ``order_by`` (``name``, ``-name``, ``name,-id``): always ending in id."""
    terms = []
    names = [part.strip() for part in (order_by or "name").split(",") if part.strip()] or ["name"]
    for part in names:
        desc = part.startswith("-")
        field = part.lstrip("-+")
        if field not in kind.fields:
            raise ValidationError("order_by: %s has no field %r (fields: %s)" % (kind_name, field, ", ".join(sorted(kind.fields))))
        terms.append("%s%s" % (kind.fields[field][0], " DESC" if desc else ""))
        if field == "id":
            break
    else:
        terms.append("%s.id" % kind.alias)
    return " ORDER BY " + ", ".join(terms)


def _source(store, kind_name, kind, host_filter=None, smart_filter=None):
    """``(from_sql, conditions, params, compiled)``: the row source of a kind (hosts through a host_filter when given)."""
    compiled = None
    if kind_name == "host" and smart_filter is not None:
        # AWX's smart inventory: the filter over all hosts, one host per name (the lowest id)
        compiled = search.compile_filter(store, smart_filter)
        where, fparams = compiled
        # (the visible hosts are ranked: a name's host in an inventory pending deletion never hides another)
        hidden, params = search.visible(store, "h")
        source = ("(SELECT h.*, ROW_NUMBER() OVER (PARTITION BY h.name ORDER BY h.id) AS name_rank"
                  " FROM hosts h WHERE %s(%s)) h" % (hidden + " AND " if hidden else "", where))
        params.extend(fparams)
        conditions = ["h.name_rank = 1"]
    else:
        source = "%s %s" % (kind.table, kind.alias)
        hidden, params = search.visible(store, kind.alias) if kind.hides_pending else ("", [])
        conditions = [hidden] if hidden else []
    if host_filter is not None:
        if kind_name != "host":
            raise ValidationError("host_filter applies to hosts only")
        compiled_hf = search.compile_filter(store, host_filter)
        where, fparams = compiled_hf
        conditions.append("(%s)" % where)
        params.extend(fparams)
        compiled = compiled_hf if compiled is None or (compiled_hf.timeout_ms or 0) > (compiled.timeout_ms or 0) else compiled
    return source, conditions, params, compiled


def list_page(store, kind_name, conditions=(), order_by=None, offset=0, limit=25, readable=None, parent=None,
              host_filter=None, smart_filter=None, search_text=None):
    """``(count, rows)``: how many rows of ``kind_name`` pass the filters, and the page ``offset``/``limit`` of them.

    ``readable``: None for every row, else the set of inventory (project) ids
    whose rows may be shown.  ``parent``: ``(field, id)`` that every row must
    have (``("inventory", 3)`` for an inventory's hosts).  ``host_filter``
    (hosts only) is AWX's ``?host_filter=``; ``smart_filter`` lists a smart
    inventory's hosts (one per name).  ``search_text``: name or description
    contains it, case-insensitively.  Rows are dicts of the table's columns
    (hosts also carry ``inventory_name``).
    """
    try:
        kind = KINDS[kind_name]
    except KeyError:
        raise ValidationError("unknown object kind %r" % kind_name) from None
    store.prepare_search()
    order = order_clause(kind_name, kind, order_by)
    conds = list(conditions)
    if parent is not None:
        conds.append(Condition(parent[0], "exact", parent[1], param=parent[0]))
    if search_text:
        conds.extend(Condition(name, "icontains", search_text, either=True, param="search", group="search")
                     for name in SEARCH_FIELDS if name in kind.fields)
    filter_sql, filter_params = _where(store, kind_name, kind, conds) if conds else ("", [])
    scope = None
    if readable is not None:
        ids = sorted(int(i) for i in readable)
        if not ids:
            return 0, []
        scope = ("%s IN (%s)" % (kind.scope_column, sql_marks(ids)), ids)
    offset, limit = int(offset), int(limit)
    searched = kind_name == "host" and (host_filter is not None or smart_filter is not None)
    version = store.data_version() if searched and store.search_cache is not None else None
    if version is None:
        return _page(store, kind_name, kind, order, offset, limit, filter_sql, filter_params, scope, host_filter, smart_filter)
    # a search kept since nothing changed: its count and page ids (see search_cache)
    cache = store.search_cache
    search_key = (_filter_key(host_filter), _filter_key(smart_filter), filter_sql, tuple(filter_params),
                  tuple(scope[1]) if scope else None)
    page_key = search_key + (order, offset, limit)
    kept = cache.get(page_key, version)
    if kept is not None:
        count, ids = kept
        return count, _host_rows(store, _hosts_by_id(store, ids))
    count, rows = _page(store, kind_name, kind, order, offset, limit, filter_sql, filter_params, scope, host_filter,
                        smart_filter, known_count=cache.get(search_key, version))
    if store.data_version() == version:
        cache.put(search_key, version, count)
        cache.put(page_key, version, (count, [row["id"] for row in rows]))
    return count, rows


def _filter_key(text):
    """A host_filter (text or parsed tree) as part of a cache key."""
    return text if text is None or isinstance(text, str) else repr(text)


def _hosts_by_id(store, ids) -> list:
    """The hosts ``ids`` in that order (a kept page read again; a host deleted since is left out)."""
    if not ids:
        return []
    found = {row["id"]: row for row in _dicts(store.execute("SELECT h.* FROM hosts h WHERE h.id IN (%s)" % sql_marks(ids), ids))}
    return [found[i] for i in ids if i in found]


def _page(store, kind_name, kind, order, offset, limit, filter_sql, filter_params, scope, host_filter, smart_filter,
          known_count=None) -> tuple:
    """``(count, rows)`` of one page, computed (``known_count``: the count when already known)."""
    node = plan = None
    if kind_name == "host" and host_filter is not None and smart_filter is None:
        node = search.parse_filter(host_filter)
        plan = search.host_set_plan(store, node)
    if plan is not None:
        for sql, sql_params in [search.visible(store, "h"), (filter_sql, filter_params), scope or ("", [])]:
            if sql:
                plan.add_condition(sql, sql_params)
        count, rows = _planned_page(store, plan, order, offset, limit, known_count)
        return count, _host_rows(store, rows)
    source, where, params, compiled = _source(store, kind_name, kind, node if node is not None else host_filter, smart_filter)
    if filter_sql:
        where.append(filter_sql)
        params.extend(filter_params)
    if scope is not None:
        where.append(scope[0])
        params.extend(scope[1])
    if store.dialect.name == "postgresql" and node is not None and search.reads_related(node):
        count, rows = _planned_page_postgresql(store, kind, where, params, compiled, order, offset, limit, known_count)
        return count, _host_rows(store, rows)
    where_sql = (" WHERE " + " AND ".join(where)) if where else ""
    columns = "%s.*" % kind.alias
    count_sql = "SELECT COUNT(*) FROM %s%s" % (source, where_sql)
    page_sql = "SELECT %s FROM %s%s%s LIMIT %d OFFSET %d" % (columns, source, where_sql, order, limit, offset)
    # the page first: when it is not full (and not past the end), the count is known without evaluating the
    # filter a second time (a fact host_filter reads every row of its fact key, once per statement)
    if compiled is not None:
        cur = store.execute_search(page_sql, list(params), compiled)
    else:
        cur = store.execute(page_sql, params)
    cols = [d[0] for d in cur.description]
    rows = []
    for values in cur.fetchall():
        row = dict(zip(cols, values))
        row.pop("name_rank", None)
        rows.append(row)
    if kind_name == "host":
        rows = _host_rows(store, rows)
    if 0 < len(rows) < limit or (not rows and not offset):
        return offset + len(rows), rows
    if known_count is not None:
        return known_count, rows
    if compiled is not None:
        count = store.execute_search(count_sql, list(params), compiled).fetchone()[0]
    else:
        count = store.execute(count_sql, params).fetchone()[0]
    return count, rows


#: thousands of virtual machine steps a page by walk may take per host it is expected to read, per operand of the
#: filter, and at least (SQLite: a walk over one correlated probe measured 35-110 steps per host; see _planned_page)
WALK_STEPS_PER_HOST = 0.08
WALK_STEPS_MIN = 40


def _walkable(order) -> bool:
    """Whether a page in ``order`` (an ORDER BY clause) can walk an index of ``hosts`` (hosts_name, the primary key)."""
    first = order[len(" ORDER BY "):].split(",")[0].split(" ")[0]
    return first in ("h.name", "h.id")


def _planned_page(store, plan, order, offset, limit, known_count=None) -> tuple:
    """``(count, rows)`` of a host filter on SQLite by its :class:`HostSetPlan` (see docs/host_filter.md, "Plans of lists").

    SQLite runs ``h.id IN (subquery)`` by reading every matching host (a row
    lookup each), and a page of it by sorting them all: for a filter that
    matches half of 100k hosts that is 30 ms for the count and 40 for the page.
    Here the count reads index ranges: when the driver's range is the whole
    filter (no other operand, no host condition) it is the count; the page then
    walks the index of the requested order with one probe per host while the
    matches are a large share of the hosts (known from the count), bounded by
    the database's step counter (matches crowded at the far end of the order
    stop the walk, and the matches are read and sorted instead), or reads and
    sorts them when they are few.  When other operands must be tested per
    candidate, the count and the page are one statement (the matches computed
    once, then walked or sorted the same way).
    """
    statements, estimate, threshold, hosts = search.drive(store, plan, offset + limit)
    walkable = _walkable(order)
    if statements.cheap or known_count is not None:
        count = known_count if known_count is not None else store.execute_search(*statements.count(), None).fetchone()[0]
        if count == 0 or offset >= count:
            return count, []
        if walkable and count >= threshold:
            expected = (offset + limit) * max(hosts, 1) / count
            steps = int(WALK_STEPS_MIN + WALK_STEPS_PER_HOST * expected * len(plan.parts))
            where, params = plan.walk_where()
            sql = "SELECT h.* FROM hosts h WHERE %s%s LIMIT %d OFFSET %d" % (where, order, limit, offset)
            try:
                found = store.dialect.execute_bounded(store.conn, store.dialect.sql(sql), params, steps)
            except store.dialect.database_errors as exc:
                raise store.db_error(exc) from exc
            if found is not None:
                description, values = found
                cols = [d[0] for d in description]
                return count, [dict(zip(cols, v)) for v in values]
            # the matches are crowded further on in this order (names often tell a host's role, and so its
            # groups and facts): read and sort them (a walk testing each host against the materialized matches
            # measured about as slow or slower, 15-30 ms at 31-50k matches of 100k)
        return count, _dicts(store.execute_search(*statements.page(order, limit, offset), None))
    walk = walkable and estimate >= threshold
    rows = _dicts(store.execute_search(*statements.counted_page(order, limit, offset, walk), None))
    if rows:
        return _counted(rows)
    if not offset:
        return 0, []
    return store.execute_search(*statements.count(), None).fetchone()[0], []


#: PostgreSQL: a page by walk reads at most this many hosts of the requested order, first WALK_HOSTS_MIN or
#: WALK_HOSTS_PER_ROW per row up to the page's end (see _planned_page_postgresql)
WALK_HOSTS_MAX = 20000
WALK_HOSTS_MIN = 2000
WALK_HOSTS_PER_ROW = 10


def _planned_page_postgresql(store, kind, where, params, compiled, order, offset, limit, known_count=None) -> tuple:
    """``(count, rows)`` of a host filter on PostgreSQL (see docs/host_filter.md, "Plans of lists (PostgreSQL)").

    PostgreSQL's planner, asked for the first rows of a filter in name order,
    walks ``hosts_name`` and tests each host, which is fast when matches are
    spread through the order and slow when they are crowded at its far end
    (``groups__name=web`` over hosts named ``web-*``: 70k hosts tested for a
    page, 0.3 s).  So the walk is bounded here: the first hosts of the order
    (:data:`WALK_HOSTS_MIN`, or more for a far page) are read in a subquery and tested; when
    they hold the whole page, it is the page (the page's rows are the first
    matches of the order), and the count is its own statement (for a filter
    that is one term and the only condition, ``count_sql``: index entries,
    no hosts).  A first walk that found some of the page but not all of it
    tells how rare the matches are: one longer walk follows when that
    density says it would hold the page.  Otherwise the matches are computed once, without an order (the
    planner joins whole sets), into a materialized CTE of the columns an order
    can name, and both the count and the page's ids are read from it.
    """
    where_sql = " AND ".join(where)
    end = offset + limit
    walk = max(WALK_HOSTS_MIN, WALK_HOSTS_PER_ROW * end)
    while _walkable(order) and walk <= WALK_HOSTS_MAX:
        sql = "SELECT h.* FROM (SELECT h.* FROM hosts h%s LIMIT %d) h WHERE %s%s LIMIT %d OFFSET %d" % (
            order, walk, where_sql, order, limit, offset)
        rows = _dicts(store.execute_search(sql, list(params), compiled))
        if len(rows) == limit:
            if known_count is not None:
                return known_count, rows
            return _count_postgresql(store, where, where_sql, params, compiled), rows
        if not rows or walk == WALK_HOSTS_MAX:
            break
        # the first hosts held some of the page: the matches are rare but spread; one longer walk, as long as their
        # density says the page needs (and at most WALK_HOSTS_MAX)
        walk = min(WALK_HOSTS_MAX, int(walk * end * 1.25 / (offset + len(rows))) + 1)
    columns = ", ".join(column for column, _type in kind.fields.values() if column.startswith("h."))
    sql = ("WITH m AS MATERIALIZED (SELECT %s FROM hosts h WHERE %s)"
           " SELECT (SELECT COUNT(*) FROM m) AS plan_count, h.* FROM hosts h"
           " WHERE h.id IN (SELECT h.id FROM m h%s LIMIT %d OFFSET %d)%s" % (columns, where_sql, order, limit, offset, order))
    rows = _dicts(store.execute_search(sql, list(params), compiled))
    if rows:
        return _counted(rows)
    return (_count_postgresql(store, where, where_sql, params, compiled) if offset else 0), []


def _count_postgresql(store, where, where_sql, params, compiled) -> int:
    """How many hosts pass ``where``: ``compiled.count_sql`` when the filter is the only condition (no hosts read)."""
    if len(where) == 1 and getattr(compiled, "count_sql", None):
        sql = compiled.count_sql
    else:
        sql = "SELECT COUNT(*) FROM hosts h WHERE %s" % where_sql
    return store.execute_search(sql, list(params), compiled).fetchone()[0]


def _counted(rows) -> tuple:
    """``(count, rows)`` of a page whose every row carries the count as ``plan_count`` (taken off the rows)."""
    count = rows[0]["plan_count"]
    for row in rows:
        del row["plan_count"]
    return count, rows


def _dicts(cur) -> list:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, values)) for values in cur.fetchall()]


def _host_rows(store, rows) -> list:
    """``rows`` of hosts, each with ``inventory_name`` (one statement for the page's few inventories)."""
    if rows:
        names = _inventory_names(store, {row["inventory_id"] for row in rows})
        for row in rows:
            row["inventory_name"] = names.get(row["inventory_id"])
    return rows


def _inventory_names(store, ids) -> dict:
    """``{id: name}`` of the inventories ``ids`` (the few of one page of hosts)."""
    ids = sorted(ids)
    return {r["id"]: r["name"] for r in store.query("SELECT id, name FROM inventories WHERE id IN (%s)" % sql_marks(ids), ids)}


def get_row(store, kind_name, object_id):
    """The row of ``kind_name`` with id ``object_id`` (hosts with ``inventory_name``), or None.

    Hosts, groups and sources of an inventory pending deletion are None (gone
    for readers); the inventory itself reads with ``pending_delete`` true until
    its row is removed, as in AWX.
    """
    kind = KINDS[kind_name]
    columns = "%s.*" % kind.alias
    if kind_name == "host":
        columns += ", i.name AS inventory_name, i.kind AS inventory_kind"
        sql = ("SELECT %s FROM hosts h JOIN inventories i ON i.id = h.inventory_id WHERE h.id = ? AND i.pending_delete = FALSE"
               % columns)
    elif kind.hides_pending:
        sql = ("SELECT %s FROM %s %s JOIN inventories i ON i.id = %s.inventory_id WHERE %s.id = ? AND i.pending_delete = FALSE"
               % (columns, kind.table, kind.alias, kind.alias, kind.alias))
    else:
        sql = "SELECT %s FROM %s %s WHERE %s.id = ?" % (columns, kind.table, kind.alias, kind.alias)
    return store.query_one(sql, (int(object_id),))


def names_of(store, kind_name, ids) -> dict:
    """``{id: {"id", "name", ...}}`` of the inventories or projects ``ids`` (for summary_fields)."""
    ids = sorted({int(i) for i in ids if i is not None})
    if not ids:
        return {}
    table = {"inventory": "inventories", "project": "projects"}[kind_name]
    extra = ", kind" if kind_name == "inventory" else ", status"
    rows = store.query("SELECT id, name, description%s FROM %s WHERE id IN (%s)" % (extra, table, sql_marks(ids)), ids)
    return {r["id"]: r for r in rows}
