# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Import any inventory that ``ansible-inventory`` can read into a stored inventory.

Two steps, kept apart so that the slow one holds no lock on the store:

1. :func:`load_inventory_source` runs ``ansible-inventory --list --export`` on
   the source (a file, a directory, a script, a plugin configuration) and
   returns its JSON document, or raises :class:`InventorySourceError` with
   ansible's own reason.
2. :func:`import_inventory` writes that document into a normal inventory in
   one transaction, the way AWX's ``inventory_import`` does (overwrite,
   overwrite_vars, enabled_var/enabled_value, instance_id_var), but in bulk:
   the inventory's current hosts, groups and links are read once, compared in
   memory, and only the differences are written.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json, now
from ansible_collections.fleet.inventory.plugins.module_utils.errors import InventorySourceError, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.runtime.process import ProcessTimeout, run_process
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_content
from ansible_collections.fleet.inventory.plugins.module_utils.store.inventories import set_variables as set_inventory_variables

# ansible's own names for the implicit groups; never stored as groups
IMPLICIT_GROUPS = ("all", "ungrouped")
# a host or group variable AWX reads as the description of a new object
DESCRIPTION_VAR = "_awx_description"
DEFAULT_DESCRIPTION = "imported"
STDERR_LIMIT = 4000
_JINJA = (re.compile(r"\{\{[^}]+}}"), re.compile(r"\{%[^%]+%}"))


# -- reading a source -------------------------------------------------------------


def _unwrap(obj):
    """json object_hook: ``{"__ansible_unsafe": v}`` -> ``v`` (the C decoder calls it bottom-up)."""
    if len(obj) == 1 and "__ansible_unsafe" in obj:
        return obj["__ansible_unsafe"]
    return obj


def unwrap_tagged(value):
    """Recursively replace ansible's tagged-string wrappers by their plain value.

    ``{"__ansible_unsafe": v}`` becomes ``v``.  A vaulted value
    (``{"__ansible_vault": ciphertext}``) is kept as it is: the store never
    holds a decrypted secret.
    """
    if isinstance(value, dict):
        if len(value) == 1 and "__ansible_unsafe" in value:
            return unwrap_tagged(value["__ansible_unsafe"])
        return {k: unwrap_tagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_tagged(v) for v in value]
    return value


def ansible_inventory_command(ansible_inventory=None) -> list:
    """argv prefix that runs ``ansible-inventory``.

    The given path, else the executable next to ``sys.executable`` (a venv's
    console script), else ``ansible-inventory`` on PATH, else
    ``python -m ansible.cli.inventory`` when ansible-core is importable.
    """
    if ansible_inventory:
        return [ansible_inventory]
    candidate = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return [candidate]
    found = shutil.which("ansible-inventory")
    if found:
        return [found]
    try:
        import importlib.util

        if importlib.util.find_spec("ansible.cli.inventory") is not None:
            return [sys.executable, "-m", "ansible.cli.inventory"]
    except ImportError:
        pass
    raise InventorySourceError("cannot find the ansible-inventory executable next to %s or on PATH" % sys.executable)


def trim_stderr(text: str, limit: int = STDERR_LIMIT) -> str:
    """ansible's error output without blank lines, repeated lines and decoration."""
    lines, seen = [], set()
    for line in (text or "").splitlines():
        line = line.rstrip()
        if not line.strip() or line.strip() == "<<< caused by >>>":
            continue
        if line in seen:
            continue
        seen.add(line)
        lines.append(line)
    out = "\n".join(lines)
    if len(out) > limit:
        out = "...\n" + out[-limit:]
    return out


def _source_error(source, reason):
    return InventorySourceError("cannot read inventory source %s: %s" % (source, reason))


