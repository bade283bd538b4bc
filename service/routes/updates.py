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
project (else 404, as an object the user cannot see); starting one needs
``update`` on the inventory (an scm source also ``update`` on its project:
``can_update_source``) or the project; canceling needs ``update`` too (403).
A ``read`` token cannot POST (403).  Nothing here writes SQL or decides a
rule: the engine's queue (rules/update_queue.py) and its records do.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ansible_collections.fleet.inventory.plugins.module_utils.errors import FleetInventoryError, NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.rules import project_updates, projects, updates
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_sources as source_repo
from ansible_collections.fleet.inventory.service import workers
from ansible_collections.fleet.inventory.service.glue import MAX_PAGE_SIZE, error, paged, principal_of, store_of

router = APIRouter()
API = "/api/v2"
DELETING = "The inventory of this source is being deleted (pending_delete): it cannot be updated."


def _ts(value):
    """A store time stamp as AWX writes it (``...Z``)."""
    if not value:
        return None
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def _not_allowed(method="POST"):
    return error(405, 'Method "%s" not allowed.' % method)


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
        return error(400, "format must be one of json, txt, ansi, txt_download, ansi_download")
    return JSONResponse({"range": {"start": 0, "end": len(text.splitlines()), "absolute_end": len(text.splitlines())},
                         "content": text})


# -- access ------------------------------------------------------------------------------------------


def _readable(store, principal, kind, object_id) -> bool:
    return access.has_role(store, principal, "read", kind, object_id)


def _may_write(principal):
    return principal.can_write


def _source(store, principal, source_id):
    src = source_repo.get_by_id(store, source_id)
    if src is None or not _readable(store, principal, "inventory", src["inventory_id"]):
        raise NotFound("inventory source %s does not exist" % source_id)
    return src


def _inventory_update(store, principal, update_id):
    rec = updates.get_update(store, update_id)
    if rec is None or not _readable(store, principal, "inventory", rec["inventory"]):
        raise NotFound("inventory update %s does not exist" % update_id)
    return rec


def _project(store, principal, project_id):
    project = projects.get_project(store, int(project_id))
    if project is None or not _readable(store, principal, "project", project["id"]):
        raise NotFound("project %s does not exist" % project_id)
    return project


def _project_update(store, principal, update_id):
    rec = project_updates.get_project_update(store, update_id)
    if rec is None or not _readable(store, principal, "project", rec["project"]):
        raise NotFound("project update %s does not exist" % update_id)
    return rec


def _guard(call):
    try:
        return call()
    except NotFound as exc:
        return error(404, str(exc))
    except FleetInventoryError as exc:
        return error(400, str(exc))


# -- inventory sources -------------------------------------------------------------------------------


