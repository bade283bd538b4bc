# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts per host *name*: the engine behind the ``fleet.inventory.store`` fact cache.

Ansible's fact cache is keyed by inventory hostname, while the store keeps
facts per host record (a name can exist in several inventories).  The rules:

* writing facts for a name merges them into every stored host of that name
  (AWX merges facts per host); when no host has that name, one is created in
  a normal inventory (created on demand) so that the facts are searchable;
* reading facts for a name returns those of the lowest-id host of that name
  that has facts (the host a smart inventory would pick);
* with a ``cutoff`` (an ISO-8601 UTC timestamp), facts whose
  ``ansible_facts_modified`` is older count as absent.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.fleet.inventory.plugins.module_utils.store.facts import read_facts
from ansible_collections.fleet.inventory.plugins.module_utils.store.hosts import ids_named

# hosts of inventories pending deletion have no facts for the cache
_HAS_FACTS = ("EXISTS (SELECT 1 FROM host_facts hf WHERE hf.host_id = h.id)"
              " AND h.inventory_id IN (SELECT i.id FROM inventories i WHERE i.pending_delete = FALSE)")
_FRESH = "(h.ansible_facts_modified IS NULL OR h.ansible_facts_modified >= ?)"


def cutoff_for(timeout):
    """The oldest ``ansible_facts_modified`` that is still fresh for ``timeout`` seconds (``None``: no expiry)."""
    if not timeout or timeout <= 0:
        return None
    return (datetime.now(timezone.utc) - timedelta(seconds=timeout)).isoformat(timespec="microseconds")


def _fresh(cutoff):
    return (" AND " + _FRESH, [cutoff]) if cutoff else ("", [])


def fact_host_id(store, name, cutoff=None):
    """Id of the host whose facts stand for ``name`` (lowest id with facts), or None."""
    extra, params = _fresh(cutoff)
    row = store.execute("SELECT MIN(h.id) FROM hosts h WHERE h.name = ? AND %s%s" % (_HAS_FACTS, extra), [name] + params).fetchone()
    return row[0] if row else None


def get_facts(store, name, cutoff=None):
    """The facts of ``name``, or None when no host of that name has (fresh) facts."""
    host_id = fact_host_id(store, name, cutoff)
    if host_id is None:
        return None
    return read_facts(store, [host_id]).get(host_id, {})


def names_with_facts(store, cutoff=None):
    """Names of the hosts that have (fresh) facts, sorted."""
    extra, params = _fresh(cutoff)
    return [r[0] for r in store.execute("SELECT DISTINCT h.name FROM hosts h WHERE %s%s ORDER BY h.name" % (_HAS_FACTS, extra),
                                        params).fetchall()]


def set_facts(store, name, facts, inventory="fact_cache"):
    """Merge ``facts`` into every stored host called ``name``; returns ``(host ids, changed ids, created)``.

    When no host has that name, a host is created in the normal inventory
    ``inventory`` (itself created when missing).
    """
    with store.transaction():
        host_ids = ids_named(store, name)
        created = False
        if not host_ids:
            if store.get_inventory(inventory) is None:
                store.save_inventory(inventory, description="Hosts created by the fleet.inventory.store fact cache")
            _before, host = store.save_host(inventory, name)
            host_ids = [host["id"]]
            created = True
        changed = store.set_facts_many([(host_id, facts) for host_id in host_ids], merge=True)
    return host_ids, changed, created


def delete_facts(store, name):
    """Remove the facts of every host called ``name``; returns how many hosts had facts."""
    count = 0
    with store.transaction():
        for host_id in ids_named(store, name):
            count += int(store.clear_facts(host_id))
    return count


def flush_facts(store):
    """Remove every host's facts; returns how many hosts had facts."""
    count = 0
    with store.transaction():
        for (host_id,) in store.execute("SELECT DISTINCT host_id FROM host_facts ORDER BY host_id").fetchall():
            count += int(store.clear_facts(host_id))
    return count
