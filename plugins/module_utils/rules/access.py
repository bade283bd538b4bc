# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may do what through the HTTP service: users, API tokens and AWX's roles on inventories and projects.

The store is the root of trust: whoever can open it (modules, plugins) needs
no login.  The service is the multi-user boundary; it asks this module.

**Tokens.**  A token's value is ``fli_`` and 43 url-safe characters of
``secrets.token_urlsafe(32)`` (256 random bits), shown once when it is made.
The store keeps its SHA-256 only: a value that random cannot be guessed from
its hash, so the slow, salted hashes made for passwords (which people choose
and which are guessable) would add only cost to every request.  A token is
found by its hash (an index lookup) and the hashes are then compared with
:func:`hmac.compare_digest`.  A token has a ``scope`` (``read``: GET only,
``write``: everything its user may do; the service enforces it per method),
may expire, and is revoked by marking it; a user's deletion deletes its
tokens.  Revoked, expired, unknown and malformed tokens all authenticate to
None, which the service answers with 401.

**Roles** (AWX's, in small): on an inventory or a project a user holds
``admin``, ``update``, ``use`` or ``read``.

- ``read``: sees the object (for an inventory: also its hosts, groups, sources
  and updates);
- ``use``: may use a project as the source project of an scm inventory source
  (and, kept from AWX, an inventory in other objects); implies ``read``;
- ``update``: may update an inventory's sources, or a project; implies ``read``;
- ``admin``: all of these, and may change or delete the object; implies the three others.

A superuser holds every role on every object.  Updating an scm inventory
source needs ``update`` on its inventory and ``update`` on its source project
(:func:`can_update_source`), even when the update is started indirectly.

Public API (the service and the modules call these names): :func:`authenticate`,
:func:`has_role`, :func:`readable_ids`, :func:`can_update_source`,
:func:`require`, :func:`create_user`, :func:`save_user`, :func:`delete_user`,
:func:`create_token`, :func:`revoke_token`, :func:`grant`, :func:`revoke`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ansible_collections.fleet.inventory.plugins.module_utils.common import now
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, PermissionDenied, StoreError, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_sources as source_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import roles as role_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import tokens as token_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import users as user_repo

ROLES = ("admin", "update", "use", "read")
KINDS = ("inventory", "project")
SCOPES = ("read", "write")
TOKEN_PREFIX = "fli_"
#: a role is held when the user holds any of these on the object (admin implies all, update and use imply read)
GRANTED_BY = {
    "admin": frozenset({"admin"}),
    "update": frozenset({"admin", "update"}),
    "use": frozenset({"admin", "use"}),
    "read": frozenset({"admin", "update", "use", "read"}),
}
#: ``last_used`` is written at most this often per token (a write per request would serialize every reader)
TOUCH_INTERVAL = timedelta(seconds=60)
MAX_USERNAME = 150  # AWX's (Django's) limit


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the token's user and the token's scope."""

    user_id: int
    username: str
    is_superuser: bool
    scope: str
    token_id: int | None = None

    @property
    def can_write(self) -> bool:
        """Whether the token may change anything (POST, DELETE); a ``read`` token may only look."""
        return self.scope == "write"


def _check(value, allowed, what):
    if value not in allowed:
        raise ValidationError("%s must be one of %s, not %r" % (what, ", ".join(allowed), value))


def hash_token(value: str) -> str:
    """The stored form of a token value: its SHA-256, in hex."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _parse_time(text):
    stamp = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc)


def normalize_expires(expires):
    """``expires`` (None, a datetime or ISO-8601 text; naive means UTC) as the store's UTC timestamp text."""
    if expires is None or expires == "":
        return None
    try:
        stamp = expires if isinstance(expires, datetime) else _parse_time(expires)
    except (TypeError, ValueError):
        raise ValidationError("expires must be an ISO-8601 time such as 2030-01-31T12:00:00+00:00, not %r" % (expires,)) from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    return stamp.astimezone(timezone.utc).isoformat(timespec="microseconds")


