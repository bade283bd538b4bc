# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Authentication and permission checks: ``Authorization: Bearer <token>`` -> a Principal (rules/access.py).

- No ``Authorization`` header (or another scheme): 401 ``Authentication
  credentials were not provided.``; a token that does not authenticate
  (unknown, revoked, expired): 401 ``Invalid token.``; both with
  ``WWW-Authenticate: Bearer``.
- A ``read``-scope token on POST, PUT, PATCH or DELETE: 403.
- :func:`context` is the dependency every authenticated route takes; it gives
  a :class:`Context` (``.store``, ``.principal``, ``.require(...)``,
  ``.readable(kind)``).  :func:`require` makes a dependency that also checks a
  role on the object named by a path parameter.
"""

from __future__ import annotations

from fastapi import Depends, Request

from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, PermissionDenied
from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.service.errors import INVALID_TOKEN, NO_PERMISSION, NOT_AUTHENTICATED, ApiError, not_found

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="api"'}


class Context:
    """What a route works with: the store of its thread and the request's principal."""

    def __init__(self, provider, principal):
        self.provider = provider
        self.principal = principal

    @property
    def store(self):
        return self.provider.get()

    def readable(self, kind):
        """The inventory (project) ids the principal may read; None: every one."""
        return access.readable_ids(self.store, self.principal, kind)

    def can(self, role, kind, object_id) -> bool:
        return access.has_role(self.store, self.principal, role, kind, object_id)

    def require(self, role, kind, object_id):
        """Nothing when the principal holds ``role`` on the object; else ApiError 403 naming what is missing."""
        try:
            access.require(self.store, self.principal, role, kind, object_id)
        except PermissionDenied as exc:
            raise ApiError(403, "%s (%s)" % (NO_PERMISSION, exc)) from None


def provider_of(request: Request):
    return request.app.state.stores


def authenticate(request: Request):
    """The Principal of the request's bearer token; ApiError 401/403 as described above."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, NOT_AUTHENTICATED, headers=_CHALLENGE)
    principal = access.authenticate(provider_of(request).get(), value.strip())
    if principal is None:
        raise ApiError(401, INVALID_TOKEN, headers=_CHALLENGE)
    if request.method in WRITE_METHODS and not principal.can_write:
        raise ApiError(403, "This token has read scope: it cannot %s. Use a token with write scope." % request.method)
    return principal


def context(request: Request) -> Context:
    """Dependency: the :class:`Context` of an authenticated request."""
    return Context(provider_of(request), authenticate(request))


def object_id(raw) -> int:
    """A path id as AWX's URLs take it (digits only); anything else is 404, as a URL AWX does not route."""
    text = str(raw)
    if not text.isdigit() or not text.isascii():
        raise ApiError(404, "The requested resource could not be found.")
    return int(text)


def require(role, kind, param="id"):
    """A dependency: the :class:`Context`, after checking ``role`` on the ``kind`` object of path parameter ``param``.

    404 when the object does not exist, 403 when the principal lacks the role.
    """
    def dependency(request: Request, ctx: Context = Depends(context)) -> Context:
        oid = object_id(request.path_params.get(param))
        try:
            access.require_object(ctx.store, kind, oid)
        except NotFound:
            raise not_found() from None
        ctx.require(role, kind, oid)
        return ctx
    return dependency
