# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stored rows as AWX's API objects: ``id``, ``type``, ``url``, ``related``, ``summary_fields``, then the fields.

AWX's field names and value shapes: ``variables`` and ``source_vars`` are
text (JSON here; ``""`` when empty), ids of related objects are plain
integers (``inventory``, ``source_project``), ``summary_fields`` carries the
names of the related objects a client shows next to them (light: no extra
query per row; routes pass the names they read in one go).  A project's
credential is never shown.
"""

from __future__ import annotations

import json

API = "/api/v2/"


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
    rel = {"inventory": url("inventories", row["inventory_id"]), "ansible_facts": None, "smart_inventories": None}
    out = _base("host", "hosts", row, rel)
    inv = (inventories or {}).get(row["inventory_id"]) if inventories is not None else None
    name = row.get("inventory_name") or (inv or {}).get("name")
    out["summary_fields"]["inventory"] = {"id": row["inventory_id"], "name": name,
                                          "kind": (inv or {}).get("kind", row.get("inventory_kind", "")) or ""}
    out.update({
        "inventory": row["inventory_id"],
        "enabled": _flag(row.get("enabled")),
        "instance_id": row.get("instance_id") or "",
        "variables": _text(row.get("variables")),
        "ansible_facts_modified": row.get("ansible_facts_modified"),
    })
    return out


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
