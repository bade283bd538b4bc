# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``DELETE /api/v2/inventories/{id}/``: AWX's background deletion of an inventory.

A thin adapter over ``rules.deletion``: the request marks the inventory
``pending_delete`` (one statement; its hosts leave every search at once) and
answers ``202`` with no body; the service's deletion worker
(service/deletion_worker.py, woken here) removes the rows in batches.  AWX's
answers, in AWX's order (``InventoryDetail.destroy``):

- ``404 {"detail": "Not found."}``: no inventory with that id;
- ``403 {"detail": ...}``: a ``read`` token, or a user without ``admin`` on the inventory;
- ``409 {"error": "Resource is being used by running jobs.", "active_jobs": [...]}``: an update of it is
  pending or running;
- ``400 {"error": "Inventory is already pending deletion."}``: a second DELETE.

:func:`delete_inventory` holds the decisions (plain values in, ``(status, body)`` out);
the route only turns them into a response.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from ansible_collections.fleet.inventory.plugins.module_utils.errors import DeletionConflict, NotFound, PendingDeletion
from ansible_collections.fleet.inventory.plugins.module_utils.rules import access, deletion
from ansible_collections.fleet.inventory.service import deletion_worker
from ansible_collections.fleet.inventory.service.auth import Context, context, object_id

router = APIRouter()
NOT_FOUND = {"detail": "Not found."}
CONFLICT = "Resource is being used by running jobs."


def delete_inventory(store, principal, inventory_id) -> tuple:
    """``(status, body)`` of ``DELETE /api/v2/inventories/{inventory_id}/`` for ``principal`` (body None for 202)."""
    inv = store.get_inventory(int(inventory_id))
    if inv is None:
        return 404, dict(NOT_FOUND)
    if principal is None or not principal.can_write:
        return 403, {"detail": "a read token cannot delete: use a token with write scope"}
    if not access.has_role(store, principal, "admin", "inventory", inv["id"]):
        return 403, {"detail": "You do not have permission to perform this action: user '%s' does not have the admin role"
                               " on inventory '%s'" % (principal.username, inv["name"])}
    try:
        deletion.request_delete(store, inv["id"])
    except NotFound:
        return 404, dict(NOT_FOUND)  # deleted meanwhile
    except DeletionConflict as exc:
        return 409, {"error": CONFLICT, "active_jobs": exc.active, "detail": str(exc)}
    except PendingDeletion as exc:
        return 400, {"error": str(exc)}
    deletion_worker.wake()
    return 202, None


@router.delete("/api/v2/inventories/{id}/", status_code=202, summary="Delete an inventory in the background (AWX)",
               response_class=Response)  # AWX's 202 has an empty body (no JSON in the description)
def delete_inventory_route(id: str, ctx: Context = Depends(context)):  # pylint: disable=redefined-builtin
    """Mark the inventory for deletion (202); its rows go in the background (see the module docstring)."""
    status, body = delete_inventory(ctx.store, ctx.principal, object_id(id))
    if body is None:
        return Response(status_code=status)
    return JSONResponse(body, status_code=status)


def setup(app):
    """Start the deletion worker with the service and stop it at shutdown (service/app.py calls it)."""
    if not app.state.background:
        return  # a web process of several: the main process runs the deletion worker (service/supervisor.py)
    interval = float(app.state.config.get("deletion_interval", deletion_worker.DEFAULT_INTERVAL))
    app.state.startup.append(lambda started: deletion_worker.start(started.state.stores.target, interval=interval))
    app.state.shutdown.append(lambda stopping: deletion_worker.stop())
