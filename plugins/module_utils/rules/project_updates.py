# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Project updates: fetching a project into this node's checkout, with a record; suggested inventory files.

A project update fetches the project into this node's checkout (see
runtime/checkouts.py), checks out the branch (or tag, or commit), and records
what happened as a ``project_updates`` row, as AWX does: status ``running``
then ``successful`` or ``failed``, the revision, the log (``result_stdout``)
and a one-line reason (``job_explanation``).

Git runs outside any store transaction (it may take long): the record is
committed as ``running`` first, then git runs under the checkout's local lock
while a heartbeat renews the record's lease, then the outcome is written in
a second transaction.  A record whose node stopped renewing its lease reads
as failed (see store/leases.py) and is marked so by the next update of the
project.  Nodes sharing a store each have their own checkout: their updates
of one project run side by side, never in one directory.

Nothing here knows inventory sources: a project update that must trigger
source updates is :func:`projects.update_project`.
"""

from __future__ import annotations

import os
import re

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, UpdateCanceled, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.runtime import process
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.checkouts import projects_root
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.git import GitError, sync_checkout
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.locks import LockTimeout, checkout_lock
from ansible_collections.fleet.inventory.plugins.module_utils.rules.leasing import CANCEL_REQUESTED, LiveLog, keep_lease
from ansible_collections.fleet.inventory.plugins.module_utils.rules.leasing import stream_interval, streaming_beat
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases
from ansible_collections.fleet.inventory.plugins.module_utils.store import project_updates as update_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import projects as project_repo

MAX_INVENTORY_FILES = 50
LOG_TAIL = 4000
# AWX's rule for files without an extension: every one of the first 10 lines starts like an inventory line
_INVENTORY_LINE = re.compile(r"^[a-zA-Z0-9_.=\[\]]")
_SKIP_DIRS = ("roles", "tasks", "group_vars", "host_vars")
_YAML_EXT = (".yml", ".yaml")
_YAML_HEAD = 65536
_YAML_PLUGIN = re.compile(r"^plugin\s*:\s*\S", re.MULTILINE)
_YAML_GROUP_KEY = re.compile(r"^[ \t]+(hosts|children)\s*:\s*(#.*)?$", re.MULTILINE)


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "project"
    return slug[:60]


def local_path(project_id, name) -> str:
    """The name of a project's checkout directory under the projects root."""
    return "%d__%s" % (project_id, _slug(name))


def get_project(store, name_or_id):
    """The project (a dict with the ``projects`` table's fields), or None."""
    return project_repo.get(store, name_or_id)


def require_project(store, name_or_id):
    """The project, or :class:`NotFound`."""
    project = get_project(store, name_or_id)
    if project is None:
        raise NotFound("project '%s' does not exist" % name_or_id)
    return project


def project_checkout_path(store, project) -> str:
    """Absolute path of this node's checkout of the project (it may not exist yet)."""
    if not isinstance(project, dict):
        project = require_project(store, project)
    local = project.get("local_path") or local_path(project["id"], project["name"])
    return os.path.join(projects_root(store), local)


# -- suggested inventory files --------------------------------------------------------------


def skip_directory(rel_dir: str) -> bool:
    """AWX's rule: nothing under roles/, tasks/, group_vars/, host_vars/ or a dot-directory."""
    if rel_dir in ("", "."):
        return False
    parts = rel_dir.split(os.sep)
    return any(p in _SKIP_DIRS or p.startswith(".") for p in parts)


def could_be_inventory(root, dir_path, filename):
    """The path (relative to ``root``) when the file looks like an inventory, else None.

    AWX's rules (``hosts``/``inventory``, ``*.ini``, executables, extension-less
    files whose first 10 lines all start like inventory lines), plus YAML
    inventories: ``*.yml``/``*.yaml`` that are a mapping with group keys
    ``hosts``/``children``, or a plugin configuration (``plugin:``).
    """
    full = os.path.join(dir_path, filename)
    rel = os.path.relpath(full, root)
    if filename.startswith(".") or not os.path.isfile(full):
        return None
    ext = os.path.splitext(filename)[1]
    if filename in ("hosts", "inventory"):
        return rel
    if ext.lower() == ".ini" or os.access(full, os.X_OK):
        return rel
    if ext.lower() in _YAML_EXT:
        return rel if _looks_like_yaml_inventory(full) else None
    if ext:
        return None
    try:
        with open(full, "r", encoding="utf-8", errors="ignore") as handle:
            for n, line in enumerate(handle):
                if n >= 10:
                    break
                if not _INVENTORY_LINE.match(line):
                    return None
    except OSError:
        return None
    return rel


