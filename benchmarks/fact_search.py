#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fact search over a million stored hosts: every fact filter of the benchmark's set, for the matching ids.

    python benchmarks/fact_search.py [--hosts 1000000] [--store postgresql://...] [--all-facts]

The store is filled directly through the engine's bulk paths, not through
ansible: the hosts, groups and host vars of ``generate.py``'s fleet with
``importer.import_inventory`` (in slices of 100k hosts), then every host's
facts with ``Store.set_facts_many`` (batches of 5,000, one transaction each).
To keep the load quick the facts are those of ``generate.py``'s first 10,000
hosts, reused for host ``i`` as host ``i % 10000``'s with host ``i``'s own
address in ``ansible_default_ipv4`` (so a search for one address still finds
one host); by default only the top-level keys the filters read are stored
(``--all-facts`` stores all 83: the searches read one key's rows each, so this
changes the load time and store size, not what a search reads).

Then each filter of ``generate.benchmark_filters`` (the fact ones and the host
ones) runs as ``SELECT h.id FROM hosts h WHERE <compiled filter>``: once cold,
then ``--repeat`` times; the count is checked against the generator's
predicates.  Target: at most 1 s for every fact filter.  Results go to
``benchmarks/results/fact-search-*.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import generate  # noqa: E402  pylint: disable=wrong-import-position
import run  # noqa: E402  pylint: disable=wrong-import-position
import stores  # noqa: E402  pylint: disable=wrong-import-position

TARGET_S = 1.0
TEMPLATES = 10000
QUERIED_KEYS = ("ansible_distribution", "ansible_distribution_version", "ansible_distribution_major_version",
                "ansible_default_ipv4", "ansible_lo", "ansible_processor", "ansible_processor_vcpus", "ansible_system")
HOST_SLICE = 100000
FACT_BATCH = 5000


def log(msg):
    run.log(msg)


def templates(all_facts):
    out = []
    for j in range(TEMPLATES):
        facts = generate.host_facts(generate.host_record(j))
        out.append(facts if all_facts else {k: facts[k] for k in QUERIED_KEYS if k in facts})
    return out


def facts_of(record, tmpl):
    facts = dict(tmpl[record["index"] % TEMPLATES])
    if "ansible_default_ipv4" in facts:
        facts["ansible_default_ipv4"] = dict(facts["ansible_default_ipv4"], address=record["ip"])
    return facts


def build(n, target, all_facts):
    """Fill a fresh store with ``n`` hosts and their facts; returns timings and the expected counts."""
    sys.path.insert(0, os.environ["ANSIBLE_COLLECTIONS_PATH"])
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store  # pylint: disable=import-outside-toplevel
    from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import import_inventory  # pylint: disable=import-outside-toplevel
    from ansible_collections.fleet.inventory.plugins.module_utils.rules.fact_files import gc_paused  # pylint: disable=import-outside-toplevel
    import constructed  # pylint: disable=import-outside-toplevel

    filters = generate.benchmark_filters(n)
    expected = {f["host_filter"]: 0 for f in filters}
    tmpl = templates(all_facts)
    stores.reset(target)
    store = Store.open(target)
    store.save_inventory(run.INVENTORY)
    t0 = time.perf_counter()
    hosts_s = facts_s = 0.0
    with gc_paused():
        for start in range(0, n, HOST_SLICE):
            records = [generate.host_record(i) for i in range(start, min(n, start + HOST_SLICE))]
            doc = constructed.list_document(generate.static_inventory(records))
            t = time.perf_counter()
            import_inventory(store, run.INVENTORY, doc, overwrite=False)
            hosts_s += time.perf_counter() - t
            del doc
            names = [r["name"] for r in records]
            ids = {}
            for k in range(0, len(names), 900):
                chunk = names[k:k + 900]
                for host_id, name in store.execute("SELECT id, name FROM hosts WHERE name IN (%s)" % ", ".join("?" * len(chunk)),
                                                   chunk).fetchall():
                    ids[name] = host_id
            for k in range(0, len(records), FACT_BATCH):
                batch = []
                for rec in records[k:k + FACT_BATCH]:
                    facts = facts_of(rec, tmpl)
                    for f in filters:
                        if f["predicate"](rec, facts):
                            expected[f["host_filter"]] += 1
                    batch.append((ids[rec["name"]], facts))
                t = time.perf_counter()
                store.set_facts_many(batch)
                facts_s += time.perf_counter() - t
            log("  %d/%d hosts stored (hosts %.0f s, facts %.0f s)" % (min(n, start + HOST_SLICE), n, hosts_s, facts_s))
    stores.analyze(store)
    out = {"build_s": time.perf_counter() - t0, "hosts_s": hosts_s, "facts_s": facts_s, "db_bytes": stores.size_bytes(store),
           "db_by_object": stores.size_by_object(store),
           "fact_rows": store.execute("SELECT COUNT(*) FROM host_facts").fetchone()[0],
           "item_rows": store.execute("SELECT COUNT(*) FROM host_fact_items").fetchone()[0]}
    store.close()
    return out, expected


def search(target, filters, expected, repeat):
    sys.path.insert(0, os.environ["ANSIBLE_COLLECTIONS_PATH"])
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store  # pylint: disable=import-outside-toplevel
    store = Store.open(target)
    rows = []
    for f in filters:
        row = {"label": f["label"], "kind": f["kind"], "host_filter": f["host_filter"], "expected": expected.get(f["host_filter"])}
        try:
            where, params = store.compile_filter(f["host_filter"])
            sql = "SELECT h.id FROM hosts h WHERE %s" % where
            t = time.perf_counter()
            count = len(store.execute(sql, list(params)).fetchall())
            row["first_s"] = time.perf_counter() - t
            times = []
            for _run in range(repeat):
                t = time.perf_counter()
                store.execute(sql, list(params)).fetchall()
                times.append(time.perf_counter() - t)
            row.update(count=count, best_s=min(times), median_s=statistics.median(times), load=os.getloadavg(),
                       correct=count == row["expected"], plan=stores.explain(store, sql, params))
        except Exception as exc:  # pylint: disable=broad-except
            row["error"] = "%s: %s" % (type(exc).__name__, exc)
        rows.append(row)
        if "error" in row:
            log("  %-28s ERROR %s" % (f["label"], row["error"][:300]))
        else:
            log("  %-28s %8d hosts  first %.3f s  best %.3f s  median %.3f s%s" % (
                f["label"], row["count"], row["first_s"], row["best_s"], row["median_s"], "" if row["correct"] else "  WRONG COUNT"))
    store.close()
    return rows


def markdown(report):
    b = report["build"]
    lines = ["Store: %s (%s); %d hosts; %s facts; built in %.0f s (hosts %.0f s, facts %.0f s; %d fact rows, %d leaf rows;"
             " %.0f MB); load average at the start %s" % (
                 report["backend"], report["store"], report["hosts"], "all" if report["all_facts"] else "the queried",
                 b["build_s"], b["hosts_s"], b["facts_s"], b["fact_rows"], b["item_rows"], b["db_bytes"] / 1e6,
                 " ".join("%.1f" % x for x in report["load_start"])), "",
             "| filter | matches | first (cold) | best | median | target <= %.1f s | load avg |" % TARGET_S,
             "|---|---:|---:|---:|---:|---|---|"]
    for r in report["queries"]:
        if "error" in r:
            lines.append("| %s `%s` | error: %s | | | | | |" % (r["label"], r["host_filter"].replace("|", "\\|"), r["error"][:200]))
            continue
        status = ("met" if r["median_s"] <= TARGET_S else "**not met**") if r["kind"] == "fact" else "-"
        lines.append("| %s `%s` | %d%s | %.3f s | %.3f s | %.3f s | %s | %s |" % (
            r["label"], r["host_filter"].replace("|", "\\|"), r["count"], "" if r["correct"] else " (expected %s!)" % r["expected"],
            r["first_s"], r["best_s"], r["median_s"], status, " ".join("%.1f" % x for x in r["load"])))
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="fact search over 1M stored hosts (see docs/performance.md)")
    parser.add_argument("--hosts", type=int, default=1000000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each filter after the cold one")
    parser.add_argument("--all-facts", action="store_true", help="store all 83 fact keys per host, not only the queried ones")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "fleet-inventory-bench"))
    parser.add_argument("--reuse", action="store_true", help="search an existing store of an earlier run (no build)")
    parser.add_argument("--results", default=run.RESULTS)
    run.add_nice_argument(parser)
    stores.add_argument(parser)
    args = parser.parse_args(argv)
    run.renice(args.nice)
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = run.collections_root(workdir)
    where = stores.Stores(args.store, workdir)
    target = where.target("fact_search_%d" % args.hosts)
    report = {"hosts": args.hosts, "backend": where.backend, "all_facts": args.all_facts, "load_start": os.getloadavg(),
              "store": stores.redact(args.store) if args.store else target, "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    filters = generate.benchmark_filters(args.hosts)
    expected_path = os.path.join(workdir, "fact-search-%d-%s.expected.json" % (args.hosts, where.backend))
    if args.reuse and os.path.exists(expected_path):
        with open(expected_path, encoding="utf-8") as fh:
            saved = json.load(fh)
        report["build"], expected = saved["build"], saved["expected"]
    else:
        log("building a store of %d hosts at %s" % (args.hosts, report["store"]))
        report["build"], expected = build(args.hosts, target, args.all_facts)
        with open(expected_path, "w", encoding="utf-8") as fh:
            json.dump({"build": report["build"], "expected": expected}, fh)
    log("searching (%d filters, %d runs each after a cold one)" % (len(filters), args.repeat))
    report["queries"] = search(target, filters, expected, args.repeat)
    md = markdown(report)
    os.makedirs(args.results, exist_ok=True)
    stem = os.path.join(args.results, "fact-search-%s-%s-%d" % (time.strftime("%Y%m%d-%H%M%S"), where.backend, args.hosts))
    with open(stem + ".json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    with open(stem + ".md", "w", encoding="utf-8") as fh:
        fh.write(md)
    print(md)
    log("results: %s.{json,md}" % stem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
