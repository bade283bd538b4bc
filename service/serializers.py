# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stored rows as AWX's API objects: ``id``, ``type``, ``url``, ``related``, ``summary_fields``, then the fields.

AWX's field names and value shapes: ``variables`` and ``source_vars`` are
text (JSON here; ``""`` when empty), ids of related objects are plain
integers (``inventory``, ``source_project``), ``summary_fields`` carries the
names of the related objects a client shows next to them (light: no extra
query per row; routes pass the names they read in one go, one statement per
page).  A project's credential is never shown.

:func:`json_response` is how routes answer with a body: the C JSON encoder
straight to bytes (``dumps``), bypassing FastAPI's ``jsonable_encoder`` (a
Python walk over every value: 15 ms of a 200-host page) and its response
validation.  The bodies here are plain JSON values already (text, numbers,
booleans, None, lists, dicts); :func:`_default` turns what a PostgreSQL row
may carry besides (a datetime, a Decimal) into JSON as FastAPI would.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json

from fastapi.responses import Response

API = "/api/v2/"
MEDIA_TYPE = "application/json"


def _default(value):
    """What the C encoder cannot write itself: as FastAPI's ``jsonable_encoder`` writes it."""
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError("%s is not JSON serializable" % type(value).__name__)


#: Starlette's JSONResponse settings (UTF-8, no NaN, compact), with :func:`_default`
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default)


def dumps(body) -> bytes:
    """``body`` as compact UTF-8 JSON bytes (the C encoder)."""
    return _ENCODER.encode(body).encode("utf-8")


def json_response(body, status_code=200, headers=None) -> Response:
    """A response whose content is ``body`` encoded by :func:`dumps` (FastAPI's encoder and validation are skipped)."""
    return Response(content=dumps(body), status_code=status_code, headers=headers, media_type=MEDIA_TYPE)


def url(resource, object_id=None, sub=None) -> str:
    """``/api/v2/<resource>/[<id>/][<sub>/]``."""
    out = "%s%s/" % (API, resource)
    if object_id is not None:
        out += "%d/" % int(object_id)
    if sub:
        out += "%s/" % sub
    return out


def _text(value) -> str:
    """A stored JSON column as AWX's text field: ``""`` when empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True)
    return "" if value.strip() in ("", "{}") else value


def parse_json(value) -> dict:
    """A stored JSON column as a mapping."""
    if isinstance(value, dict):
        return value
    if not value:
        return {}
    return json.loads(value)


def _flag(value) -> bool:
    return bool(value)


def _base(kind, resource, row, related):
    return {
        "id": row["id"],
        "type": kind,
        "url": url(resource, row["id"]),
        "related": {name: url(resource, row["id"], name) if sub is None else sub for name, sub in related.items()},
        "summary_fields": {},
        "created": row.get("created"),
        "modified": row.get("modified"),
        "name": row["name"],
        "description": row.get("description") or "",
    }


def inventory(row, summary=None) -> dict:
    rel = {"hosts": None, "groups": None, "inventory_sources": None, "script": None, "update_inventory_sources": None}
    out = _base("inventory", "inventories", row, rel)
    out.update({
        "organization": None,
        "kind": row.get("kind") or "",
        "host_filter": row.get("host_filter") or None if (row.get("kind") == "smart") else None,
        "variables": _text(row.get("variables")),
        "pending_delete": _flag(row.get("pending_delete")),
    })
    if summary:
        out["summary_fields"].update(summary)
    return out


def host(row, inventories=None) -> dict:
    """A host as AWX's object (the hottest serializer: a page of 200 of them per list request, so no helper calls)."""
    host_id = row["id"]
    inventory_id = row["inventory_id"]
    own = "/api/v2/hosts/%d/" % host_id
    inv = inventories.get(inventory_id) if inventories else None
    if inv is not None:
        summary = {"id": inventory_id, "name": row.get("inventory_name") or inv.get("name"), "kind": inv.get("kind", row.get("inventory_kind", "")) or ""}
    else:
        summary = {"id": inventory_id, "name": row.get("inventory_name") or None, "kind": row.get("inventory_kind", "") or ""}
    variables = row.get("variables")
    return {
        "id": host_id,
        "type": "host",
        "url": own,
        "related": {"inventory": "/api/v2/inventories/%d/" % inventory_id, "ansible_facts": own + "ansible_facts/",
                    "smart_inventories": own + "smart_inventories/"},
        "summary_fields": {"inventory": summary},
        "created": row.get("created"),
        "modified": row.get("modified"),
        "name": row["name"],
        "description": row.get("description") or "",
        "inventory": inventory_id,
        "enabled": bool(row.get("enabled")),
        "instance_id": row.get("instance_id") or "",
        "variables": variables if variables.__class__ is str and variables.strip() not in ("", "{}") else _text(variables),
        "ansible_facts_modified": row.get("ansible_facts_modified"),
    }


