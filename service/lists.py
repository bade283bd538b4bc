# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX's list queries: ``?name=``, ``?name__icontains=``, ``or__id=``, ``not__kind=``, ``search=``, ``order_by=``.

:func:`conditions` reads a request's query into ``store.listing.Condition``
objects (every parameter that is not paging, ``order_by``, ``search``,
``host_filter`` or one the route names as its own); :func:`page` runs
``store.listing.list_page`` for one page and builds AWX's envelope.  A field
or lookup the object does not have is 400 ``{"detail": ...}`` naming it
(AWX's ParseError body).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter import HostFilterError
from ansible_collections.fleet.inventory.plugins.module_utils.store import listing
from ansible_collections.fleet.inventory.service.auth import object_id
from ansible_collections.fleet.inventory.service.errors import NO_PERMISSION, ApiError, not_found
from ansible_collections.fleet.inventory.service.paging import PAGING_PARAMS, envelope, page_of
from ansible_collections.fleet.inventory.service.serializers import json_response

#: query parameters that are never field filters
RESERVED = PAGING_PARAMS + ("order_by", "search", "host_filter", "format")


def conditions(request: Request, own=()) -> list:
    """The field filters of ``request`` (see the module's description)."""
    out = []
    for key, value in request.query_params.multi_items():
        if key in RESERVED or key in own:
            continue
        parts = key.split("__")
        negate = either = False
        while len(parts) > 1 and parts[0] in ("or", "not", "chain", "and"):
            head = parts.pop(0)
            either = either or head == "or"
            negate = negate or head == "not"
        lookup = "exact"
        if len(parts) > 1 and parts[-1] in listing.LOOKUPS:
            lookup = parts.pop()
        out.append(listing.Condition("__".join(parts), lookup, value, negate=negate, either=either, param=key))
    return out


def page(ctx, request: Request, kind, serialize, own=(), **query) -> Response:
    """One page of ``kind`` for ``request``: AWX's envelope of ``serialize(rows)`` (a list of dicts) as a JSON response.

    ``query`` goes to ``listing.list_page`` (``readable``, ``parent``,
    ``host_filter``, ``smart_filter``).  A bad filter, lookup or ``order_by``
    is ApiError 400 ``{"detail": ...}``, a host_filter that does not parse 400 ``{"error": ...}``.
    """
    wanted = page_of(request)
    try:
        count, rows = listing.list_page(ctx.store, kind, conditions(request, own), order_by=request.query_params.get("order_by"),
                                        offset=wanted.offset, limit=wanted.size, search_text=request.query_params.get("search"),
                                        **query)
    except ValidationError as exc:
        if isinstance(exc.__cause__, HostFilterError):
            raise ApiError(400, body={"error": str(exc)}) from None
        raise ApiError(400, str(exc)) from None
    return json_response(envelope(request, wanted, count, serialize(rows) if rows else []))


#: the object whose read role decides who sees a row: (role kind, the row's column naming it)
SCOPES = {
    "inventory": ("inventory", "id"),
    "host": ("inventory", "inventory_id"),
    "group": ("inventory", "inventory_id"),
    "inventory_source": ("inventory", "inventory_id"),
    "project": ("project", "id"),
}


def readable_of(ctx, kind):
    """``readable`` for :func:`page`: the ids of the inventories (projects) whose rows the principal sees."""
    return ctx.readable(SCOPES[kind][0])


def readable_row(ctx, kind, raw_id) -> dict:
    """The row of ``kind`` with path id ``raw_id``: 404 when there is none (or the id is not a number), 403 when
    the principal may not read it (AWX answers 403 for an object that exists but is not yours to see)."""
    oid = object_id(raw_id)
    row = listing.get_row(ctx.store, kind, oid)
    if row is None:
        raise not_found()
    role_kind, column = SCOPES[kind]
    if not ctx.can("read", role_kind, row[column]):
        raise ApiError(403, NO_PERMISSION)
    return row
