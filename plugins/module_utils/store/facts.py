# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts repository: the one reader of stored facts (``host_facts`` by ``fact_keys``).

Every read path of facts goes through :func:`read_facts`: the Store's
``get_facts``/``facts_for_hosts``, smart inventories and constructed
inventories.  The fact write path (``Store.set_facts_many`` and friends) is
its sibling and may move here too.
"""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import chunks, sql_marks

#: ``keys`` of :func:`read_facts` meaning "every fact key"
ALL_FACTS = "all"


def read_facts(store, host_ids, keys=ALL_FACTS) -> dict:
    """``{host_id: {fact key: value}}`` for those of ``host_ids`` that have any of the facts asked for.

    ``keys`` is :data:`ALL_FACTS` (or None) for every fact, or an iterable of
    top-level fact keys: then each key is read as one contiguous range of the
    fact table (it is clustered by key) instead of every fact of every host.
    Each host's facts come in key name order.
    """
    host_ids = set(host_ids)
    out: dict = {}
    if not host_ids:
        return out
    if keys is None or keys == ALL_FACTS:
        for chunk in chunks(sorted(host_ids)):
            for host_id, key, value in store.execute(
                    "SELECT hf.host_id, fk.name, hf.value FROM host_facts hf JOIN fact_keys fk ON fk.id = hf.key_id"
                    " WHERE hf.host_id IN (%s) ORDER BY hf.host_id, fk.name" % sql_marks(chunk), chunk).fetchall():
                out.setdefault(host_id, {})[key] = json.loads(value)
        return out
    keys = sorted(set(keys))
    key_ids = {}
    for chunk in chunks(keys):
        for key_id, name in store.execute("SELECT id, name FROM fact_keys WHERE name IN (%s)" % sql_marks(chunk), chunk).fetchall():
            key_ids[key_id] = name
    for key_id, name in sorted(key_ids.items(), key=lambda kv: kv[1]):
        # the rows of one key are clustered: one range scan, then keep the hosts asked for
        for host_id, value in store.execute("SELECT host_id, value FROM host_facts WHERE key_id = ?", (key_id,)).fetchall():
            if host_id in host_ids:
                out.setdefault(host_id, {})[name] = json.loads(value)
    return out
