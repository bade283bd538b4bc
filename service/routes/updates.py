# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Updates through the service: start (queued for the workers), follow, read the log, cancel.

AWX's endpoints and shapes:

- ``GET|POST /api/v2/inventory_sources/{id}/update/``: GET ``{"can_update"}``;
  POST queues an update and answers 202 with ``Location`` and the update
  (``inventory_update`` + the detail fields); 405 when the source cannot
  update (manual, file, an scm source without project); 400 when its
  inventory is being deleted (``pending_delete``).
- ``GET|POST /api/v2/inventories/{id}/update_inventory_sources/``: GET the
  sources and ``can_update``; POST queues every source that can update:
  200 all started, 202 some, 400 none or no sources.
- ``GET /api/v2/inventory_updates/`` and ``/{id}/``; ``/{id}/stdout/``
  (``format=txt|ansi|json|txt_download|ansi_download``); ``GET|POST /{id}/cancel/``
  (GET ``{"can_cancel"}``; POST 202, or 405 when it cannot be canceled).
- ``GET|POST /api/v2/projects/{id}/update/``, ``GET /api/v2/project_updates/``,
  ``/{id}/``, ``/{id}/stdout/``, ``/{id}/cancel/``, the same way.

RBAC (rules/access.py): reading an update needs ``read`` on its inventory or
project (else 403, as AWX answers for an object that exists; 404 when it does not); starting one needs
``update`` on the inventory (an scm source also ``update`` on its project:
``can_update_source``) or the project; canceling needs ``update`` too (403).
A ``read`` token cannot POST (403).  Nothing here writes SQL or decides a
rule: the engine's queue (rules/update_queue.py) and its records do.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.rules import project_updates, projects, updates
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_sources as source_repo
from ansible_collections.fleet.inventory.service import workers
from ansible_collections.fleet.inventory.service.auth import Context, context, object_id
from ansible_collections.fleet.inventory.service.errors import NO_PERMISSION, ApiError
from ansible_collections.fleet.inventory.service.paging import Page, envelope, page_of
from ansible_collections.fleet.inventory.service.serializers import json_response

router = APIRouter(tags=["updates"])
API = "/api/v2"
DELETING = "The inventory of this source is being deleted (pending_delete): it cannot be updated."


def _ts(value):
    """A store time stamp as AWX writes it (``...Z``)."""
    if not value:
        return None
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def _not_allowed(method="POST"):
    return ApiError(405, 'Method "%s" not allowed.' % method)


# -- bodies ------------------------------------------------------------------------------------------


def inventory_update_body(rec) -> dict:
    url = "%s/inventory_updates/%d/" % (API, rec["id"])
    related = {
        "inventory_source": "%s/inventory_sources/%d/" % (API, rec["inventory_source"]),
        "inventory": "%s/inventories/%d/" % (API, rec["inventory"]),
        "stdout": url + "stdout/",
        "cancel": url + "cancel/",
        "unified_job_template": "%s/inventory_sources/%d/" % (API, rec["inventory_source"]),
    }
    if rec.get("source_project_update"):
        related["source_project_update"] = "%s/project_updates/%d/" % (API, rec["source_project_update"])
    active = rec["status"] in updates.ACTIVE
    return {
        "id": rec["id"], "type": "inventory_update", "url": url, "related": related,
        "summary_fields": {"inventory_source": {"id": rec["inventory_source"], "name": (rec.get("name") or "").split(" - ", 1)[-1],
                                                "source": rec.get("source", "")},
                           "inventory": {"id": rec["inventory"], "name": (rec.get("name") or "").split(" - ", 1)[0]}},
        "created": _ts(rec["created"]), "modified": _ts(rec["finished"] or rec["started"] or rec["created"]),
        "name": rec.get("name", ""), "description": "", "unified_job_template": rec["inventory_source"],
        "launch_type": rec["launch_type"], "status": rec["status"], "failed": rec["failed"],
        "started": _ts(rec["started"]), "finished": _ts(rec["finished"]), "canceled_on": None,
        "elapsed": rec["elapsed"], "job_explanation": rec["job_explanation"] or "",
        "execution_node": rec.get("hostname") or "", "controller_node": rec.get("hostname") or "",
        "result_traceback": "", "event_processing_finished": not active,
        "inventory": rec["inventory"], "inventory_source": rec["inventory_source"], "source": rec.get("source", ""),
        "scm_revision": rec.get("scm_revision") or "", "source_project_update": rec.get("source_project_update"),
        "counts": rec.get("counts") or {}, "license_error": False, "org_host_limit_error": False,
    }


