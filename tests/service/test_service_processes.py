"""A service with several web processes (``--processes``): every request answered, the workers once, a clean SIGTERM.

The main process binds the socket, runs the update workers and the deletion
worker once, and supervises its web processes (service/supervisor.py); these
tests look at its process tree through /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from ansible_collections.fleet.inventory.service import supervisor

COLLECTIONS_ROOT = Path(__file__).resolve().parents[2] / ".pytest_collections"
pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the process tree from /proc")


def _stat(pid):
    """``(ppid, session, utime + stime)`` of ``pid`` from /proc, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    return int(fields[1]), int(fields[3]), int(fields[11]) + int(fields[12])


def _cmdline(pid) -> str:
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _processes(test):
    """``{pid: cmdline}`` of the processes for which ``test(stat)`` holds."""
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None and test(stat):
                out[int(name)] = _cmdline(int(name))
    return out


def _children(pid, marker):
    return sorted(p for p, cmd in _processes(lambda st: st[0] == pid).items() if marker in cmd)


def _wait_for(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    return check()


def _seed(svc):
    with svc.open_store() as store:
        for name in ("keep", "drop"):
            store.save_inventory(name)
            for i in range(30):
                store.save_host(name, "%s-h%02d" % (name, i), variables={"n": i})
        return store.get_inventory("drop")["id"]


def test_two_web_processes_answer_concurrent_requests_run_the_workers_once_and_stop_on_sigterm(
        start_service, store_target, tmp_path):
    config = tmp_path / "service.yml"
    # the deletion worker looks only once an hour by itself: a DELETE's wake must reach it through the main process
    config.write_text("deletion_interval: 3600\n")
    svc = start_service(store_target, workers=1, extra_args=["--processes", "2", "--config", str(config)])
    drop_id = _seed(svc)
    token = svc.superuser_token()

    web = _wait_for(lambda: len(_children(svc.pid, "service.web_process")) == 2 and _children(svc.pid, "service.web_process"))
    assert len(web) == 2, _processes(lambda st: st[0] == svc.pid)
    # the update workers and the deletion worker run once per service, in the main process, never in a web process
    assert len(_children(svc.pid, "service.workers")) == 1
    for pid in web:
        assert not _processes(lambda st, parent=pid: st[0] == parent)
    assert svc.get("/api/v2/ping/").json()["instances"][0]["capacity"] == 1
    cpu_before = {pid: _stat(pid)[2] for pid in web}

    expected = svc.get("/api/v2/hosts/?page_size=200&order_by=name", token=token).json()
    assert expected["count"] == 60
    failures, answered = [], []

    def client():
        for _request in range(15):  # a new connection each time: the kernel hands them to whichever process accepts first
            try:
                resp = requests.get(svc.url + "/api/v2/hosts/?page_size=200&order_by=name",
                                    headers={"Authorization": "Bearer " + token}, timeout=60)
                if resp.status_code != 200 or resp.json() != expected:
                    failures.append((resp.status_code, resp.text[:200]))
                answered.append(resp.status_code)
            except requests.RequestException as exc:
                failures.append(repr(exc))

    threads = [threading.Thread(target=client) for _client in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures[:5]
    assert len(answered) == 300
    # both web processes served some of them
    assert all(_stat(pid)[2] > cpu_before[pid] for pid in web), (cpu_before, {pid: _stat(pid) for pid in web})

    # a DELETE in a web process wakes the main process's deletion worker
    assert svc.delete("/api/v2/inventories/%d/" % drop_id, token=token).status_code == 202
    assert _wait_for(lambda: svc.get("/api/v2/inventories/%d/" % drop_id, token=token).status_code == 404, 30)

    # a web process that dies is started again
    os.kill(web[0], signal.SIGKILL)
    again = _wait_for(lambda: (len(_children(svc.pid, "service.web_process")) == 2 and web[0] not in _children(
        svc.pid, "service.web_process")) and _children(svc.pid, "service.web_process"))
    assert again and web[0] not in again and web[1] in again
    assert _wait_for(lambda: svc.get("/api/v2/hosts/?page_size=1", token=token).status_code == 200)

    # SIGTERM: everything stops, the main process exits 0, nothing of its session is left
    session = svc.pid
    svc.proc.send_signal(signal.SIGTERM)
    assert svc.proc.wait(60) == 0, svc.stderr()[-3000:]
    left = _wait_for(lambda: not _processes(lambda st: st[1] == session), 10)
    assert left, _processes(lambda st: st[1] == session)
    assert "stopped" in svc.stderr()
    svc.stop()


def test_processes_option_is_checked_and_defaults_to_the_cpus_at_most_4(store_target):
    assert 1 <= supervisor.default_processes() <= 4
    assert supervisor.default_processes() <= len(os.sched_getaffinity(0))
    # the thread pools of all web processes together keep the single process's 40 store connections
    assert supervisor.threads_per_process(2) == 20 and supervisor.threads_per_process(4) == 10
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.fleet.inventory.service", "--store", store_target,
                           "--processes", "-1"], capture_output=True, text=True, timeout=60, check=False,
                          env=dict(os.environ, PYTHONPATH=str(COLLECTIONS_ROOT)))
    assert proc.returncode == 2
    assert "--processes" in proc.stderr
