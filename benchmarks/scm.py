#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of SCM inventory updates (issue 3, item 7).

For each size N it builds a git repository holding the generated fleet's static inventory
(``benchmarks/generate.py``: nested groups, group vars and host vars) as ``inventory/hosts.yml``,
makes a project and an scm inventory source over it, and measures on the same checkout:

- ``ansible-inventory -i <checkout>/inventory/hosts.yml --list --export`` alone (the baseline;
  measured before and after the updates, the faster run counts);
- the first update of the source into an empty inventory (``updates.run_source_update``: the
  same ``ansible-inventory`` run plus the import in one transaction), and its ratio to the
  baseline (target: at most 1.5);
- a re-update with nothing changed: its time, whether it reported a change, and how many rows
  it wrote (SQLite ``total_changes`` of the store's connection; target: near zero writes and
  ``changed: false``);
- a project update with no new commit: the source is not updated at all (AWX's rule).

Usage::

    nice python benchmarks/scm.py --hosts 10000 100000 [--workdir /tmp/scm-bench] [--runs 1]

Writes ``benchmarks/results/scm-<stamp>.json`` and ``.md`` (the table of docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results")
sys.path.insert(0, HERE)

import generate  # noqa: E402  pylint: disable=wrong-import-position
import run as bench  # noqa: E402  pylint: disable=wrong-import-position
import stores  # noqa: E402  pylint: disable=wrong-import-position

TARGET_RATIO = 1.5


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def git(*args, cwd=None):
    subprocess.run(["git"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_repo(n, workdir):
    """A bare repo whose main branch holds inventory/hosts.yml for ``n`` hosts; returns its file:// URL."""
    data_dir = os.path.join(workdir, "data-%d" % n)
    if not os.path.exists(os.path.join(data_dir, "static.json")):
        generate.generate(n, data_dir, with_facts=False)
    bare = os.path.join(workdir, "repo-%d.git" % n)
    work = os.path.join(workdir, "work-%d" % n)
    for path in (bare, work):
        shutil.rmtree(path, ignore_errors=True)
    git("init", "-q", "--bare", "-b", "main", bare)
    git("init", "-q", "-b", "main", work)
    git("config", "user.name", "bench", cwd=work)
    git("config", "user.email", "bench@example.com", cwd=work)
    os.makedirs(os.path.join(work, "inventory"))
    shutil.copy(os.path.join(data_dir, "static.json"), os.path.join(work, "inventory", "hosts.yml"))
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "fleet", cwd=work)
    git("push", "-q", bare, "HEAD:refs/heads/main", cwd=work)
    return "file://" + bare


def engine(workdir):
    root = bench.collections_root(workdir)
    sys.path.insert(0, root)
    from ansible.plugins.loader import init_plugin_loader  # pylint: disable=import-outside-toplevel

    init_plugin_loader([root])
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = root
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects, sources, updates  # pylint: disable=import-outside-toplevel
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store  # pylint: disable=import-outside-toplevel

    return Store, projects, sources, updates


def one_size(n, workdir, runs, modules, store_url=None):
    store_cls, projects, sources, updates = modules
    url = make_repo(n, workdir)
    store_dir = os.path.join(workdir, "store-%d" % n)
    shutil.rmtree(store_dir, ignore_errors=True)
    os.makedirs(store_dir)
    target = stores.Stores(store_url, store_dir).target("store_scm_%d" % n)
    stores.reset(target)
    store = store_cls.open(target)
    out = {"hosts": n}

    t0 = time.perf_counter()
    projects.save_project(store, "fleet", scm_url=url, scm_branch="main")
    pu = projects.update_project(store, "fleet")
    out["project_update_s"] = time.perf_counter() - t0
    assert pu["status"] == "successful", pu["result_stdout"]
    checkout = projects.project_checkout_path(store, "fleet")
    target = os.path.join(checkout, "inventory", "hosts.yml")

    env = bench.child_env(workdir)
    argv = [bench.bin_path("ansible-inventory"), "-i", target, "--list", "--export",
            "--playbook-dir", os.path.dirname(target)]
    base = []
    for i in range(runs):
        res = bench.measure(argv, env, workdir, stdout_path=os.path.join(workdir, "list-%d.json" % n))
        base.append(res["wall_s"])
        log("%d hosts: ansible-inventory --list --export %.1f s (%.0f MB)" % (n, res["wall_s"], res["rss_mb"]))
    out["ansible_inventory_s"] = statistics.median(base)

    firsts, reupdates = [], []
    for i in range(runs):
        inv = "fleet-%d" % i
        store.save_inventory(inv)
        sources.save_source(store, inv, "git", source="scm", source_project="fleet", source_path="inventory/hosts.yml",
                            overwrite=True)
        src = sources.require_source(store, inv, "git")
        t0 = time.perf_counter()
        rec = updates.run_source_update(store, src)
        firsts.append(time.perf_counter() - t0)
        assert rec["status"] == "successful", rec["result_stdout"][-2000:]
        out["first_counts"] = {k: rec["counts"].get(k) for k in ("total_hosts", "total_groups", "changed")}
        log("%d hosts: first update %.1f s (%s)" % (n, firsts[-1], rec["status"]))

        writes0 = store.conn.total_changes
        t0 = time.perf_counter()
        again = updates.run_source_update(store, src)
        reupdates.append(time.perf_counter() - t0)
        out["reupdate_rows_written"] = store.conn.total_changes - writes0
        out["reupdate_changed"] = bool(again["counts"].get("changed"))
        out["reupdate_hosts_updated"] = again["counts"].get("hosts", {}).get("updated")
        log("%d hosts: re-update %.1f s, changed=%s, rows written %d" % (
            n, reupdates[-1], out["reupdate_changed"], out["reupdate_rows_written"]))
        if i + 1 < runs:
            store.delete_inventory(inv)
    # the baseline again, after the updates: the faster of the two runs is the one less disturbed by other load
    res = bench.measure(argv, env, workdir, stdout_path=os.path.join(workdir, "list-%d.json" % n))
    base.append(res["wall_s"])
    log("%d hosts: ansible-inventory --list --export again %.1f s" % (n, res["wall_s"]))
    out["ansible_inventory_runs_s"] = base
    out["ansible_inventory_s"] = min(base)
    out["first_update_s"] = statistics.median(firsts)
    out["first_ratio"] = out["first_update_s"] / out["ansible_inventory_s"]
    out["reupdate_s"] = statistics.median(reupdates)
    out["reupdate_ratio"] = out["reupdate_s"] / out["ansible_inventory_s"]

    # the source follows the project: no new commit -> no inventory update
    sources.save_source(store, "fleet-%d" % (runs - 1), "git", update_on_project_update=True)
    t0 = time.perf_counter()
    same = projects.update_project(store, "fleet")
    out["project_update_unchanged_s"] = time.perf_counter() - t0
    out["project_update_unchanged_inventory_updates"] = len(same["inventory_updates"])
    store.close()
    return out


def table(results):
    lines = [
        "| hosts | `ansible-inventory --list --export` | first update (ratio) | re-update, no change (ratio) "
        "| rows written by the re-update | re-update `changed` | project update, same revision |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append("| %d | %.1f s | %.1f s (%.2fx) | %.1f s (%.2fx) | %d | %s | %.2f s, %d inventory updates |" % (
            r["hosts"], r["ansible_inventory_s"], r["first_update_s"], r["first_ratio"], r["reupdate_s"],
            r["reupdate_ratio"], r["reupdate_rows_written"], str(r["reupdate_changed"]).lower(),
            r["project_update_unchanged_s"], r["project_update_unchanged_inventory_updates"]))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--workdir", default=None, help="scratch directory (default: a new temp dir, removed at the end)")
    parser.add_argument("--runs", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--no-save", action="store_true", help="do not write benchmarks/results/scm-*")
    stores.add_argument(parser)
    args = parser.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="fleet-scm-bench-")
    os.makedirs(workdir, exist_ok=True)
    modules = engine(workdir)
    results = [one_size(n, workdir, max(1, args.runs), modules, args.store) for n in args.hosts]
    doc = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
           "target_ratio": TARGET_RATIO, "results": results}
    text = table(results)
    print(text)
    if not args.no_save:
        os.makedirs(RESULTS, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = os.path.join(RESULTS, "scm-%s-%s" % (stamp, "-".join(str(n) for n in args.hosts)))
        with open(base + ".json", "w", encoding="utf-8") as handle:
            json.dump(doc, handle, indent=2)
        with open(base + ".md", "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        log("wrote %s.json/.md" % base)
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