def run_ansible_inventory(source, env=None, timeout=None, ansible_inventory=None, extra_args=None, cwd=None, base_env=None,
                          wrapper=None):
    """Run ``ansible-inventory -i SOURCE --list --export``; returns ``(data, stderr)``.

    ``env`` adds to (and overrides) the current environment; ``extra_args``
    are added to the command line (``--limit``, ``-v``); ``cwd`` is the
    directory it runs in (an scm source's checkout).  ``base_env`` replaces
    the current environment as the base (an scm run's clean one, see
    ``isolation``); ``wrapper`` is an argv prefix (a sandbox).  Unparsable files
    are failures, not warnings.  Raises :class:`InventorySourceError` for a
    missing source, a non-zero exit, a timeout or output that is not a JSON
    mapping.
    """
    source = os.path.expanduser(str(source))
    if not source.strip():
        raise InventorySourceError("inventory source must not be empty")
    is_path = os.path.exists(source)
    if not is_path and "," not in source:
        raise _source_error(source, "no such file or directory")
    argv = ansible_inventory_command(ansible_inventory) + ["-i", source, "--list", "--export"]
    if is_path:
        # as AWX does: vars plugins (group_vars/, host_vars/) and collections next to the source apply
        source = os.path.abspath(source)
        argv[argv.index("-i") + 1] = source
        argv += ["--playbook-dir", source if os.path.isdir(source) else os.path.dirname(source)]
    if extra_args:
        argv += [str(a) for a in extra_args]
    run_env = dict(os.environ if base_env is None else base_env)
    if env:
        run_env.update({str(k): str(v) for k, v in env.items()})
    run_env.update({
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    })
    if wrapper:
        argv = list(wrapper) + argv
    try:
        returncode, stdout, stderr = run_process(argv, timeout=timeout, env=run_env, cwd=cwd)
    except OSError as exc:
        raise _source_error(source, "cannot run %s: %s" % (argv[0], exc.strerror or exc)) from exc
    except ProcessTimeout:
        raise _source_error(source, "ansible-inventory did not finish within %s seconds" % timeout) from None
    stderr_text = stderr.decode("utf-8", "replace")
    if returncode != 0:
        reason = trim_stderr(stderr_text) or "no error output"
        raise _source_error(source, "ansible-inventory exited with %d:\n%s" % (returncode, reason))
    try:
        data = json.loads(stdout.decode("utf-8", "replace"), object_hook=_unwrap)
    except ValueError as exc:
        raise _source_error(source, "ansible-inventory printed no valid JSON (%s)" % exc) from exc
    if not isinstance(data, dict):
        raise _source_error(source, "ansible-inventory printed a JSON %s, not a mapping" % type(data).__name__)
    return data, stderr_text


def load_inventory_source(source, env=None, timeout=None, ansible_inventory=None) -> dict:
    """The ``ansible-inventory --list --export`` document of ``source``.

    ``source`` is a path (file, directory, script, plugin config) or an
    already-parsed document (a dict, returned with tagged strings unwrapped).
    """
    if isinstance(source, dict):
        return unwrap_tagged(source)
    return run_ansible_inventory(source, env=env, timeout=timeout, ansible_inventory=ansible_inventory)[0]


# -- the source in memory ---------------------------------------------------------


class _MemGroup:
    __slots__ = ("name", "variables", "hosts", "children")

    def __init__(self, name):
        self.name = name
        self.variables = {}
        self.hosts = {}  # name -> None (an ordered set)
        self.children = {}


class _MemInventory:
    """What the source says: hosts with variables, groups with variables, hosts and children."""

    def __init__(self):
        self.variables = {}
        self.hosts = {}  # name -> variables
        self.groups = {}  # name -> _MemGroup

    def host(self, name, where):
        if not isinstance(name, str) or not name:
            raise InventorySourceError("inventory data: %s lists a host name that is not a non-empty string: %r" % (where, name))
        if name not in self.hosts:
            self.hosts[name] = {}
        return name

    def group(self, name):
        if name in IMPLICIT_GROUPS:
            return None
        group = self.groups.get(name)
        if group is None:
            group = self.groups[name] = _MemGroup(name)
        return group


def _mapping(value, what):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InventorySourceError("inventory data: %s must be a mapping, not %s" % (what, type(value).__name__))
    return value