@router.get(API + "/inventory_sources/{source_id}/update/")
def source_can_update(source_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        src = _source(store, principal, source_id)
        ok = updates.can_update(store, src)[0] and access.can_update_source(store, principal, src)
        return {"can_update": ok}
    return _guard(run)


@router.post(API + "/inventory_sources/{source_id}/update/", status_code=202)
def source_update(source_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        src = _source(store, principal, source_id)
        if not _may_write(principal) or not access.can_update_source(store, principal, src):
            return error(403, "You do not have permission to perform this action.")
        inv = store.get_inventory(int(src["inventory_id"]))
        if inv is not None and inv.get("pending_delete"):
            return error(400, DELETING)
        if not updates.can_update(store, src)[0]:
            return _not_allowed()
        try:
            rec = updates.queue_source_update(store, src)
        except ValidationError as exc:
            return error(400, str(exc))
        workers.wake()
        body = dict(inventory_update_body(rec), inventory_update=rec["id"])
        return JSONResponse(body, status_code=202, headers={"Location": body["url"]})
    return _guard(run)


@router.get(API + "/inventories/{inventory_id}/update_inventory_sources/")
def inventory_sources_can_update(inventory_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        if store.get_inventory(inventory_id) is None or not _readable(store, principal, "inventory", inventory_id):
            raise NotFound("inventory %s does not exist" % inventory_id)
        out = updates.update_inventory_sources(store, inventory_id, list_only=True,
                                               may_update=lambda src: access.can_update_source(store, principal, src))
        return {"results": [{"inventory_source": e["inventory_source"], "can_update": e["can_update"]}
                            for e in out["inventory_updates"]]}
    return _guard(run)


@router.post(API + "/inventories/{inventory_id}/update_inventory_sources/")
def inventory_sources_update(inventory_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        inv = store.get_inventory(inventory_id)
        if inv is None or not _readable(store, principal, "inventory", inventory_id):
            raise NotFound("inventory %s does not exist" % inventory_id)
        if not _may_write(principal) or not access.has_role(store, principal, "update", "inventory", inventory_id):
            return error(403, "You do not have permission to perform this action.")
        if inv.get("pending_delete"):
            return error(400, "The inventory is being deleted (pending_delete): its sources cannot be updated.")
        out = updates.update_inventory_sources(store, inventory_id, queue=True,
                                               may_update=lambda src: access.can_update_source(store, principal, src))
        if out.get("detail"):
            return error(out["status_code"], out["detail"])
        results = []
        for entry in out["inventory_updates"]:
            item = {"inventory_source": entry["inventory_source"], "status": entry["status"]}
            if entry.get("inventory_update"):
                item.update(inventory_update_body(updates.require_update(store, entry["inventory_update"])))
                item["inventory_update"] = entry["inventory_update"]
                item["status"] = "started"
            results.append(item)
        if any(r.get("inventory_update") for r in results):
            workers.wake()
        return JSONResponse({"results": results}, status_code=out["status_code"])
    return _guard(run)


# -- inventory updates -------------------------------------------------------------------------------


@router.get(API + "/inventory_updates/")
def inventory_update_list(request: Request, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        filters = {k: request.query_params.get(k) for k in ("status", "inventory_source", "inventory", "launch_type")}
        for key in ("inventory_source", "inventory"):
            if filters[key] is not None:
                if not filters[key].isdigit():
                    return error(400, "%s must be an id (a number), not %r" % (key, filters[key]), key="error")
                filters[key] = int(filters[key])
        readable = access.readable_ids(store, principal, "inventory")
        return paged(request, lambda offset, limit, desc: updates.list_page(store, readable, filters, offset, limit, desc),
                     inventory_update_body)
    return _guard(run)


@router.get(API + "/inventory_updates/{update_id}/")
def inventory_update_detail(update_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    return _guard(lambda: inventory_update_body(_inventory_update(store, principal, update_id)))


@router.get(API + "/inventory_updates/{update_id}/stdout/")
def inventory_update_stdout(request: Request, update_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        rec = _inventory_update(store, principal, update_id)
        return _stdout(request, rec["result_stdout"] or "", rec["id"], "inventory_update")
    return _guard(run)


@router.get(API + "/inventory_updates/{update_id}/cancel/")
def inventory_update_can_cancel(update_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    return _guard(lambda: {"can_cancel": updates.can_cancel(_inventory_update(store, principal, update_id))})


@router.post(API + "/inventory_updates/{update_id}/cancel/", status_code=202)
def inventory_update_cancel(update_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        rec = _inventory_update(store, principal, update_id)
        if not _may_write(principal) or not access.has_role(store, principal, "update", "inventory", rec["inventory"]):
            return error(403, "You do not have permission to perform this action.")
        try:
            updates.cancel_update(store, update_id)
        except ValidationError:
            return _not_allowed()
        return Response(status_code=202)
    return _guard(run)


# -- projects ----------------------------------------------------------------------------------------


@router.get(API + "/projects/{project_id}/update/")
def project_can_update(project_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        project = _project(store, principal, project_id)
        return {"can_update": bool(project.get("scm_url")) and access.has_role(store, principal, "update", "project", project["id"])}
    return _guard(run)


@router.post(API + "/projects/{project_id}/update/", status_code=202)
def project_update(project_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        project = _project(store, principal, project_id)
        if not _may_write(principal) or not access.has_role(store, principal, "update", "project", project["id"]):
            return error(403, "You do not have permission to perform this action.")
        if not project.get("scm_url"):
            return _not_allowed()
        rec = project_updates.queue_project_update(store, project)
        workers.wake()
        body = dict(project_update_body(rec), project_update=rec["id"])
        return JSONResponse(body, status_code=202, headers={"Location": body["url"]})
    return _guard(run)


@router.get(API + "/project_updates/")
def project_update_list(request: Request, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        filters = {k: request.query_params.get(k) for k in ("status", "project", "launch_type")}
        if filters["project"] is not None:
            if not filters["project"].isdigit():
                return error(400, "project must be an id (a number), not %r" % filters["project"], key="error")
            filters["project"] = int(filters["project"])
        readable = access.readable_ids(store, principal, "project")
        return paged(request, lambda offset, limit, desc: project_updates.list_page(store, readable, filters, offset, limit, desc),
                     project_update_body)
    return _guard(run)


@router.get(API + "/project_updates/{update_id}/")
def project_update_detail(update_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    return _guard(lambda: project_update_body(_project_update(store, principal, update_id)))


@router.get(API + "/project_updates/{update_id}/stdout/")
def project_update_stdout(request: Request, update_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        rec = _project_update(store, principal, update_id)
        return _stdout(request, rec["result_stdout"] or "", rec["id"], "project_update")
    return _guard(run)


@router.get(API + "/project_updates/{update_id}/cancel/")
def project_update_can_cancel(update_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    return _guard(lambda: {"can_cancel": project_updates.can_cancel(_project_update(store, principal, update_id))})


@router.post(API + "/project_updates/{update_id}/cancel/", status_code=202)
def project_update_cancel(update_id: int, store=Depends(store_of), principal=Depends(principal_of)):
    def run():
        rec = _project_update(store, principal, update_id)
        if not _may_write(principal) or not access.has_role(store, principal, "update", "project", rec["project"]):
            return error(403, "You do not have permission to perform this action.")
        try:
            project_updates.cancel_project_update(store, update_id)
        except ValidationError:
            return _not_allowed()
        return Response(status_code=202)
    return _guard(run)


__all__ = ["router", "inventory_update_body", "project_update_body", "MAX_PAGE_SIZE"]