def project_update_body(rec) -> dict:
    url = "%s/project_updates/%d/" % (API, rec["id"])
    active = rec["status"] in updates.ACTIVE
    return {
        "id": rec["id"], "type": "project_update", "url": url,
        "related": {"project": "%s/projects/%d/" % (API, rec["project"]), "stdout": url + "stdout/", "cancel": url + "cancel/",
                    "unified_job_template": "%s/projects/%d/" % (API, rec["project"])},
        "summary_fields": {"project": {"id": rec["project"]}},
        "created": _ts(rec["created"]), "modified": _ts(rec["finished"] or rec["started"] or rec["created"]),
        "name": "", "description": "", "unified_job_template": rec["project"], "project": rec["project"],
        "launch_type": rec["launch_type"], "status": rec["status"], "failed": rec["failed"],
        "started": _ts(rec["started"]), "finished": _ts(rec["finished"]), "canceled_on": None,
        "elapsed": updates._elapsed(rec["started"], rec["finished"]),  # pylint: disable=protected-access
        "job_explanation": rec["job_explanation"] or "", "execution_node": rec.get("hostname") or "",
        "result_traceback": "", "event_processing_finished": not active, "scm_revision": rec.get("scm_revision") or "",
        "job_type": "check",
    }


def _stdout(request, text, rid, kind):
    fmt = request.query_params.get("format", "json")
    if fmt in ("txt", "ansi"):
        return PlainTextResponse(text)
    if fmt in ("txt_download", "ansi_download"):
        return PlainTextResponse(text, headers={"Content-Disposition": 'attachment; filename="%s_%d.txt"' % (kind, rid)})
    if fmt != "json":
        raise ApiError(400, body={"format": ["Select a valid choice: json, txt, ansi, txt_download, ansi_download (not %r)." % fmt]})
    return JSONResponse({"range": {"start": 0, "end": len(text.splitlines()), "absolute_end": len(text.splitlines())},
                         "content": text})


# -- access ------------------------------------------------------------------------------------------


def _readable(ctx, row, what, raw_id, kind, owner_key):
    """``row`` when it exists (else 404) and the principal may read its inventory or project (else 403, as AWX)."""
    if row is None:
        raise NotFound("%s %s does not exist" % (what, raw_id))
    if not ctx.can("read", kind, row[owner_key]):
        raise _forbidden("read on %s %s" % (kind, row[owner_key]))
    return row


def _source(ctx, raw_id):
    return _readable(ctx, source_repo.get_by_id(ctx.store, object_id(raw_id)), "inventory source", raw_id,
                     "inventory", "inventory_id")


def _inventory_update(ctx, raw_id):
    return _readable(ctx, updates.get_update(ctx.store, object_id(raw_id)), "inventory update", raw_id,
                     "inventory", "inventory")


def _project(ctx, raw_id):
    return _readable(ctx, projects.get_project(ctx.store, object_id(raw_id)), "project", raw_id, "project", "id")


def _project_update(ctx, raw_id):
    return _readable(ctx, project_updates.get_project_update(ctx.store, object_id(raw_id)), "project update", raw_id,
                     "project", "project")


def _may_update_source(ctx, src) -> bool:
    return access.can_update_source(ctx.store, ctx.principal, src)


def _forbidden(what):
    return ApiError(403, "%s (%s)" % (NO_PERMISSION, what))


def _id_filter(request, key):
    raw = request.query_params.get(key)
    if raw is None:
        return None
    if not raw.isdigit():
        raise ApiError(400, body={"error": "%s: an id (a number) is required, not %r" % (key, raw)})
    return int(raw)


def _accepted(body):
    return JSONResponse(body, status_code=202, headers={"Location": body["url"]})


# -- inventory sources -------------------------------------------------------------------------------


@router.get(API + "/inventory_sources/{id}/update/", summary="Whether the source can be updated (AWX's can_update)")
def source_can_update(id: str, ctx: Context = Depends(context)):  # noqa: A002 - AWX's path parameter name
    src = _source(ctx, id)
    return {"can_update": updates.can_update(ctx.store, src)[0] and _may_update_source(ctx, src)}


@router.post(API + "/inventory_sources/{id}/update/", status_code=202,
             summary="Queue an update of the source: 202 + Location; 405 when it cannot update")
def source_update(id: str, ctx: Context = Depends(context)):  # noqa: A002
    src = _source(ctx, id)
    if not _may_update_source(ctx, src):
        raise _forbidden("updating this source needs update on its inventory" + (" and on its source project"
                                                                                 if src["source"] == "scm" else ""))
    inv = ctx.store.get_inventory(int(src["inventory_id"]))
    if inv is not None and inv.get("pending_delete"):
        raise ApiError(400, DELETING)
    if not updates.can_update(ctx.store, src)[0]:
        raise _not_allowed()
    rec = updates.queue_source_update(ctx.store, src)
    workers.wake()
    return _accepted(dict(inventory_update_body(rec), inventory_update=rec["id"]))


