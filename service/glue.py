# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What service/routes/updates.py needs of the service's shared helpers (store per request, the token's user,
AWX's error bodies and list envelope), until it uses svc-api's ``auth``/``errors``/``paging`` modules directly."""

from __future__ import annotations

import threading

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 25
_local = threading.local()


def store_of(request: Request):
    """This thread's connection to the service's store (``app.state.store_target``)."""
    target = request.app.state.store_target
    stores = getattr(_local, "stores", None)
    if stores is None:
        stores = _local.stores = {}
    if target not in stores:
        stores[target] = Store(target)
    return stores[target]


def principal_of(request: Request, store=Depends(store_of)):
    header = request.headers.get("authorization", "")
    scheme, _sep, value = header.partition(" ")
    principal = access.authenticate(store, value.strip()) if scheme.lower() == "bearer" and value.strip() else None
    if principal is None:
        raise HTTPException(401, "Authentication credentials were not provided." if not header else "Invalid token.")
    return principal


def error(status, message, key="detail"):
    return JSONResponse({key: message}, status_code=status)


def paged(request: Request, fetch, body):
    """AWX's list envelope over ``fetch(offset, limit, descending) -> (count, records)``."""
    params = request.query_params
    try:
        page = int(params.get("page", "1"))
        size = int(params.get("page_size", str(DEFAULT_PAGE_SIZE)))
    except ValueError:
        return error(400, "page and page_size must be numbers", key="error")
    if page < 1:
        return error(404, "Invalid page.")
    if size < 1:
        return error(400, "page_size must be at least 1", key="error")
    size = min(size, MAX_PAGE_SIZE)
    order = params.get("order_by", "id")
    if order not in ("id", "-id"):
        return error(400, "order_by: only id and -id are supported here, not %r" % order, key="error")
    count, records = fetch((page - 1) * size, size, order == "-id")
    if page > 1 and not records:
        return error(404, "Invalid page.")

    def link(number):
        query = dict(params)
        query["page"] = str(number)
        return str(request.url.replace_query_params(**query).path) + "?" + "&".join("%s=%s" % kv for kv in query.items())
    return {"count": count, "next": link(page + 1) if page * size < count else None,
            "previous": link(page - 1) if page > 1 else None, "results": [body(r) for r in records]}
