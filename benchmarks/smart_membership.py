#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Smart inventory membership on demand: ``rules.smart.smart_inventories_for_hosts`` over a stored fleet.

    python benchmarks/smart_membership.py --store STORE [--smart 100] [--hosts 1000] [--repeat 5]

STORE is an existing store with a fleet in it (a SQLite path or a ``postgresql://`` URL), for
example the 10k store ``benchmarks/run.py`` leaves in its work directory.  The benchmark adds
``--smart`` smart inventories named ``membership-bench-NNN`` whose filters cycle through the
benchmark's host_filters (``generate.benchmark_filters`` and ``generate.SMART_FILTERS``: names,
groups, fact strings, nested facts, arrays, numeric comparisons; several match most of the fleet),
then times the memberships of 1 host and of ``--hosts`` hosts (the first stored ids; median of
``--repeat`` runs), against listing every smart inventory in full (what rebuilding AWX's membership
table reads), and removes the smart inventories again.  Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import generate  # noqa: E402  pylint: disable=wrong-import-position
import run  # noqa: E402  pylint: disable=wrong-import-position
import stores  # noqa: E402  pylint: disable=wrong-import-position

PREFIX = "membership-bench-"


def timed(func, repeat):
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        seconds.append(time.perf_counter() - start)
    return value, statistics.median(seconds), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="a store holding a fleet (path or postgresql:// URL)")
    parser.add_argument("--smart", type=int, default=100, help="smart inventories to evaluate (default 100)")
    parser.add_argument("--hosts", type=int, default=1000, help="hosts of the bulk call (default 1000)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    sys.path.insert(0, run.collections_root(os.path.join(os.path.dirname(os.path.abspath(args.store))
                                                         if not stores.is_pg(args.store) else "/tmp", "membership-collections")))
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store  # pylint: disable=import-outside-toplevel
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import smart  # pylint: disable=import-outside-toplevel

    store = Store.open(args.store)
    try:
        n = store.query_one("SELECT COUNT(*) AS n FROM hosts")["n"]
        filters = [f["host_filter"] for f in generate.benchmark_filters(n) + generate.SMART_FILTERS]
        names = []
        for i in range(args.smart):
            name = "%s%03d" % (PREFIX, i)
            store.save_inventory(name, kind="smart", host_filter=filters[i % len(filters)])
            names.append(name)
        ids = [row["id"] for row in store.query("SELECT id FROM hosts ORDER BY id")][:args.hosts]
        smart.smart_inventories_for_hosts(store, ids[:1])  # warm: compile, caches
        one, one_s, one_runs = timed(lambda: smart.smart_inventories_for_hosts(store, ids[:1]), args.repeat)
        many, many_s, many_runs = timed(lambda: smart.smart_inventories_for_hosts(store, ids), max(1, args.repeat // 2))

        def listings():
            wanted = set(ids)
            return sum(len(wanted & {row[0] for row in smart.select_hosts(store, store.get_inventory(name)["host_filter"],
                                                                            include_disabled=True)}) for name in names)
        listed, full_s, _ = timed(listings, 1)
        assert listed == sum(len(v) for v in many.values()), (listed, sum(len(v) for v in many.values()))
        report = {"store": stores.redact(args.store), "backend": stores.backend(args.store), "stored_hosts": n,
                  "smart_inventories": args.smart, "one_host_s": one_s, "one_host_runs": one_runs,
                  "one_host_memberships": len(one[ids[0]]), "hosts": len(ids), "hosts_s": many_s, "hosts_runs": many_runs,
                  "memberships": listed, "full_listings_s": full_s, "load": os.getloadavg()}
    finally:
        for inv in store.list_inventories(kind="smart"):
            if inv["name"].startswith(PREFIX):
                store.delete_inventory(inv["name"])
        store.close()
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
