# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Git projects: definitions, and project updates that trigger the updates of their inventory sources.

A project is a git repository (``scm_url``, ``scm_branch``, optional
``scm_refspec`` and credential) that each node checks out under its own
projects root (see runtime/checkouts.py).  A project update
(:func:`update_project`) is rules/project_updates.py's fetch with a record,
followed (after a successful one) by the updates of the project's scm
sources that have ``update_on_project_update`` (rules/updates.py).

Layering: sources -> projects -> updates -> project_updates -> store, runtime;
no module of this package imports one above it.  The names of the layers
below that callers used to find here (checkout paths, git, locks, suggested
inventory files, update records) are still importable from this module.
"""

from __future__ import annotations

import os
import shutil

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json, now
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates
# re-exported: what callers (modules, the scm plugin, tests) use through this module
from ansible_collections.fleet.inventory.plugins.module_utils.rules.project_updates import (  # noqa: F401 pylint: disable=unused-import
    MAX_INVENTORY_FILES, LOG_TAIL, could_be_inventory, find_inventory_files, get_project, get_project_update, list_project_updates,
    local_path, log_tail, project_checkout_path, require_project, run_project_update, skip_directory)
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.checkouts import (  # noqa: F401 pylint: disable=unused-import
    ENV_PROJECTS_ROOT, projects_root)
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.git import (  # noqa: F401 pylint: disable=unused-import
    GIT_TIMEOUT, GitError, git_env, remote_revision, split_url_credentials, sync_checkout, url_secret, validate_ref, validate_scm_url)
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.locks import (  # noqa: F401 pylint: disable=unused-import
    LockTimeout, checkout_lock, make_private_dir)
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_sources as source_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import project_updates as update_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import projects as project_repo

ACTIVE = update_repo.ACTIVE
MASK = "$encrypted$"
SCM_TYPES = ("git",)
CREDENTIAL_KEYS = ("username", "password", "ssh_key_file")
PROJECT_FIELDS = ("name", "description", "scm_type", "scm_url", "scm_branch", "scm_refspec", "credential")
_split_url_credentials = split_url_credentials


# -- project records ----------------------------------------------------------------


def project_state(store, project_id, status=None):
    """``(status, explanation)`` of a project as a reader must see it, without writing anything.

    A project left ``running`` by updates whose node stopped renewing their
    lease (see store/leases.py) is ``failed``, the explanation naming the node,
    the time of its last renewal and the update; the next update of the
    project records it so.  Otherwise the stored status and an empty
    explanation.
    """
    if status is None:
        status = project_repo.stored_status(store, project_id)
    return update_repo.project_state(store, project_id, status)


def public_project(project):
    """A project as shown to users: the credential's password masked as AWX does."""
    if project is None:
        return None
    shown = dict(project)
    cred = dict(shown.get("credential") or {})
    if cred.get("password"):
        cred["password"] = MASK
    shown["credential"] = cred
    return shown


def list_projects(store) -> list:
    return project_repo.all_projects(store)


def _credential(before_cred, username, password, ssh_key_file):
    cred = dict(before_cred or {})
    for key, value in (("username", username), ("password", password), ("ssh_key_file", ssh_key_file)):
        if value is None:
            continue
        if value == "":
            cred.pop(key, None)
        else:
            cred[key] = value
    if cred.get("ssh_key_file"):
        path = os.path.expanduser(cred["ssh_key_file"])
        if not os.path.isabs(path):
            raise ValidationError("scm_ssh_key_file '%s' must be an absolute path" % cred["ssh_key_file"])
        cred["ssh_key_file"] = path
    if cred.get("password") and not cred.get("username"):
        raise ValidationError("scm_password needs scm_username")
    return cred


