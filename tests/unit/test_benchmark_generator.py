# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's data generator (benchmarks/generate.py) and a tiny end-to-end run of
benchmarks/run.py.

The generator must be deterministic and its facts must look like what ``setup`` returns, with
the shapes the filters rely on, so that the benchmark cannot silently measure something
trivial (a filter that matches nothing, or facts a tenth of the real size)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "benchmarks"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  pylint: disable=wrong-import-position,import-error

SAMPLE = 1500  # large enough to draw every distribution / vcpu count, fast enough (< 1 s)


@pytest.fixture(scope="module")
def sample():
    records = list(generate.hosts(SAMPLE))
    return [(rec, generate.host_facts(rec)) for rec in records]


def test_deterministic():
    a = [generate.host_facts(r) for r in generate.hosts(50)]
    b = [generate.host_facts(r) for r in generate.hosts(50)]
    assert json.dumps(a) == json.dumps(b)
    # host i depends only on (seed, i): a small fleet is the prefix of a larger one
    assert generate.host_record(7)["name"] == list(generate.hosts(20))[7]["name"]
    other = [generate.host_facts(r) for r in generate.hosts(50, seed=generate.DEFAULT_SEED + 1)]
    assert json.dumps(other) != json.dumps(a)


def test_generate_writes_the_same_files_twice(tmp_path):
    m1 = generate.generate(30, str(tmp_path / "a"))
    m2 = generate.generate(30, str(tmp_path / "b"))
    assert m1["facts_sha256"] == m2["facts_sha256"]
    assert (tmp_path / "a" / "static.json").read_bytes() == (tmp_path / "b" / "static.json").read_bytes()
    files = sorted(os.listdir(tmp_path / "a" / "facts"))
    assert len(files) == 30 and all(f.endswith(".json") for f in files)
    names = {f[:-5] for f in files}
    static = json.loads((tmp_path / "a" / "static.json").read_text())

    def hosts_of(node):
        found = set(node.get("hosts") or {})
        for child in (node.get("children") or {}).values():
            found |= hosts_of(child)
        return found

    assert hosts_of(static["all"]) == names


def test_fact_sizes_are_realistic(sample):
    sizes = [len(json.dumps(facts)) for _rec, facts in sample]
    assert min(sizes) >= 5 * 1024, min(sizes)
    assert max(sizes) <= 10 * 1024, max(sizes)
    # the extremes are drawn: small and large hosts both exist in the sample
    assert {1, 48} <= {facts["ansible_processor_vcpus"] for _rec, facts in sample}


def test_fact_shapes(sample):
    for _rec, f in sample[:200]:
        assert isinstance(f["ansible_distribution"], str) and isinstance(f["ansible_distribution_version"], str)
        proc = f["ansible_processor"]
        assert isinstance(proc, list) and len(proc) == 3 * f["ansible_processor_vcpus"]
        assert all(isinstance(x, str) for x in proc) and proc[1] in ("GenuineIntel", "AuthenticAMD")
        assert isinstance(f["ansible_processor_vcpus"], int) and isinstance(f["ansible_memtotal_mb"], int)
        assert isinstance(f["ansible_env"], dict) and "PATH" in f["ansible_env"]
        assert f["ansible_mounts"] and all(isinstance(m, dict) and "mount" in m for m in f["ansible_mounts"])
        assert "lo" in f["ansible_interfaces"] and "eth0" in f["ansible_interfaces"]
        for ifname in f["ansible_interfaces"]:
            assert isinstance(f["ansible_" + ifname], dict)
        lo = f["ansible_lo"]
        assert isinstance(lo["ipv4"], dict) and isinstance(lo["features"], dict) and lo["features"]
        assert all(isinstance(a, dict) and "scope" in a for a in lo.get("ipv6", []))
        assert isinstance(f["ansible_date_time"], dict) and isinstance(f["ansible_python"], dict)
        assert isinstance(f["ansible_default_ipv4"]["address"], str)
        if f["ansible_os_family"] == "Debian":
            assert f["ansible_lsb"]["id"] == f["ansible_distribution"]


def test_every_benchmark_filter_is_selective(sample):
    """Each timed filter matches some hosts, and (but for the all-hosts smart filter and the
    exact-name probes) not all of them: realistic selectivity, nothing trivial."""
    n = len(sample)
    for flt in generate.benchmark_filters(n) + generate.SMART_FILTERS:
        count = sum(1 for rec, facts in sample if flt["predicate"](rec, facts))
        assert count >= 1, flt["host_filter"]
        if flt.get("share") == 1.0:
            assert count == n
        else:
            assert count < n * 0.9, (flt["host_filter"], count)
    shares = {f["label"]: f["share"] for f in generate.SMART_FILTERS}
    rhel9 = [f for f in generate.SMART_FILTERS if f["share"] < 1][0]
    got = sum(1 for rec, facts in sample if rhel9["predicate"](rec, facts)) / n
    assert abs(got - shares[rhel9["label"]]) < 0.03


@pytest.mark.skipif(shutil.which("ansible-inventory") is None
                    and not (Path(sys.executable).parent / "ansible-inventory").exists(),
                    reason="ansible-inventory is not installed")
def test_run_quick_end_to_end(tmp_path):
    """``run.py --hosts 200 --quick``: every section runs and reports (about 15 s)."""
    results = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--hosts", "200", "--quick", "--query-repeat", "1",
         "--workdir", str(tmp_path / "work"), "--results", str(results), "--nice", "0"],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    for heading in ("### 1. Import", "### 2. Queries", "### 3. Smart inventory"):
        assert heading in out
    [report_path] = list(results.glob("bench-*-200-quick.json"))
    report = json.loads(report_path.read_text())
    [size] = report["sizes"]
    assert size["import"]["import"]["hosts"] == 200
    assert size["import"]["facts"]["updated"] == 200
    for q in size["queries"]:
        assert q["error"] is None, q
        assert q["correct"], q
    for smart in size["smart"]:
        if "skipped" not in smart:
            assert smart["same_output"], smart
            assert smart["result_hosts"] == smart["expected"] == 200


@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("fastapi", "uvicorn", "requests")),
                    reason="the service's requirements (service/requirements.txt) are not installed")
def test_service_quick_end_to_end(tmp_path):
    """``service.py --hosts 200 --quick``: a real service process answers every timed filter with the right count,
    and an scm source updates through the engine and through the service (about 45 s on a loaded machine)."""
    results = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "service.py"), "--hosts", "200", "--quick", "--update-hosts", "20",
         "--workdir", str(tmp_path / "work"), "--results", str(results), "--nice", "0"],
        capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| filter | matches | searches kept | clients |" in proc.stdout and "POST update" in proc.stdout
    [report_path] = list(results.glob("service-*-sqlite-200-quick.json"))
    report = json.loads(report_path.read_text())
    # each filter with the service's search cache off, then on
    assert [row["search_cache"] for row in report["latency"]] == ["off"] * 6 + ["on"] * 6
    for row in report["latency"]:
        assert row["error_count"] == 0 and row["correct"], row
        assert row["requests"] == (5 if row["clients"] == 1 else 40)
    updates = report["updates"]
    assert len(updates["engine_s"]) == len(updates["service_s"]) == 1