def group(row, inventories=None) -> dict:
    rel = {"inventory": url("inventories", row["inventory_id"])}
    out = _base("group", "groups", row, rel)
    inv = (inventories or {}).get(row["inventory_id"])
    if inv:
        out["summary_fields"]["inventory"] = {"id": inv["id"], "name": inv["name"], "kind": inv.get("kind") or ""}
    out.update({"inventory": row["inventory_id"], "variables": _text(row.get("variables"))})
    return out


def inventory_source(row, inventories=None, projects=None) -> dict:
    rel = {"inventory": url("inventories", row["inventory_id"]), "update": None, "inventory_updates": None}
    if row.get("source_project_id"):
        rel["source_project"] = url("projects", row["source_project_id"])
    out = _base("inventory_source", "inventory_sources", row, rel)
    inv = (inventories or {}).get(row["inventory_id"])
    if inv:
        out["summary_fields"]["inventory"] = {"id": inv["id"], "name": inv["name"], "kind": inv.get("kind") or ""}
    proj = (projects or {}).get(row.get("source_project_id"))
    if proj:
        out["summary_fields"]["source_project"] = {"id": proj["id"], "name": proj["name"], "status": proj.get("status")}
    out.update({
        "inventory": row["inventory_id"],
        "source": row.get("source") or "",
        "source_path": row.get("source_path") or "",
        "source_vars": _text(row.get("source_vars")),
        "source_project": row.get("source_project_id"),
        "overwrite": _flag(row.get("overwrite")),
        "overwrite_vars": _flag(row.get("overwrite_vars")),
        "update_on_launch": _flag(row.get("update_on_launch")),
        "update_on_project_update": _flag(row.get("update_on_project_update")),
        "update_cache_timeout": row.get("update_cache_timeout") or 0,
        "limit": row.get("limit") or "",
        "verbosity": row.get("verbosity") if row.get("verbosity") is not None else 1,
        "enabled_var": row.get("enabled_var") or "",
        "enabled_value": row.get("enabled_value") or "",
        "host_filter": "",
        "status": row.get("status") or "never updated",
        "last_updated": row.get("last_updated"),
        "last_update_failed": (row.get("status") in ("failed", "error")),
    })
    return out


def project(row) -> dict:
    rel = {"update": None, "project_updates": None, "inventories": None}
    out = _base("project", "projects", row, rel)
    out.update({
        "organization": None,
        "scm_type": row.get("scm_type") or "git",
        "scm_url": row.get("scm_url") or "",
        "scm_branch": row.get("scm_branch") or "",
        "scm_refspec": row.get("scm_refspec") or "",
        "scm_revision": row.get("scm_revision") or "",
        "credential": None,
        "local_path": row.get("local_path") or "",
        "status": row.get("status") or "never updated",
        "last_updated": row.get("last_updated"),
        "last_update_failed": (row.get("status") in ("failed", "error")),
    })
    return out


def user(row) -> dict:
    return {
        "id": row["id"],
        "type": "user",
        "url": url("users", row["id"]),
        "related": {},
        "summary_fields": {},
        "created": row.get("created"),
        "modified": row.get("modified"),
        "username": row["username"],
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_superuser": _flag(row.get("is_superuser")),
        "is_system_auditor": False,
    }
