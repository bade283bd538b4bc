# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``POST /api/v2/inventories/``: create a regular or a smart inventory (AWX's create, in small).

AWX lets an organization's admins create inventories; the store has no
organizations, so creating one needs a superuser (403 for anyone else, and
for a ``read`` token as every write).  The body takes AWX's fields ``name``,
``description``, ``kind`` (``""`` or ``"smart"``), ``host_filter`` (a smart
inventory's, checked by the engine) and ``variables`` (JSON or YAML text);
the answer is ``201`` with the inventory and ``Location``.  A name already
taken is AWX's ``400 {"name": ["Inventory with this Name already exists."]}``;
a constructed inventory (it needs its inputs and options) is made with the
module ``fleet.inventory.inventory``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError
from ansible_collections.fleet.inventory.service import serializers
from ansible_collections.fleet.inventory.service.auth import Context, context
from ansible_collections.fleet.inventory.service.errors import NO_PERMISSION, ApiError

router = APIRouter(tags=["inventories"])
KINDS = ("", "smart")


class InventoryIn(BaseModel):
    """The body of a create (AWX's field names)."""

    name: str
    description: str = ""
    kind: str = ""
    host_filter: str | None = None
    variables: str = ""
    organization: int | None = None


@router.post("/api/v2/inventories/", status_code=201, summary="Create an inventory or a smart inventory (superusers)")
def create_inventory(body: InventoryIn, ctx: Context = Depends(context)):
    if not ctx.principal.is_superuser:
        raise ApiError(403, "%s (creating an inventory needs a superuser: the store has no organizations)" % NO_PERMISSION)
    name = body.name.strip()
    if not name:
        raise ApiError(400, body={"name": ["This field may not be blank."]})
    if body.kind not in KINDS:
        raise ApiError(400, body={"kind": ["\"%s\" is not a valid choice here (\"\" or \"smart\"; a constructed inventory is made with"
                                           " the module fleet.inventory.inventory)." % body.kind]})
    if ctx.store.get_inventory(name) is not None:
        raise ApiError(400, body={"name": ["Inventory with this Name already exists."]})
    host_filter = body.host_filter if body.kind == "smart" else (body.host_filter or None)
    try:
        _before, row = ctx.store.save_inventory(name, description=body.description, kind=body.kind, host_filter=host_filter,
                                                variables=body.variables or None)
    except ValidationError as exc:
        field = "host_filter" if "host_filter" in str(exc) else "detail"
        raise ApiError(400, body={field: [str(exc)]} if field != "detail" else {"detail": str(exc)}) from None
    out = serializers.inventory(row)
    return serializers.json_response(out, status_code=201, headers={"Location": out["url"]})