@router.get(API + "/inventory_sources/{id}/inventory_updates/", summary="The updates of one source")
def source_updates(request: Request, id: str, ctx: Context = Depends(context), page: Page = Depends(page_of)):  # noqa: A002
    src = _source(ctx, id)
    count, recs = updates.list_page(ctx.store, None, {"inventory_source": src["id"]}, page.offset, page.size,
                                    request.query_params.get("order_by") == "-id")
    return json_response(envelope(request, page, count, [inventory_update_body(r) for r in recs]))


@router.get(API + "/inventories/{id}/update_inventory_sources/", summary="The sources update_inventory_sources would update")
def inventory_sources_can_update(id: str, ctx: Context = Depends(context)):  # noqa: A002
    inventory_id = object_id(id)
    if ctx.store.get_inventory(inventory_id) is None:
        raise NotFound("inventory %s does not exist" % id)
    if not ctx.can("read", "inventory", inventory_id):
        raise _forbidden("read on inventory %s" % inventory_id)
    out = updates.update_inventory_sources(ctx.store, inventory_id, list_only=True, may_update=lambda src: _may_update_source(ctx, src))
    return {"results": [{"inventory_source": e["inventory_source"], "can_update": e["can_update"]} for e in out["inventory_updates"]]}


@router.post(API + "/inventories/{id}/update_inventory_sources/",
             summary="Queue an update of every source that can update: 200 all, 202 some, 400 none")
def inventory_sources_update(id: str, ctx: Context = Depends(context)):  # noqa: A002
    inventory_id = object_id(id)
    inv = ctx.store.get_inventory(inventory_id)
    if inv is None:
        raise NotFound("inventory %s does not exist" % id)
    if not ctx.can("read", "inventory", inventory_id):
        raise _forbidden("read on inventory %s" % inventory_id)
    ctx.require("update", "inventory", inventory_id)
    if inv.get("pending_delete"):
        raise ApiError(400, "The inventory is being deleted (pending_delete): its sources cannot be updated.")
    out = updates.update_inventory_sources(ctx.store, inventory_id, queue=True, may_update=lambda src: _may_update_source(ctx, src))
    if out.get("detail"):
        raise ApiError(out["status_code"], out["detail"])
    results = []
    for entry in out["inventory_updates"]:
        item = {"inventory_source": entry["inventory_source"], "status": entry["status"]}
        if entry.get("inventory_update"):
            item.update(inventory_update_body(updates.require_update(ctx.store, entry["inventory_update"])))
            item["inventory_update"] = entry["inventory_update"]
            item["status"] = "started"
        results.append(item)
    if any(r.get("inventory_update") for r in results):
        workers.wake()
    return JSONResponse({"results": results}, status_code=out["status_code"])


# -- inventory updates -------------------------------------------------------------------------------


@router.get(API + "/inventory_updates/", summary="Inventory updates (filters: status, inventory_source, inventory, launch_type)")
def inventory_update_list(request: Request, ctx: Context = Depends(context), page: Page = Depends(page_of)):
    filters = {"status": request.query_params.get("status"), "launch_type": request.query_params.get("launch_type"),
               "inventory_source": _id_filter(request, "inventory_source"), "inventory": _id_filter(request, "inventory")}
    count, recs = updates.list_page(ctx.store, ctx.readable("inventory"), filters, page.offset, page.size,
                                    request.query_params.get("order_by") == "-id")
    return json_response(envelope(request, page, count, [inventory_update_body(r) for r in recs]))


@router.get(API + "/inventory_updates/{id}/", summary="One inventory update")
def inventory_update_detail(id: str, ctx: Context = Depends(context)):  # noqa: A002
    return inventory_update_body(_inventory_update(ctx, id))


@router.get(API + "/inventory_updates/{id}/stdout/", summary="The update's log so far (format=txt|ansi|json|txt_download)")
def inventory_update_stdout(request: Request, id: str, ctx: Context = Depends(context)):  # noqa: A002
    rec = _inventory_update(ctx, id)
    return _stdout(request, rec["result_stdout"] or "", rec["id"], "inventory_update")


@router.get(API + "/inventory_updates/{id}/cancel/", summary="Whether the update can be canceled")
def inventory_update_can_cancel(id: str, ctx: Context = Depends(context)):  # noqa: A002
    return {"can_cancel": updates.can_cancel(_inventory_update(ctx, id))}


