# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The FastAPI application: :func:`create_app` over a store, with the routers of ``service/routes/``.

Each resource module under ``service/routes/`` has a ``router`` (a FastAPI
APIRouter); :data:`ROUTERS` is the include list (one line per module).  The
OpenAPI description is FastAPI's own, served at ``/api/v2/openapi.json``; the
interactive ``/docs`` pages are off (they load their JavaScript from a CDN,
and nothing here may come from the internet).
"""

from __future__ import annotations

import contextlib
import importlib
import logging

import anyio.to_thread
from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from ansible_collections.fleet.inventory.service import errors
from ansible_collections.fleet.inventory.service.auth import authenticate
from ansible_collections.fleet.inventory.service.context import StoreProvider
from ansible_collections.fleet.inventory.service.version import VERSION

LOG = logging.getLogger("fleet.inventory.service")

#: the route modules of service/routes/, in the order their routes are matched (one line each)
ROUTERS = [
    "root",
    "inventories",
    "hosts",
    "groups",
    "inventory_sources",
    "projects",
    "updates",
    "deletion",
    "inventory_create",
    "fact_paths",
    "web",
]
OPENAPI_URL = "/api/v2/openapi.json"
#: uvicorn's settings of every web process (service/__main__.py, service/web_process.py)
SERVER_OPTIONS = {"access_log": True, "lifespan": "on", "timeout_graceful_shutdown": 30, "server_header": False}


async def _method_not_allowed(request: Request, exc):
    """405 as AWX answers it: authentication and the token's scope are checked first (401, 403), as DRF does."""
    try:
        await run_in_threadpool(authenticate, request)
    except errors.ApiError as denied:
        return errors.error_response(denied.status, denied.body, denied.headers)
    return errors.error_response(405, {"detail": "Method \"%s\" not allowed." % request.method}, getattr(exc, "headers", None))


def create_app(store_target, workers=0, config=None, open_store=True, background=True, threads=None) -> FastAPI:
    """The service's application over the store ``store_target`` (a SQLite path or a PostgreSQL URL).

    ``workers`` (update worker processes) and ``config`` (the parsed
    configuration file, a dict) are kept on ``app.state`` for the parts that
    run updates.  With ``open_store`` the store is opened (created, migrated)
    at start-up, so that a store that cannot be opened stops the service at once.
    ``background`` false: the app starts neither the update workers nor the
    deletion worker (a web process of several, whose main process runs them
    once: service/supervisor.py).  ``threads``: the size of the thread pool
    that runs the (synchronous) routes, i.e. at most that many store
    connections (default anyio's 40).
    """
    stores = StoreProvider(store_target)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if threads:
            anyio.to_thread.current_default_thread_limiter().total_tokens = int(threads)
        if open_store:
            stores.open_first()
            LOG.info("store %s open", stores.label)
        for hook in list(app.state.startup):
            hook(app)
        try:
            yield
        finally:
            for hook in reversed(list(app.state.shutdown)):
                try:
                    hook(app)
                except Exception:  # noqa: BLE001 - every shutdown hook runs; each failure is logged
                    LOG.exception("shutdown hook %r failed", hook)
            stores.close_all()

    app = FastAPI(title="fleet.inventory", version=VERSION, openapi_url=OPENAPI_URL, docs_url=None, redoc_url=None,
                  swagger_ui_oauth2_redirect_url=None, lifespan=lifespan,
                  description="AWX's inventory API over a fleet.inventory store (see docs/service.md).")
    app.state.stores = stores
    app.state.workers = int(workers or 0)
    app.state.config = dict(config or {})
    #: whether this app runs the update workers and the deletion worker (routes' ``setup`` looks)
    app.state.background = bool(background)
    #: ``hook(app)`` run at start-up (after the store opened) and at shutdown (in reverse order)
    app.state.startup = []
    app.state.shutdown = []
    errors.install(app)
    app.add_exception_handler(405, _method_not_allowed)
    app.add_middleware(errors.BodyLimit, limit=int(app.state.config.get("max_body", errors.MAX_BODY)))
    for name in ROUTERS:
        module = importlib.import_module("ansible_collections.fleet.inventory.service.routes." + name)
        app.include_router(module.router, responses=errors.ERROR_RESPONSES)
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)
    return app
