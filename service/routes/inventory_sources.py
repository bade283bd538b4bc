# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/api/v2/inventory_sources/``: the list and details (updates are service/routes/updates.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ansible_collections.fleet.inventory.plugins.module_utils.store import listing
from ansible_collections.fleet.inventory.service import serializers
from ansible_collections.fleet.inventory.service.auth import Context, context
from ansible_collections.fleet.inventory.service.lists import page, readable_of, readable_row

router = APIRouter(tags=["inventory_sources"])


def source_rows(ctx, rows):
    inventories = listing.names_of(ctx.store, "inventory", {r["inventory_id"] for r in rows})
    projects = listing.names_of(ctx.store, "project", {r["source_project_id"] for r in rows})
    return [serializers.inventory_source(r, inventories, projects) for r in rows]


@router.get("/api/v2/inventory_sources/", summary="Inventory sources (AWX's list: filters, order_by, pages)")
def inventory_sources(request: Request, ctx: Context = Depends(context)):
    return page(ctx, request, "inventory_source", lambda rows: source_rows(ctx, rows),
                readable=readable_of(ctx, "inventory_source"))


@router.get("/api/v2/inventory_sources/{id}/", summary="One inventory source")
def inventory_source(id: str, ctx: Context = Depends(context)):  # noqa: A002 - AWX's path parameter name
    return source_rows(ctx, [readable_row(ctx, "inventory_source", id)])[0]
