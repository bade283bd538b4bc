# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX's root documents (``/api/``, ``/api/v2/``), ``/api/v2/ping/`` (no authentication) and ``/api/v2/me/``."""

from __future__ import annotations

import socket
from datetime import datetime, timezone

from fastapi import APIRouter, Depends, Request

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.service import serializers
from ansible_collections.fleet.inventory.service.auth import Context, context
from ansible_collections.fleet.inventory.service.paging import whole
from ansible_collections.fleet.inventory.service.version import VERSION

router = APIRouter()
NODE = socket.gethostname()
STARTED = datetime.now(timezone.utc).isoformat(timespec="microseconds")
#: the resources of ``/api/v2/``, AWX's names, each served under /api/v2/<name>/
RESOURCES = ("ping", "me", "inventories", "hosts", "groups", "inventory_sources", "inventory_updates", "projects",
             "project_updates")


@router.get("/api/", tags=["root"], summary="The API versions (AWX's /api/)")
def api_root():
    return {
        "description": "fleet.inventory: AWX's inventory API",
        "current_version": "/api/v2/",
        "available_versions": {"v2": "/api/v2/"},
        "custom_logo": "",
        "custom_login_info": "",
        "login_redirect_override": "",
    }


@router.get("/api/v2/", tags=["root"], summary="The resources of version 2 and their URLs")
def api_v2_root():
    return {name: "/api/v2/%s/" % name for name in RESOURCES}


@router.get("/api/v2/ping/", tags=["root"], summary="Liveness and version (no authentication)")
def ping(request: Request):
    workers = request.app.state.workers
    return {
        "ha": False,
        "version": VERSION,
        "active_node": NODE,
        "install_uuid": "",
        "instances": [{"node": NODE, "node_type": "hybrid", "uuid": "", "heartbeat": STARTED, "capacity": workers,
                       "version": VERSION}],
        "instance_groups": [{"name": "default", "capacity": workers, "instances": [NODE]}],
    }


@router.get("/api/v2/me/", tags=["root"], summary="The token's user, in a list envelope")
def me(ctx: Context = Depends(context)):
    user = access.require_user(ctx.store, ctx.principal.user_id)
    return whole([serializers.user(user)])