def parse_inventory_data(data) -> _MemInventory:
    """Read an ``ansible-inventory --list`` document (or an inventory script's).

    Top-level keys are groups (``_meta`` holds ``hostvars``).  A group is a
    mapping with ``hosts`` (a list of names, or a mapping of name to
    variables), ``vars`` and ``children``, or a plain list of host names.
    ``all``'s variables are the inventory's; hosts listed only under ``all`` or
    ``ungrouped`` belong to no group.  Variables of ``ungrouped`` are treated
    as ``all``'s, as AWX does.
    """
    if not isinstance(data, dict):
        raise InventorySourceError("inventory data must be a mapping, not %s" % type(data).__name__)
    mem = _MemInventory()
    meta = _mapping(data.get("_meta"), "_meta")
    for gname, body in data.items():
        if gname == "_meta":
            continue
        if not isinstance(gname, str) or not gname:
            raise InventorySourceError("inventory data: group name %r is not a non-empty string" % (gname,))
        group = mem.group(gname)
        where = "group '%s'" % gname
        if isinstance(body, list):
            body = {"hosts": body}
        body = _mapping(body, where)
        hosts = body.get("hosts") or []
        if isinstance(hosts, dict):
            for hname, hvars in hosts.items():
                mem.hosts[mem.host(hname, where)].update(_mapping(hvars, "variables of host '%s'" % hname))
                if group is not None:
                    group.hosts[hname] = None
        elif isinstance(hosts, list):
            for hname in hosts:
                mem.host(hname, where)
                if group is not None:
                    group.hosts[hname] = None
        else:
            raise InventorySourceError("inventory data: hosts of %s must be a list or a mapping, not %s" % (where, type(hosts).__name__))
        gvars = _mapping(body.get("vars"), "vars of %s" % where)
        (group.variables if group is not None else mem.variables).update(gvars)
        children = body.get("children") or []
        if isinstance(children, dict):  # YAML-inventory style, tolerated
            children = list(children)
        if not isinstance(children, list):
            raise InventorySourceError("inventory data: children of %s must be a list, not %s" % (where, type(children).__name__))
        for child in children:
            if not isinstance(child, str) or not child:
                raise InventorySourceError("inventory data: %s lists a child group that is not a non-empty string: %r" % (where, child))
            if child in IMPLICIT_GROUPS:
                continue
            mem.group(child)
            if group is not None:
                group.children[child] = None
    hostvars = _mapping(meta.get("hostvars"), "_meta.hostvars")
    for hname, hvars in hostvars.items():
        if hname in mem.hosts:  # as AWX: variables of hosts that no group lists are ignored
            mem.hosts[hname].update(_mapping(hvars, "_meta.hostvars of host '%s'" % hname))
    for name in mem.hosts:
        for pattern in _JINJA:
            if pattern.search(name):
                raise InventorySourceError("inventory data: host name '%s' contains a Jinja expression, which is not allowed" % name)
    for group in mem.groups.values():
        if group.name in group.children:
            raise InventorySourceError("inventory data: group '%s' is its own child" % group.name)
    return mem


# -- AWX's variable lookups -------------------------------------------------------


def _lookup(variables, path):
    """``variables['a']['b']`` for ``a.b``; ``(found, value)``."""
    value = variables
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return canonical_json(value)
    return str(value)


def get_instance_id(variables, instance_id_var) -> str:
    """The first non-empty value of the comma-separated (dotted) variables, as text; '' if none."""
    if not instance_id_var:
        return ""
    for path in str(instance_id_var).split(","):
        path = path.strip()
        if not path:
            continue
        found, value = _lookup(variables, path)
        if found and value not in (None, "", 0, False, [], {}):
            return _as_text(value)
    return ""


def get_enabled(variables, enabled_var, enabled_value=None):
    """AWX's rule: None when ``enabled_var`` is unset or absent (keep the current state);
    with ``enabled_value``, whether the variable equals it (as text, case-insensitive);
    without, the truth value of the variable."""
    if not enabled_var:
        return None
    found, value = _lookup(variables, str(enabled_var))
    if not found:
        return None
    if enabled_value is not None:
        return _awx_str(enabled_value).lower() == _awx_str(value).lower()
    return bool(value)


def _awx_str(value) -> str:
    # Python's str() of the JSON value, as AWX compares them (True -> 'True', None -> 'None')
    return value if isinstance(value, str) else str(value)


# -- importing --------------------------------------------------------------------


def _dumps(value) -> str:
    return json.dumps(value)


