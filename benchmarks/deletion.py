# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Background deletion of a big inventory while another process writes (issue 11 item 9).

Builds a store with one inventory of ``--hosts`` hosts (groups from the
generator's static inventory, the queried fact keys of benchmarks/fact_search.py
per host: host_facts rows and their array leaves), starts a writer process that
saves a host of another inventory in a transaction of its own every
``--writer-interval`` seconds and records how long each one waited for the
store's write lock, then marks the big inventory ``pending_delete``
(``rules.deletion.request_delete``) and removes its rows
(``rules.deletion.delete_pending``).  Reports the total deletion time, the
number and longest of its batches, and the writer's transactions: count,
longest wait, p99 wait, errors.  Target: no wait of the writer over 1 s.

    python benchmarks/deletion.py [--hosts 100000] [--store postgresql://...]

``--writer STORE OUT STOP`` is the writer itself (also used by tests/unit/test_deletion.py).
Results go to ``benchmarks/results/deletion-*.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import generate  # noqa: E402  pylint: disable=wrong-import-position
import run  # noqa: E402  pylint: disable=wrong-import-position
import stores  # noqa: E402  pylint: disable=wrong-import-position

TARGET_WAIT_S = 1.0
TEMPLATES = 1000
QUERIED_KEYS = ("ansible_distribution", "ansible_distribution_version", "ansible_distribution_major_version",
                "ansible_default_ipv4", "ansible_lo", "ansible_processor", "ansible_processor_vcpus", "ansible_system")
HOST_SLICE = 50000
FACT_BATCH = 5000
WRITER_INVENTORY = "writer"


def _engine():
    # the collection is imported from the collections root the caller set up (see main)
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store  # pylint: disable=import-outside-toplevel
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import deletion  # pylint: disable=import-outside-toplevel
    return Store, deletion


def writer(target, out_path, stop_path, interval=0.02):
    """Save a host in a transaction of its own until ``stop_path`` exists; write ``[wait_s, ...]`` and errors as JSON."""
    Store, _deletion = _engine()
    store = Store.open(target)
    waits, errors, n = [], [], 0
    ready = out_path + ".ready"
    with open(ready, "w", encoding="utf-8"):
        pass
    while not os.path.exists(stop_path):
        asked = time.perf_counter()
        try:
            with store.transaction():
                got = time.perf_counter()
                store.save_host(WRITER_INVENTORY, "w%d" % (n % 50), variables={"n": n})
            waits.append(got - asked)
        except Exception as exc:  # pylint: disable=broad-except  # every failure is a result here
            errors.append(str(exc))
        n += 1
        time.sleep(interval)
    store.close()
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump({"waits": waits, "errors": errors}, fh)


def start_writer(target, workdir, env=None):
    """Start :func:`writer` in a process of its own; returns ``(process, out_path, stop_path)`` once it runs."""
    out_path = os.path.join(workdir, "writer-%d.json" % os.getpid())
    stop_path = out_path + ".stop"
    for path in (out_path, stop_path, out_path + ".ready"):
        if os.path.exists(path):
            os.unlink(path)
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--writer", target, out_path, stop_path],
                            env=env or dict(os.environ))
    deadline = time.time() + 60
    while not os.path.exists(out_path + ".ready"):
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("the writer process did not start (rc %s)" % proc.poll())
        time.sleep(0.05)
    return proc, out_path, stop_path


