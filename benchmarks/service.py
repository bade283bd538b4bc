#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTTP service (issue 11) over N stored hosts with facts: host_filter latency and updates.

    python benchmarks/service.py [--hosts 100000] [--store postgresql://...] [--quick] [--reuse]

The store is filled as ``fact_search.py`` fills it (its ``build``: the
generated fleet through ``importer.import_inventory``, the facts through
``Store.set_facts_many``; ``--reuse`` takes the store and expected counts an
earlier ``fact_search.py`` or ``service.py`` run left in the same work
directory).  Then a REAL service process starts
(``python -m ansible_collections.fleet.inventory.service --store ... --workers 1 --processes N``,
N from ``--processes``: the service's default, one web process per CPU, at most 4)
and the benchmark measures, with a superuser's token:

- ``GET /api/v2/hosts/?host_filter=<filter>&page_size=200`` for fact filters
  of ``generate.benchmark_filters``: one client (sequential requests), then
  20 concurrent clients (threads, one ``requests.Session`` each); median and
  p99 latency, requests per second; the ``count`` is checked against the
  generator's predicates.  Targets: p99 < 100 ms with one client, < 500 ms
  with 20.  Each filter twice (``--search-cache both``, the default): the
  service started with ``FLEET_INVENTORY_SEARCH_CACHE=0`` (every request
  computes its search), then with its default (the same request repeated with
  nothing written in between: after each connection's first request, the
  search kept by ``store/search_cache``).
- updates: an scm source whose project holds ``inventory/hosts.yml`` of
  ``--update-hosts`` generated hosts (300); the engine's own time
  (``updates.run_source_update`` in this process, into a fresh inventory)
  against the service's (POST ``/api/v2/inventory_sources/{id}/update/`` until
  the update reads ``successful``, polled every 20 ms, into another fresh
  inventory), both medians of ``--update-runs``.

Results go to ``benchmarks/results/service-*.{json,md}``; the load average is
recorded at the start and with every measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import fact_search  # noqa: E402  pylint: disable=wrong-import-position
import generate  # noqa: E402  pylint: disable=wrong-import-position
import run  # noqa: E402  pylint: disable=wrong-import-position
import scm  # noqa: E402  pylint: disable=wrong-import-position
import stores  # noqa: E402  pylint: disable=wrong-import-position

TARGET_P99_ONE_S = 0.100
TARGET_P99_MANY_S = 0.500
CLIENTS = 20
PAGE_SIZE = 200
#: the fact filters timed (labels of generate.benchmark_filters): a broad one, a one-host one, a combination
FILTER_LABELS = ("fact string", "fact nested dict", "and/or combination")
START_TIMEOUT = 120.0


def log(msg):
    run.log(msg)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values, q):
    """The ``q`` quantile (0..1) of ``values``, nearest rank (p99 of 50 samples is the largest)."""
    ordered = sorted(values)
    rank = max(1, int(-(-q * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


class ServiceProcess:
    """``python -m ansible_collections.fleet.inventory.service`` on 127.0.0.1 and a free port."""

    def __init__(self, target, collections, log_path, workers=1, processes=0, env=None):
        self.target, self.collections, self.log_path, self.workers = target, collections, log_path, workers
        self.processes = processes
        self.env = env or {}
        self.proc = None
        self.url = None

    def start(self):
        port = free_port()
        self.url = "http://127.0.0.1:%d" % port
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (self.collections, env.get("PYTHONPATH", "")) if p)
        env.update(self.env)
        cmd = [sys.executable, "-m", "ansible_collections.fleet.inventory.service", "--store", self.target,
               "--listen", "127.0.0.1:%d" % port, "--workers", str(self.workers), "--processes", str(self.processes)]
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if requests.get(self.url + "/api/v2/ping/", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            raise SystemExit("service.py: the service did not start:\n%s" % fh.read()[-5000:])

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(10)
        self.proc = None


# ----------------------------------------------------------------------------------- host_filter latency


def _get_hosts(session, url, host_filter, headers):
    t = time.perf_counter()
    resp = session.get(url + "/api/v2/hosts/", params={"host_filter": host_filter, "page_size": PAGE_SIZE},
                       headers=headers, timeout=120)
    elapsed = time.perf_counter() - t
    if resp.status_code != 200:
        raise RuntimeError("GET /api/v2/hosts/?host_filter=%s: %d %s" % (host_filter, resp.status_code, resp.text[:500]))
    return elapsed, resp.json()


def latency(url, headers, host_filter, expected, clients, per_client):
    """``clients`` threads, each with its own session, each ``per_client`` sequential requests."""
    samples, errors, counts = [], [], set()
    lock = threading.Lock()

    def client():
        with requests.Session() as session:
            _get_hosts(session, url, host_filter, headers)  # the connection, outside the timing
            mine = []
            for _i in range(per_client):
                try:
                    elapsed, body = _get_hosts(session, url, host_filter, headers)
                except Exception as exc:  # pylint: disable=broad-except
                    with lock:
                        errors.append(str(exc)[:300])
                    continue
                mine.append(elapsed)
                with lock:
                    counts.add(body["count"])
            with lock:
                samples.extend(mine)

    threads = [threading.Thread(target=client) for _c in range(clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    out = {"clients": clients, "requests": len(samples), "errors": errors[:5], "error_count": len(errors),
           "wall_s": wall, "load": os.getloadavg(), "counts": sorted(counts), "expected": expected}
    if samples:
        # wall includes each client's untimed first request: rps counts those too
        out.update(median_s=statistics.median(samples), p99_s=percentile(samples, 0.99), max_s=max(samples),
                   rps=(len(samples) + clients) / wall)
    out["correct"] = counts == {expected} if expected is not None else None
    return out


def profile(store, host_filter, repeat):
    """The engine's side of one request, in this process: ``COUNT(*)`` of the filter alone, the page query
    (200 rows) alone, and ``listing.list_page`` (both plus compiling the filter); medians of ``repeat``."""
    from ansible_collections.fleet.inventory.plugins.module_utils.store import listing  # pylint: disable=import-outside-toplevel
    store.prepare_search()
    where, params = store.compile_filter(host_filter)
    timed = {"count_s": "SELECT COUNT(*) FROM hosts h WHERE %s" % where,
             "page_s": "SELECT h.* FROM hosts h WHERE %s ORDER BY h.name, h.id LIMIT %d" % (where, PAGE_SIZE)}
    out = {}
    for key, sql in timed.items():
        times = []
        for _r in range(repeat):
            t = time.perf_counter()
            store.execute(sql, list(params)).fetchall()
            times.append(time.perf_counter() - t)
        out[key] = statistics.median(times)
    times = []
    for _r in range(repeat):
        t = time.perf_counter()
        listing.list_page(store, "host", host_filter=host_filter, limit=PAGE_SIZE)
        times.append(time.perf_counter() - t)
    out["list_page_s"] = statistics.median(times)
    return out


# ----------------------------------------------------------------------------------- updates


def setup_updates(store, workdir, update_hosts, runs, modules, stamp):
    """The project (synced once) and ``2 * runs`` fresh inventories with one scm source each (names with ``stamp``,
    so a ``--reuse`` run never updates an earlier run's inventories)."""
    projects, sources = modules["projects"], modules["sources"]
    url = scm.make_repo(update_hosts, workdir)
    project = "svcbench-%s" % stamp
    projects.save_project(store, project, scm_url=url, scm_branch="main")
    pu = projects.update_project(store, project)
    if pu["status"] != "successful":
        raise SystemExit("service.py: the project update failed:\n%s" % pu.get("result_stdout", "")[-3000:])
    names = {"engine": [], "service": []}
    for kind in names:
        for i in range(runs):
            inv = "svcbench-%s-%s-%d" % (stamp, kind, i)
            store.save_inventory(inv)
            sources.save_source(store, inv, "git", source="scm", source_project=project,
                                source_path="inventory/hosts.yml", overwrite=True)
            names[kind].append(inv)
    return names


def engine_updates(store, invs, modules):
    sources, updates = modules["sources"], modules["updates"]
    times = []
    for inv in invs:
        src = sources.require_source(store, inv, "git")
        t0 = time.perf_counter()
        rec = updates.run_source_update(store, src)
        times.append(time.perf_counter() - t0)
        if rec["status"] != "successful":
            raise SystemExit("service.py: the engine's update failed:\n%s" % rec.get("result_stdout", "")[-3000:])
        log("  engine update of %s: %.2f s (%s hosts)" % (inv, times[-1], rec["counts"].get("total_hosts")))
    return times


def service_updates(store, url, headers, invs, modules):
    sources = modules["sources"]
    times = []
    with requests.Session() as session:
        for inv in invs:
            src = sources.require_source(store, inv, "git")
            t0 = time.perf_counter()
            resp = session.post("%s/api/v2/inventory_sources/%d/update/" % (url, src["id"]), headers=headers, timeout=60)
            if resp.status_code != 202:
                raise SystemExit("service.py: POST update: %d %s" % (resp.status_code, resp.text[:1000]))
            detail = url + resp.headers["Location"]
            deadline = time.monotonic() + 600
            while True:
                body = session.get(detail, headers=headers, timeout=60).json()
                if body["status"] not in ("pending", "waiting", "running"):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit("service.py: the service's update did not finish in 600 s")
                time.sleep(0.02)
            times.append(time.perf_counter() - t0)
            if body["status"] != "successful":
                raise SystemExit("service.py: the service's update ended %s: %s" % (body["status"], json.dumps(body)[:2000]))
            log("  service update of %s: %.2f s" % (inv, times[-1]))
    return times


# ----------------------------------------------------------------------------------- report


def _ms(value):
    return "%.1f ms" % (value * 1000)


def markdown(report):
    b = report["build"]
    lines = ["Store: %s (%s); %d hosts with facts (built in %.0f s, or reused); service `--workers 1 --processes %s`; "
             "load average at the start %s; %s" % (
                 report["backend"], report["store"], report["hosts"], b.get("build_s", 0),
                 report.get("processes", 0) or "default (one per CPU, at most 4)",
                 " ".join("%.1f" % x for x in report["load_start"]), "quick" if report["quick"] else "full"), "",
             "| filter | matches | searches kept | clients | requests | median | p99 | req/s | target p99 | load avg |",
             "|---|---:|---|---:|---:|---:|---:|---:|---|---|"]
    for r in report["latency"]:
        target = TARGET_P99_ONE_S if r["clients"] == 1 else TARGET_P99_MANY_S
        if "p99_s" not in r:
            lines.append("| %s | | %s | %d | 0 | | | | errors: %s | |" % (
                r["label"], r["search_cache"], r["clients"], "; ".join(r["errors"])))
            continue
        status = ("met" if r["p99_s"] < target else "**not met**") + " (< %d ms)" % (target * 1000)
        count = ",".join(str(c) for c in r["counts"])
        if not r["correct"]:
            count += " (expected %s!)" % r["expected"]
        lines.append("| %s `%s` | %s | %s | %d | %d%s | %s | %s | %.1f | %s | %s |" % (
            r["label"], r["host_filter"].replace("|", "\\|"), count, r["search_cache"], r["clients"], r["requests"],
            " (%d errors)" % r["error_count"] if r["error_count"] else "", _ms(r["median_s"]), _ms(r["p99_s"]), r["rps"],
            status, " ".join("%.1f" % x for x in r["load"])))
    if report.get("profile"):
        lines += ["", "Where one request's time goes (in the benchmark's process, no HTTP; medians): `COUNT(*)` of the filter"
                      " alone, the page query alone (200 rows ordered by name), `listing.list_page` (compile + both)",
                  "", "| filter | COUNT(*) | page query | list_page | load avg |", "|---|---:|---:|---:|---|"]
        for label, p in report["profile"].items():
            lines.append("| %s | %s | %s | %s | %s |" % (
                label, _ms(p["count_s"]), _ms(p["page_s"]), _ms(p["list_page_s"]), " ".join("%.1f" % x for x in p["load"])))
    u = report.get("updates")
    if u:
        lines += ["", "| update of an scm source (%d hosts), median of %d | engine (`run_source_update`) | "
                      "service (POST update -> `successful`) | service - engine | load avg |" % (u["hosts"], u["runs"]),
                  "|---|---:|---:|---:|---|",
                  "| first update into an empty inventory | %.2f s | %.2f s | %+.2f s | %s |" % (
                      u["engine_median_s"], u["service_median_s"], u["service_median_s"] - u["engine_median_s"],
                      " ".join("%.1f" % x for x in u["load"]))]
    return "\n".join(lines) + "\n"


def engine_modules(collections):
    sys.path.insert(0, collections)
    from ansible.plugins.loader import init_plugin_loader  # pylint: disable=import-outside-toplevel

    init_plugin_loader([collections])
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import access, projects, sources, updates  # pylint: disable=import-outside-toplevel
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store  # pylint: disable=import-outside-toplevel
    return {"access": access, "projects": projects, "sources": sources, "updates": updates, "Store": Store}


def main(argv=None):
    parser = argparse.ArgumentParser(description="the HTTP service over N stored hosts (see docs/performance.md)")
    parser.add_argument("--hosts", type=int, default=100000)
    parser.add_argument("--quick", action="store_true", help="few requests and one update run (a smoke run)")
    parser.add_argument("--requests", type=int, help="requests of the one client per filter (default 100, 5 with --quick)")
    parser.add_argument("--per-client", type=int, help="requests of each of the 20 clients per filter (default 10, 2 with --quick)")
    parser.add_argument("--filter", action="append", dest="filters", metavar="LABEL",
                        help="time only this filter of the set (a label of generate.benchmark_filters; repeatable;"
                             " default: %s)" % ", ".join(FILTER_LABELS))
    parser.add_argument("--profile-repeat", type=int, help="runs of each profiled statement (default 10, 3 with --quick)")
    parser.add_argument("--update-hosts", type=int, default=300, help="hosts of the updated scm source")
    parser.add_argument("--update-runs", type=int, help="updates timed on each side (default 3, 1 with --quick)")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "fleet-inventory-bench-service"))
    parser.add_argument("--reuse", action="store_true", help="use the store of an earlier run (fact_search.py's or this one's)")
    parser.add_argument("--results", default=run.RESULTS)
    run.add_nice_argument(parser)
    parser.add_argument("--processes", type=int, default=0,
                        help="web processes of the service (default 0: the service's default, one per CPU, at most 4)")
    parser.add_argument("--search-cache", choices=("both", "off", "on"), default="both",
                        help="time the requests with the service's search cache off (FLEET_INVENTORY_SEARCH_CACHE=0),"
                             " on (its default), or both (default)")
    stores.add_argument(parser)
    args = parser.parse_args(argv)
    run.renice(args.nice)
    n_one = args.requests or (5 if args.quick else 100)
    per_client = args.per_client or (2 if args.quick else 10)
    update_runs = args.update_runs or (1 if args.quick else 3)
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    collections = run.collections_root(workdir)
    os.environ["ANSIBLE_COLLECTIONS_PATH"] = collections
    os.environ["FLEET_INVENTORY_PROJECTS_ROOT"] = os.path.join(workdir, "projects")
    modules = engine_modules(collections)
    where = stores.Stores(args.store, workdir)
    target = where.target("fact_search_%d" % args.hosts)  # the same store fact_search.py builds: --reuse takes either
    report = {"hosts": args.hosts, "backend": where.backend, "quick": args.quick, "load_start": os.getloadavg(),
              "store": stores.redact(args.store) if args.store else target, "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    expected_path = os.path.join(workdir, "fact-search-%d-%s.expected.json" % (args.hosts, where.backend))
    if args.reuse and os.path.exists(expected_path):
        with open(expected_path, encoding="utf-8") as fh:
            saved = json.load(fh)
        report["build"], expected = saved["build"], saved["expected"]
        log("reusing the store of %d hosts at %s" % (args.hosts, report["store"]))
    else:
        log("building a store of %d hosts at %s" % (args.hosts, report["store"]))
        report["build"], expected = fact_search.build(args.hosts, target, False)
        with open(expected_path, "w", encoding="utf-8") as fh:
            json.dump({"build": report["build"], "expected": expected}, fh)

    store = modules["Store"].open(target)
    access = modules["access"]
    username = "svcbench"
    if access.get_user(store, username) is None:
        access.create_user(store, username, is_superuser=True)
    headers = {"Authorization": "Bearer %s" % access.create_token(store, username, scope="write")["token"]}
    log("preparing %d+%d scm sources of %d hosts" % (update_runs, update_runs, args.update_hosts))
    invs = setup_updates(store, workdir, args.update_hosts, update_runs, modules, time.strftime("%Y%m%d%H%M%S"))

    report["processes"] = args.processes
    labels = args.filters or FILTER_LABELS
    filters = [f for f in generate.benchmark_filters(args.hosts) if f["label"] in labels]
    if len(filters) != len(labels):
        raise SystemExit("service.py: unknown filter label among %s" % (labels,))
    report["latency"] = []
    log_path = os.path.join(workdir, "service-%s.log" % where.backend)
    for mode in ("off", "on") if args.search_cache == "both" else (args.search_cache,):
        service = ServiceProcess(target, collections, log_path, workers=1, processes=args.processes,
                                 env={"FLEET_INVENTORY_SEARCH_CACHE": "0"} if mode == "off" else None)
        log("starting the service (--workers 1 --processes %d, search cache %s)" % (args.processes, mode))
        service.start()
        try:
            for f in filters:
                for clients, per in ((1, n_one), (CLIENTS, per_client)):
                    r = latency(service.url, headers, f["host_filter"], expected.get(f["host_filter"]), clients, per)
                    r.update(label=f["label"], host_filter=f["host_filter"], search_cache=mode)
                    report["latency"].append(r)
                    if "p99_s" in r:
                        log("  %-22s %-3s %2d clients: %4d requests  median %s  p99 %s  %.1f req/s%s" % (
                            f["label"], mode, clients, r["requests"], _ms(r["median_s"]), _ms(r["p99_s"]), r["rps"],
                            "" if r["correct"] else "  WRONG COUNT %s (expected %s)" % (r["counts"], r["expected"])))
                    else:
                        log("  %-22s %-3s %2d clients: errors %s" % (f["label"], mode, clients, r["errors"]))
        finally:
            service.stop()
    service = ServiceProcess(target, collections, log_path, workers=1, processes=args.processes)
    log("starting the service for the updates")
    service.start()
    try:
        report["profile"] = {}
        store.search_cache = None  # each run computes its search
        for f in filters:
            prof = profile(store, f["host_filter"], args.profile_repeat or (3 if args.quick else 10))
            prof["load"] = os.getloadavg()
            report["profile"][f["label"]] = prof
            log("  profile %-22s COUNT %s  page %s  list_page %s" % (
                f["label"], _ms(prof["count_s"]), _ms(prof["page_s"]), _ms(prof["list_page_s"])))
        log("updates: engine, then service")
        eng = engine_updates(store, invs["engine"], modules)
        svc = service_updates(store, service.url, headers, invs["service"], modules)
        report["updates"] = {"hosts": args.update_hosts, "runs": update_runs, "engine_s": eng, "service_s": svc,
                             "engine_median_s": statistics.median(eng), "service_median_s": statistics.median(svc),
                             "load": os.getloadavg()}
    finally:
        service.stop()
        store.close()

    md = markdown(report)
    os.makedirs(args.results, exist_ok=True)
    stem = os.path.join(args.results, "service-%s-%s-%d%s" % (time.strftime("%Y%m%d-%H%M%S"), where.backend, args.hosts,
                                                              "-quick" if args.quick else ""))
    with open(stem + ".json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1)
    with open(stem + ".md", "w", encoding="utf-8") as fh:
        fh.write(md)
    print(md)
    log("results: %s.{json,md}" % stem)
    bad = [r for r in report["latency"] if r["error_count"] or not r["correct"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