def _same(stored_text, stored, new_text, new) -> bool:
    """Whether stored and new variables are equal, type-strictly (1 is not true)."""
    if stored_text == new_text:
        return True
    return canonical_json(stored) == canonical_json(new)


def _counts():
    return {"added": 0, "updated": 0, "removed": 0, "unchanged": 0}


def _find_cycle(links):
    """A list of group ids forming a cycle in ``links`` (parent -> children), or None."""
    children = {}
    for parent, child in links:
        children.setdefault(parent, []).append(child)
    state = {}  # 1 = on the stack, 2 = done
    for root in list(children):
        if state.get(root):
            continue
        stack = [(root, iter(children.get(root, ())))]
        path = [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            mark = state.get(nxt)
            if mark == 1:
                return path[path.index(nxt):] + [nxt]
            if mark is None:
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(children.get(nxt, ()))))
    return None


def import_inventory(store, inventory, data, overwrite=False, overwrite_vars=False, enabled_var=None, enabled_value=None,
                     instance_id_var=None, dry_run=False, with_names=False, kinds=("",), inventory_source_id=None) -> dict:
    """Write an inventory source's content into the normal inventory ``inventory``.

    ``data`` is an ``ansible-inventory --list --export`` document (see
    :func:`load_inventory_source`; a path is loaded with it).  In one
    transaction, as AWX does:

    - ``all``'s variables are merged into the inventory's variables;
    - hosts are matched to stored ones by ``instance_id_var`` (comma-separated
      dotted variables, the first one found wins) and then by name; a host
      matched by instance id takes the source's name (a rename);
    - ``overwrite`` removes the hosts, groups, memberships and child links
      that the source lacks; without it they are kept and links only added;
    - ``overwrite_vars`` replaces host and group variables; without it the
      source's variables are merged into the stored ones;
    - ``enabled_var``/``enabled_value`` set ``enabled`` (see :func:`get_enabled`).

    Only what differs is written.  Returns counts: ``hosts`` and ``groups``
    (``added``, ``updated``, ``removed``, ``unchanged``), ``group_hosts`` and
    ``group_children`` (``added``, ``removed``), ``inventory_variables_changed``,
    ``total_hosts``, ``total_groups`` and ``changed``; with ``with_names`` also
    ``before``/``after`` (sorted host and group names).  ``dry_run`` rolls
    everything back (check mode) and still reports the truth.

    ``kinds`` are the inventory kinds written into: users import into normal
    inventories only; a constructed inventory's own update passes
    ``("constructed",)`` to materialize its result.

    ``inventory_source_id`` imports on behalf of that inventory source (AWX's
    semantics): every host and group of the source is recorded as brought by
    it (``inventory_source_hosts``/``inventory_source_groups``), and
    ``overwrite`` removes only the hosts and groups that this source brought
    (hosts added by hand or by another source stay), and only the memberships
    and child links of the source's own groups.
    """
    if isinstance(data, (str, os.PathLike)):
        data = load_inventory_source(data)
    mem = parse_inventory_data(data)
    with store.transaction(dry_run=dry_run):
        return _Import(store, inventory, mem, overwrite, overwrite_vars, enabled_var, enabled_value, instance_id_var,
                       with_names, kinds, inventory_source_id).run()


