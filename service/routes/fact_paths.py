# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``GET /api/v2/fact_paths/?search=<prefix>``: the fact paths of the store's catalogue, for completion.

The catalogue (store/fact_catalog.py) holds each path some host's facts
have, written as a host_filter writes it below ``ansible_facts__``; only
paths whose top-level key a stored host still holds are listed.  Any
authenticated user reads every path: the catalogue does not record which
hosts a path came from, so scoping it to the readable inventories would scan
the facts of every key; a path is a name, never a value (docs/service.md).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ansible_collections.fleet.inventory.plugins.module_utils.store import fact_catalog
from ansible_collections.fleet.inventory.service.auth import Context, context
from ansible_collections.fleet.inventory.service.paging import Page, envelope, page_of
from ansible_collections.fleet.inventory.service.serializers import json_response

router = APIRouter(tags=["fact_paths"])
PREFIX = "ansible_facts__"


@router.get("/api/v2/fact_paths/", summary="Fact paths of the store's catalogue starting with ?search= (completion)")
def fact_paths(request: Request, ctx: Context = Depends(context), page: Page = Depends(page_of)):
    search = request.query_params.get("search", "")
    if search.startswith(PREFIX):
        search = search[len(PREFIX):]
    count, paths = fact_catalog.search_paths(ctx.store, search, page.offset, page.size)
    return json_response(envelope(request, page, count, [{"path": p, "filter": PREFIX + p} for p in paths]))
