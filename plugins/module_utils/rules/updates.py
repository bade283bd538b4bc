# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory updates: running an inventory source into its inventory, with a record.

An update of a source (AWX's ``InventoryUpdate``) is a row of
``inventory_updates``: ``pending`` -> ``running`` -> ``successful`` or
``failed``, with its start and finish, its log (``result_stdout``), a one-line
reason (``job_explanation``), the importer's counts, and for scm sources the
project's revision and the project update it used.

How an update runs (there is no daemon: it runs in the calling process, or
with ``wait=False`` in a detached background process):

1. **Claim**, in one short transaction that takes the inventory's lock
   (``store.lock_inventory``): records of the inventory whose lease passed
   are marked ``failed`` ("node N stopped renewing the lease of this update
   at T"), then one statement makes the update ``running`` for this node
   (see store/inventory_updates.py): a new record guarded by the partial
   unique index "one running update per inventory", or a pending record
   ``WHERE status = 'pending'``.  Two nodes racing on one update or one
   inventory: exactly one wins.  The loser waits up to ``timeout`` seconds
   for the other update of the inventory (``None``: as long as it takes,
   ``0``: not at all) and is then refused (:class:`UpdateBusy`); a pending
   record another node claimed is refused at once (:class:`NotPending`).
2. **Run** with a lease: a heartbeat thread renews the record's lease every
   third of its length (store/leases.py; 30 s by default) until the update
   ends.  A node that dies stops renewing: every reader sees the record
   failed once the lease has passed, and the next claim records it so.
3. **Read.**  ``ansible-inventory --list --export`` runs on the source (no
   store lock is held meanwhile): for ``scm`` this node's checkout of the
   project at ``source_path`` (checked to stay inside the checkout after
   resolving symlinks) with ``source_vars`` as environment variables; for a
   plugin source a plugin configuration file made of ``source_vars``; a
   ``constructed`` source is computed by the constructed inventory's engine.
   Broken files fail (``ANSIBLE_INVENTORY_UNPARSED_FAILED``).
4. **Import and finish** in one transaction (under the inventory's lock):
   the importer writes the inventory and the record becomes ``successful``
   together, so an update that dies halfway leaves the last complete
   inventory.  Any failure (missing file, invalid syntax, a failing script)
   makes the record ``failed`` with the reason in ``result_stdout``, in its
   own transaction.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from datetime import datetime, timedelta, timezone

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json
from ansible_collections.fleet.inventory.plugins.module_utils.errors import (FleetInventoryError, NotFound, NotPending, UpdateBusy,
                                                                             UpdateCanceled, ValidationError)
from ansible_collections.fleet.inventory.plugins.module_utils.rules import constructed, importer
from ansible_collections.fleet.inventory.plugins.module_utils.rules import project_updates as project_sync
from ansible_collections.fleet.inventory.plugins.module_utils.rules.leasing import CANCEL_REQUESTED, LiveLog, keep_lease
from ansible_collections.fleet.inventory.plugins.module_utils.rules.leasing import stream_interval, streaming_beat
from ansible_collections.fleet.inventory.plugins.module_utils.runtime import isolation, process
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.checkouts import projects_root, refuse_escaping_links, resolve_in_checkout
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.git import checkout_revision
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.locks import checkout_lock
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_sources as source_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates as update_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

ACTIVE = ("pending", "running")
NOT_STARTED = "Could not start because `can_update` returned False"
NO_SOURCES = "No inventory sources to update."
LOG_LIMIT = 60000
# the store a background update opens (see _spawn)
_ENV_UPDATE_STORE = "FLEET_INVENTORY_UPDATE_STORE"
_POLL_MAX = 1.0


class _Failed(Exception):
    def __init__(self, explanation, log="", project_update=None):
        super().__init__(explanation)
        self.explanation = explanation
        self.log = log
        self.project_update = project_update


# -- records -------------------------------------------------------------------------------------


def _record(row, source=None):
    if row is None:
        return None
    row = dict(row)
    row["inventory_source"] = row.pop("inventory_source_id")
    row["inventory"] = row.pop("inventory_id")
    row["source_project_update"] = row.pop("source_project_update_id")
    row["counts"] = json.loads(row["counts"] or "{}")
    row["queued"] = bool(row.get("queued"))
    row["cancel_flag"] = bool(row.get("cancel_flag"))
    row["failed"] = row["status"] in ("failed", "error", "canceled")
    row["changed"] = bool(row["counts"].get("changed"))
    row["elapsed"] = _elapsed(row["started"], row["finished"])
    if source is not None:
        row["source"] = source["source"]
        row["name"] = "%s - %s" % (source["inventory"], source["name"])
    return row


def _elapsed(started, finished):
    if not started or not finished:
        return 0.0
    try:
        return round((datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds(), 3)
    except ValueError:
        return 0.0


def get_update(store, update_id):
    """The record of inventory update ``update_id``, or None; one whose lease passed reads as failed (nothing is written)."""
    row = update_repo.as_read(store, update_repo.get(store, update_id))
    if row is None:
        return None
    return _record(row, source_repo.get_by_id(store, row["inventory_source_id"]))


def require_update(store, update_id):
    rec = get_update(store, update_id)
    if rec is None:
        raise NotFound("inventory update %s does not exist" % update_id)
    return rec


def list_page(store, inventory_ids=None, filters=None, offset=0, limit=25, descending=False) -> tuple:
    """``(count, records)``: one page of inventory update records, by id (the service's list).

    ``inventory_ids``: only updates of these inventories (None: all);
    ``filters``: equality on ``status``, ``inventory_source``, ``inventory``, ``launch_type``.
    """
    count, ids = update_repo.page_ids(store, inventory_ids, filters or {}, offset, limit, descending)
    return count, [get_update(store, i) for i in ids]


def list_updates(store, source) -> list:
    """The update records of a source (a dict or an id), oldest first."""
    source_id = source["id"] if isinstance(source, dict) else int(source)
    return [get_update(store, i) for i in update_repo.ids_of_source(store, source_id)]


# -- leases --------------------------------------------------------------------------------------


def source_state(store, source_id, status=None):
    """``(status, explanation)`` of a source as a reader must see it, without writing anything.

    A source left ``pending``/``running`` by updates whose node stopped
    renewing their lease is ``failed`` with the reason (store/leases.py); the
    next claim on its inventory records that.  The explanation is that of the
    source's last update otherwise ('' when none).
    """
    if status is None:
        status = source_repo.stored_status(store, source_id)
    return update_repo.source_state(store, source_id, status)


def running_update(store, inventory_id):
    """The running update record of an inventory, or None (records whose lease passed are marked failed)."""
    with store.transaction():
        store.lock_inventory(inventory_id)
        update_repo.expire(store, inventory_id)
        row = update_repo.running(store, inventory_id)
    return None if row is None else _record(row)


def _renewer(record_id, node):
    return lambda own: update_repo.renew(own, record_id, node)


# -- what may run --------------------------------------------------------------------------------


def can_update(store, source) -> tuple:
    """``(can_update, reason)`` with AWX's rules: manual and file sources never update, an scm source needs its project."""
    if source["source"] == "":
        return False, "manual inventory sources are never updated"
    if source["source"] == "file":
        return False, "file inventory sources are filled by inventory imports, not updated"
    if source["source"] == "scm" and source["source_project_id"] is None:
        return False, "the scm source has no source_project (was the project deleted?)"
    inv = store.get_inventory(int(source["inventory_id"]))
    if inv is None or inv.get("pending_delete"):
        return False, "its inventory is being deleted"
    return True, ""


def last_successful(store, source):
    return update_repo.last_successful(store, source["id"])


def needs_update_on_launch(store, source) -> bool:
    """AWX's rule: ``update_on_launch`` and no successful update within the last ``update_cache_timeout`` seconds."""
    if not source.get("source") or not source.get("update_on_launch"):
        return False
    last = last_successful(store, source)
    if not last:
        return True
    finished = datetime.fromisoformat(last)
    if finished.tzinfo is None:
        finished = finished.replace(tzinfo=timezone.utc)
    return finished + timedelta(seconds=int(source.get("update_cache_timeout") or 0)) <= datetime.now(timezone.utc)


# -- claiming ------------------------------------------------------------------------------------


def _busy_message(store, row, waited):
    other = source_repo.get_by_id(store, row["inventory_source_id"])
    inv = store.get_inventory(int(row["inventory_id"]))
    return ("inventory '%s' is being updated by update %d of source '%s' (node %s, pid %s, started %s); %s" % (
        inv["name"] if inv else row["inventory_id"], row["id"], other["name"] if other else row["inventory_source_id"],
        row["hostname"] or "?", row["pid"], row["started"],
        "gave up waiting after %s seconds" % waited if waited else "not waiting (timeout 0)"))


def claim_update(store, source, record_id=None, launch_type="manual", source_project_update_id=None):
    """One claim attempt, in one short transaction: ``(record id, None)`` when this node won, else ``(None, running row)``.

    With ``record_id`` the pending record becomes running (:class:`NotPending`
    when it is no longer pending); else a new running record is made.  Either
    way only when the inventory has no running update whose lease holds.
    """
    node, pid = leases.node_name(), os.getpid()
    with store.transaction():
        store.lock_inventory(source["inventory_id"])
        update_repo.expire(store, source["inventory_id"])
        if record_id is None:
            won = update_repo.claim_new(store, source, launch_type, source_project_update_id, pid, node)
        else:
            won = record_id if update_repo.claim_pending(store, record_id, pid, node) else None
            if won is None:
                row = update_repo.get(store, record_id)
                if row is None or row["status"] != "pending":
                    raise NotPending("inventory update %d is no longer pending: it is %s (node %s)" % (
                        record_id, row["status"] if row else "deleted", (row or {}).get("hostname") or "?"))
        if won is not None:
            return won, None
        return None, update_repo.running(store, source["inventory_id"])


def _claim(store, source, record_id=None, launch_type="manual", timeout=None, source_project_update_id=None):
    """Make an update of ``source`` the running one of its inventory; returns its id.

    Waits up to ``timeout`` seconds for another running update of the same
    inventory (None: no limit); then raises UpdateBusy.
    """
    start = time.monotonic()
    delay = 0.05
    while True:
        won, running = claim_update(store, source, record_id, launch_type, source_project_update_id)
        if won is not None:
            return won
        waited = time.monotonic() - start
        if timeout is not None and waited >= timeout and running is not None:
            raise UpdateBusy(_busy_message(store, running, int(timeout)))
        pause = delay if timeout is None else min(delay, max(0.0, timeout - waited))
        time.sleep(pause)
        delay = min(delay * 2, _POLL_MAX)


# -- reading a source ----------------------------------------------------------------------------


def _env_value(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)) or value is None:
        return "" if value is None else str(value)
    return canonical_json(value)


def scm_environment(source_vars) -> dict:
    """An scm source's ``source_vars`` as environment variables of the inventory run (AWX's rule)."""
    env = {}
    for key, value in (source_vars or {}).items():
        key = str(key)
        if not key or "=" in key or "\x00" in key:
            raise ValidationError("source_vars key %r cannot be an environment variable name" % key)
        env[key] = _env_value(value)
    return env


def _extra_args(source):
    args = []
    if source.get("limit"):
        args += ["--limit", source["limit"]]
    return args


def _log(lines, stderr, verbosity):
    out = list(lines)
    if stderr:
        text = importer.trim_stderr(stderr, LOG_LIMIT)
        if verbosity == 0:
            text = "\n".join(line for line in text.splitlines() if "WARNING" in line or "ERROR" in line)
        if text:
            out.append(text)
    return "\n".join(out) + "\n"


def _scm_input(store, source, launch_type, log, held):
    """``(path, env, revision, project_update_id, checkout)`` of an scm source; updates the project first when it has no checkout.

    The checkout's lock is entered into ``held`` (an ExitStack): no project
    update moves the checkout until the caller has read it.
    """
    project = project_sync.get_project(store, source["source_project_id"])
    if project is None:
        raise _Failed("the source's project (id %s) does not exist" % source["source_project_id"])
    checkout = project_sync.project_checkout_path(store, project)
    held.enter_context(checkout_lock(checkout))
    project_update_id = None
    if not os.path.isdir(checkout) or not project.get("scm_revision"):
        log.append("project '%s' has no checkout yet: updating it first" % project["name"])
        pu = project_sync.run_project_update(store, project, launch_type="sync")
        project_update_id = pu["id"]
        if pu["status"] != "successful":
            raise _Failed('Previous Task Failed: {"job_type": "project_update", "job_name": "%s", "job_id": "%s"}: %s'
                          % (project["name"], pu["id"], pu.get("job_explanation") or pu["status"]),
                          log=pu.get("result_stdout") or "", project_update=project_update_id)
        project = project_sync.require_project(store, project["id"])
        checkout = project_sync.project_checkout_path(store, project)
    try:
        path = resolve_in_checkout(checkout, source["source_path"])
        refuse_escaping_links(checkout, path, source["source_path"] or ".")
    except ValidationError as exc:
        raise _Failed(str(exc), project_update=project_update_id) from None
    # this node's checkout: its revision, which another node's update of the project does not move
    revision = checkout_revision(checkout) or project["scm_revision"]
    log.append("project '%s' at revision %s, source_path '%s'" % (project["name"], revision or "?", source["source_path"] or "."))
    try:
        env = scm_environment(source["source_vars"])
    except ValidationError as exc:
        raise _Failed(str(exc), project_update=project_update_id) from None
    return path, env, revision, project_update_id, os.path.realpath(checkout)


def store_paths(store) -> list:
    """What an scm inventory run must not see of ``store``: its file, -wal, -shm, its directory and the projects root."""
    target = store.target
    paths = [projects_root(store)]
    if target and target != ":memory:" and not target.startswith(("postgresql://", "postgres://", "file:")):
        path = os.path.abspath(os.path.expanduser(target))
        paths += [os.path.dirname(path), path, path + "-wal", path + "-shm"]
    return paths


def scm_run_isolation(checkout, source_env, hide=(), log=None):
    """``(environment, argv prefix)`` of an scm inventory run in ``checkout`` (see :mod:`isolation`).

    ValidationError when a required sandbox cannot be made.
    """
    run_env = isolation.inventory_environment(source_env)
    wrapper, note = isolation.sandbox(checkout, hide=hide, env=run_env)
    if log is not None:
        log.append(note)
    return run_env, wrapper


def _plugin_config(source, workdir):
    """Write a plugin source's configuration (``source_vars`` + ``plugin``) into ``workdir``; returns its path."""
    import yaml  # PyYAML ships with ansible-core; only a plugin source's configuration needs it

    config = dict(source["source_vars"] or {})
    config["plugin"] = source["source"]
    # most plugins accept only files named after them (aws_ec2.yml, smart.yml ...)
    path = os.path.join(workdir, "%s.yml" % source["source"].split(".")[-1])
    with open(path, "w") as handle:
        yaml.safe_dump(config, handle, default_flow_style=False)
    return path


def _execute(store, source, launch_type, log, dry_run=False, record_id=None):
    """Read the source and import it; with ``record_id`` the record is finished in the import's transaction.

    Returns ``(counts, revision, project_update_id, stderr)``; raises _Failed.
    """
    revision, pu_id, stderr = "", None, ""
    if source["source"] == "constructed":
        try:
            with store.transaction(dry_run=dry_run):
                store.lock_inventory(source["inventory_id"])
                counts = dict(constructed.update_constructed_inventory(store, int(source["inventory_id"]), dry_run=False))
                if counts.get("log"):
                    log.append(str(counts.pop("log")).rstrip())
                if record_id is not None:
                    _finish(store, record_id, source, "successful", counts, _log(log + [_summary(counts)], "", 1), "", revision,
                            pu_id)
        except FleetInventoryError as exc:
            raise _Failed(str(exc)) from None
        return counts, revision, pu_id, stderr
    workdir = cwd = None
    held = contextlib.ExitStack()
    try:
        base_env = wrapper = None
        if source["source"] == "scm":
            # as AWX: scripts run in the project's checkout (relative paths in the repository work), with a
            # clean environment and, where bwrap is installed, in a sandbox that hides the store
            path, env, revision, pu_id, cwd = _scm_input(store, source, launch_type, log, held)
            try:
                base_env, wrapper = scm_run_isolation(cwd, env, hide=store_paths(store), log=log)
            except ValidationError as exc:
                raise _Failed(str(exc), project_update=pu_id) from None
            env = None
        else:
            workdir = tempfile.mkdtemp(prefix="fleet-inventory-source-")
            path, env = _plugin_config(source, workdir), None
        extra = _extra_args(source)
        log.append("ansible-inventory -i %s --list --export%s" % (path, "".join(" " + a for a in extra)))
        try:
            data, stderr = importer.run_ansible_inventory(path, env=env, extra_args=extra, cwd=cwd, base_env=base_env,
                                                          wrapper=wrapper)
        except FleetInventoryError as exc:
            raise _Failed(str(exc).splitlines()[0], log=str(exc), project_update=pu_id) from None
    finally:
        held.close()
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    try:
        process.check_canceled()
    except UpdateCanceled as exc:
        raise _Failed(str(exc), project_update=pu_id) from None
    try:
        with store.transaction(dry_run=dry_run):
            store.lock_inventory(source["inventory_id"])
            counts = importer.import_inventory(
                store, int(source["inventory_id"]), data, overwrite=source["overwrite"], overwrite_vars=source["overwrite_vars"],
                enabled_var=source["enabled_var"] or None, enabled_value=source["enabled_value"] or None,
                instance_id_var=source["instance_id_var"] or None, inventory_source_id=source["id"])
            if record_id is not None:
                _finish(store, record_id, source, "successful", counts, _log(log + [_summary(counts)], stderr, source["verbosity"]),
                        "", revision, pu_id)
    except FleetInventoryError as exc:
        raise _Failed(str(exc), log=_log([], stderr, source["verbosity"]), project_update=pu_id) from None
    return counts, revision, pu_id, stderr


def _summary(counts):
    h, g = counts.get("hosts", {}), counts.get("groups", {})
    return ("imported: hosts added %s, updated %s, removed %s, unchanged %s; groups added %s, updated %s, removed %s,"
            " unchanged %s; %s hosts and %s groups in the inventory" % (
                h.get("added", 0), h.get("updated", 0), h.get("removed", 0), h.get("unchanged", 0), g.get("added", 0),
                g.get("updated", 0), g.get("removed", 0), g.get("unchanged", 0), counts.get("total_hosts", "?"),
                counts.get("total_groups", "?")))


def _finish(store, record_id, source, status, counts, log, explanation, revision, pu_id):
    counts = {k: v for k, v in (counts or {}).items() if k not in ("before", "after")}
    if len(log) > LOG_LIMIT:
        log = "...\n" + log[-LOG_LIMIT:]
    with store.transaction():
        update_repo.finish(store, record_id, source, status, counts, log, explanation, revision, pu_id)


def _run_claimed(store, source, record_id, launch_type):
    """Run a claimed (running) update to its end; returns the finished record.

    While it runs, its heartbeat (every :func:`stream_interval` seconds)
    renews the lease, appends the new log lines to ``result_stdout`` and reads
    ``cancel_flag``: a set flag kills the update's process group (see
    :class:`process.ProcessControl`) and the record ends ``canceled``.  So does
    a cancel of the caller's own control (a worker stopping with the service).
    """
    log = LiveLog(verbosity=source["verbosity"])
    log.append("updating inventory '%s' from source '%s' (%s)" % (source["inventory"], source["name"], source["source"]))
    outer = process.current_control()
    control = outer.child(log.output) if outer is not None else process.ProcessControl(on_output=log.output)
    beat = streaming_beat(update_repo.beat, record_id, leases.node_name(), log, control)
    try:
        with process.controlled(control), keep_lease(store, beat, interval=stream_interval()):
            _execute(store, source, launch_type, log, record_id=record_id)
    except (_Failed, UpdateCanceled) as exc:
        explanation = exc.explanation if isinstance(exc, _Failed) else str(exc)
        extra = [exc.log] if isinstance(exc, _Failed) and exc.log else []
        pu_id = exc.project_update if isinstance(exc, _Failed) else None
        if control.canceled:
            _finish(store, record_id, source, "canceled", {}, _log(log + extra + [control.reason], "", 1), control.reason, "",
                    pu_id)
        else:
            _finish(store, record_id, source, "failed", {}, _log(log + extra + [explanation], "", 1), explanation, "", pu_id)
    except Exception as exc:  # a bug must not leave the record running
        _finish(store, record_id, source, "failed", {}, _log(log + [traceback.format_exc()], "", 1),
                "the update failed unexpectedly: %s" % exc, "", None)
    except BaseException:
        _finish(store, record_id, source, "failed", {}, _log(log + ["interrupted"], "", 1), "the update was interrupted", "", None)
        raise
    return get_update(store, record_id)


def _as_source(store, source):
    if isinstance(source, dict):
        fresh = source_repo.get_by_id(store, source["id"])
    else:
        fresh = source_repo.get_by_id(store, int(source))
    if fresh is None:
        raise NotFound("inventory source %s does not exist" % (source.get("name") if isinstance(source, dict) else source))
    return fresh


def run_source_update(store, source, launch_type="manual", wait=True, timeout=None, source_project_update_id=None) -> dict:
    """Update ``source`` (a source dict or id); returns the inventory update record.

    ``wait=True`` runs the update here and returns the finished record (its
    ``status`` tells success; a failed update is a record, not an exception).
    ``wait=False`` starts it in a detached background process (own session,
    no terminal; see :func:`_spawn`) and returns the
    ``pending`` record; follow it
    with :func:`get_update`.  A source that cannot update is a
    ValidationError; an inventory busy for longer than ``timeout`` seconds is
    UpdateBusy (with ``wait=False``, the background update waits and fails
    instead).
    """
    if store.in_transaction:
        raise ValidationError("an inventory update cannot run inside a store transaction (it commits its record first)")
    source = _as_source(store, source)
    ok, reason = can_update(store, source)
    if not ok:
        raise ValidationError("inventory source '%s' of inventory '%s' cannot be updated: %s" % (
            source["name"], source["inventory"], reason))
    if not wait:
        return _start_detached(store, source, launch_type, timeout, source_project_update_id)
    record_id = _claim(store, source, launch_type=launch_type, timeout=timeout, source_project_update_id=source_project_update_id)
    return _run_claimed(store, source, record_id, launch_type)


def preview_source_update(store, source) -> dict:
    """What an update would change, without a record or any write (check mode): the importer's counts.

    An scm source whose project has no checkout yet is reported as changing
    (``{"changed": True, "project_update_needed": True}``) without fetching it.
    """
    source = _as_source(store, source)
    ok, reason = can_update(store, source)
    if not ok:
        raise ValidationError("inventory source '%s' of inventory '%s' cannot be updated: %s" % (
            source["name"], source["inventory"], reason))
    if source["source"] == "scm":
        project = project_sync.get_project(store, source["source_project_id"])
        if project is None or not project.get("scm_revision") or not os.path.isdir(project_sync.project_checkout_path(store, project)):
            return {"changed": True, "project_update_needed": True}
    try:
        counts = _execute(store, source, "manual", [], dry_run=True)[0]
    except _Failed as exc:
        raise ValidationError("inventory source '%s' would fail to update: %s" % (source["name"], exc.explanation)) from None
    return {k: v for k, v in counts.items() if k not in ("before", "after")}


# -- background updates ----------------------------------------------------------------------------


def _start_detached(store, source, launch_type, timeout, source_project_update_id):
    if store.target == ":memory:" or not store.target:
        raise ValidationError("wait=false needs a store file: an in-memory store ends with this process")
    with store.transaction():
        record_id = update_repo.insert_pending(store, source, launch_type, source_project_update_id, leases.node_name())
    root = _collection_root()
    problem = _spawn(store.connect_target, root, record_id, timeout) if root else "cannot find this collection's files to start a background update"
    if problem:
        _finish(store, record_id, source, "failed", {}, problem + "\n", problem, "", None)
    return get_update(store, record_id)


def _collection_root():
    """The directory holding ``ansible_collections`` (a fresh interpreter imports the collection from there), or None."""
    parts = os.path.abspath(__file__).split(os.sep)
    if "ansible_collections" not in parts:
        return None
    index = len(parts) - 1 - parts[::-1].index("ansible_collections")
    return os.sep.join(parts[:index]) or os.sep


def _read_all(fd):
    chunks = []
    while True:
        data = os.read(fd, 64)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def _spawn(target, root, record_id, timeout):
    """Start the update in a fresh interpreter (its own session) that detaches; returns a problem or ''.

    No fork of this (maybe multi-threaded) process, and no SQLite state crosses
    into the update's process.  The store's name goes through the environment,
    not the command line, which every user of the machine can read (a
    PostgreSQL URL may hold a password).
    """
    read_end, write_end = os.pipe()
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates; updates._detached_main(sys.argv[2:])")
    argv = [sys.executable, "-c", code, root, str(record_id), "" if timeout is None else repr(float(timeout))]
    env = dict(os.environ)
    env[_ENV_UPDATE_STORE] = target
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, write_end, 1),
               (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)]
    try:
        # not AnsibleModule.run_command: a detached process in its own session that outlives this one is the point
        pid = os.posix_spawn(sys.executable, argv, env, file_actions=actions, setsid=True)  # pylint: disable=ansible-bad-function
    except OSError as exc:
        os.close(read_end)
        os.close(write_end)
        return "cannot start a background process: %s" % (exc.strerror or exc)
    os.close(write_end)
    data = _read_all(read_end)
    os.close(read_end)
    os.waitpid(pid, 0)  # it exits as soon as it has detached the update's process
    return "" if data.strip().isdigit() else "the background process did not start"


def _detached_main(args):  # pragma: no cover - runs in the background process
    """Entry point of :func:`_spawn`'s interpreter: detach, claim the pending record, run the update."""
    target = os.environ.pop(_ENV_UPDATE_STORE)
    record_id = int(args[0])
    timeout = float(args[1]) if len(args) > 1 and args[1] else None
    if os.fork() != 0:
        os._exit(0)
    _detached_run(Store, target, record_id, timeout, report_fd=1)


def _detached_run(store_class, target, record_id, timeout, report_fd):  # pragma: no cover - runs in the background process
    """Record this process on the pending record, tell ``report_fd`` its pid, run the update, exit."""
    code = 0
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        own = store_class(target)
        try:
            row = update_repo.get(own, record_id)
            with own.transaction():
                update_repo.set_runner(own, record_id, os.getpid(), leases.node_name())
            os.write(report_fd, b"%d\n" % os.getpid())
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            if report_fd > 2:
                os.close(report_fd)
            _background(own, _as_source(own, row["inventory_source_id"]), record_id, row["launch_type"], timeout)
        finally:
            own.close()
    except BaseException:  # pylint: disable=broad-except
        code = 1
        _record_crash(store_class, target, record_id)
    finally:
        os._exit(code)


def _record_crash(store_class, target, record_id):  # pragma: no cover - runs in the child process
    """The background process failed outside the update itself: say why in the record."""
    try:
        text = traceback.format_exc()
        own = store_class(target)
        try:
            row = update_repo.get(own, record_id)
            source = source_repo.get_by_id(own, row["inventory_source_id"]) if row else None
            if source is not None and row["status"] in ACTIVE:
                _finish(own, record_id, source, "failed", {}, text,
                        "the background update failed: %s" % text.strip().splitlines()[-1], "", None)
        finally:
            own.close()
    except BaseException:  # pylint: disable=broad-except
        pass


def _background(store, source, record_id, launch_type, timeout):  # pragma: no cover - runs in the child process
    try:
        # the pending record's lease is renewed while this process waits for its turn
        with keep_lease(store, _renewer(record_id, leases.node_name())):
            _claim(store, source, record_id=record_id, timeout=timeout)
    except NotPending:
        return  # canceled meanwhile (or ended otherwise): the record says so already
    except FleetInventoryError as exc:
        _finish(store, record_id, source, "failed", {}, str(exc) + "\n", str(exc), "", None)
        return
    _run_claimed(store, _as_source(store, source), record_id, launch_type)


# -- updates run by the service (rules/update_queue.py claims them) ---------------------------------------


def queue_source_update(store, source, launch_type="manual", source_project_update_id=None) -> dict:
    """Record a ``pending`` update of ``source`` in the service's queue without running it; returns the record.

    A worker of the service (any node on the store) claims it with the same
    atomic claim as every update (:func:`claim_update`) and runs it.  A source
    that cannot update is a ValidationError, as for :func:`run_source_update`.
    """
    source = _as_source(store, source)
    ok, reason = can_update(store, source)
    if not ok:
        raise ValidationError("inventory source '%s' of inventory '%s' cannot be updated: %s" % (
            source["name"], source["inventory"], reason))
    with store.transaction():
        record_id = update_repo.insert_queued(store, source, launch_type, source_project_update_id)
    return get_update(store, record_id)


def claim_queued(store, record_id, inventory_source_id):
    """Claim the queued record for this node; the source when this caller won it, None when another worker did,
    it is no longer pending, or its inventory has a running update (the record stays queued)."""
    source = source_repo.get_by_id(store, int(inventory_source_id))
    if source is None:
        return None
    try:
        won, _running = claim_update(store, source, record_id=int(record_id))
    except NotPending:
        return None
    return source if won is not None else None


def run_queued_update(store, record_id, source) -> dict:
    """Run a claimed queued record to its end (see :func:`_run_claimed`); returns the finished record."""
    row = update_repo.get(store, record_id)
    ok, reason = can_update(store, source)
    if not ok:  # changed since it was queued (a manual source now, its inventory being deleted, ...)
        explanation = "inventory source '%s' cannot be updated any more: %s" % (source["name"], reason)
        _finish(store, int(record_id), source, "failed", {}, explanation + "\n", explanation, "", None)
        return get_update(store, record_id)
    return _run_claimed(store, source, int(record_id), row["launch_type"] if row else "manual")


def can_cancel(rec) -> bool:
    """AWX's ``can_cancel``: the update is pending or running."""
    return rec is not None and rec["status"] in ACTIVE


def cancel_update(store, update_id) -> dict:
    """Cancel inventory update ``update_id``; returns the record as it reads now.

    A pending update becomes ``canceled`` at once.  A running one gets its
    ``cancel_flag``: the node running it sees the flag at its next heartbeat
    (within ``leasing.STREAM_SECONDS``), kills its process group (SIGTERM, then
    SIGKILL after :data:`process.KILL_GRACE` seconds) and finishes it
    ``canceled``.  NotFound for an unknown id; ValidationError (AWX: 405) when
    the update has ended.
    """
    rec = require_update(store, update_id)
    if not can_cancel(rec):
        raise ValidationError("inventory update %s cannot be canceled: it is %s" % (update_id, rec["status"]))
    # no inventory lock: each statement is atomic on its own (a claim racing with it makes the first match nothing and
    # the second flag the now running record), and a cancel must not wait for an import's transaction
    with store.transaction():
        done = update_repo.cancel_pending(store, update_id, CANCEL_REQUESTED) or update_repo.flag_cancel(store, update_id)
    if not done:
        rec = require_update(store, update_id)
        raise ValidationError("inventory update %s cannot be canceled: it is %s" % (update_id, rec["status"]))
    return require_update(store, update_id)


def wait_for_update(store, update_id, timeout=None, interval=0.2) -> dict:
    """Poll a record until it is no longer pending/running (or ``timeout`` seconds passed); returns it."""
    start = time.monotonic()
    while True:
        rec = require_update(store, update_id)
        if rec["status"] not in ACTIVE:
            return rec
        if timeout is not None and time.monotonic() - start >= timeout:
            return rec
        time.sleep(interval)


# -- the project's side ------------------------------------------------------------------------------


def update_sources_for_project(store, project_id, project_update_id) -> list:
    """After a successful project update: update its scm sources that have update_on_project_update.

    As AWX does, a source whose last imported revision is the project's
    current revision is skipped (nothing changed).  Returns the records of
    the updates run (a refused or failing one is a failed record, the others
    still run).
    """
    project = project_sync.get_project(store, int(project_id))
    if project is None:
        return []
    revision = project.get("scm_revision") or ""
    records = []
    for src in source_repo.of_project(store, project["id"]):
        if src["source"] != "scm" or not src["update_on_project_update"]:
            continue
        if revision and src["scm_last_revision"] == revision:
            continue
        try:
            records.append(run_source_update(store, src, launch_type="scm", wait=True, timeout=None,
                                             source_project_update_id=project_update_id))
        except FleetInventoryError as exc:
            records.append({"inventory_source": src["id"], "name": "%s - %s" % (src["inventory"], src["name"]),
                            "status": "failed", "failed": True, "job_explanation": str(exc)})
    return records


# -- AWX's update_inventory_sources ------------------------------------------------------------------


def _denied_status(store, src, inv) -> str:
    """AWX 3.2's status of a source the caller may not update (its scm project, else its inventory)."""
    if src["source"] == "scm" and src.get("source_project_id") is not None:
        project = project_sync.get_project(store, int(src["source_project_id"]))
        if project is not None:
            return "You do not have permission to update project `%s`" % project["name"]
    return "You do not have permission to update inventory `%s`" % inv["name"]


def update_inventory_sources(store, inventory, wait=True, timeout=None, list_only=False, check_mode=False, queue=False,
                             may_update=None) -> dict:
    """AWX's ``/inventories/{id}/update_inventory_sources/`` over every non-manual source of ``inventory``.

    ``list_only`` is the GET view: ``inventory_updates`` lists
    ``inventory_source`` (id), ``name`` and ``can_update`` per source.
    Otherwise (POST) each source that can update is updated (``status:
    started`` with ``inventory_update``, the record's id, and the record's
    fields), the others get ``status: "Could not start because `can_update`
    returned False"``; ``status_code`` is AWX's: 200 when every source
    started, 202 when some did, 400 when none could, and 400 with ``detail``
    "No inventory sources to update." when the inventory has none.
    ``check_mode`` starts nothing and reports what would start.  ``queue``
    records each update in the service's queue (:func:`queue_source_update`)
    instead of running it; ``may_update(source)`` (the service's RBAC) makes a
    source the caller may not update one that cannot update, with AWX 3.2's
    status "You do not have permission to update project `x`" (of its scm
    project; for another source, of its inventory).
    """
    inv = store.require_inventory(inventory)
    srcs = [s for s in source_repo.of_inventory(store, inv) if s["source"] != ""]
    results = []
    for src in srcs:
        ok, reason = can_update(store, src)
        denied = None
        if ok and may_update is not None and not may_update(src):
            ok, reason = False, "permission denied: updating this source needs the update role on its inventory" + (
                " and on its source project" if src["source"] == "scm" else "")
            denied = _denied_status(store, src, inv)
        entry = {"inventory_source": src["id"], "name": src["name"], "source": src["source"], "can_update": ok,
                 "source_status": src["status"]}
        if not ok:
            entry["reason"] = reason
        if denied:
            entry["denied"] = denied
        results.append(entry)
    if list_only:
        return {"inventory": inv["name"], "inventory_updates": results, "status_code": 200}
    started = failures = 0
    for entry in results:
        if not entry["can_update"]:
            entry["status"] = entry.pop("denied", None) or NOT_STARTED
            failures += 1
            continue
        if check_mode:
            entry["status"] = "started"
            started += 1
            continue
        try:
            if queue:
                rec = queue_source_update(store, entry["inventory_source"])
            else:
                rec = run_source_update(store, entry["inventory_source"], wait=wait, timeout=timeout)
        except FleetInventoryError as exc:
            entry["status"] = "Could not start: %s" % exc
            failures += 1
            continue
        details = {k: v for k, v in rec.items() if k not in ("status", "inventory_source", "name", "source")}
        entry.update(details)
        entry["update_status"] = rec["status"]
        entry["status"] = "started"
        entry["inventory_update"] = rec["id"]
        started += 1
    out = {"inventory": inv["name"], "inventory_updates": results}
    if failures and started:
        out["status_code"] = 202
    elif failures:
        out["status_code"] = 400
    elif not started:
        out["status_code"] = 400
        out["detail"] = NO_SOURCES
    else:
        out["status_code"] = 200
    return out
