# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Constructed inventories: ansible's ``constructed`` logic over stored input inventories.

The engine behind the ``fleet.inventory.constructed`` inventory plugin and the
update of a stored constructed inventory (:func:`update_constructed_inventory`).

1. :func:`read_inputs` reads the input inventories from the store in a few bulk
   queries: hosts, nested groups, host, group and inventory variables, and
   only those fact keys the expressions can read (:class:`FactKeys`).
2. :func:`construct` loads them, in order, into an ansible ``InventoryData``
   (later inputs win on variable conflicts, as ``-i in1 -i in2`` does), then
   runs ansible's own ``Constructable`` methods for ``compose``, ``groups`` and
   ``keyed_groups`` over every host with the variables
   ``ansible.builtin.constructed`` gives them (group vars, host vars, then the
   facts as a fact cache holds them), compiling each expression once, and
   finally applies ``limit`` with ansible's host-pattern matching.
3. :func:`export_inventory` writes the result as ``ansible-inventory --list
   --export --limit`` would; :func:`update_constructed_inventory` imports it
   into the constructed inventory (one transaction).

ansible-core is imported lazily, inside the functions that template: the
module side of the collection (which only stores the configuration) does not
need it.
"""

from __future__ import annotations

import contextlib
import json

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ConstructError, NotFound, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import import_inventory
from ansible_collections.fleet.inventory.plugins.module_utils.store.constructed_inputs import (  # noqa: F401  pylint: disable=unused-import
    CONSTRUCTED_OPTIONS,
    PLUGIN_NAMES,
    constructed_source,
    input_content,
    input_inventories,
    normalize_config,
    resolve_inputs,
    source_name,
)
from ansible_collections.fleet.inventory.plugins.module_utils.store.facts import ALL_FACTS, read_facts


#: host variables of every constructed host: the input inventory it came from
META_VARS = ("awx_inventory_name", "awx_inventory_id")
#: host variables the update adds so that a materialized host links back to its original
INSTANCE_ID_VAR = "remote_tower_id"
ENABLED_VAR = "remote_tower_enabled"

_TEMPLATE_MARKS = ("{{", "{%", "{#")
_INTERNAL_VARS = frozenset(("inventory_file", "inventory_dir"))
_ALL_VARS_NAMES = frozenset(("vars", "hostvars"))
_VARS_LOOKUPS = frozenset(("lookup", "query", "q"))


# -- configuration -------------------------------------------------------------------


def options_of(config) -> dict:
    """The constructed options with ansible's defaults filled in."""
    return {
        "compose": config.get("compose") or {},
        "groups": config.get("groups") or {},
        "keyed_groups": config.get("keyed_groups") or [],
        "strict": bool(config.get("strict", False)),
        "leading_separator": config.get("leading_separator", True) is not False,
        "use_vars_plugins": bool(config.get("use_vars_plugins", False)),
        "use_extra_vars": False,
    }


# -- which facts the expressions need --------------------------------------------------


class FactKeys:
    """Which top-level fact keys some Jinja expressions and templates can read.

    ``keys`` is a set, or :data:`ALL_FACTS` when that cannot be told (the
    ``ansible_facts`` mapping used as a whole, ``vars``/``hostvars``,
    a ``vars`` lookup, or text that does not parse).
    """

    def __init__(self):
        import jinja2  # only needed when compose/groups/keyed_groups are set

        self._env = jinja2.Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
        self._nodes = jinja2.nodes
        self.keys = set()

    def add_expression(self, text):
        """A Jinja expression (``compose`` values, ``groups`` conditionals, ``keyed_groups`` keys)."""
        if self.keys == ALL_FACTS or not isinstance(text, str) or not text.strip():
            return
        sources = ["{{ (%s\n) }}" % text]
        if any(mark in text for mark in _TEMPLATE_MARKS):
            sources.append(text)  # an old-style templated conditional
        self._add(sources)

    def add_template(self, text):
        """A template (``keyed_groups`` ``parent_group``, a templated variable)."""
        if self.keys == ALL_FACTS or not isinstance(text, str):
            return
        self._add([text])

    def add_config(self, options):
        """Every expression and template of the constructed options."""
        for expr in (options.get("compose") or {}).values():
            self.add_expression(expr)
        for expr in (options.get("groups") or {}).values():
            self.add_expression(expr)
        for keyed in options.get("keyed_groups") or []:
            if isinstance(keyed, dict):
                self.add_expression(keyed.get("key"))
                self.add_template(keyed.get("parent_group"))

    def _add(self, sources):
        parsed = False
        for source in sources:
            try:
                tree = self._env.parse(source)
            except Exception:  # pylint: disable=broad-except
                continue
            parsed = True
            try:
                self._walk(tree)
            except _NeedsAll:
                self.keys = ALL_FACTS
                return
        if not parsed:
            self.keys = ALL_FACTS

    def _walk(self, node):
        nodes = self._nodes
        if isinstance(node, (nodes.Getattr, nodes.Getitem)) and isinstance(node.node, nodes.Name) and node.node.name == "ansible_facts":
            if isinstance(node, nodes.Getattr):
                attr = node.attr
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                attr = node.arg.value
            else:
                raise _NeedsAll()
            self.keys.update((attr, "ansible_" + attr))
            return
        if isinstance(node, nodes.Name):
            if node.name == "ansible_facts" or node.name in _ALL_VARS_NAMES:
                raise _NeedsAll()
            self.keys.add(node.name)
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in _VARS_LOOKUPS:
            first = node.args[0] if node.args else None
            if not isinstance(first, nodes.Const) or first.value in ("vars", "varnames"):
                raise _NeedsAll()
        for child in node.iter_child_nodes():
            self._walk(child)


