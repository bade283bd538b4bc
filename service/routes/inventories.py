# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``/api/v2/inventories/``: the list, details, and an inventory's hosts, groups, sources and script."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules.script import script_data
from ansible_collections.fleet.inventory.plugins.module_utils.store import listing
from ansible_collections.fleet.inventory.service import serializers
from ansible_collections.fleet.inventory.service.auth import Context, context
from ansible_collections.fleet.inventory.service.errors import ApiError
from ansible_collections.fleet.inventory.service.lists import page, readable_of, readable_row

router = APIRouter(tags=["inventories"])
SCRIPT_FLAGS = ("hostvars", "towervars", "all")


def _flag(request, name) -> bool:
    return str(request.query_params.get(name, "")).strip().lower() in ("1", "true", "yes", "on")


def host_rows(ctx, rows):
    inventories = listing.names_of(ctx.store, "inventory", {r["inventory_id"] for r in rows})
    return [serializers.host(r, inventories) for r in rows]


def child_rows(ctx, rows, serialize):
    inventories = listing.names_of(ctx.store, "inventory", {r["inventory_id"] for r in rows})
    return [serialize(r, inventories) for r in rows]


@router.get("/api/v2/inventories/", summary="Inventories (AWX's list: filters, order_by, pages)")
def inventories(request: Request, ctx: Context = Depends(context)):
    return page(ctx, request, "inventory", lambda rows: [serializers.inventory(r) for r in rows],
                readable=readable_of(ctx, "inventory"))


@router.get("/api/v2/inventories/{id}/", summary="One inventory")
def inventory(id: str, ctx: Context = Depends(context)):  # noqa: A002 - AWX's path parameter name
    return serializers.inventory(readable_row(ctx, "inventory", id))


@router.get("/api/v2/inventories/{id}/hosts/", summary="An inventory's hosts (a smart inventory: its filter's hosts)")
def inventory_hosts(id: str, request: Request, ctx: Context = Depends(context)):  # noqa: A002
    inv = readable_row(ctx, "inventory", id)
    if inv["kind"] == "smart":
        try:
            ctx.store.compile_filter(inv["host_filter"])
        except ValidationError as exc:
            raise ApiError(400, body={"error": "smart inventory '%s': %s" % (inv["name"], exc)}) from None
        return page(ctx, request, "host", lambda rows: host_rows(ctx, rows), smart_filter=inv["host_filter"])
    return page(ctx, request, "host", lambda rows: host_rows(ctx, rows), parent=("inventory", inv["id"]))


@router.get("/api/v2/inventories/{id}/groups/", summary="An inventory's groups")
def inventory_groups(id: str, request: Request, ctx: Context = Depends(context)):  # noqa: A002
    inv = readable_row(ctx, "inventory", id)
    return page(ctx, request, "group", lambda rows: child_rows(ctx, rows, serializers.group), parent=("inventory", inv["id"]))


@router.get("/api/v2/inventories/{id}/inventory_sources/", summary="An inventory's sources")
def inventory_sources(id: str, request: Request, ctx: Context = Depends(context)):  # noqa: A002
    inv = readable_row(ctx, "inventory", id)
    return page(ctx, request, "inventory_source", lambda rows: child_rows(ctx, rows, serializers.inventory_source),
                parent=("inventory", inv["id"]))


@router.get("/api/v2/inventories/{id}/script/", summary="The inventory as AWX's inventory script (what awx.awx.controller reads)")
def inventory_script(id: str, request: Request, ctx: Context = Depends(context)):  # noqa: A002
    inv = readable_row(ctx, "inventory", id)
    try:
        data = script_data(ctx.store, inv, hostvars=_flag(request, "hostvars"), towervars=_flag(request, "towervars"),
                           show_all=_flag(request, "all"))
    except ValidationError as exc:
        raise ApiError(400, body={"error": "inventory '%s': %s" % (inv["name"], exc)}) from None
    # the whole inventory, hostvars of every host: FastAPI's jsonable_encoder would walk every value in Python
    return serializers.json_response(data)
