#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: fleet.inventory.constructed vs ansible.builtin.constructed over the same inputs.

N hosts with realistic facts (``generate.py``) are split into two input inventories,
``east`` (even indices) and ``west`` (odd indices).  Each host gets the seed example's
variables (``account_alias``; ``state: shutdown`` on every 7th host).  The same inputs exist

* in a store (imported with the importer, facts with ``set_facts_many``), read by
  ``ansible-inventory -i fleet.yml --list --export`` with ``fleet.inventory.constructed``;
* as two YAML inventory files with the facts in a ``jsonfile`` fact cache (written through
  ansible's cache loader), read by ``ansible-inventory -i east.json -i west.json -i
  constructed.yml --list --export --limit L`` with ``ansible.builtin.constructed``.

The config is the seed's (strict, compose ``resolved_state``, groups ``shutdown`` and
``shutdown_in_product_dev``, limit ``shutdown_in_product_dev``) plus a fact-based group and a
keyed group on ``ansible_distribution``.  Both runs are measured in the same invocation (wall
time and peak RSS of the whole ``ansible-inventory`` process) and their outputs compared
(groups, memberships, group and host vars; the meta vars ``awx_inventory_*`` aside).

Usage::

    .venv/bin/python benchmarks/constructed.py --hosts 10000 [--runs 1] [--workdir DIR] [--keep]

Writes a Markdown table to stdout and ``benchmarks/results/constructed-<stamp>-<N>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import generate  # noqa: E402  pylint: disable=wrong-import-position
import run  # noqa: E402  pylint: disable=wrong-import-position
import stores  # noqa: E402  pylint: disable=wrong-import-position

TARGET_RATIO = 3.0
LIMIT = "shutdown_in_product_dev"
CONFIG = {
    "strict": True,
    "compose": {"resolved_state": 'state | default("running")'},
    "groups": {
        "shutdown": 'resolved_state == "shutdown"',
        "shutdown_in_product_dev": 'resolved_state == "shutdown" and account_alias == "product_dev"',
        "big_memory": "ansible_memtotal_mb >= 16000",
    },
    "keyed_groups": [{"prefix": "distro", "key": "ansible_distribution"}],
}
ACCOUNTS = ("product_dev", "sustaining", "platform")
INPUTS = ("east", "west")


def records_of(n):
    """The host records, with the seed's variables, split into the two inputs."""
    split = {name: [] for name in INPUTS}
    for rec in generate.hosts(n):
        rec["vars"]["account_alias"] = ACCOUNTS[rec["index"] % len(ACCOUNTS)]
        if rec["index"] % 7 == 0:
            rec["vars"]["state"] = "shutdown"
        split[INPUTS[rec["index"] % 2]].append(rec)
    return split


def list_document(static):
    """A ``yaml``-plugin inventory (as generate.static_inventory makes it) -> an ``ansible-inventory --list`` document."""
    doc = {"_meta": {"hostvars": {}}}
    hostvars = doc["_meta"]["hostvars"]

    def walk(name, body):
        body = body or {}
        entry = doc.setdefault(name, {"hosts": [], "children": [], "vars": {}})
        entry["vars"].update(body.get("vars") or {})
        for host, hvars in (body.get("hosts") or {}).items():
            entry["hosts"].append(host)
            if hvars:
                hostvars.setdefault(host, {}).update(hvars)
        for child, child_body in (body.get("children") or {}).items():
            entry["children"].append(child)
            walk(child, child_body)

    walk("all", static["all"])
    return doc


def prepare(n, workdir, store_url=None):
    """Write the input files, the fact cache and the store (a SQLite file, or a database on ``store_url``); returns the paths."""
    env = run.child_env(workdir)
    sys.path.insert(0, env["ANSIBLE_COLLECTIONS_PATH"])
    from ansible.plugins.loader import cache_loader, init_plugin_loader  # pylint: disable=import-outside-toplevel

    init_plugin_loader([env["ANSIBLE_COLLECTIONS_PATH"]])
    from ansible_collections.fleet.inventory.plugins.module_utils.rules.importer import import_inventory  # pylint: disable=import-outside-toplevel
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store  # pylint: disable=import-outside-toplevel

    store_path = stores.Stores(store_url, workdir).target("store")
    cache_dir = os.path.join(workdir, "fact-cache")
    stores.reset(store_path)
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache = cache_loader.get("ansible.builtin.jsonfile", _uri=cache_dir, _timeout=0)
    files = []
    t0 = time.perf_counter()
    with Store.open(store_path) as store:
        for name, records in records_of(n).items():
            static = generate.static_inventory(records)
            path = os.path.join(workdir, "%s.json" % name)
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(static, handle)
            files.append(path)
            store.save_inventory(name)
            import_inventory(store, name, list_document(static))
            ids = {h["name"]: h["id"] for h in store.list_hosts(name)}
            batch = []
            for rec in records:
                facts = generate.host_facts(rec)
                cache.set(rec["name"], facts)
                batch.append((ids[rec["name"]], facts))
                if len(batch) >= 1000:
                    store.set_facts_many(batch)
                    batch = []
            store.set_facts_many(batch)
    run.log("prepared %d hosts in %.1f s" % (n, time.perf_counter() - t0))
    env.update({
        "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile",
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": cache_dir,
        "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "0",
        "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
    })
    builtin_cfg = os.path.join(workdir, "constructed.yml")
    with open(builtin_cfg, "w", encoding="utf-8") as handle:
        json.dump(dict(CONFIG, plugin="ansible.builtin.constructed"), handle)
    ours_cfg = os.path.join(workdir, "fleet.constructed.yml")
    with open(ours_cfg, "w", encoding="utf-8") as handle:
        json.dump(dict(CONFIG, plugin="fleet.inventory.constructed", store=store_path, input_inventories=list(INPUTS),
                       limit=LIMIT), handle)
    return {"env": env, "files": files, "builtin_cfg": builtin_cfg, "ours_cfg": ours_cfg, "store": store_path}


