# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/api/v2/groups/``: the list and details."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ansible_collections.fleet.inventory.service import serializers
from ansible_collections.fleet.inventory.service.auth import Context, context
from ansible_collections.fleet.inventory.service.lists import page, readable_of, readable_row
from ansible_collections.fleet.inventory.service.routes.inventories import child_rows

router = APIRouter(tags=["groups"])


@router.get("/api/v2/groups/", summary="Groups (AWX's list: filters, order_by, pages)")
def groups(request: Request, ctx: Context = Depends(context)):
    return page(ctx, request, "group", lambda rows: child_rows(ctx, rows, serializers.group), readable=readable_of(ctx, "group"))


@router.get("/api/v2/groups/{id}/", summary="One group")
def group(id: str, ctx: Context = Depends(context)):  # noqa: A002 - AWX's path parameter name
    return child_rows(ctx, [readable_row(ctx, "group", id)], serializers.group)[0]
