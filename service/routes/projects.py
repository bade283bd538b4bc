# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/api/v2/projects/``: the list, details, and a project's suggested inventory files."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ansible_collections.fleet.inventory.service import serializers
from ansible_collections.fleet.inventory.service.auth import Context, context
from ansible_collections.fleet.inventory.service.lists import page, readable_of, readable_row

router = APIRouter(tags=["projects"])


@router.get("/api/v2/projects/", summary="Projects (AWX's list: filters, order_by, pages)")
def projects(request: Request, ctx: Context = Depends(context)):
    return page(ctx, request, "project", lambda rows: [serializers.project(r) for r in rows], readable=readable_of(ctx, "project"))


@router.get("/api/v2/projects/{id}/", summary="One project")
def project(id: str, ctx: Context = Depends(context)):  # noqa: A002 - AWX's path parameter name
    return serializers.project(readable_row(ctx, "project", id))


@router.get("/api/v2/projects/{id}/inventories/", summary="The project's suggested inventory files (a JSON list)")
def project_inventories(id: str, ctx: Context = Depends(context)):  # noqa: A002
    row = readable_row(ctx, "project", id)
    return serializers.parse_json(row.get("inventory_files")) or []