class _NeedsAll(Exception):
    pass


def template_strings(value, out):
    """Add to ``out`` every string in ``value`` that holds a Jinja template mark."""
    if isinstance(value, str):
        if any(mark in value for mark in _TEMPLATE_MARKS):
            out.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            template_strings(item, out)
    elif isinstance(value, list):
        for item in value:
            template_strings(item, out)


# -- templating helpers (ansible-core imported lazily) --------------------------------------


def trusted(value):
    """``value`` with every string trusted as a template, as the vars of an inventory file are."""
    if isinstance(value, str):
        return _trust()(value)
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return value


_TRUST = []


def _trust():
    if not _TRUST:
        from ansible.template import trust_as_template  # pylint: disable=ansible-bad-module-import

        _TRUST.append(trust_as_template)
    return _TRUST[0]


def namespace_facts(facts):
    """The ``ansible_facts`` view of cached facts: the ``ansible_`` prefix removed (except ``ansible_local``), as ansible does."""
    return {(k[8:] if k.startswith("ansible_") and k != "ansible_local" else k): v for k, v in facts.items()}


def constructing_vars(group_vars, host_vars, facts, facts_view=False) -> dict:
    """The variables ``compose``/``groups``/``keyed_groups`` see for one host (the smart and constructed plugins share it).

    Group vars, then host vars, then the host's stored ``facts`` over every
    other variable, as a fact cache adds them.  With ``facts_view`` (the smart
    plugin) ``ansible_facts`` also holds the facts without their ``ansible_``
    prefix (or ``{}`` for a host without facts, unless its variables set one);
    the constructed engine has no such variable, as ``ansible.builtin.constructed``.
    """
    hostvars = dict(group_vars)
    hostvars.update(host_vars)
    if facts:
        hostvars.update(facts)
    if facts_view:
        if facts:
            hostvars["ansible_facts"] = namespace_facts(facts)
        elif "ansible_facts" not in hostvars:
            hostvars["ansible_facts"] = {}
    return hostvars


def refresh_composed(hostvars, compose, host_vars, facts):
    """After ``compose``: the composed variables become visible to ``groups``/``keyed_groups``; a fact of the same name still wins."""
    for key in compose:
        if key in host_vars and not (facts and key in facts):
            hostvars[key] = host_vars[key]


@contextlib.contextmanager
def compile_once(templar):
    """Compile each compose/groups/keyed_groups expression once instead of once per host.

    ``ansible.builtin.constructed`` compiles every expression again for every
    host, which is most of its run time.  Compiled Jinja expressions are
    reusable, so the templar gets a memo of them while it constructs.  This
    reaches into ansible's templating internals; when they are not what is
    expected, expressions are compiled as usual.
    """
    try:
        from ansible._internal._templating._jinja_bits import _TemplateCompileContext  # pylint: disable=ansible-bad-module-import

        env = templar._engine.environment
        compile_expression = env.compile_expression
    except (ImportError, AttributeError):
        yield
        return
    memo = {}

    def memoized(source, *args, **kwargs):
        ctx = _TemplateCompileContext.current(optional=True)
        try:
            key = (str(source), bool(ctx is not None and ctx.escape_backslashes), args, tuple(sorted(kwargs.items())))
            return memo[key]
        except KeyError:
            memo[key] = compiled = compile_expression(source, *args, **kwargs)
            return compiled
        except TypeError:  # unhashable arguments
            return compile_expression(source, *args, **kwargs)

    env.compile_expression = memoized
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError):
            del env.compile_expression