def normalized(text):
    doc = run.unwrap(json.loads(text))
    groups = {name: {"hosts": sorted(body.get("hosts") or []), "children": sorted(body.get("children") or []),
                     "vars": body.get("vars") or {}}
              for name, body in doc.items() if name != "_meta"}
    hostvars = {host: {k: v for k, v in hvars.items() if not k.startswith("awx_inventory_")}
                for host, hvars in doc["_meta"]["hostvars"].items()}
    return {"groups": groups, "hostvars": hostvars}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=1, help="runs of each side (median reported)")
    parser.add_argument("--workdir", help="reuse this directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    stores.add_argument(parser)
    args = parser.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix="fleet-constructed-bench-")
    os.makedirs(workdir, exist_ok=True)
    try:
        paths = prepare(args.hosts, workdir, args.store)
        ansible_inventory = run.bin_path("ansible-inventory")
        builtin_argv = [ansible_inventory]
        for path in paths["files"]:
            builtin_argv += ["-i", path]
        builtin_argv += ["-i", paths["builtin_cfg"], "--list", "--export", "--limit", LIMIT]
        ours_argv = [ansible_inventory, "-i", paths["ours_cfg"], "--list", "--export"]
        results = {"builtin": [], "fleet": []}
        outputs = {}
        for index in range(args.runs):
            for side, argv_ in (("builtin", builtin_argv), ("fleet", ours_argv)):
                res = run.measure(argv_, paths["env"], workdir)
                run.log("run %d %s: %.2f s, %.0f MB" % (index + 1, side, res["wall_s"], res["rss_mb"]))
                results[side].append(res)
                outputs[side] = res["stdout"]
        same = normalized(outputs["builtin"]) == normalized(outputs["fleet"])
        selected = len(normalized(outputs["fleet"])["hostvars"])
        summary = {}
        for side, runs in results.items():
            summary[side] = {"wall_s": statistics.median(r["wall_s"] for r in runs),
                             "rss_mb": max(r["rss_mb"] for r in runs), "walls": [round(r["wall_s"], 3) for r in runs]}
        ratio = summary["builtin"]["wall_s"] / summary["fleet"]["wall_s"]
        report = {
            "benchmark": "constructed", "hosts": args.hosts, "inputs": list(INPUTS), "limit": LIMIT, "config": CONFIG,
            "selected_hosts": selected, "identical_output": same, "speedup": round(ratio, 2), "target_speedup": TARGET_RATIO,
            "memory_not_higher": summary["fleet"]["rss_mb"] <= summary["builtin"]["rss_mb"],
            "builtin": summary["builtin"], "fleet": summary["fleet"], "runs": args.runs,
            "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        }
        stamp = time.strftime("%Y%m%d-%H%M%S")
        os.makedirs(run.RESULTS, exist_ok=True)
        out_path = os.path.join(run.RESULTS, "constructed-%s-%d.json" % (stamp, args.hosts))
        with open(out_path, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=1, sort_keys=True)
        print("| %d hosts (2 inputs), limit `%s` -> %d hosts | wall (median of %d) | peak RSS |" % (
            args.hosts, LIMIT, selected, args.runs))
        print("|---|---|---|")
        print("| `ansible.builtin.constructed` (`--list --export --limit`, jsonfile fact cache) | %.2f s | %.0f MB |" % (
            summary["builtin"]["wall_s"], summary["builtin"]["rss_mb"]))
        print("| `fleet.inventory.constructed` (`--list --export`, store) | %.2f s | %.0f MB |" % (
            summary["fleet"]["wall_s"], summary["fleet"]["rss_mb"]))
        print("| speed-up (target >= %.0fx) | **%.1fx** | %s |" % (
            TARGET_RATIO, ratio, "not higher" if report["memory_not_higher"] else "HIGHER"))
        print("| identical output (meta vars aside) | %s | |" % ("yes" if same else "**NO**"))
        print("\nJSON: %s" % os.path.relpath(out_path, run.REPO))
        return 0 if same else 1
    finally:
        if not args.workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
