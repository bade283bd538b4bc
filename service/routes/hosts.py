# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/api/v2/hosts/``: the list (with ``?host_filter=``), details, a host's facts and its smart inventories."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ansible_collections.fleet.inventory.plugins.module_utils.rules.smart import smart_inventories_for_hosts
from ansible_collections.fleet.inventory.service import serializers
from ansible_collections.fleet.inventory.service.auth import Context, context
from ansible_collections.fleet.inventory.service.lists import page, readable_of, readable_row
from ansible_collections.fleet.inventory.service.routes.inventories import host_rows

router = APIRouter(tags=["hosts"])


@router.get("/api/v2/hosts/", summary="Hosts, optionally matching ?host_filter= (AWX's SmartFilter language)")
def hosts(request: Request, ctx: Context = Depends(context)):
    # the listing compiles the filter once; one that does not parse is 400 {"error": ...} (lists.page)
    return page(ctx, request, "host", lambda rows: host_rows(ctx, rows), readable=readable_of(ctx, "host"),
                host_filter=request.query_params.get("host_filter"))


@router.get("/api/v2/hosts/{id}/", summary="One host")
def host(id: str, ctx: Context = Depends(context)):  # noqa: A002 - AWX's path parameter name
    return host_rows(ctx, [readable_row(ctx, "host", id)])[0]


@router.get("/api/v2/hosts/{id}/ansible_facts/", summary="A host's cached facts")
def host_facts(id: str, ctx: Context = Depends(context)):  # noqa: A002
    row = readable_row(ctx, "host", id)
    return ctx.store.get_facts(row["id"])


@router.get("/api/v2/hosts/{id}/smart_inventories/", summary="The smart inventories that hold this host")
def host_smart_inventories(id: str, request: Request, ctx: Context = Depends(context)):  # noqa: A002
    row = readable_row(ctx, "host", id)
    ids = set(smart_inventories_for_hosts(ctx.store, [row["id"]]).get(row["id"], []))
    allowed = readable_of(ctx, "inventory")
    if allowed is not None:
        ids &= set(allowed)
    return page(ctx, request, "inventory", lambda rows: [serializers.inventory(r) for r in rows], readable=ids)