# -- authentication ----------------------------------------------------------------------


def authenticate(store, token_value, touch=True):
    """The :class:`Principal` of a token value, or None (unknown, revoked, expired, malformed, user deleted).

    With ``touch`` the token's ``last_used`` is brought up to date (at most
    once per :data:`TOUCH_INTERVAL`; a store too busy to take the write at
    once does not fail the request).
    """
    if not isinstance(token_value, str) or not token_value or len(token_value) > 512:
        return None
    digest = hash_token(token_value.strip())
    row = token_repo.by_hash(store, digest)
    if row is None or not hmac.compare_digest(row["token_hash"], digest) or row["revoked"]:
        return None
    current = datetime.now(timezone.utc)
    if row["expires"] and _parse_time(row["expires"]) <= current:
        return None
    if touch and (not row["last_used"] or current - _parse_time(row["last_used"]) >= TOUCH_INTERVAL):
        try:
            with store.transaction():
                token_repo.touch(store, row["id"], now())
        except StoreError:
            pass  # last_used is advisory
    return Principal(user_id=row["user_id"], username=row["user"], is_superuser=row["is_superuser"], scope=row["scope"],
                     token_id=row["id"])


def principal_of(store, user):
    """A :class:`Principal` for a user by name or id, with write scope (for tests and in-process callers)."""
    found = require_user(store, user)
    return Principal(user_id=found["id"], username=found["username"], is_superuser=found["is_superuser"], scope="write")


# -- decisions -----------------------------------------------------------------------------


def has_role(store, principal, role, kind, object_id) -> bool:
    """Whether ``principal`` holds ``role`` (directly or by implication) on the inventory or project ``object_id``."""
    _check(role, ROLES, "role")
    _check(kind, KINDS, "kind")
    if principal is None:
        return False
    if principal.is_superuser:
        return True
    if object_id is None:
        return False
    return bool(role_repo.roles_on(store, principal.user_id, kind, int(object_id)) & GRANTED_BY[role])


def readable_ids(store, principal, kind):
    """The ids of the inventories (or projects) ``principal`` may read; None means every one (a superuser).

    Hosts, groups, inventory sources and inventory updates are readable when
    their inventory is; project updates when their project is.
    """
    _check(kind, KINDS, "kind")
    if principal is None:
        return set()
    if principal.is_superuser:
        return None
    return role_repo.object_ids(store, principal.user_id, kind, GRANTED_BY["read"])


def can_update_source(store, principal, source) -> bool:
    """Whether ``principal`` may update the inventory source ``source`` (its row dict, or its id).

    ``update`` on the source's inventory; for an scm source also ``update``
    on its source project.
    """
    if not isinstance(source, dict):
        found = source_repo.get_by_id(store, int(source))
        if found is None:
            raise NotFound("inventory source %s does not exist in store %s" % (source, store.label))
        source = found
    if not has_role(store, principal, "update", "inventory", source["inventory_id"]):
        return False
    if source.get("source") == "scm" and source.get("source_project_id") is not None:
        return has_role(store, principal, "update", "project", source["source_project_id"])
    return True


def require(store, principal, role, kind, object_id):
    """Nothing when :func:`has_role`; else PermissionDenied naming the user, the role and the object."""
    if has_role(store, principal, role, kind, object_id):
        return
    found = role_repo.find_object(store, kind, int(object_id)) if object_id is not None else None
    raise PermissionDenied("user '%s' does not have the %s role on %s %s" % (
        principal.username if principal else "(anonymous)", role, kind,
        "'%s'" % found["name"] if found else "id %s" % object_id))


# -- users -----------------------------------------------------------------------------------


def get_user(store, user):
    return user_repo.get(store, user)


def require_user(store, user):
    found = user_repo.get(store, user)
    if found is None:
        raise NotFound("user %s does not exist in store %s" % ("'%s'" % user if isinstance(user, str) else "id %s" % user,
                                                               store.label))
    return found


def list_users(store) -> list:
    return user_repo.list_all(store)


