#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet.inventory benchmark: the engine against plain ``ansible-inventory``, in one run.

    python benchmarks/run.py --hosts 10000 [--hosts 100000] [--quick]

For each fleet size N (data from ``benchmarks/generate.py``, cached in ``--workdir``):

1. import: ``ansible-inventory -i static.json --list`` (the reference) against importing the
   same source into a fresh store (``importer.load_inventory_source`` + ``import_inventory``,
   the engine of ``fleet.inventory.inventory_import``); then loading every host's facts
   through the ``fleet.inventory.host_facts`` ``facts_dir`` path (time, store size).
2. query: typical host_filters over the N stored hosts through ``Store.search_hosts``
   (best and median of several runs; the count returned is checked against the generator's).
3. smart: ``ansible-inventory -i smart.yml --list`` (plugin ``fleet.inventory.smart``) against
   ``ansible-inventory -i static.json --list`` of a static file holding exactly the hosts (and
   variables, groups) the smart inventory returns; median of 3 runs each, peak RSS of each.

No timing is asserted: ratios are reported next to their targets.  Results go to
``benchmarks/results/`` (JSON and Markdown); the Markdown table is printed.

Every measured step runs in its own process (``--step``), under ``/usr/bin/time -v`` when
present (peak RSS), else a wrapper that reads ``getrusage(RUSAGE_CHILDREN)``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import sqlite3
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
import stores  # noqa: E402  pylint: disable=wrong-import-position

TARGETS = {
    "import_ratio": 1.0,       # import / ansible-inventory --list of the same source (issue 8)
    "fact_query_s": 0.5,       # a fact-path filter over 100k stored hosts (the 1M run: benchmarks/fact_search.py, 1 s)
    "smart_ratio": 0.9,        # smart plugin --list / static --list, at 10k result hosts
    "facts_load_s": 45.0,      # host_facts facts_dir of 100k hosts
    "size_ratio": 1.2,         # store size / raw fact files, at 100k hosts
    "host_info_ratio": 1.5,    # a host_info task returning 1,000 hosts / an ansible.builtin.ping task, same playbook
}
SMART_RESULT_HOSTS = 10000
INVENTORY = "bench"
TIME_BIN = "/usr/bin/time"


# ----------------------------------------------------------------------------------- helpers

def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def bin_path(name):
    """An ansible executable next to this interpreter (a venv), else on PATH."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(candidate):
        return candidate
    found = shutil.which(name)
    if not found:
        raise SystemExit("run.py: %s not found next to %s nor on PATH" % (name, sys.executable))
    return found


def collections_root(workdir):
    """A private ``ansible_collections/fleet/inventory`` -> checkout symlink tree."""
    root = os.path.join(workdir, "collections")
    ns = os.path.join(root, "ansible_collections", "fleet")
    os.makedirs(ns, exist_ok=True)
    link = os.path.join(ns, "inventory")
    if not os.path.islink(link):
        try:
            os.symlink(REPO, link, target_is_directory=True)
        except FileExistsError:
            pass
    return root


def child_env(workdir):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("ANSIBLE_") or key == "FLEET_INVENTORY_STORE":
            del env[key]
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_root(workdir),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_LOCAL_TEMP": os.path.join(workdir, "ansible-tmp"),
        "ANSIBLE_HOME": os.path.join(workdir, "ansible-home"),
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def measure(argv, env, cwd, stdout_path=None):
    """Run ``argv``; returns ``{"wall_s", "rss_mb", "stdout"}`` (stdout text unless sent to a file).

    Peak RSS comes from ``/usr/bin/time -v`` when present, else from a Python wrapper's
    ``getrusage(RUSAGE_CHILDREN)`` (the maximum over the process and its waited-for children)."""
    fd, time_out = tempfile.mkstemp(prefix="time-", suffix=".txt", dir=cwd)
    os.close(fd)
    use_time = os.access(TIME_BIN, os.X_OK)
    if use_time:
        full = [TIME_BIN, "-v", "-o", time_out] + list(argv)
    else:
        wrapper = ("import json, resource, subprocess, sys; rc = subprocess.call(sys.argv[2:]); "
                   "open(sys.argv[1], 'w').write(json.dumps(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
                   "sys.exit(rc)")
        full = [sys.executable, "-c", wrapper, time_out] + list(argv)
    with (open(stdout_path, "wb") if stdout_path else contextlib.nullcontext(subprocess.PIPE)) as out_handle:
        t0 = time.perf_counter()
        proc = subprocess.run(full, env=env, cwd=cwd, stdout=out_handle, stderr=subprocess.PIPE, check=False)
        wall = time.perf_counter() - t0
    with open(time_out, encoding="utf-8") as fh:
        timing = fh.read()
    os.unlink(time_out)
    if proc.returncode != 0:
        raise RuntimeError("%s exited with %d:\n%s" % (" ".join(argv[:4]), proc.returncode,
                                                       proc.stderr.decode("utf-8", "replace")[-3000:]))
    if use_time:
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing)
        rss_kb = int(match.group(1)) if match else 0
    else:
        rss_kb = int(timing or 0)
    return {"wall_s": wall, "rss_mb": rss_kb / 1024.0,
            "stdout": None if stdout_path else proc.stdout.decode("utf-8", "replace")}


def run_step(step, payload, env, cwd):
    """Run ``run.py --step STEP`` (in its own process); returns its JSON result plus wall/rss."""
    argv = [sys.executable, os.path.abspath(__file__), "--step", step, "--payload", json.dumps(payload)]
    res = measure(argv, env, cwd)
    out = json.loads(res["stdout"].strip().splitlines()[-1])
    out["wall_s"], out["rss_mb"] = res["wall_s"], res["rss_mb"]
    return out


def med(values):
    return statistics.median(values) if values else None


def unwrap(value):
    """``{"__ansible_unsafe": v}`` -> v, recursively (``ansible-inventory --list`` on 2.19+)."""
    if isinstance(value, dict):
        if len(value) == 1 and "__ansible_unsafe" in value:
            return unwrap(value["__ansible_unsafe"])
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


# ----------------------------------------------------------------------------- child steps
# These run in a fresh interpreter (``--step``) with the collection importable.

def _engine():
    sys.path.insert(0, os.environ["ANSIBLE_COLLECTIONS_PATH"])
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store  # pylint: disable=import-outside-toplevel
    return Store


def step_import(p):
    """``load_inventory_source`` + ``import_inventory`` into a fresh store."""
    store_cls = _engine()
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import importer  # pylint: disable=import-outside-toplevel
    stores.reset(p["store"])
    t0 = time.perf_counter()
    data = importer.load_inventory_source(p["source"])
    t1 = time.perf_counter()
    store = store_cls.open(p["store"])
    store.save_inventory(p["inventory"])
    res = importer.import_inventory(store, p["inventory"], data, overwrite=True)
    t2 = time.perf_counter()
    size = stores.size_bytes(store)
    store.close()
    return {"load_s": t1 - t0, "import_s": t2 - t1, "total_s": t2 - t0,
            "hosts": res.get("total_hosts"), "groups": res.get("total_groups"), "db_bytes": size}


def step_import_module(p):
    """The same import through the module, ``ansible-playbook`` -> ``fleet.inventory.inventory_import``."""
    stores.reset(p["store"])
    store_cls = _engine()
    store = store_cls.open(p["store"])
    store.save_inventory(p["inventory"])
    store.close()
    play = [{"hosts": "localhost", "gather_facts": False, "connection": "local",
             "vars": {"ansible_python_interpreter": sys.executable},
             "tasks": [{"fleet.inventory.inventory_import": {
                 "store": p["store"], "inventory": p["inventory"], "source": p["source"], "overwrite": True}}]}]
    path = os.path.join(os.path.dirname(p["store"]), "import-play.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(play, fh)
    t0 = time.perf_counter()
    proc = subprocess.run([bin_path("ansible-playbook"), "-i", "localhost,", path], capture_output=True, check=False)
    total = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError("inventory_import module failed: %s" % proc.stdout.decode()[-2000:])
    return {"total_s": total}


def step_facts(p):
    """The ``host_facts facts_dir`` path: files read in batches, each written as read, one transaction."""
    store_cls = _engine()
    from ansible_collections.fleet.inventory.plugins.module_utils.rules.fact_files import iter_facts_dir  # pylint: disable=import-outside-toplevel
    from ansible_collections.fleet.inventory.plugins.modules.host_facts import load_dir  # pylint: disable=import-outside-toplevel
    reading = [0.0]

    def timed(batches):
        # the time spent reading files, apart from writing them
        while True:
            t = time.perf_counter()
            batch = next(batches, None)
            reading[0] += time.perf_counter() - t
            if batch is None:
                return
            yield batch

    import resource  # pylint: disable=import-outside-toplevel
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    store = store_cls.open(p["store"])
    with store.transaction():
        _changed, _diff, result = load_dir(store, {"inventory": None, "strict": False, "merge": True},
                                           timed(iter_facts_dir(p["facts_dir"])), False)
    t2 = time.perf_counter()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    stores.analyze(store)
    size = stores.size_bytes(store)
    by_object = stores.size_by_object(store)
    rows = store.execute("SELECT COUNT(*) FROM host_facts").fetchone()[0]
    item_rows = store.execute("SELECT COUNT(*) FROM host_fact_items").fetchone()[0]
    store.close()
    return {"read_s": reading[0], "write_s": t2 - t0 - reading[0], "total_s": t2 - t0, "files": result["counts"]["files"],
            "updated": result["counts"]["updated"], "fact_rows": rows, "item_rows": item_rows, "db_bytes": size,
            "db_by_object": by_object,
            "cpu_s": cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime}


def step_queries(p):
    """Each filter ``repeat`` times through ``Store.search_hosts``; first call separately (cold)."""
    store_cls = _engine()
    store = store_cls.open(p["store"])
    out = []
    for flt in p["filters"]:
        times, sql_times, count, error = [], [], None, None
        try:
            t0 = time.perf_counter()
            rows = store.search_hosts(flt)
            first = time.perf_counter() - t0
            count = len(rows)
            for dummy in range(p["repeat"]):
                t0 = time.perf_counter()
                rows = store.search_hosts(flt)
                times.append(time.perf_counter() - t0)
            # the filter alone: matching ids, no rows built (what search_hosts adds is per-row work)
            where, params = store.compile_filter(flt)
            id_sql = "SELECT h.id FROM hosts h WHERE %s" % where
            for dummy in range(p["repeat"]):
                t0 = time.perf_counter()
                store.execute(id_sql, list(params)).fetchall()
                sql_times.append(time.perf_counter() - t0)
            plan = stores.explain(store, "SELECT h.id FROM hosts h WHERE %s" % where, params)
        except Exception as exc:  # pylint: disable=broad-except
            first, plan, error = None, [], "%s: %s" % (type(exc).__name__, exc)
        out.append({"host_filter": flt, "count": count, "first_s": first, "best_s": min(times) if times else None,
                    "median_s": med(times), "sql_best_s": min(sql_times) if sql_times else None,
                    "plan": plan, "error": error})
    store.close()
    return {"queries": out}


STEPS = {"import": step_import, "import_module": step_import_module, "facts": step_facts, "queries": step_queries}


# ---------------------------------------------------------------------------- orchestration

def dataset(n, seed, workdir, want_facts=True):
    """Generate (or reuse) the data of ``n`` hosts; returns the manifest."""
    out = os.path.join(workdir, "data-%d-%d" % (n, seed))
    manifest_path = os.path.join(out, "manifest.json")
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = json.load(fh)
        if manifest.get("facts_dir") or not want_facts:
            log("N=%d: reusing generated data in %s" % (n, out))
            return manifest
    log("N=%d: generating data in %s" % (n, out))
    return generate.generate(n, out, seed, with_facts=want_facts, log=log)


def inventory_list(static_or_config, env, cwd, runs, label):
    """``ansible-inventory -i X --list`` ``runs`` times: the wall times, peak RSS and output size."""
    argv = [bin_path("ansible-inventory"), "-i", static_or_config, "--list"]
    walls, rss = [], []
    out_path = os.path.join(cwd, "list-%s.json" % label)
    for i in range(runs):
        res = measure(argv, env, cwd, stdout_path=out_path)
        walls.append(res["wall_s"])
        rss.append(res["rss_mb"])
        log("  %s run %d/%d: %.2f s, %.0f MB" % (label, i + 1, runs, res["wall_s"], res["rss_mb"]))
    return {"runs_s": walls, "median_s": med(walls), "best_s": min(walls), "rss_mb": max(rss),
            "output": out_path, "output_bytes": os.path.getsize(out_path)}


def export_to_static(export):
    """An ``ansible-inventory --list --export`` document -> the ``yaml`` plugin's format (as JSON).

    Every host is listed under ``all`` with its own variables; groups are nested as in the
    export (a group reached through several parents is defined at its first place and only
    referenced at the others), with their variables and hosts."""
    export = unwrap(export)
    hostvars = export.get("_meta", {}).get("hostvars", {})
    body_of = {name: (body or {}) for name, body in export.items() if name != "_meta"}
    all_body = body_of.get("all", {})
    hosts = {}
    for name, body in body_of.items():
        for host in body.get("hosts", []) or []:
            hosts.setdefault(host, hostvars.get(host) or None)
    for host, hvars in hostvars.items():
        hosts.setdefault(host, hvars or None)
    defined = set()

    def node(name):
        if name in defined:
            return {}
        defined.add(name)
        body = body_of.get(name, {})
        out = {}
        if body.get("vars"):
            out["vars"] = body["vars"]
        if body.get("hosts"):
            out["hosts"] = dict.fromkeys(body["hosts"])
        if body.get("children"):
            out["children"] = {c: node(c) for c in body["children"]}
        return out

    doc = {"all": {"hosts": hosts}}
    if all_body.get("vars"):
        doc["all"]["vars"] = all_body["vars"]
    children = {c: node(c) for c in all_body.get("children", []) or [] if c != "ungrouped"}
    if children:
        doc["all"]["children"] = children
    return doc


def compare_lists(path_a, path_b):
    """Whether two ``--list`` outputs describe the same hosts, host variables and group memberships."""
    with open(path_a, encoding="utf-8") as fh:
        a = unwrap(json.load(fh))
    with open(path_b, encoding="utf-8") as fh:
        b = unwrap(json.load(fh))
    problems = []
    ha, hb = a.get("_meta", {}).get("hostvars", {}), b.get("_meta", {}).get("hostvars", {})
    if set(ha) != set(hb):
        problems.append("host sets differ (%d vs %d)" % (len(ha), len(hb)))
    elif ha != hb:
        diff = [h for h in ha if ha[h] != hb.get(h)]
        problems.append("variables differ for %d hosts (e.g. %s)" % (len(diff), diff[:3]))

    def members(doc):
        return {g: (sorted(v.get("hosts", []) or []), sorted(v.get("children", []) or []))
                for g, v in doc.items() if g != "_meta"}

    if members(a) != members(b):
        problems.append("groups differ")
    return {"same": not problems, "hosts": len(ha), "problems": problems}


def bench_import(n, manifest, workdir, env, runs, with_module, where, reference=True):
    wd = os.path.join(workdir, "run-%d" % n)
    os.makedirs(wd, exist_ok=True)
    static = manifest["static_json"]
    store = where.target("store_%d" % n, wd)
    if reference:
        log("N=%d: reference ansible-inventory -i static.json --list x%d" % (n, runs))
        ref = inventory_list(static, env, wd, runs, "static")
        os.unlink(ref.pop("output"))
    else:
        ref = {"median_s": None, "rss_mb": 0.0, "runs_s": []}
    imports = []
    for i in range(runs):
        res = run_step("import", {"source": static, "store": store, "inventory": INVENTORY}, env, wd)
        imports.append(res)
        log("  import run %d/%d: %.2f s (ansible-inventory --export %.2f s, store %.2f s), %.0f MB, %s hosts"
            % (i + 1, runs, res["wall_s"], res["load_s"], res["import_s"], res["rss_mb"], res["hosts"]))
    imp = {key: med([r[key] for r in imports]) for key in ("wall_s", "total_s", "load_s", "import_s")}
    imp["rss_mb"] = max(r["rss_mb"] for r in imports)
    imp["hosts"] = imports[-1]["hosts"]
    imp["groups"] = imports[-1]["groups"]
    imp["db_mb_hosts_only"] = imports[-1]["db_bytes"] / 1e6
    module = None
    if with_module and os.path.exists(os.path.join(REPO, "plugins", "modules", "inventory_import.py")):
        mstore = where.target("store_module_%d" % n, wd)
        try:
            module = run_step("import_module", {"source": static, "store": mstore, "inventory": INVENTORY}, env, wd)
            log("  inventory_import module: %.2f s" % module["total_s"])
        except RuntimeError as exc:
            module = {"error": str(exc)[-500:]}
        stores.reset(mstore)
    log("N=%d: facts_dir load" % n)
    facts = run_step("facts", {"store": store, "facts_dir": manifest["facts_dir"]}, env, wd)
    facts["db_mb"] = facts["db_bytes"] / 1e6
    facts["facts_mb"] = manifest["facts_bytes_total"] / 1e6
    facts["size_ratio"] = facts["db_bytes"] / manifest["facts_bytes_total"]
    facts["load"] = os.getloadavg()
    log("  facts: %.2f s (read %.2f s, write %.2f s), %.0f MB RSS, store %.0f MB"
        % (facts["wall_s"], facts["read_s"], facts["write_s"], facts["rss_mb"], facts["db_mb"]))
    return {"reference": ref, "import": imp, "import_module": module, "facts": facts, "store": store,
            "ratio": imp["wall_s"] / ref["median_s"] if ref["median_s"] else None}


def bench_queries(n, manifest, store, env, workdir, repeat):
    filters = generate.benchmark_filters(n)
    log("N=%d: %d queries x%d" % (n, len(filters), repeat))
    res = run_step("queries", {"store": store, "filters": [f["host_filter"] for f in filters], "repeat": repeat}, env,
                   os.path.join(workdir, "run-%d" % n))
    rows = []
    for flt, q in zip(filters, res["queries"]):
        expected = manifest.get("expected", {}).get(flt["host_filter"])
        q.update({"label": flt["label"], "kind": flt["kind"], "expected": expected,
                  "correct": None if expected is None or q["count"] is None else q["count"] == expected})
        rows.append(q)
        if q["error"]:
            log("  %-28s ERROR %s" % (flt["label"], q["error"][:200]))
        else:
            log("  %-28s %7d hosts  best %.4f s  median %.4f s  (filter alone %.4f s)%s" % (
                flt["label"], q["count"], q["best_s"], q["median_s"], q["sql_best_s"],
                "" if q["correct"] in (True, None) else "  WRONG COUNT"))
    return rows


def bench_smart(n, manifest, store, env, workdir, runs, smart_filter=None, source_groups=False):
    """One smart/static comparison; ``source_groups`` adds the hosts' groups (and group vars)."""
    if smart_filter:
        chosen = {"label": "custom", "host_filter": smart_filter}
    else:
        # the filter whose expected result is closest to SMART_RESULT_HOSTS
        chosen = min(generate.SMART_FILTERS, key=lambda f: abs(f["share"] * n - min(n, SMART_RESULT_HOSTS)))
    wd = os.path.join(workdir, "run-%d" % n)
    variant = "groups" if source_groups else "hosts"
    config = os.path.join(wd, "bench-%s.smart.yml" % variant)
    options = {"plugin": "fleet.inventory.smart", "store": store, "host_filter": chosen["host_filter"]}
    if source_groups:
        options["source_groups"] = True
    with open(config, "w", encoding="utf-8") as fh:
        json.dump(options, fh)
    log("N=%d: smart inventory '%s'%s" % (n, chosen["host_filter"], " with source_groups" if source_groups else ""))
    export = measure([bin_path("ansible-inventory"), "-i", config, "--list", "--export"], env, wd)
    static = os.path.join(wd, "smart-static-%s.json" % variant)
    with open(static, "w", encoding="utf-8") as fh:
        json.dump(export_to_static(json.loads(export["stdout"])), fh)
    smart, ref = None, None
    smart_runs, ref_runs = [], []
    # interleaved, so that a burst of load from elsewhere hits both sides alike
    for dummy in range(runs):
        smart = inventory_list(config, env, wd, 1, "smart-" + variant)
        ref = inventory_list(static, env, wd, 1, "static-" + variant)
        smart_runs.append(smart)
        ref_runs.append(ref)
    same = compare_lists(smart["output"], ref["output"])
    os.unlink(smart["output"])
    os.unlink(ref["output"])

    def agg(items):
        walls = [x["runs_s"][0] for x in items]
        return {"runs_s": walls, "median_s": med(walls), "best_s": min(walls), "rss_mb": max(x["rss_mb"] for x in items),
                "output_bytes": items[-1]["output_bytes"]}

    s, r = agg(smart_runs), agg(ref_runs)
    return {"variant": variant, "host_filter": chosen["host_filter"], "expected": manifest.get("expected", {}).get(chosen["host_filter"]),
            "result_hosts": same["hosts"], "same_output": same["same"], "problems": same["problems"],
            "smart": s, "static": r, "ratio": s["median_s"] / r["median_s"]}


HOST_INFO_FILTER = "name__startswith=db00"  # the db hosts among the first 10,000: ~1,000 at any fleet size >= 10k


def bench_host_info(n, store, env, workdir, runs):
    """A ``fleet.inventory.host_info`` task returning ~1,000 hosts against an ``ansible.builtin.ping`` task.

    One playbook on localhost with the tasks ping, host_info, ping, host_info ... (``runs`` pairs); each task's
    wall time comes from the callback ``benchmarks/callback_plugins/task_times.py``.  The first pair warms up
    (module and plugin loading) and is reported apart; the ratio is of the medians of the others."""
    wd = os.path.join(workdir, "run-%d" % n)
    tasks = []
    for i in range(runs + 1):
        tasks.append({"name": "ping %d" % i, "ansible.builtin.ping": {}})
        tasks.append({"name": "host_info %d" % i, "fleet.inventory.host_info": {"store": store, "host_filter": HOST_INFO_FILTER},
                      "register": "found"})
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    path = os.path.join(wd, "host-info-play.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(play, fh)
    times = os.path.join(wd, "task-times.json")
    penv = dict(env, ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"), ANSIBLE_CALLBACKS_ENABLED="task_times",
                FLEET_BENCH_TASK_TIMES=times, ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    log("N=%d: host_info (%s) vs ping, %d pairs + warm-up" % (n, HOST_INFO_FILTER, runs))
    measure([bin_path("ansible-playbook"), "-i", "localhost,", "-c", "local", path], penv, wd)
    with open(times, encoding="utf-8") as fh:
        done = json.load(fh)
    ping = [t["seconds"] for t in done if t["name"].startswith("ping ")]
    info = [t["seconds"] for t in done if t["name"].startswith("host_info ")]
    hosts = [t["hosts"] for t in done if t["name"].startswith("host_info ")][-1]
    out = {"host_filter": HOST_INFO_FILTER, "hosts": hosts, "ping_s": ping, "host_info_s": info,
           "ping_median_s": med(ping[1:]), "host_info_median_s": med(info[1:]), "load": os.getloadavg()}
    out["ratio"] = out["host_info_median_s"] / out["ping_median_s"]
    log("  ping %.3f s, host_info %.3f s (%s hosts): ratio %.2f" % (
        out["ping_median_s"], out["host_info_median_s"], hosts, out["ratio"]))
    return out


# ---------------------------------------------------------------------------------- report

def versions():
    try:
        from ansible.release import __version__ as ansible_version  # pylint: disable=import-outside-toplevel
    except ImportError:
        ansible_version = "?"
    return {"python": platform.python_version(), "ansible_core": ansible_version, "sqlite": sqlite3.sqlite_version,
            "cpus": os.cpu_count(), "platform": platform.platform(), "machine": platform.machine()}


def met(value, target):
    if value is None:
        return "n/a"
    return "met" if value <= target else "**not met**"


def fmt(v, digits=2):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%." + str(digits) + "f") % v
    return str(v)


def markdown(report):
    lines = []
    v = report["versions"]
    lines.append("Store: %s (%s). Machine: %d CPUs, Python %s, ansible-core %s, SQLite %s; %s; load average at the start %s" % (
        report.get("backend", "sqlite"), report.get("store", "-"), v["cpus"], v["python"], v["ansible_core"], v["sqlite"],
        "quick" if report["quick"] else "full", " ".join("%.1f" % x for x in report.get("load_start", ()))))
    lines.append("")
    lines.append("### 1. Import (reference: `ansible-inventory -i static.json --list`)")
    lines.append("")
    lines.append("| hosts | reference | import (total) | of which ansible-inventory --export | store write | ratio"
                 " | target <= %.2f | import RSS | reference RSS |" % TARGETS["import_ratio"])
    lines.append("|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for r in report["sizes"]:
        i = r["import"]
        lines.append("| %d | %s s | %s s | %s s | %s s | %s | %s | %.0f MB | %.0f MB |" % (
            r["hosts"], fmt(i["reference"]["median_s"]), fmt(i["import"]["wall_s"]), fmt(i["import"]["load_s"]),
            fmt(i["import"]["import_s"]), fmt(i["ratio"]), met(i["ratio"], TARGETS["import_ratio"]),
            i["import"]["rss_mb"], i["reference"]["rss_mb"]))
    if any(r["import"].get("import_module") for r in report["sizes"]):
        lines.append("")
        for r in report["sizes"]:
            m = r["import"].get("import_module")
            if m:
                lines.append("- %d hosts through the `inventory_import` module (ansible-playbook): %s" % (
                    r["hosts"], "%.2f s" % m["total_s"] if "total_s" in m else "error: %s" % m.get("error")))
    lines.append("")
    lines.append("Facts through `host_facts` `facts_dir` (one JSON file per host):")
    lines.append("")
    lines.append("| hosts | fact files | total | target <= %.0f s at 100k | read files | store write | CPU of the loader | fact rows"
                 " | leaf rows | peak RSS | store size | size / fact files | target <= %.1f | load avg |" % (
                     TARGETS["facts_load_s"], TARGETS["size_ratio"]))
    lines.append("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for r in report["sizes"]:
        f = r["import"]["facts"]
        lines.append("| %d | %.0f MB | %s s | %s | %s s | %s s | %s s | %d | %s | %.0f MB | %.0f MB | %.2f | %s | %s |" % (
            r["hosts"], f["facts_mb"], fmt(f["wall_s"]),
            met(f["wall_s"] * 100000.0 / r["hosts"], TARGETS["facts_load_s"]) + ("" if r["hosts"] >= 100000 else " (scaled)"),
            fmt(f["read_s"]), fmt(f["write_s"]), fmt(f.get("cpu_s")), f["fact_rows"], f.get("item_rows", "-"), f["rss_mb"],
            f["db_mb"], f["size_ratio"], met(f["size_ratio"], TARGETS["size_ratio"]),
            " ".join("%.1f" % x for x in f.get("load", ()))))
    lines.append("")
    lines.append("Largest objects of the store at %d hosts: %s" % (report["sizes"][-1]["hosts"], ", ".join(
        "%s %.0f MB" % (k, v / 1e6) for k, v in report["sizes"][-1]["import"]["facts"].get("db_by_object", {}).items()
        if v >= 1e6)))
    lines.append("")
    lines.append("### 2. Queries (`Store.search_hosts`, best / median of %d runs)" % report["query_repeat"])
    lines.append("")
    sizes = [r["hosts"] for r in report["sizes"]]
    lines.append("`filter alone` is `SELECT h.id FROM hosts h WHERE <compiled filter>` (best): the rest of `search_hosts`"
                 " is building the host rows.")
    lines.append("")
    head = "| filter | " + " | ".join("%d hosts: matches | best | median | filter alone" % s for s in sizes) + " |"
    lines.append(head)
    lines.append("|---|" + "---:|---:|---:|---:|" * len(sizes))
    by_filter = {}
    for r in report["sizes"]:
        for q in r["queries"]:
            by_filter.setdefault(q["label"], {})[r["hosts"]] = q
    for label, per in by_filter.items():
        any_q = next(iter(per.values()))
        cells = []
        for s in sizes:
            q = per.get(s)
            if q is None or q["error"]:
                cells.append("error | - | - | -")
                continue
            count = "%d" % q["count"] + ("" if q["correct"] in (True, None) else " (expected %d!)" % q["expected"])
            cells.append("%s | %s s | %s s | %s s" % (count, fmt(q["best_s"], 4), fmt(q["median_s"], 4), fmt(q.get("sql_best_s"), 4)))
        lines.append("| %s `%s` | %s |" % (label, any_q["host_filter"].replace("|", "\\|"), " | ".join(cells)))
    largest = report["sizes"][-1]
    fact_sql_worst = max((q["sql_best_s"] for q in largest["queries"] if q["kind"] == "fact" and q.get("sql_best_s") is not None),
                         default=None)
    fact_rows_worst = max((q["median_s"] for q in largest["queries"] if q["kind"] == "fact" and q["median_s"] is not None),
                          default=None)
    lines.append("")
    lines.append("Slowest fact-path filter at %d hosts, the query (matching ids): %s s (target < %.1f s at 100k hosts: %s)" % (
        largest["hosts"], fmt(fact_sql_worst, 3), TARGETS["fact_query_s"],
        met(fact_sql_worst, TARGETS["fact_query_s"]) if largest["hosts"] >= 100000 else "not measured at 100k in this run"))
    lines.append("")
    lines.append("Slowest fact-path filter with every matching host's full record built in Python (median): %s s;"
                 " this part grows with the number of matches, not with the number of stored hosts." % fmt(fact_rows_worst, 3))
    lines.append("")
    lines.append("### 3. Smart inventory (`ansible-inventory -i smart.yml --list` vs a static file of the same hosts)")
    lines.append("")
    lines.append("| stored hosts | filter | result | result hosts | same output | smart (median) | static (median) | ratio"
                 " | target <= %.2f | smart RSS | static RSS |" % TARGETS["smart_ratio"])
    lines.append("|---:|---|---|---:|---|---:|---:|---:|---|---:|---:|")
    for r in report["sizes"]:
        for s in r["smart"]:
            if "skipped" in s or "error" in s:
                lines.append("| %d | %s | | | | | | | | | |" % (r["hosts"], (s.get("skipped") or s.get("error")).replace("\n", " ")))
                continue
            lines.append(smart_row(r["hosts"], s))
    if any(r.get("host_info") for r in report["sizes"]):
        lines.append("")
        lines.append("### 4. `host_info` returning ~1,000 hosts vs `ansible.builtin.ping`, same playbook (median of the warm tasks)")
        lines.append("")
        lines.append("| stored hosts | filter | hosts returned | ping | host_info | ratio | target <= %.1f | load avg |"
                     % TARGETS["host_info_ratio"])
        lines.append("|---:|---|---:|---:|---:|---:|---|---|")
        for r in report["sizes"]:
            h = r.get("host_info")
            if not h:
                continue
            if "error" in h:
                lines.append("| %d | error: %s | | | | | | |" % (r["hosts"], h["error"][:200].replace("\n", " ")))
                continue
            lines.append("| %d | `%s` | %s | %.3f s | %.3f s | %.2f | %s | %s |" % (
                r["hosts"], h["host_filter"], h["hosts"], h["ping_median_s"], h["host_info_median_s"], h["ratio"],
                met(h["ratio"], TARGETS["host_info_ratio"]), " ".join("%.1f" % x for x in h["load"])))
    return "\n".join(lines) + "\n"


def smart_row(hosts, s):
    return "| %d | `%s` | %s | %d | %s | %s s | %s s | %s | %s | %.0f MB | %.0f MB |" % (
        hosts, s["host_filter"], "hosts + source_groups" if s["variant"] == "groups" else "hosts (AWX shape)",
        s["result_hosts"], "yes" if s["same_output"] else "NO: " + "; ".join(s["problems"]),
        fmt(s["smart"]["median_s"]), fmt(s["static"]["median_s"]), fmt(s["ratio"]), met(s["ratio"], TARGETS["smart_ratio"]),
        s["smart"]["rss_mb"], s["static"]["rss_mb"])


def add_nice_argument(parser):
    """``--nice N``: the niceness every benchmark runs at by default (the machine is shared)."""
    parser.add_argument("--nice", type=int, default=10, help="niceness of the whole run (default 10; 0 leaves it)")


def renice(level):
    """Run at niceness ``level`` at least: under ``nice -n 10`` a run stays at 10, not 20."""
    if level:
        try:
            os.nice(max(0, level - os.nice(0)))
        except OSError:
            pass


def main(argv=None):
    parser = argparse.ArgumentParser(description="fleet.inventory benchmark (see docs/performance.md)")
    parser.add_argument("--hosts", type=int, action="append", help="fleet size; repeat for several (default 10000)")
    parser.add_argument("--quick", action="store_true", help="one run of each ansible-inventory measurement, fewer query runs")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "fleet-inventory-bench"),
                        help="generated data and stores (reused between runs)")
    parser.add_argument("--results", default=RESULTS, help="where the JSON and Markdown results go")
    parser.add_argument("--runs", type=int, help="runs of each ansible-inventory/import measurement (default: 3, 1 above 20k hosts or with --quick)")
    parser.add_argument("--smart-runs", type=int, help="runs of each smart/static --list (default 3, 1 with --quick)")
    parser.add_argument("--query-repeat", type=int, help="runs of each query (default 5, 2 with --quick)")
    parser.add_argument("--smart-filter", help="host_filter of the smart comparison (default: chosen for ~10k results)")
    parser.add_argument("--smart-groups", action=argparse.BooleanOptionalAction, default=None,
                        help="also compare the smart plugin with source_groups (default: on, off with --quick)")
    parser.add_argument("--skip", action="append", default=[], choices=["smart", "queries", "host_info", "reference"], help="skip a section")
    stores.add_argument(parser)
    parser.add_argument("--module", action="store_true", help="also time the inventory_import module through ansible-playbook")
    add_nice_argument(parser)
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--payload", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.step:
        print(json.dumps(STEPS[args.step](json.loads(args.payload))))
        return 0

    renice(args.nice)
    sizes = args.hosts or [10000]
    if args.smart_groups is None:
        args.smart_groups = not args.quick
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    env = child_env(workdir)
    for key in ("ANSIBLE_LOCAL_TEMP", "ANSIBLE_HOME"):
        os.makedirs(env[key], exist_ok=True)
    query_repeat = args.query_repeat or (2 if args.quick else 5)
    where = stores.Stores(args.store, workdir)
    report = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "quick": args.quick, "versions": versions(),
              "targets": TARGETS, "query_repeat": query_repeat, "seed": args.seed, "sizes": [],
              "backend": where.backend, "store": stores.redact(args.store) if args.store else "SQLite files in %s" % workdir,
              "load_start": os.getloadavg()}
    t_start = time.perf_counter()
    for n in sizes:
        runs = args.runs or (1 if args.quick or n > 20000 else 3)
        smart_runs = args.smart_runs or (1 if args.quick else 3)
        manifest = dataset(n, args.seed, workdir)
        entry = {"hosts": n, "runs": runs, "facts_bytes_min": manifest["facts_bytes_min"],
                 "facts_bytes_max": manifest["facts_bytes_max"], "facts_bytes_total": manifest["facts_bytes_total"]}
        entry["import"] = bench_import(n, manifest, workdir, env, runs, args.module, where, "reference" not in args.skip)
        store = entry["import"]["store"]
        entry["queries"] = [] if "queries" in args.skip else bench_queries(n, manifest, store, env, workdir, query_repeat)
        entry["smart"] = []
        if "smart" in args.skip:
            entry["smart"].append({"skipped": "--skip smart"})
        elif not os.path.exists(os.path.join(REPO, "plugins", "inventory", "smart.py")):
            entry["smart"].append({"skipped": "plugins/inventory/smart.py is not there yet"})
        else:
            for source_groups in (False, True) if args.smart_groups else (False,):
                try:
                    entry["smart"].append(bench_smart(n, manifest, store, env, workdir, smart_runs, args.smart_filter,
                                                      source_groups))
                except RuntimeError as exc:
                    entry["smart"].append({"error": str(exc)[-800:]})
                    log("smart: %s" % exc)
        if "host_info" not in args.skip:
            try:
                entry["host_info"] = bench_host_info(n, store, env, workdir, 1 if args.quick else 3)
            except (RuntimeError, OSError, ValueError) as exc:
                entry["host_info"] = {"error": str(exc)[-800:]}
                log("host_info: %s" % exc)
        report["sizes"].append(entry)
    report["seconds"] = time.perf_counter() - t_start
    md = markdown(report)
    os.makedirs(args.results, exist_ok=True)
    stem = os.path.join(args.results, "bench-%s-%s-%s%s" % (
        time.strftime("%Y%m%d-%H%M%S"), where.backend, "-".join(str(n) for n in sizes), "-quick" if args.quick else ""))
    with open(stem + ".json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    with open(stem + ".md", "w", encoding="utf-8") as fh:
        fh.write(md)
    print(md)
    log("results: %s.{json,md} (%.0f s)" % (stem, report["seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
