# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The syntax tree of a host_filter: what the parser produces and the compilers consume.

An immutable tree of :class:`And`, :class:`Or`, :class:`Not` and :class:`Term`
nodes in which every term is fully resolved (field, relation, lookup, fact
path, coerced value).  The SQL compilers (:mod:`compiler` and one module per
database) and the Python predicate (:mod:`predicate`) only consume that tree;
they never look at the text again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union

__all__ = ['Node', 'And', 'Or', 'Not', 'FactStep', 'Term', 'Scalar', 'walk_terms']


@dataclass(frozen=True)
class Node:
    """Base class of the syntax tree nodes."""


@dataclass(frozen=True)
class And(Node):
    items: tuple
    position: int = 1


@dataclass(frozen=True)
class Or(Node):
    items: tuple
    position: int = 1


@dataclass(frozen=True)
class Not(Node):
    item: Node
    position: int = 1


@dataclass(frozen=True)
class FactStep:
    """One piece of a fact path: ``key`` or ``key[]`` (``array=True``)."""
    key: str
    array: bool = False


Scalar = Union[str, int, float, bool, None]


@dataclass(frozen=True)
class Term(Node):
    """A resolved ``key=value`` term.

    ``relation``: None (the host itself), 'inventory', 'groups' or
    'all_groups'.  ``field``: a column of that object from
    :data:`SEARCHABLE`, or 'search' (icontains over :data:`SEARCH_FIELDS`),
    or 'ansible_facts' (then ``path`` is the fact path, relation is None).
    ``kind``: 'int', 'bool', 'text' or 'json' (facts).  ``value``: the
    coerced value -- a str/int/float/bool/None scalar, a tuple of them for
    ``in``, a bool for ``isnull``.  ``raw``/``quoted``: the value text as
    written.  ``key``: the key as written.  ``position``: column of the key.
    """
    field: str
    lookup: str
    value: Any
    kind: str
    relation: Optional[str] = None
    path: tuple = ()
    raw: str = ''
    quoted: bool = False
    key: str = ''
    position: int = 1



def walk_terms(node: Node):
    """Every :class:`Term` of the tree under ``node``, in no particular order (iterative: 100 ``not``s deep is fine)."""
    todo = [node]
    while todo:
        item = todo.pop()
        if isinstance(item, Term):
            yield item
        elif isinstance(item, Not):
            todo.append(item.item)
        else:
            todo.extend(getattr(item, 'items', ()))