@router.post(API + "/inventory_updates/{id}/cancel/", status_code=202, summary="Cancel the update: 202, or 405 when it ended",
             response_class=Response)  # AWX's 202 has an empty body (no JSON in the description)
def inventory_update_cancel(id: str, ctx: Context = Depends(context)):  # noqa: A002
    rec = _inventory_update(ctx, id)
    ctx.require("update", "inventory", rec["inventory"])
    try:
        updates.cancel_update(ctx.store, rec["id"])
    except ValidationError:
        raise _not_allowed() from None
    return Response(status_code=202)


# -- projects ----------------------------------------------------------------------------------------


@router.get(API + "/projects/{id}/update/", summary="Whether the project can be updated")
def project_can_update(id: str, ctx: Context = Depends(context)):  # noqa: A002
    project = _project(ctx, id)
    return {"can_update": bool(project.get("scm_url")) and ctx.can("update", "project", project["id"])}


@router.post(API + "/projects/{id}/update/", status_code=202, summary="Queue an update of the project: 202 + Location")
def project_update(id: str, ctx: Context = Depends(context)):  # noqa: A002
    project = _project(ctx, id)
    ctx.require("update", "project", project["id"])
    if not project.get("scm_url"):
        raise _not_allowed()
    rec = project_updates.queue_project_update(ctx.store, project)
    workers.wake()
    return _accepted(dict(project_update_body(rec), project_update=rec["id"]))


@router.get(API + "/projects/{id}/project_updates/", summary="The updates of one project")
def project_update_sublist(request: Request, id: str, ctx: Context = Depends(context), page: Page = Depends(page_of)):  # noqa: A002
    project = _project(ctx, id)
    count, recs = project_updates.list_page(ctx.store, None, {"project": project["id"]}, page.offset, page.size,
                                            request.query_params.get("order_by") == "-id")
    return json_response(envelope(request, page, count, [project_update_body(r) for r in recs]))


@router.get(API + "/project_updates/", summary="Project updates (filters: status, project, launch_type)")
def project_update_list(request: Request, ctx: Context = Depends(context), page: Page = Depends(page_of)):
    filters = {"status": request.query_params.get("status"), "launch_type": request.query_params.get("launch_type"),
               "project": _id_filter(request, "project")}
    count, recs = project_updates.list_page(ctx.store, ctx.readable("project"), filters, page.offset, page.size,
                                            request.query_params.get("order_by") == "-id")
    return json_response(envelope(request, page, count, [project_update_body(r) for r in recs]))


@router.get(API + "/project_updates/{id}/", summary="One project update")
def project_update_detail(id: str, ctx: Context = Depends(context)):  # noqa: A002
    return project_update_body(_project_update(ctx, id))


@router.get(API + "/project_updates/{id}/stdout/", summary="The project update's log so far")
def project_update_stdout(request: Request, id: str, ctx: Context = Depends(context)):  # noqa: A002
    rec = _project_update(ctx, id)
    return _stdout(request, rec["result_stdout"] or "", rec["id"], "project_update")


@router.get(API + "/project_updates/{id}/cancel/", summary="Whether the project update can be canceled")
def project_update_can_cancel(id: str, ctx: Context = Depends(context)):  # noqa: A002
    return {"can_cancel": project_updates.can_cancel(_project_update(ctx, id))}


@router.post(API + "/project_updates/{id}/cancel/", status_code=202, summary="Cancel the project update: 202, or 405",
             response_class=Response)  # AWX's empty 202
def project_update_cancel(id: str, ctx: Context = Depends(context)):  # noqa: A002
    rec = _project_update(ctx, id)
    ctx.require("update", "project", rec["project"])
    try:
        project_updates.cancel_project_update(ctx.store, rec["id"])
    except ValidationError:
        raise _not_allowed() from None
    return Response(status_code=202)


# -- the workers -------------------------------------------------------------------------------------


def setup(app):
    """Start ``app.state.workers`` worker processes with the app and stop them in its shutdown (service/workers.py);
    the grace is the configuration's ``stop_grace`` (seconds, default :data:`workers.DEFAULT_GRACE`)."""
    def start(app):
        grace = float(app.state.config.get("stop_grace", workers.DEFAULT_GRACE))
        app.state.worker_pool = workers.start_workers(app.state.stores.target, app.state.workers, grace)

    def stop(app):
        pool = getattr(app.state, "worker_pool", None)
        if pool is not None:
            pool.stop()
    if not app.state.background:
        return  # a web process of several: the main process runs the workers (service/supervisor.py)
    app.state.startup.append(start)
    app.state.shutdown.append(stop)
