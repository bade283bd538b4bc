# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's inventory plugins share to construct hosts from stored data.

Controller-side helpers for ``compose``/``groups``/``keyed_groups`` over stored
hosts and their cached facts: which fact keys the expressions can read (so
only those are loaded), the ``ansible_facts`` view of cached facts, trusting
stored variables as templates the way inventory files are, and compiling each
expression once per run instead of once per host.
"""

from __future__ import annotations

import contextlib

from ansible.template import trust_as_template

from ansible_collections.fleet.inventory.plugins.module_utils.smart import ALL_FACTS

_TEMPLATE_MARKS = ("{{", "{%", "{#")
# variables through which a template can reach any fact
_ALL_VARS_NAMES = frozenset(("vars", "hostvars"))
_VARS_LOOKUPS = frozenset(("lookup", "query", "q"))


def trusted(value):
    """``value`` with every string trusted as a template, as the vars of an inventory file are."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return value


def namespace_facts(facts):
    """The ``ansible_facts`` view of cached facts: the ``ansible_`` prefix removed (except ``ansible_local``), as ansible does."""
    return {(k[8:] if k.startswith("ansible_") and k != "ansible_local" else k): v for k, v in facts.items()}


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
        """A template (``keyed_groups`` ``parent_group``)."""
        if self.keys == ALL_FACTS or not isinstance(text, str):
            return
        self._add([text])

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


@contextlib.contextmanager
def compile_once(templar):
    """Compile each compose/groups/keyed_groups expression once instead of once per host.

    ``ansible.builtin.constructed`` compiles every expression again for every
    host, which is most of its run time.  Compiled Jinja expressions are
    reusable, so the plugin's own templar gets a memo of them while it
    constructs.  This reaches into ansible's templating internals; when they
    are not what is expected, expressions are compiled as usual.
    """
    try:
        from ansible._internal._templating._jinja_bits import _TemplateCompileContext

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