# -- the stored constructed inventory ------------------------------------------------------


def stored_definition(store, inventory):
    """``(inventory_row, inputs [(id, name)], config, limit)`` of a stored constructed inventory."""
    inv = store.require_inventory(inventory, kinds=("constructed",), purpose="expected a constructed inventory")
    source = constructed_source(store, inv["id"])
    inputs = [(i, n) for i, n, _k in input_inventories(store, inv["id"])]
    config = normalize_config((source or {}).get("source_vars") or {}, "constructed inventory '%s' source_vars" % inv["name"])
    limit = (source or {}).get("limit") or ""
    return inv, inputs, config, limit


# -- reading the inputs ----------------------------------------------------------------------


def _vars_text(text):
    if not text or text == "{}":
        return {}
    return json.loads(text)


def read_inputs(store, inputs, options) -> dict:
    """The input inventories' content, read in bulk (plain JSON-able values).

    ``inputs`` is ``[(id, name)]`` in order.  Returns ``{"inputs": [{"id",
    "name", "variables", "hosts": [(host_id, name, enabled, variables)],
    "groups": [(group_id, name, variables)], "group_hosts": [(group_id,
    host_id)], "children": [(parent_id, child_id)]}], "facts": {host_id:
    facts}}`` where the facts hold only the keys the expressions can read.
    """
    constructing = bool(options.get("compose") or options.get("groups") or options.get("keyed_groups"))
    templates = set()
    out = {"inputs": [], "facts": {}}
    for inv_id, inv_name in inputs:
        content = input_content(store, inv_id)
        if content is None:
            raise NotFound("input inventory '%s' does not exist" % inv_name)
        item = {"id": inv_id, "name": inv_name, "variables": _vars_text(content["variables"])}
        hosts = []
        for hid, name, enabled, vtext in content["hosts"]:
            if constructing and vtext and ("{{" in vtext or "{%" in vtext or "{#" in vtext):
                template_strings(json.loads(vtext), templates)
            hosts.append((hid, name, enabled, _vars_text(vtext)))
        item["hosts"] = hosts
        groups = [(gid, name, _vars_text(vtext)) for gid, name, vtext in content["groups"]]
        item["groups"] = groups
        if constructing:
            template_strings([item["variables"]] + [g[2] for g in groups], templates)
        item["group_hosts"] = content["group_hosts"]
        item["children"] = content["children"]
        out["inputs"].append(item)
    if not constructing:
        return out
    finder = FactKeys()
    finder.add_config(options)
    for text in sorted(templates):
        finder.add_template(text)
    out["facts"] = read_facts(store, {h[0] for item in out["inputs"] for h in item["hosts"]}, finder.keys)
    return out


# -- constructing ----------------------------------------------------------------------------


class Result:
    """What :func:`construct` built.

    ``inventory`` is an ansible ``InventoryData`` holding every input host and
    every group (constructed or not); ``selected`` the names of the hosts the
    limit keeps (every host without a limit), in inventory order; ``origin``
    maps a host name to ``(host_id, enabled, inventory_id, inventory_name)``
    of the stored host its variables came from (the last input that has it).
    """

    def __init__(self, inventory, selected, origin, log):
        self.inventory = inventory
        self.selected = selected
        self.origin = origin
        self.log = log


def _engine_class():
    from ansible.plugins.inventory import Constructable  # pylint: disable=ansible-bad-module-import

    class Engine(Constructable):
        """ansible's ``Constructable`` methods with options from a mapping (no config file)."""

        NAME = "fleet.inventory.constructed"

        def __init__(self, options, loader):
            super().__init__()
            self._fleet_options = options
            self.loader = loader
            self._vars = {}

        def get_option(self, option, hostvars=None):
            return self._fleet_options.get(option)

    return Engine