def save_project(store, name, description=None, scm_type=None, scm_url=None, scm_branch=None, scm_refspec=None,
                 username=None, password=None, ssh_key_file=None):
    """Create or change a project; returns ``(before, after, changed)`` (raw dicts; see :func:`public_project`).

    Options left as None keep their stored value (or the default on create);
    an empty string clears a credential field.  A password given inside the
    URL (any form: https, ssh, scp-like ``user:secret@host:path``) is moved
    into the credential.
    """
    if not name or not str(name).strip():
        raise ValidationError("project name must not be empty")
    if scm_type is not None and scm_type not in SCM_TYPES:
        raise ValidationError("scm_type must be 'git', not '%s'" % scm_type)
    with store.transaction():
        before = get_project(store, name)
        if before is None and not scm_url:
            raise ValidationError("project '%s' does not exist; scm_url is required to create it" % name)
        new = {k: before[k] for k in PROJECT_FIELDS} if before else {
            "name": name, "description": "", "scm_type": "git", "scm_url": "", "scm_branch": "", "scm_refspec": "",
            "credential": {}}
        if description is not None:
            new["description"] = description
        if scm_url is not None:
            url, url_user, url_password = _split_url_credentials(str(scm_url).strip())
            url = validate_scm_url(url)
            if url_password is not None:
                username = username if username is not None else url_user
                password = password if password is not None else url_password
            new["scm_url"] = url
        if scm_branch is not None:
            new["scm_branch"] = validate_ref(scm_branch, "scm_branch")
        if scm_refspec is not None:
            new["scm_refspec"] = validate_ref(scm_refspec, "scm_refspec")
        new["credential"] = _credential(new["credential"], username, password, ssh_key_file)
        stamp = now()
        if before is None:
            project_repo.insert(store, name, new, stamp, lambda new_id: local_path(new_id, name))
            changed = True
        else:
            changed = any(canonical_json(new[k]) != canonical_json(before[k]) for k in PROJECT_FIELDS)
            if changed:
                project_repo.update(store, before["id"], new, stamp)
        return before, get_project(store, name), changed


def scm_fields_changed(before, after) -> bool:
    """Whether what is fetched changed (AWX updates a project when these change)."""
    if before is None:
        return True
    return any(canonical_json(before[k]) != canonical_json(after[k])
               for k in ("scm_url", "scm_branch", "scm_refspec", "credential"))


def delete_project(store, name):
    """Delete a project and its update records; refused while an inventory source uses it.

    Returns the deleted project (or None).  The checkout is removed by
    :func:`remove_checkout` once the transaction is committed.
    """
    with store.transaction():
        before = get_project(store, name)
        if before is None:
            return None
        users = project_repo.users(store, before["id"])
        if users:
            raise ValidationError("project '%s' is the source_project of %s; delete those sources or point them elsewhere first"
                                  % (name, ", ".join("inventory source '%s' of inventory '%s'" % (u["source"], u["inventory"])
                                                     for u in users)))
        project_repo.delete(store, before["id"])
        return before


def remove_checkout(store, project):
    path = project_checkout_path(store, project)
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    try:
        os.unlink(path + ".lock")
    except OSError:
        pass


# -- updates ------------------------------------------------------------------------------


def update_project(store, project, launch_type="manual", trigger_inventory_updates=True, timeout=None) -> dict:
    """Fetch the project and record a project update; returns the update record.

    See :func:`project_updates.run_project_update` for the record; its
    ``inventory_updates`` are the inventory updates this update triggered
    (only after a successful update and with ``trigger_inventory_updates``;
    see :func:`updates.update_sources_for_project`).  A failed update
    triggers nothing.
    """
    record = run_project_update(store, project, launch_type=launch_type, timeout=timeout)
    if record["status"] == "successful" and trigger_inventory_updates:
        record["inventory_updates"] = list(updates.update_sources_for_project(store, record["project"], record["id"]) or [])
    return record


# -- what the scm inventory plugin serves ---------------------------------------------------------


def find_scm_source(store, name, inventory=None) -> dict:
    """The stored inventory source ``name`` (of ``inventory`` when given) as a row dict; NotFound/ValidationError."""
    if inventory:
        store.require_inventory(inventory)
    rows = source_repo.find_by_name(store, name, inventory)
    if not rows:
        raise NotFound("inventory source '%s' does not exist%s" % (name, " in inventory '%s'" % inventory if inventory else ""))
    if len(rows) > 1:
        raise ValidationError("inventory source name '%s' is used in several inventories (%s); set inventory" % (
            name, ", ".join("'%s'" % r["inventory_name"] for r in rows)))
    return rows[0]


def source_inventory_data(store, source, include_disabled=False) -> dict:
    """Hosts and groups a stored source brought into its inventory, for the scm plugin.

    When the source is the only source of its inventory the whole inventory is
    served; otherwise only what the source owns (``inventory_source_hosts`` /
    ``inventory_source_groups``).  Returns ``all_vars``, ``hosts`` [(name, vars)]
    and ``groups`` [(name, vars, host names, child names)].
    """
    return source_repo.served_inventory(store, source, include_disabled=include_disabled)