def _looks_like_yaml_inventory(path) -> bool:
    try:
        with open(path, "r", encoding="utf-8", errors="ignore") as handle:
            head = handle.read(_YAML_HEAD)
    except OSError:
        return False
    for line in head.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped == "---" or stripped.startswith("%"):
            continue
        if stripped.startswith("- ") or stripped == "-" or line[0].isspace():
            return False  # a list (a playbook, a task file) or not a mapping
        break
    else:
        return False
    return bool(_YAML_PLUGIN.search(head) or _YAML_GROUP_KEY.search(head))


def find_inventory_files(root, limit=MAX_INVENTORY_FILES) -> list:
    """Suggested inventory files of a checkout: at most ``limit``, sorted (case-insensitively, as AWX)."""
    found = []
    if not root or not os.path.isdir(root):
        return found
    for dir_path, dir_names, file_names in os.walk(root):
        rel_dir = os.path.relpath(dir_path, root)
        if skip_directory(rel_dir):
            dir_names[:] = []
            continue
        dir_names[:] = [d for d in dir_names if not (d in _SKIP_DIRS or d.startswith("."))]
        for name in file_names:
            rel = could_be_inventory(root, dir_path, name)
            if rel is not None:
                found.append(rel)
    found.sort(key=lambda p: (p.lower(), p))
    return found[:limit]


def _update_row(store, row):
    """A project update record as readers see it (one whose lease passed reads as failed; nothing is written)."""
    row = update_repo.as_read(store, row)
    if row is None:
        return None
    row = dict(row)
    row["project"] = row.pop("project_id")
    row["failed"] = row["status"] in ("failed", "error", "canceled")
    row["queued"] = bool(row.get("queued"))
    row["cancel_flag"] = bool(row.get("cancel_flag"))
    return row


def get_project_update(store, update_id):
    return _update_row(store, update_repo.get(store, update_id))


def list_page(store, project_ids=None, filters=None, offset=0, limit=25, descending=False) -> tuple:
    """``(count, records)``: one page of project update records, by id (``filters``: ``status``, ``project``, ``launch_type``)."""
    count, ids = update_repo.page_ids(store, project_ids, filters or {}, offset, limit, descending)
    return count, [get_project_update(store, i) for i in ids]


def list_project_updates(store, project) -> list:
    project = require_project(store, project) if not isinstance(project, dict) else project
    return [_update_row(store, r) for r in update_repo.of_project(store, project["id"])]


def log_tail(text, limit=LOG_TAIL) -> str:
    text = text or ""
    return text if len(text) <= limit else "...\n" + text[-limit:]


def _locked_update(store, project_id, path, launch_type, timeout, record_id=None):
    """The update itself, under the checkout's lock: ``(update_id, project before, status, revision, files)``.

    ``record_id``: a record this node claimed already (a queued update), else a new one is made.  While git runs the
    heartbeat streams the log into the record and reads its ``cancel_flag`` (see :func:`leasing.streaming_beat`).
    """
    node = leases.node_name()
    with store.transaction():
        current = require_project(store, project_id)
        # records of this project whose node stopped renewing their lease (killed, rebooted) end here
        update_repo.expire(store, project_id)
        update_id = record_id if record_id is not None else update_repo.start(store, project_id, launch_type, os.getpid(), node)
    previous = current["scm_revision"]
    status, explanation = "successful", ""
    revision = previous
    live = LiveLog()
    outer = process.current_control()
    control = outer.child() if outer is not None else process.ProcessControl()
    with process.controlled(control), keep_lease(store, streaming_beat(update_repo.beat, update_id, node, live, control),
                                                 interval=stream_interval()):
        try:
            cred = current["credential"] or {}
            if cred.get("ssh_key_file") and not os.path.isfile(cred["ssh_key_file"]):
                raise GitError("scm_ssh_key_file %s does not exist or is not a file" % cred["ssh_key_file"])
            revision, log = sync_checkout(path, current["scm_url"], current["scm_branch"], current["scm_refspec"], cred, timeout,
                                          lock=False, log=live)
        except UpdateCanceled:
            status, explanation = "canceled", control.reason
            log = "\n".join(list(live) + [control.reason])
        except GitError as exc:
            status, explanation, log = "failed", str(exc), (exc.log + "\n" if exc.log else "") + str(exc)
        except OSError as exc:
            status, explanation = "failed", "cannot write the checkout %s: %s" % (path, exc.strerror or exc)
            log = explanation
        if status == "successful" and control.canceled:
            status, explanation, log = "canceled", control.reason, log + "\n" + control.reason
        files = find_inventory_files(path) if status == "successful" else current["inventory_files"]
        with store.transaction():
            update_repo.finish(store, update_id, project_id, status, revision, log, explanation, canonical_json(files))
    return update_id, current, status, revision, files