def construct(data, options, limit=None, loader=None, constructable=None, extra_vars=None) -> Result:
    """Run the constructed logic over :func:`read_inputs` data; see :class:`Result`.

    ``options`` are the constructed options (:func:`options_of`).
    ``constructable`` is the object whose ``Constructable`` methods and
    templar do the work (the inventory plugin passes itself); by default a
    private one.  ``extra_vars`` are the play's extra vars, which ``compose``
    and ``keyed_groups`` keys see with ``use_extra_vars``, as in ansible.
    Raises :class:`ConstructError` for a strict template error
    (naming the host, the option and the expression) and for a limit that
    matches no host.
    """
    from ansible.inventory.data import InventoryData  # pylint: disable=ansible-bad-module-import
    from ansible.parsing.dataloader import DataLoader  # pylint: disable=ansible-bad-module-import

    if loader is None:
        loader = DataLoader()
    if constructable is None:
        constructable = _engine_class()(options, loader)
        constructable._vars = dict(extra_vars or {})
    inv = InventoryData()
    constructable.inventory = inv
    origin = {}
    add_host, add_group, add_child, set_variable = inv.add_host, inv.add_group, inv.add_child, inv.set_variable
    for item in data["inputs"]:
        inv_id, inv_name = item["id"], item["name"]
        for key, value in trusted(item["variables"]).items():
            set_variable("all", key, value)
        group_names = {}
        for gid, name, variables in item["groups"]:
            group_names[gid] = add_group(name)
            for key, value in trusted(variables).items():
                set_variable(group_names[gid], key, value)
        host_names = {}
        for hid, name, enabled, variables in item["hosts"]:
            add_host(name)
            host = inv.hosts[name]
            host_names[hid] = name
            if variables:
                for key, value in trusted(variables).items():
                    host.set_variable(key, value)
            host.set_variable("awx_inventory_name", inv_name)
            host.set_variable("awx_inventory_id", inv_id)
            origin[name] = (hid, enabled, inv_id, inv_name)
        for parent, child in item["children"]:
            add_child(group_names[parent], group_names[child])
        for gid, hid in item["group_hosts"]:
            add_host(host_names[hid], group_names[gid])
    inv.reconcile_inventory()

    strict = bool(options.get("strict"))
    compose = options.get("compose") or {}
    groups = options.get("groups") or {}
    keyed_groups = options.get("keyed_groups") or []
    if compose or groups or keyed_groups:
        # the configuration is trusted as templates, as a constructed.yml file is
        compose = {k: trusted(v) for k, v in compose.items()}
        groups = {k: trusted(v) for k, v in groups.items()}
        keyed_groups = [trusted(k) for k in keyed_groups]
        facts_by_id = data.get("facts") or {}
        with compile_once(constructable.templar):
            _construct_hosts(constructable, inv, origin, facts_by_id, compose, groups, keyed_groups, strict)
        inv.reconcile_inventory()  # new groups under 'all', grouped hosts out of 'ungrouped', as after every source

    selected = _apply_limit(inv, limit, loader)
    log = "constructed %d hosts from %s; %d selected%s" % (
        len(inv.hosts), ", ".join("'%s'" % item["name"] for item in data["inputs"]) or "no input",
        len(selected), " by limit '%s'" % limit if limit else "")
    return Result(inv, selected, origin, log)


def _construct_hosts(engine, inv, origin, facts_by_id, compose, groups, keyed_groups, strict):
    from ansible.inventory.helpers import get_group_vars  # pylint: disable=ansible-bad-module-import

    group_vars_memo = {}
    set_composite = engine._set_composite_vars
    add_composed = engine._add_host_to_composed_groups
    add_keyed = engine._add_host_to_keyed_groups
    for name, host in list(inv.hosts.items()):
        host_groups = host.get_groups()
        memo_key = tuple(id(g) for g in host_groups)
        group_vars = group_vars_memo.get(memo_key)
        if group_vars is None:
            group_vars = group_vars_memo[memo_key] = get_group_vars(host_groups)
        facts = facts_by_id.get(origin[name][0])
        hostvars = constructing_vars(group_vars, host.vars, facts)
        for key, expr in compose.items():
            _strictly(set_composite, ({key: expr}, hostvars, name), strict, name, "compose.%s" % key, expr)
        if compose:
            # variables are fetched again after compose: the new ones are visible, facts still win
            refresh_composed(hostvars, compose, host.vars, facts)
        for group, expr in groups.items():
            _strictly(add_composed, ({group: expr}, hostvars, name), strict, name, "groups.%s" % group, expr,
                      fetch_hostvars=False)
        for index, keyed in enumerate(keyed_groups):
            expr = keyed.get("key") if isinstance(keyed, dict) else keyed
            _strictly(add_keyed, ([keyed], hostvars, name), strict, name, "keyed_groups[%d].key" % index, expr,
                      fetch_hostvars=False)


def _strictly(method, args, strict, host, option, expr, **kwargs):
    try:
        method(*args, strict=strict, **kwargs)
    except Exception as exc:  # ansible raises AnsibleError/AnsibleParserError; anything else is the same failure
        reason = getattr(exc, "message", None) or str(exc)
        cause = exc.__cause__
        if cause is not None and str(cause) and str(cause) not in reason:
            reason = "%s: %s" % (reason, cause)
        raise ConstructError("host '%s': %s (%s) failed: %s" % (host, option, _short(expr), reason)) from exc


