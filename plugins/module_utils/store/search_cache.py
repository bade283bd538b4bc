# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host searches kept while the store's data is unchanged.

A host list with a ``host_filter`` (or a smart inventory's) evaluates the filter over
every host; the same list asked again (a smart inventory read by each playbook run, the
next page of a search) gives the same answer as long as nothing was committed in
between.  :class:`SearchCache` keeps, per :class:`~store.core.Store` (one connection), the
count and the page's host ids of recent searches, each with the backend's
``data_version`` read before and after it was computed; an entry is used only while
the version read now is that same value, so a hit is exactly what the search would
return (the rows are read again by id).  See docs/host_filter.md, "Searches kept
between writes".

``FLEET_INVENTORY_SEARCH_CACHE``: how many searches a connection keeps
(:data:`DEFAULT_SIZE`; ``0`` keeps none).
"""

from __future__ import annotations

import os
from collections import OrderedDict

from ansible_collections.fleet.inventory.plugins.module_utils.errors import ValidationError

ENV_SIZE = "FLEET_INVENTORY_SEARCH_CACHE"
#: searches kept per connection (each entry: a count and at most one page of host ids)
DEFAULT_SIZE = 64
#: the most a connection may keep (an entry holds up to 200 ids: ~2 MB)
MAX_SIZE = 1024


def configured_size() -> int:
    """The size set by ``$FLEET_INVENTORY_SEARCH_CACHE`` (else :data:`DEFAULT_SIZE`); ValidationError when not 0-1024."""
    raw = os.environ.get(ENV_SIZE, "").strip()
    if not raw:
        return DEFAULT_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = -1
    if not 0 <= size <= MAX_SIZE:
        raise ValidationError("%s must be a number of searches from 0 (none kept) to %d, not %r" % (ENV_SIZE, MAX_SIZE, raw))
    return size


class SearchCache:
    """The last ``size`` results by key, each valid for one data version; least recently used first out."""

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        #: lookups answered from the cache (tests read it)
        self.hits = 0

    def get(self, key, version):
        """The value kept for ``key`` at ``version``, else None (an entry of another version is dropped)."""
        entry = self._entries.get(key)
        if entry is not None:
            if entry[0] == version:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]
            del self._entries[key]
        return None

    def put(self, key, version, value) -> None:
        self._entries[key] = (version, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
