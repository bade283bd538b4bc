# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fact paths a host_filter names, and "did you mean" among known paths.

Pure functions over a parsed filter and lists of path texts (no store): the
store's fact catalogue (:mod:`store.fact_catalog`) asks which named paths no
stored host has, and these rules name them and the closest known ones.
Paths are written the way a filter writes them below ``ansible_facts__``
(``ansible_lo__ipv6[]__scope``).
"""

from __future__ import annotations

import dataclasses
import difflib

FACTS = "ansible_facts"
#: at most this many suggestions per unknown path
SUGGESTIONS = 3
#: difflib ratio a suggestion needs, and how far below the best one another may be
CUTOFF = 0.6
CLOSE = 0.1


def filter_fact_paths(tree) -> list:
    """The fact paths the parsed filter ``tree`` names, in order, each once: ``[(path, term)]``.

    Terms with the ``isnull`` lookup are left out (naming a missing path is
    their purpose).  Walks any node class: a node's fields that are nodes or
    tuples of nodes are its children.
    """
    found = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(reversed(node))
            continue
        if not dataclasses.is_dataclass(node):
            continue
        if getattr(node, "field", None) == FACTS and getattr(node, "path", None):
            if getattr(node, "lookup", "") != "isnull":
                text = "__".join(step.key + ("[]" if step.array else "") for step in node.path)
                found.setdefault(text, node)
            continue
        children = []
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            if dataclasses.is_dataclass(value) or (isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0])):
                children.append(value)
        stack.extend(reversed(children))
    return list(found.items())


def path_depth(path: str) -> int:
    """The steps of a path text: one per key step and one per ``[]`` step."""
    return path.count("__") + 1 + path.count("[]")


def suggest(path: str, known) -> list:
    """The known paths closest to ``path`` (difflib), with ``ansible_<path>`` first when it is known."""
    known = list(known)
    out = []
    prefixed = "ansible_" + path
    if prefixed in known:
        out.append(prefixed)
    depth = path.count("__")
    # compare with paths of about the same depth: a typo rarely adds or drops a step
    pool = [k for k in known if abs(k.count("__") - depth) <= 1] or known
    scored = []
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(path)
    for candidate in pool:
        matcher.set_seq1(candidate)
        if matcher.real_quick_ratio() >= CUTOFF and matcher.quick_ratio() >= CUTOFF:
            ratio = matcher.ratio()
            if ratio >= CUTOFF:
                scored.append((-ratio, candidate))
    scored.sort()
    if scored:
        best = -scored[0][0]
        # only the close calls: a clear winner is named alone
        for neg, candidate in scored:
            if -neg >= best - CLOSE and candidate not in out:
                out.append(candidate)
    return out[:SUGGESTIONS]


def warning_text(path: str, suggestions) -> str:
    text = "host_filter names the fact path %s__%s, which no stored host has" % (FACTS, path)
    if suggestions:
        text += "; did you mean %s?" % " or ".join("%s__%s" % (FACTS, s) for s in suggestions)
    return text