def _short(expr, limit=200):
    text = str(expr)
    return text if len(text) <= limit else text[:limit] + "..."


def _apply_limit(inv, limit, loader):
    names = list(inv.hosts)
    if limit is None or not str(limit).strip():
        return names
    from ansible.inventory.manager import InventoryManager  # pylint: disable=ansible-bad-module-import

    manager = InventoryManager(loader=loader, sources=None, parse=False)
    manager._inventory = inv
    try:
        manager.subset(str(limit).strip())
        hosts = manager.get_hosts("all")
    except Exception as exc:  # a malformed pattern or a missing @file
        raise ConstructError("limit '%s': %s" % (limit, getattr(exc, "message", None) or exc)) from exc
    if not hosts:
        raise ConstructError("limit '%s' matches no host of the input inventories" % limit)
    return [h.name for h in hosts]


# -- the result as ansible-inventory --list --export prints it -------------------------------


def export_inventory(result, extra_hostvars=None) -> dict:
    """The result as ``ansible-inventory --list --export --limit`` prints it (plain values).

    Every group stays (a group without selected hosts, children or variables
    is left out, but still named among its parent's children, as ansible
    does).  ``extra_hostvars(name)`` may add variables to each host.
    """
    inv = result.inventory
    selected = set(result.selected)
    out = {}
    for name, group in inv.groups.items():
        body = {}
        if name != "all":
            hosts = [h.name for h in group.hosts if h.name in selected]
            if hosts:
                body["hosts"] = hosts
        children = [c.name for c in group.child_groups]
        if children:
            body["children"] = children
        gvars = _plain(group.get_vars())
        if group.priority != 1:
            gvars["ansible_group_priority"] = group.priority
        if gvars:
            body["vars"] = gvars
        if body:
            out[name] = body
    hostvars = {}
    for name in result.selected:
        hvars = _plain(host_variables(inv.hosts[name]))
        if extra_hostvars is not None:
            hvars.update(extra_hostvars(name))
        if hvars:
            hostvars[name] = hvars
    out["_meta"] = {"hostvars": hostvars}
    return out


def host_variables(host) -> dict:
    """A host's own variables, without the ones ansible adds to every host (``inventory_file``, ``inventory_dir``)."""
    return {k: v for k, v in host.vars.items() if k not in _INTERNAL_VARS}


def _plain(value):
    """Tagged ansible values (trusted templates, ...) as plain Python values."""
    if isinstance(value, str):
        return str.__str__(value)  # a plain str, also for ansible's tagged str subclasses
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# -- updating a stored constructed inventory ---------------------------------------------


def update_constructed_inventory(store, inventory, dry_run=False) -> dict:
    """Build constructed inventory ``inventory`` (name or id) and materialize it, in one transaction.

    Its hosts and groups become exactly the constructed result (overwrite):
    each host's ``instance_id`` is the id of the stored host it was made from
    (its variable ``remote_tower_id``) and its ``enabled`` that host's
    (``remote_tower_enabled``), as AWX does.  Returns the importer's counts
    with ``log`` (a short text) and ``limit``.  Raises
    :class:`~errors.FleetInventoryError` subclasses; nothing is written then.
    """
    with store.transaction(dry_run=dry_run):
        inv, inputs, config, limit = stored_definition(store, inventory)
        if not inputs:
            raise ValidationError("constructed inventory '%s' has no input inventories; add some with input_inventories" % inv["name"])
        options = options_of(config)
        data = read_inputs(store, inputs, options)
        exported, log = materialized(data, options, limit)
        counts = import_inventory(store, inv["id"], exported, overwrite=True, overwrite_vars=True, kinds=("constructed",),
                                  instance_id_var=INSTANCE_ID_VAR, enabled_var=ENABLED_VAR)
    counts["log"] = log
    counts["limit"] = limit
    return counts


def materialized(data, options, limit):
    """``(document, log)``: the constructed result as an ``ansible-inventory --list`` document whose hosts
    link back to their originals (``remote_tower_id``, ``remote_tower_enabled``)."""
    result = construct(data, options, limit=limit)
    origin = result.origin

    def link(name):
        hid, enabled, _iid, _iname = origin[name]
        return {INSTANCE_ID_VAR: hid, ENABLED_VAR: enabled}

    return export_inventory(result, extra_hostvars=link), result.log
