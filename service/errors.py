# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors as AWX answers them: engine errors to status codes, ``{"detail": ...}`` / ``{"error": ...}`` bodies.

- :class:`ApiError` is what a route raises for an HTTP answer of its own
  (``raise ApiError(404)`` is AWX's ``{"detail": "Not found."}``).
- Engine errors (``errors.py``) map by class: NotFound 404, PermissionDenied
  403, ValidationError 400, UpdateBusy 409, LockTimeout and StoreError 503,
  any other engine error 400.
- FastAPI's request validation (a path or query parameter of the wrong type, a
  body that is not what the route takes) is AWX's 400 with a body naming the
  field, never FastAPI's 422.
- A route that does not exist (or an id that is not a number: AWX's URLs only
  match digits) is 404 ``{"detail": "The requested resource could not be found."}``,
  a method the route does not take 405 ``{"detail": "Method \\"POST\\" not allowed."}``.
- :class:`BodyLimit` (an ASGI middleware) refuses a body over
  :data:`MAX_BODY` bytes with 413 and a body that is not JSON with 400, before
  any route runs.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ansible_collections.fleet.inventory.plugins.module_utils.errors import (
    FleetInventoryError, HostFilterError, LockTimeout, NotFound, PermissionDenied, StoreError, UpdateBusy, ValidationError)

LOG = logging.getLogger("fleet.inventory.service")

NOT_FOUND = "Not found."
NO_RESOURCE = "The requested resource could not be found."
NO_PERMISSION = "You do not have permission to perform this action."
NOT_AUTHENTICATED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token."
#: the largest request body the service reads (bytes); the service's own bodies are small JSON documents
MAX_BODY = 1024 * 1024

#: engine error class -> HTTP status (the most specific class first)
STATUS = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (ValidationError, 400),
    (UpdateBusy, 409),
    (LockTimeout, 503),
    (StoreError, 503),
    # any other engine error describes what is wrong with the request's object (an inventory source that
    # cannot run, a constructed inventory that does not build): the client's problem, not a crash
    (FleetInventoryError, 400),
)


#: the error answers every route may give, for the OpenAPI description (app.py includes each router with them):
#: an AWX error body is an object, ``{"detail": ...}``, ``{"error": ...}`` or ``{<field>: [<message>, ...]}``
_ERROR_BODY = {"content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}}}
ERROR_RESPONSES = {
    400: dict(_ERROR_BODY, description="Bad request: a parameter, filter or body that is not valid (the body says which)"),
    401: dict(_ERROR_BODY, description="No token, or a token that is wrong, expired or revoked"),
    403: dict(_ERROR_BODY, description="The token's user lacks the role, or a read token on a write"),
    404: dict(_ERROR_BODY, description="Nothing has this id"),
    405: dict(_ERROR_BODY, description="The object cannot do this (e.g. a manual source cannot update)"),
    409: dict(_ERROR_BODY, description="Conflict with a running update"),
    413: dict(_ERROR_BODY, description="The request body is too large"),
}


class ApiError(Exception):
    """An HTTP answer: ``status`` and its JSON ``body`` (default ``{"detail": <AWX's text for the status>}``)."""

    DEFAULTS = {400: "Bad request.", 401: NOT_AUTHENTICATED, 403: NO_PERMISSION, 404: NOT_FOUND, 405: "Method not allowed.",
                409: "Conflict.", 413: "Request body is too large.", 503: "Service unavailable."}

    def __init__(self, status, detail=None, body=None, headers=None):
        super().__init__(detail or self.DEFAULTS.get(status, ""))
        self.status = status
        self.body = body if body is not None else {"detail": detail or self.DEFAULTS.get(status, "")}
        self.headers = headers or {}


def not_found():
    """AWX's 404 for an id that names nothing."""
    return ApiError(404, NOT_FOUND)


def error_response(status, body, headers=None):
    return JSONResponse(status_code=status, content=body, headers=headers)


def status_of(exc) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def _engine_error(request: Request, exc: FleetInventoryError):
    status = status_of(exc)
    if status >= 500:
        LOG.warning("%s %s: %s", request.method, request.url.path, exc)
    return error_response(status, {"detail": str(exc)})


def _api_error(_request: Request, exc: ApiError):
    return error_response(exc.status, exc.body, exc.headers)


def _field_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_error(_request: Request, exc: RequestValidationError):
    body: dict = {}
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return error_response(400, {"detail": "JSON parse error - %s" % err.get("msg", "not valid JSON")})
        body.setdefault(_field_name(err.get("loc", ())), []).append(err.get("msg", "invalid"))
    return error_response(400, body or {"detail": "Bad request."})


def _http_error(_request: Request, exc: StarletteHTTPException):
    if exc.status_code == 404:
        return error_response(404, {"detail": NO_RESOURCE})
    if exc.status_code == 405:
        return error_response(405, {"detail": "Method \"%s\" not allowed." % _request.method}, getattr(exc, "headers", None))
    return error_response(exc.status_code, {"detail": exc.detail}, getattr(exc, "headers", None))


def _host_filter_error(_request: Request, exc: HostFilterError):
    return error_response(400, {"error": str(exc)})


def _unexpected(request: Request, exc: Exception):
    LOG.exception("%s %s failed", request.method, request.url.path)
    return error_response(500, {"detail": "A server error occurred: %s" % type(exc).__name__})


def install(app: FastAPI):
    """Register the handlers above on ``app``."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(FleetInventoryError, _engine_error)
    app.add_exception_handler(HostFilterError, _host_filter_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes, 400 for a JSON request body that does not parse.

    The body is read (at most ``limit`` bytes, whatever Content-Length says)
    and handed on unchanged, so routes read it as usual.
    """

    def __init__(self, app, limit=MAX_BODY):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length")
        too_big = {"detail": "Request body is too large: at most %d bytes." % self.limit}
        if length is not None:
            try:
                if int(length) > self.limit:
                    return await JSONResponse(too_big, status_code=413)(scope, receive, send)
            except ValueError:
                return await JSONResponse({"detail": "Content-Length is not a number."}, status_code=400)(scope, receive, send)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await JSONResponse(too_big, status_code=413)(scope, receive, send)
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        ctype = headers.get(b"content-type", b"application/json").split(b";")[0].strip().lower()
        if body.strip() and (ctype == b"application/json" or ctype.endswith(b"+json")):
            try:
                json.loads(body)
            except ValueError as exc:
                return await JSONResponse({"detail": "JSON parse error - %s" % exc}, status_code=400)(scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()
        return await self.app(scope, replay, send)