def run_project_update(store, project, launch_type="manual", timeout=None, record_id=None) -> dict:
    """Fetch the project into this node's checkout and record a project update; returns the record.

    The record (``project_updates``: id, project, status, launch_type,
    scm_revision, result_stdout, job_explanation, created, started, finished,
    pid, hostname, lease_expires, heartbeat) gets ``inventory_files`` (the
    project's suggested files afterwards), ``previous_revision``,
    ``revision_changed`` and ``inventory_updates`` (empty here: see
    :func:`projects.update_project`).  ``record_id``: a queued record this
    node has claimed (:func:`claim_queued`): the update runs in it, and its
    lease is kept while the checkout's lock is awaited.
    """
    if not isinstance(project, dict):
        project = require_project(store, project)
    project_id = project["id"]
    path = project_checkout_path(store, project)
    try:
        if record_id is None:
            lock = checkout_lock(path, timeout)
            lock.__enter__()
        else:
            with keep_lease(store, lambda own: update_repo.renew(own, record_id, leases.node_name())):
                lock = checkout_lock(path, timeout)
                lock.__enter__()
    except (LockTimeout, OSError) as exc:
        # no update could start: record why, as a failed update
        reason = str(exc) if isinstance(exc, LockTimeout) else "cannot lock the checkout %s: %s" % (path, exc.strerror or exc)
        with store.transaction():
            if record_id is None:
                record_id = update_repo.insert_failed(store, project_id, launch_type, reason)
            else:
                update_repo.finish(store, record_id, project_id, "failed", "", reason, reason, canonical_json(project["inventory_files"]))
        record = get_project_update(store, record_id)
        record.update(inventory_files=project["inventory_files"], previous_revision=project["scm_revision"],
                      revision_changed=False, inventory_updates=[])
        return record
    try:
        update_id, current, status, revision, files = _locked_update(store, project_id, path, launch_type, timeout, record_id)
    finally:
        lock.__exit__(None, None, None)
    previous = current["scm_revision"]
    record = get_project_update(store, update_id)
    record["inventory_files"] = files
    record["previous_revision"] = previous
    record["revision_changed"] = status == "successful" and revision != previous
    record["inventory_updates"] = []
    return record


# -- updates run by the service (rules/update_queue.py claims them) ---------------------------------------


def queue_project_update(store, project, launch_type="manual") -> dict:
    """Record a ``pending`` project update in the service's queue without running it; returns the record."""
    if not isinstance(project, dict):
        project = require_project(store, project)
    with store.transaction():
        record_id = update_repo.insert_queued(store, project["id"], launch_type)
    return get_project_update(store, record_id)


def claim_queued(store, record_id):
    """Claim a queued project update for this node: the project, or None when another worker won it (or it ended)."""
    with store.transaction():
        project_id = update_repo.claim_pending(store, record_id, os.getpid(), leases.node_name())
    return None if project_id is None else get_project(store, project_id)


def can_cancel(rec) -> bool:
    return rec is not None and rec["status"] in update_repo.ACTIVE


def cancel_project_update(store, update_id) -> dict:
    """Cancel a project update as :func:`updates.cancel_update` cancels an inventory update; returns the record."""
    rec = get_project_update(store, update_id)
    if rec is None:
        raise NotFound("project update %s does not exist" % update_id)
    if not can_cancel(rec):
        raise ValidationError("project update %s cannot be canceled: it is %s" % (update_id, rec["status"]))
    with store.transaction():
        done = update_repo.cancel_pending(store, update_id, CANCEL_REQUESTED) or update_repo.flag_cancel(store, update_id)
    rec = get_project_update(store, update_id)
    if not done:
        raise ValidationError("project update %s cannot be canceled: it is %s" % (update_id, rec["status"]))
    return rec
