# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where this node keeps project checkouts, and paths inside a checkout.

The projects root is per node: ``$FLEET_INVENTORY_PROJECTS_ROOT``; else a
``projects`` directory beside a SQLite store; else, for a PostgreSQL store,
``<user data dir>/fleet.inventory/projects/<host>_<port>_<database>`` (the
user data directory is ``$XDG_DATA_HOME``, ``~/.local/share`` by default).
Two stores never share a checkout directory, and two nodes sharing one
PostgreSQL store each have their own checkouts (the lock of a checkout is a
local ``flock``, see locks).  An in-memory store gets a temporary directory.
"""

from __future__ import annotations

import os
import posixpath
import re
import tempfile
from urllib.parse import unquote, urlsplit

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError

ENV_PROJECTS_ROOT = "FLEET_INVENTORY_PROJECTS_ROOT"
_PG_SCHEMES = ("postgresql://", "postgres://")


def _safe(text) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._") or "_"


def postgresql_key(url) -> str:
    """``<host>_<port>_<database>`` of a PostgreSQL URL (no user, no password)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    database = unquote(parts.path.lstrip("/")) or (parts.username or "postgres")
    return "%s_%s_%s" % (_safe(host), port, _safe(database))


def data_dir() -> str:
    return os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")


def projects_root(store) -> str:
    """This node's projects root for ``store`` (see the module's documentation)."""
    env = os.environ.get(ENV_PROJECTS_ROOT)
    if env and env.strip():
        return os.path.abspath(os.path.expanduser(env.strip()))
    target = getattr(store, "target", "") or ""
    if target.startswith(_PG_SCHEMES):
        return os.path.join(data_dir(), "fleet.inventory", "projects", postgresql_key(target))
    if target == ":memory:" or not target or target.startswith("file:"):
        root = getattr(store, "_fleet_projects_root", None)
        if root is None:
            root = tempfile.mkdtemp(prefix="fleet.inventory-projects-")
            try:
                store._fleet_projects_root = root
            except AttributeError:
                pass
        return root
    return os.path.join(os.path.dirname(os.path.abspath(os.path.expanduser(target))), "projects")


def normalize_source_path(source_path) -> str:
    """``source_path`` as stored: relative, normalized, '' for the project's root.

    An absolute path, or one that climbs out of the project (``..``), is a
    ValidationError.
    """
    text = "" if source_path is None else str(source_path).strip()
    if not text:
        return ""
    if "\x00" in text:
        raise ValidationError("source_path must not contain a NUL character")
    if text.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:[\\/]", text):
        raise ValidationError("source_path '%s' must be relative to the project's root, not an absolute path" % text)
    norm = posixpath.normpath(text.replace("\\", "/"))
    if norm == "..":
        raise ValidationError("source_path '%s' escapes the project: it must stay inside the project's checkout" % text)
    if norm.startswith("../"):
        raise ValidationError("source_path '%s' escapes the project: it must stay inside the project's checkout" % text)
    return "" if norm == "." else norm


def resolve_in_checkout(checkout, source_path) -> str:
    """The absolute path of ``source_path`` in ``checkout``, after resolving symlinks.

    A path that leads outside the checkout (through a symlink, say) is a
    ValidationError: a repository must not make an update read the
    controller's other files.
    """
    rel = normalize_source_path(source_path)
    root = os.path.realpath(checkout)
    target = os.path.realpath(os.path.join(root, rel)) if rel else root
    if target != root and not target.startswith(root.rstrip(os.sep) + os.sep):
        raise ValidationError("source_path '%s' resolves to %s, outside the project's checkout %s" % (rel, target, root))
    return target


def refuse_escaping_links(checkout, path, source_path=None):
    """ValidationError naming the first symbolic link that resolves outside ``checkout``, among what reading ``path`` reads.

    ``path`` (inside the checkout, see :func:`resolve_in_checkout`) is a
    directory (everything under it, links to directories followed) or a file
    (with the ``group_vars``/``host_vars`` beside it, which ansible reads too).
    Links that stay inside the checkout are fine.
    """
    root = os.path.realpath(checkout)

    def inside(target):
        return target == root or target.startswith(root.rstrip(os.sep) + os.sep)

    def check(link):
        target = os.path.realpath(link)
        if not inside(target):
            rel = os.path.relpath(link, root)
            raise ValidationError("source_path '%s': %s is a symbolic link to %s, outside the project's checkout; "
                                  "an inventory may only link to files of its own repository" % (
                                      source_path if source_path is not None else os.path.relpath(path, root), rel, target))

    if os.path.isdir(path):
        starts = [path]
    else:
        starts = [os.path.join(os.path.dirname(path), d) for d in ("group_vars", "host_vars")]
        starts = [d for d in starts if os.path.lexists(d)]
        for start in starts:
            if os.path.islink(start):
                check(start)
    seen = set()
    for start in starts:
        for dir_path, dir_names, file_names in os.walk(start, followlinks=True):
            real = os.path.realpath(dir_path)
            if real in seen or not inside(real):
                dir_names[:] = []
                continue
            seen.add(real)
            dir_names[:] = [d for d in dir_names if d != ".git"]
            for name in dir_names + file_names:
                full = os.path.join(dir_path, name)
                if os.path.islink(full):
                    check(full)