def stop_writer(proc, out_path, stop_path) -> dict:
    with open(stop_path, "w", encoding="utf-8"):
        pass
    proc.wait(timeout=120)
    with open(out_path, encoding="utf-8") as fh:
        data = json.load(fh)
    waits = sorted(data["waits"])
    return {"transactions": len(waits), "errors": data["errors"], "max_wait_s": waits[-1] if waits else 0.0,
            "p99_wait_s": waits[int(len(waits) * 0.99)] if waits else 0.0,
            "median_wait_s": waits[len(waits) // 2] if waits else 0.0}


def templates():
    out = []
    for j in range(TEMPLATES):
        facts = generate.host_facts(generate.host_record(j))
        out.append({k: facts[k] for k in QUERIED_KEYS if k in facts})
    return out


def build(n, target):
    """A fresh store: inventory ``bench`` with ``n`` hosts, their groups and facts; inventory ``writer`` for the writer."""
    Store, _deletion = _engine()
    from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import import_inventory  # pylint: disable=import-outside-toplevel
    import constructed  # pylint: disable=import-outside-toplevel

    tmpl = templates()
    stores.reset(target)
    store = Store.open(target)
    store.save_inventory(run.INVENTORY)
    store.save_inventory(WRITER_INVENTORY)
    t0 = time.perf_counter()
    for start in range(0, n, HOST_SLICE):
        records = [generate.host_record(i) for i in range(start, min(n, start + HOST_SLICE))]
        import_inventory(store, run.INVENTORY, constructed.list_document(generate.static_inventory(records)), overwrite=False)
        ids = {h["name"]: h["id"] for h in store.list_hosts(run.INVENTORY)}
        for k in range(0, len(records), FACT_BATCH):
            store.set_facts_many([(ids[rec["name"]], tmpl[rec["index"] % TEMPLATES]) for rec in records[k:k + FACT_BATCH]])
        run.log("  %d/%d hosts stored (%.0f s)" % (min(n, start + HOST_SLICE), n, time.perf_counter() - t0))
    stores.analyze(store)
    inv_id = store.get_inventory(run.INVENTORY)["id"]
    counts = {table: store.execute(sql, (inv_id,)).fetchone()[0] for table, sql in (
        ("hosts", "SELECT COUNT(*) FROM hosts WHERE inventory_id = ?"),
        ("groups", "SELECT COUNT(*) FROM groups WHERE inventory_id = ?"),
        ("host_facts", "SELECT COUNT(*) FROM host_facts f JOIN hosts h ON h.id = f.host_id WHERE h.inventory_id = ?"),
        ("host_fact_items", "SELECT COUNT(*) FROM host_fact_items f JOIN hosts h ON h.id = f.host_id WHERE h.inventory_id = ?"),
        ("group_hosts", "SELECT COUNT(*) FROM group_hosts gh JOIN hosts h ON h.id = gh.host_id WHERE h.inventory_id = ?"))}
    store.close()
    return {"build_s": time.perf_counter() - t0, "rows": counts}


def delete(target, workdir):
    """Mark and delete inventory ``bench`` while a writer process writes; returns the measurements."""
    Store, deletion = _engine()
    proc, out_path, stop_path = start_writer(target, workdir)
    time.sleep(1.0)  # the writer's waits before the deletion, for comparison
    store = Store.open(target)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    inv = deletion.request_delete(store, run.INVENTORY)
    mark_s = time.perf_counter() - t0
    stats = deletion.delete_pending(store, inv["id"])
    total_s = time.perf_counter() - t0
    load_after = os.getloadavg()
    left = store.get_inventory(inv["id"])
    store.close()
    time.sleep(0.5)
    return {"mark_s": mark_s, "delete_s": total_s, "stats": stats, "row_left": left is not None,
            "load_before": load_before, "load_after": load_after, "writer": stop_writer(proc, out_path, stop_path)}


def markdown(report) -> str:
    w = report["delete"]["writer"]
    st = report["delete"]["stats"]
    lines = [
        "### Deleting a %d-host inventory with facts (%s)" % (report["hosts"], report["backend"]),
        "",
        "Rows of the inventory: %s. Build %.0f s. Load average at the start %s, when the deletion started %s, when it"
        " ended %s." % (
            ", ".join("%s %d" % kv for kv in report["build"]["rows"].items()), report["build"]["build_s"],
            " ".join("%.1f" % x for x in report["load_start"]),
            " ".join("%.1f" % x for x in report["delete"].get("load_before", ())),
            " ".join("%.1f" % x for x in report["delete"].get("load_after", ()))),
        "",
        "| measure | value |",
        "|---|---|",
        "| mark pending_delete (request_delete) | %.3f s |" % report["delete"]["mark_s"],
        "| total deletion (mark + batches) | %.1f s |" % report["delete"]["delete_s"],
        "| batches / longest batch | %d / %.3f s |" % (st["batches"], st["longest_batch"]),
        "| writer transactions during the run | %d (errors: %d) |" % (w["transactions"], len(w["errors"])),
        "| writer wait: median / p99 / longest | %.3f / %.3f / %.3f s |" % (w["median_wait_s"], w["p99_wait_s"], w["max_wait_s"]),
        "| target: longest wait under %.0f s | %s |" % (TARGET_WAIT_S, "met" if w["max_wait_s"] < TARGET_WAIT_S and not w["errors"] else "NOT met"),
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--writer"]:
        sys.path.insert(0, os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0])
        writer(*argv[1:4])
        return 0
    parser = argparse.ArgumentParser(description="background deletion of a big inventory while another process writes")
    parser.add_argument("--hosts", type=int, default=100000)
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "fleet-inventory-bench"))
    parser.add_argument("--results", default=run.RESULTS)
    run.add_nice_argument(parser)
    stores.add_argument(parser)
    args = parser.parse_args(argv)
    run.renice(args.nice)
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = run.collections_root(workdir)
    sys.path.insert(0, os.environ["ANSIBLE_COLLECTIONS_PATH"])
    where = stores.Stores(args.store, workdir)
    target = where.target("deletion_%d" % args.hosts)
    report = {"hosts": args.hosts, "backend": where.backend, "load_start": os.getloadavg(),
              "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    run.log("building a store of %d hosts (%s)" % (args.hosts, where.backend))
    report["build"] = build(args.hosts, target)
    run.log("deleting it while a writer writes")
    report["delete"] = delete(target, workdir)
    md = markdown(report)
    os.makedirs(args.results, exist_ok=True)
    stem = os.path.join(args.results, "deletion-%s-%s-%d" % (time.strftime("%Y%m%d-%H%M%S"), where.backend, args.hosts))
    with open(stem + ".json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    with open(stem + ".md", "w", encoding="utf-8") as fh:
        fh.write(md)
    sys.stdout.write(md)
    return 0 if report["delete"]["writer"]["max_wait_s"] < TARGET_WAIT_S and not report["delete"]["writer"]["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
