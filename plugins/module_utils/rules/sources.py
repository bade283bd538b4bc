# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory sources: where the hosts of a normal inventory come from.

A source belongs to one normal inventory and says how to fill it (AWX's
``InventorySource``, same field names):

``source``
    ``''`` a manual source (never updated; it only groups settings),
    ``scm`` an inventory kept in a git project (``source_project`` +
    ``source_path`` relative to the project's checkout),
    ``file`` a record of an import made elsewhere (never updated, as in AWX),
    or the name of an inventory plugin (``amazon.aws.aws_ec2``,
    ``fleet.inventory.smart`` ...) whose configuration is ``source_vars``.
    ``constructed`` is the source a constructed inventory owns; users never
    create, change or delete it.

Every rule below is checked before anything is written; a broken rule is a
:class:`ValidationError` that names it, and the store is left untouched:

- smart and constructed inventories take no user sources;
- an scm source needs ``source_project``; its ``source_path`` is relative to
  the project (blank = the project's root) and may not escape it;
  ``source_path`` and ``source_project`` only apply to scm sources;
- an scm source has ``overwrite_vars`` true (the default for scm sources);
- an scm source with ``update_on_project_update`` is the only source of its
  inventory, and is not also ``update_on_launch``;
- ``update_on_project_update`` only applies to scm sources.

Creating an scm source with ``update_on_project_update`` updates its project
at once (and so the source, through :func:`updates.update_sources_for_project`).
"""

from __future__ import annotations

import re

from ansible_collections.fleet.inventory.plugins.module_utils.common import load_mapping, now
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.checkouts import (  # noqa: F401 pylint: disable=unused-import
    normalize_source_path, refuse_escaping_links, resolve_in_checkout)
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_sources as source_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates as update_repo

MANAGED_SOURCES = ("constructed",)
# AWX's INV_ENV_VARIABLE_BLOCKED: source_vars that would replace the run's own environment
BLOCKED_ENV = ("HOME", "USER", "_", "TERM", "PATH")
NEVER_UPDATED = ("", "file")
VERBOSITY = (0, 1, 2)
# an inventory plugin's name: short (yaml, ini) or a collection's FQCN (amazon.aws.aws_ec2)
_PLUGIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)?$")
BOOL_FIELDS = source_repo.BOOL_FIELDS
TEXT_FIELDS = ("description", "source", "source_path", "limit", "enabled_var", "enabled_value", "instance_id_var")
INT_FIELDS = ("update_cache_timeout", "verbosity")
# what a user sets (source_project is a project's name or id)
FIELDS = TEXT_FIELDS + BOOL_FIELDS + INT_FIELDS + ("source_project", "source_vars")
# what the module compares for changed/diff
VIEW_FIELDS = ("name", "inventory", "description", "source", "source_project", "source_path", "source_vars", "overwrite",
               "overwrite_vars", "update_on_launch", "update_on_project_update", "update_cache_timeout", "limit",
               "verbosity", "enabled_var", "enabled_value", "instance_id_var")


def _kind_name(kind) -> str:
    return kind or "normal"


def get_source(store, inventory, name):
    """The source ``name`` of ``inventory`` (a name or id), or None; NotFound when the inventory does not exist."""
    return source_repo.get(store, store.require_inventory(inventory), name)


def require_source(store, inventory, name):
    src = get_source(store, inventory, name)
    if src is None:
        raise NotFound("inventory source '%s' does not exist in inventory '%s'" % (name, store.require_inventory(inventory)["name"]))
    return src


def get_source_by_id(store, source_id):
    return source_repo.get_by_id(store, source_id)


def list_sources(store, inventory) -> list:
    """Every source of ``inventory``, by id (AWX's order of creation)."""
    return source_repo.of_inventory(store, store.require_inventory(inventory))


def sources_of_project(store, project_id) -> list:
    return source_repo.of_project(store, project_id)


def public_source(src):
    """A source as modules return it: AWX's fields, without internal ids that mean nothing to a user."""
    if src is None:
        return None
    out = {k: src[k] for k in VIEW_FIELDS}
    for key in ("id", "inventory_id", "source_project_id", "scm_last_revision", "status", "last_updated", "created", "modified"):
        out[key] = src.get(key)
    return out


# -- validation ----------------------------------------------------------------------------


def _check_source_type(source):
    if source in ("", "scm", "file"):
        return
    if source in MANAGED_SOURCES:
        raise ValidationError("source '%s' is managed by %s inventories; it cannot be set by hand" % (source, source))
    if not _PLUGIN_NAME.match(source):
        raise ValidationError(
            "source '%s' is not '' (manual), 'scm', 'file' nor the name of an inventory plugin (such as "
            "'amazon.aws.aws_ec2' or 'fleet.inventory.smart')" % source)


def _validate(store, inv, name, new, before):
    source = new["source"]
    _check_source_type(source)
    blocked = [k for k in new["source_vars"] if k in BLOCKED_ENV]
    if blocked:
        raise ValidationError("inventory source '%s': `%s` is a prohibited environment variable (source_vars may not set %s)"
                              % (name, blocked[0], ", ".join(BLOCKED_ENV)))
    if source == "scm":
        if new["source_project_id"] is None:
            raise ValidationError("inventory source '%s': an scm source needs source_project (the project holding the "
                                  "inventory files)" % name)
        new["source_path"] = normalize_source_path(new["source_path"])
        bad = [k for k in new["source_vars"] if not k or "=" in k or "\x00" in k]
        if bad:
            raise ValidationError("inventory source '%s': source_vars of an scm source are environment variables; %r is not "
                                  "a valid variable name" % (name, bad[0]))
        if not new["overwrite_vars"]:
            raise ValidationError("inventory source '%s': scm sources must have overwrite_vars=true (the repository is "
                                  "the only truth for the variables it holds)" % name)
        if new["update_on_project_update"] and new["update_on_launch"]:
            raise ValidationError(
                "inventory source '%s': Cannot update SCM-based inventory source on launch if set to update on project "
                "update. Instead, configure the corresponding source project to update on launch (AWX's rule)" % name)
    else:
        if new["source_project_id"] is not None:
            raise ValidationError("inventory source '%s': source_project only applies to scm sources (source is '%s')"
                                  % (name, source))
        if new["source_path"]:
            raise ValidationError("inventory source '%s': Cannot set source_path if not SCM type (source is '%s')" % (name, source))
        if new["update_on_project_update"]:
            raise ValidationError("inventory source '%s': update_on_project_update only applies to scm sources (source is "
                                  "'%s')" % (name, source))
    if new["update_cache_timeout"] < 0:
        raise ValidationError("inventory source '%s': update_cache_timeout must be 0 or a number of seconds, not %d"
                              % (name, new["update_cache_timeout"]))
    if new["verbosity"] not in VERBOSITY:
        raise ValidationError("inventory source '%s': verbosity must be 0, 1 or 2, not %d" % (name, new["verbosity"]))
    others = source_repo.others(store, inv["id"], before["id"] if before else None)
    if new["update_on_project_update"] and others:
        raise ValidationError(
            "inventory source '%s': an scm source with update_on_project_update must be the only source of its inventory, "
            "and inventory '%s' already has %s" % (name, inv["name"], ", ".join("'%s'" % o["name"] for o in others)))
    exclusive = [o for o in others if o["update_on_project_update"]]
    if exclusive:
        raise ValidationError(
            "inventory '%s' has the scm source '%s' with update_on_project_update, which must be its only source; "
            "cannot add the source '%s'" % (inv["name"], exclusive[0]["name"], name))


def _require_user_inventory(store, inventory, verb):
    inv = store.require_inventory(inventory)
    if inv["kind"]:
        raise ValidationError(
            "cannot %s inventory sources of %s inventory '%s': its hosts come from %s" % (
                verb, _kind_name(inv["kind"]), inv["name"],
                "its host_filter" if inv["kind"] == "smart" else "its input inventories (its own source is managed)"))
    if inv.get("pending_delete"):
        raise ValidationError("inventory '%s' is being deleted" % inv["name"])
    return inv


def _as_int(value, what):
    if isinstance(value, bool):
        raise ValidationError("%s must be a number, not a boolean" % what)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError("%s must be a number, not %r" % (what, value)) from None


def save_source(store, inventory, name, dry_run=False, update_project=True, **fields):
    """Create or update the source ``name`` of ``inventory``; returns ``(before, after)``.

    ``fields`` are AWX's (see :data:`FIELDS`); those not given keep their
    stored value (or AWX's default on create; an scm source's
    ``overwrite_vars`` defaults to true).  ``source_project`` is a project's
    name or id.  Changing an scm source's project or path forgets its last
    revision, so that the next project update updates it again.

    When an scm source is created with ``update_on_project_update`` (and not
    ``dry_run``), its project is updated at once, after the source is
    committed; the project update record (with the inventory updates it ran)
    is in ``after["project_update"]``.
    """
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError("unknown inventory source field(s): %s" % ", ".join(sorted(unknown)))
    if name is None or not str(name).strip():
        raise ValidationError("inventory source name must not be empty")
    name = str(name)
    with store.transaction(dry_run=dry_run):
        inv = _require_user_inventory(store, inventory, "create or change")
        store.lock_inventory(inv["id"])
        before = get_source(store, inv["id"], name)
        if before is not None and before["source"] in MANAGED_SOURCES:
            raise ValidationError("inventory source '%s' is managed by its inventory; it cannot be changed" % name)
        new = {
            "description": "", "source": "", "source_path": "", "source_vars": {}, "overwrite": False,
            "overwrite_vars": False, "update_on_launch": False, "update_on_project_update": False,
            "update_cache_timeout": 0, "limit": "", "verbosity": 1, "enabled_var": "", "enabled_value": "",
            "instance_id_var": "", "source_project_id": None,
        }
        if before is not None:
            new.update({k: before[k] for k in new})
        for key in TEXT_FIELDS:
            if fields.get(key) is not None:
                new[key] = str(fields[key])
        for key in BOOL_FIELDS:
            if fields.get(key) is not None:
                new[key] = bool(fields[key])
        for key in INT_FIELDS:
            if fields.get(key) is not None:
                new[key] = _as_int(fields[key], key)
        if fields.get("source_vars") is not None:
            new["source_vars"] = load_mapping(fields["source_vars"], "source_vars")
        if before is None and new["source"] == "scm" and fields.get("overwrite_vars") is None:
            new["overwrite_vars"] = True
        project = None
        if fields.get("source_project") is not None:
            ref = fields["source_project"]
            if isinstance(ref, str) and not ref.strip():
                new["source_project_id"] = None
            else:
                if isinstance(ref, str) and ref.strip().isdigit() and projects.get_project(store, ref) is None:
                    ref = int(ref)
                project = projects.require_project(store, ref)
                new["source_project_id"] = project["id"]
        _validate(store, inv, name, new, before)
        stamp = now()
        if before is None:
            source_repo.insert(store, inv["id"], name, new, stamp)
        elif source_repo.values(before) != source_repo.values(new):
            # AWX: a changed file forces the next project update to update this source
            forget = new["source"] == "scm" and (before["source_path"] != new["source_path"]
                                                 or before["source_project_id"] != new["source_project_id"]
                                                 or before["source"] != "scm")
            source_repo.update(store, before["id"], new, stamp, forget_revision=forget)
        after = get_source(store, inv["id"], name)
    if (before is None and not dry_run and update_project and after["source"] == "scm"
            and after["update_on_project_update"] and after["source_project_id"] is not None):
        # AWX schedules the project's update when such a source is created; here it runs now,
        # outside the source's transaction (git may take long)
        project = projects.require_project(store, after["source_project_id"])
        project_update = projects.update_project(store, project, launch_type="manual", trigger_inventory_updates=True)
        after = dict(get_source(store, after["inventory_id"], name) or after)  # as the update left it
        after["project_update"] = project_update
    return before, after


def delete_source(store, inventory, name, dry_run=False):
    """Delete a source and its update records; returns what was deleted (or None).

    The hosts and groups the source brought stay in the inventory (as AWX
    does); only the record of which source brought them goes.  A source whose
    update is running cannot be deleted.
    """
    with store.transaction(dry_run=dry_run):
        inv = _require_user_inventory(store, inventory, "delete")
        store.lock_inventory(inv["id"])
        before = get_source(store, inv["id"], name)
        if before is None:
            return None
        if before["source"] in MANAGED_SOURCES:
            raise ValidationError("inventory source '%s' is managed by its inventory; it cannot be deleted" % name)
        running = update_repo.running(store, inv["id"])
        if running is not None and running["inventory_source_id"] == before["id"]:
            raise ValidationError("inventory source '%s' is being updated (update %d on node %s, pid %s); delete it when the "
                                  "update has finished" % (name, running["id"], running["hostname"], running["pid"]))
        source_repo.delete(store, before["id"])
        return before