def _check_username(username):
    if not isinstance(username, str) or not username.strip():
        raise ValidationError("username must not be empty")
    if username != username.strip() or len(username) > MAX_USERNAME or any(c.isspace() or not c.isprintable() for c in username):
        raise ValidationError("username %r must be at most %d printable characters without spaces" % (username, MAX_USERNAME))


def create_user(store, username, is_superuser=False):
    """A new user (a dict); ValidationError when the name is taken or not valid."""
    _check_username(username)
    with store.transaction():
        if user_repo.get(store, username) is not None:
            raise ValidationError("user '%s' exists already in store %s" % (username, store.label))
        user_repo.insert(store, username, bool(is_superuser), now())
        return user_repo.get(store, username)


def save_user(store, username, is_superuser=None):
    """Create the user or change it; ``(before, after)`` (before None when created).  None keeps ``is_superuser``."""
    _check_username(username)
    with store.transaction():
        before = user_repo.get(store, username)
        if before is None:
            user_repo.insert(store, username, bool(is_superuser), now())
        elif is_superuser is not None and bool(is_superuser) != before["is_superuser"]:
            user_repo.set_superuser(store, before["id"], bool(is_superuser), now())
        return before, user_repo.get(store, username)


def delete_user(store, username):
    """Delete the user with its tokens and roles; the deleted user, or None when there was none."""
    with store.transaction():
        before = user_repo.get(store, username)
        if before is not None:
            user_repo.delete(store, before["id"])
        return before


# -- tokens ----------------------------------------------------------------------------------


def new_token_value() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(store, user, scope="write", description="", expires=None) -> dict:
    """A new token of ``user`` (name or id): its record plus ``token``, the value, which is never shown again."""
    _check(scope, SCOPES, "scope")
    expires = normalize_expires(expires)
    with store.transaction():
        found = require_user(store, user)
        value = new_token_value()
        token_id = token_repo.insert(store, found["id"], scope, description or "", hash_token(value), now(), expires)
        made = token_repo.get(store, token_id)
    made["token"] = value
    return made


def get_token(store, token_id):
    """The token's record (never its value nor its hash), or None."""
    return token_repo.get(store, token_id)


def list_tokens(store, user) -> list:
    return token_repo.of_user(store, require_user(store, user)["id"])


def revoke_token(store, token_id) -> bool:
    """Revoke the token ``token_id``; whether it was active before (False: revoked already, or no such token)."""
    with store.transaction():
        return token_repo.revoke(store, token_id)


# -- roles -----------------------------------------------------------------------------------


def require_object(store, kind, name_or_id):
    """``{"id", "name"}`` of an inventory or project by name or id, or NotFound."""
    _check(kind, KINDS, "kind")
    found = role_repo.find_object(store, kind, name_or_id)
    if found is None:
        raise NotFound("%s %s does not exist in store %s" % (
            kind, "'%s'" % name_or_id if isinstance(name_or_id, str) else "id %s" % name_or_id, store.label))
    return found


def grant(store, user, role, kind, obj) -> bool:
    """Give ``user`` (name or id) ``role`` on the inventory or project ``obj`` (name or id); whether it is new."""
    _check(role, ROLES, "role")
    with store.transaction():
        found = require_user(store, user)
        target = require_object(store, kind, obj)
        return role_repo.insert(store, found["id"], role, kind, target["id"], now())


def revoke(store, user, role, kind, obj) -> bool:
    """Take ``role`` on ``obj`` from ``user``; whether the user held it (directly: implied roles are not rows)."""
    _check(role, ROLES, "role")
    with store.transaction():
        found = require_user(store, user)
        target = require_object(store, kind, obj)
        return role_repo.delete(store, found["id"], role, kind, target["id"])


def roles_of(store, user, kind=None) -> list:
    """The roles ``user`` holds directly: ``role``, ``object_kind``, ``object_id``, ``object_name``, ..."""
    if kind is not None:
        _check(kind, KINDS, "kind")
    return role_repo.of_user(store, require_user(store, user)["id"], kind)