class _Import:
    def __init__(self, store, inventory, mem, overwrite, overwrite_vars, enabled_var, enabled_value, instance_id_var, with_names,
                 kinds=("",), inventory_source_id=None):
        self.kinds = tuple(kinds)
        self.source_id = inventory_source_id
        self.store = store
        self.mem = mem
        self.overwrite = bool(overwrite)
        self.overwrite_vars = bool(overwrite_vars)
        self.enabled_var = enabled_var or None
        self.enabled_value = enabled_value
        self.instance_id_var = instance_id_var or None
        self.with_names = with_names
        self.inventory = inventory
        self.stamp = now()
        self.result = {"hosts": _counts(), "groups": _counts(), "group_hosts": {"added": 0, "removed": 0},
                       "group_children": {"added": 0, "removed": 0}, "inventory_variables_changed": False}

    # the inventory's current content, read once
    def _load(self):
        content = inventory_content.load(self.store, self.inv["id"], self.source_id)
        self.db_hosts = content["hosts"]  # id -> (name, description, enabled, instance_id, variables_text)
        self.db_groups = content["groups"]  # name -> (id, variables_text)
        self.db_group_hosts = content["group_hosts"]
        self.db_children = content["children"]
        if self.source_id is not None:
            self.owned_hosts = content["owned_hosts"]
            self.owned_groups = content["owned_groups"]

    def run(self):
        if self.kinds == ("",):
            self.inv = self.store.require_normal_inventory(self.inventory, "imported hosts and groups")
        else:
            self.inv = self.store.require_inventory(self.inventory, kinds=self.kinds, purpose="import")
        if self.inv.get("pending_delete"):
            raise ValidationError("inventory '%s' is being deleted; cannot import into it" % self.inv["name"])
        self._load()
        res = self.result
        if self.with_names:
            res["before"] = {"hosts": sorted(h[0] for h in self.db_hosts.values()), "groups": sorted(self.db_groups)}
        self._inventory_variables()
        host_ids = self._hosts()
        group_ids = self._groups()
        self._links(host_ids, group_ids)
        if self.source_id is not None:
            self._ownership(host_ids, group_ids)
        res["total_hosts"] = len(self.final_host_ids)
        res["total_groups"] = len(group_ids) + len([g for g, (gid, _v) in self.db_groups.items()
                                                    if g not in group_ids and gid not in self.gone_groups])
        res["changed"] = bool(
            res["inventory_variables_changed"]
            or any(res[k][c] for k in ("hosts", "groups") for c in ("added", "updated", "removed"))
            or any(res[k][c] for k in ("group_hosts", "group_children") for c in ("added", "removed")))
        if self.with_names:
            res["after"] = inventory_content.names(self.store, self.inv["id"])
        return res

    def _inventory_variables(self):
        # AWX always merges the source's 'all' variables into the inventory's, even
        # with overwrite_vars, so that variables set on the inventory by hand survive.
        if not self.mem.variables:
            return
        stored = self.inv["variables"] or {}
        new = dict(stored)
        new.update(self.mem.variables)
        if canonical_json(new) != canonical_json(stored):
            set_inventory_variables(self.store, self.inv["id"], _dumps(new), self.stamp)
            self.result["inventory_variables_changed"] = True

    # -- hosts ------------------------------------------------------------------------

    def _match_hosts(self):
        """``{source host name: stored host id}``, by instance id first, then by name (AWX's order)."""
        mem_hosts = self.mem.hosts
        by_iid = {}
        self.mem_iids = {}
        if self.instance_id_var:
            # stored hosts that have no instance_id yet, but whose stored variables hold one
            from_vars, from_column = {}, {}
            # a cheap text test first: the stored JSON must name one of the top-level keys
            tops = [json.dumps(p.strip().split(".")[0]) for p in self.instance_id_var.split(",") if p.strip()]
            for hid, (name, _d, _e, iid, vtext) in sorted(self.db_hosts.items()):
                if iid:
                    from_column.setdefault(iid, hid)
                elif vtext and any(t in vtext for t in tops):
                    computed = get_instance_id(json.loads(vtext) if vtext else {}, self.instance_id_var)
                    if computed:
                        from_vars.setdefault(computed, hid)
            claimed = set()
            for name, hvars in mem_hosts.items():
                iid = get_instance_id(hvars, self.instance_id_var)
                self.mem_iids[name] = iid
                if not iid:
                    continue
                hid = from_vars.get(iid)
                if hid is None or hid in claimed:
                    hid = from_column.get(iid)
                if hid is not None and hid not in claimed:
                    by_iid[name] = hid
                    claimed.add(hid)
        db_by_name = {row[0]: hid for hid, row in self.db_hosts.items()}
        # AWX's outcome when both apply: a stored host that already has the source host's name,
        # and that no instance id claims, is the match (the instance-id match is let go).
        # Letting one go can free a stored host that another source host's name then wins:
        # repeat until nothing moves.
        moved = True
        while moved:
            moved = False
            claimed = set(by_iid.values())
            for name, hid in list(by_iid.items()):
                holder = db_by_name.get(name)
                if holder is not None and holder != hid and holder not in claimed:
                    del by_iid[name]
                    moved = True
        claimed = set(by_iid.values())
        match = dict(by_iid)
        for name in mem_hosts:
            if name in match:
                continue
            hid = db_by_name.get(name)
            if hid is not None and hid not in claimed:
                match[name] = hid
        return match

    def _hosts(self):
        """Create, update, rename and (with overwrite) delete hosts; returns ``{name: id}`` of the source's hosts."""
        res = self.result["hosts"]
        match = self._match_hosts()
        matched_ids = set(match.values())
        if self.overwrite:
            gone = [hid for hid in self.db_hosts if hid not in matched_ids and self._may_remove_host(hid)]
            inventory_content.delete_rows(self.store, "hosts", gone)
            res["removed"] = len(gone)
            self.gone_hosts = set(gone)
            if self.source_id is not None:  # their ids may be reused by the hosts inserted below
                self.owned_hosts -= self.gone_hosts
        else:
            self.gone_hosts = set()
        updates, renames, inserts = [], [], []
        overwrite_vars, enabled_var, enabled_value = self.overwrite_vars, self.enabled_var, self.enabled_value
        with_iid = bool(self.instance_id_var)
        stamp = self.stamp
        for name, hvars in self.mem.hosts.items():
            description = hvars.pop(DESCRIPTION_VAR, None)
            enabled = get_enabled(hvars, enabled_var, enabled_value) if enabled_var else None
            hid = match.get(name)
            if hid is None:
                iid = self.mem_iids.get(name, "") if with_iid else ""
                inserts.append((name, DEFAULT_DESCRIPTION if description is None else str(description),
                                True if enabled is None else bool(enabled), iid, _dumps(hvars), stamp))
                continue
            db_name, _desc, db_enabled, db_iid, db_vtext = self.db_hosts[hid]
            if overwrite_vars:
                new_vars = hvars
                new_text = _dumps(new_vars)
                same = db_vtext == new_text or _same(db_vtext, json.loads(db_vtext or "{}"), new_text, new_vars)
            else:
                stored = json.loads(db_vtext) if db_vtext else {}
                new_vars = dict(stored)
                new_vars.update(hvars)
                new_text = _dumps(new_vars)
                same = db_vtext == new_text or _same(db_vtext, stored, new_text, new_vars)
            new_enabled = bool(db_enabled) if enabled is None else enabled
            new_iid = self.mem_iids.get(name, "") if with_iid else db_iid
            if same and new_enabled == bool(db_enabled) and new_iid == db_iid and name == db_name:
                res["unchanged"] += 1
                continue
            res["updated"] += 1
            updates.append((db_vtext if same else new_text, bool(new_enabled), new_iid, stamp, hid))
            if name != db_name:
                renames.append((name, hid))
        if renames:
            inventory_content.rename_hosts(self.store, renames)
        if updates:
            inventory_content.update_hosts(self.store, updates)
        ids = dict(match)
        if inserts:
            ids.update(inventory_content.insert_hosts(self.store, self.inv["id"], inserts))
            res["added"] = len(inserts)
        self.final_host_ids = (set(self.db_hosts) - self.gone_hosts) | set(ids.values())
        return ids

    # -- groups -----------------------------------------------------------------------

    def _groups(self):
        """Create, update and (with overwrite) delete groups; returns ``{name: id}`` of the source's groups."""
        res = self.result["groups"]
        self.var_updated_groups = set()
        if self.overwrite:
            gone = [gid for name, (gid, _v) in self.db_groups.items() if name not in self.mem.groups and self._may_remove_group(gid)]
            inventory_content.delete_rows(self.store, "groups", gone)
            res["removed"] = len(gone)
            self.gone_groups = set(gone)
            if self.source_id is not None:
                self.owned_groups -= self.gone_groups
        else:
            self.gone_groups = set()
        updates, inserts = [], []
        ids = {}
        for name, group in self.mem.groups.items():
            gvars = group.variables
            description = gvars.pop(DESCRIPTION_VAR, None)
            stored_row = self.db_groups.get(name)
            if stored_row is None:
                inserts.append((name, DEFAULT_DESCRIPTION if description is None else str(description), _dumps(gvars), self.stamp))
                continue
            gid, vtext = stored_row
            ids[name] = gid
            stored = json.loads(vtext) if vtext else {}
            if self.overwrite_vars:
                new_vars = gvars
            else:
                new_vars = dict(stored)
                new_vars.update(gvars)
            new_text = _dumps(new_vars)
            if not _same(vtext, stored, new_text, new_vars):
                updates.append((new_text, self.stamp, gid))
                self.var_updated_groups.add(gid)
        if updates:
            inventory_content.update_groups(self.store, updates)
        if inserts:
            ids.update(inventory_content.insert_groups(self.store, self.inv["id"], inserts))
            res["added"] = len(inserts)
        self.new_groups = {ids[row[0]] for row in inserts}
        return ids

    # -- memberships and child links ------------------------------------------------------

    def _links(self, host_ids, group_ids):
        gone_hosts, gone_groups = self.gone_hosts, self.gone_groups
        want_hosts = set()
        want_children = set()
        for name, group in self.mem.groups.items():
            gid = group_ids[name]
            for hname in group.hosts:
                want_hosts.add((gid, host_ids[hname]))
            for cname in group.children:
                want_children.add((gid, group_ids[cname]))
        have_hosts = {(g, h) for g, h in self.db_group_hosts if g not in gone_groups and h not in gone_hosts}
        have_children = {(p, c) for p, c in self.db_children if p not in gone_groups and c not in gone_groups}
        add_hosts = want_hosts - have_hosts
        add_children = want_children - have_children
        drop_hosts = have_hosts - want_hosts if self.overwrite else set()
        drop_children = have_children - want_children if self.overwrite else set()
        if self.source_id is not None:
            # AWX: a source's update drops only the links of the groups it has
            source_groups = set(group_ids.values())
            drop_hosts = {link for link in drop_hosts if link[0] in source_groups}
            drop_children = {link for link in drop_children if link[0] in source_groups}
        final_children = (have_children - drop_children) | add_children
        if add_children:
            cycle = _find_cycle(final_children)
            if cycle:
                names = {gid: name for name, gid in group_ids.items()}
                names.update({gid: name for name, (gid, _v) in self.db_groups.items()})
                raise ValidationError(
                    "importing into inventory '%s' would make a cycle of child groups: %s (overwrite replaces the stored links)"
                    % (self.inv["name"], " -> ".join(names.get(g, str(g)) for g in cycle)))
        inventory_content.change_links(self.store, drop_hosts, drop_children, add_hosts, add_children)
        res = self.result
        res["group_hosts"] = {"added": len(add_hosts), "removed": len(drop_hosts)}
        res["group_children"] = {"added": len(add_children), "removed": len(drop_children)}
        touched = set(self.var_updated_groups)
        touched.update(g for g, _h in add_hosts)
        touched.update(g for g, _h in drop_hosts)
        touched.update(p for p, _c in add_children)
        touched.update(p for p, _c in drop_children)
        touched -= self.new_groups
        if touched - self.var_updated_groups:
            inventory_content.touch_groups(self.store, self.stamp, touched - self.var_updated_groups)
        existing = [gid for name, gid in group_ids.items() if gid not in self.new_groups]
        res["groups"]["updated"] = len([g for g in existing if g in touched])
        res["groups"]["unchanged"] = len(existing) - res["groups"]["updated"]

    # -- which source brought what ------------------------------------------------------

    def _may_remove_host(self, host_id):
        return self.source_id is None or host_id in self.owned_hosts

    def _may_remove_group(self, group_id):
        return self.source_id is None or group_id in self.owned_groups

    def _ownership(self, host_ids, group_ids):
        """Record the source's hosts and groups as brought by it; only new rows are written."""
        new_hosts = sorted(set(host_ids.values()) - self.owned_hosts)
        new_groups = sorted(set(group_ids.values()) - self.owned_groups)
        inventory_content.record_ownership(self.store, self.source_id, new_hosts, new_groups)
        self.result["source_hosts_added"] = len(new_hosts)
        self.result["source_groups_added"] = len(new_groups)
