"""The service under test: a REAL ``python -m ansible_collections.fleet.inventory.service`` process.

Fixtures:

- ``service``: a service over this test's own ``store_target`` (a fresh
  SQLite file or PostgreSQL database), started on 127.0.0.1 with a free port,
  waited for until ``/api/v2/ping/`` answers, stopped at teardown (SIGTERM,
  then SIGKILL after 15 s).  Its stderr is shown in the report of a failed test.
- ``shared_service``: the same, once per test module, over a store of the
  module (for read-only tests that share one data set; do not change it).
- ``start_service(store, **options)``: start more processes (two services on
  one PostgreSQL store, a service with ``--workers``); each is stopped at teardown.

A :class:`Service` has ``url``, ``store`` (the target), ``pid``, ``stderr()``,
``stop(timeout)`` (returns the exit code), ``token(username, ...)`` (makes the
user if needed, grants roles, returns a token value: rules/access.py),
``superuser_token()``, ``open_store()`` and ``get/post/delete(path, token=...)``
(``requests`` with the Bearer header; ``path`` relative to the service).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from backends import BACKEND
from service_paths import COLLECTIONS_ROOT, REPO, free_port

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


class Service:
    """One running service process (see the module's description)."""

    def __init__(self, store, log_dir, workers=None, extra_args=(), env=None):
        self.store = store
        self.log_path = Path(log_dir) / ("service-%d.log" % time.monotonic_ns())
        self.workers = workers
        self.extra_args = list(extra_args)
        self.env = dict(env or {})
        self.proc = None
        self.port = None
        self.url = None
        self.returncode = None
        self._users: dict = {}

    # -- process ---------------------------------------------------------------------------
    def start(self):
        for _attempt in range(3):  # a free port can be taken between finding it and binding it
            self.port = free_port()
            self.url = "http://127.0.0.1:%d" % self.port
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(COLLECTIONS_ROOT), env.get("PYTHONPATH", "")) if p)
            env.update(self.env)
            cmd = [sys.executable, "-m", "ansible_collections.fleet.inventory.service", "--store", self.store,
                   "--listen", "127.0.0.1:%d" % self.port]
            if self.workers is not None:
                cmd += ["--workers", str(self.workers)]
            cmd += self.extra_args
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(REPO),
                                             start_new_session=True)
            if self._wait_ready():
                return self
            if "address already in use" not in self.stderr().lower():
                break
        self.stop()
        raise RuntimeError("the service did not start (%s):\n%s" % (" ".join(cmd), self.stderr()))

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if requests.get(self.url + "/api/v2/ping/", timeout=2).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.1)
        return False

    def stop(self, timeout=STOP_TIMEOUT, sig=signal.SIGTERM):
        """Stop the process (``sig``, then SIGKILL after ``timeout``); its exit code."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        # the update processes a service starts run in its session: none may outlive it
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.returncode = self.proc.returncode
        self.proc = None
        return self.returncode

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def stderr(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- store, users, tokens ---------------------------------------------------------------
    def open_store(self) -> Store:
        return Store.open(self.store)

    def token(self, username, roles=(), scope="write", superuser=False, description="") -> str:
        """A new token value of user ``username`` (created when missing) after granting ``roles``:
        ``[(role, kind, object name or id)]``, e.g. ``[("read", "inventory", "web")]``."""
        with self.open_store() as store:
            if access.get_user(store, username) is None:
                access.create_user(store, username, is_superuser=superuser)
            for role, kind, obj in roles:
                access.grant(store, username, role, kind, obj)
            return access.create_token(store, username, scope=scope, description=description)["token"]

    def superuser_token(self, scope="write") -> str:
        return self.token("admin", superuser=True, scope=scope)

    # -- HTTP ---------------------------------------------------------------------------------
    def request(self, method, path, token=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = "Bearer %s" % token
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.url + path, headers=headers, **kwargs)

    def get(self, path, token=None, **kwargs):
        return self.request("GET", path, token=token, **kwargs)

    def post(self, path, token=None, **kwargs):
        return self.request("POST", path, token=token, **kwargs)

    def delete(self, path, token=None, **kwargs):
        return self.request("DELETE", path, token=token, **kwargs)


def _module_store(request, tmp_path_factory):
    if BACKEND != "postgresql":
        return str(tmp_path_factory.mktemp("service-store") / "store.db"), None
    dbs = request.getfixturevalue("pg_databases")
    url = dbs.create()
    return url, lambda: dbs.drop(url)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for service in getattr(item, "_fleet_services", ()):
            report.sections.append(("service %s stderr" % service.url, service.stderr()[-20000:]))


def _track(request, service):
    node = request.node
    if not hasattr(node, "_fleet_services"):
        node._fleet_services = []
    node._fleet_services.append(service)


@pytest.fixture
def start_service(request, tmp_path):
    """``start_service(store, workers=None, extra_args=(), env=None)``: a started :class:`Service`, stopped at teardown."""
    started = []

    def start(store, **options):
        service = Service(store, tmp_path, **options)
        started.append(service)
        _track(request, service)
        return service.start()
    yield start
    for service in reversed(started):
        service.stop()


@pytest.fixture
def service(start_service, store_target):
    """A service over this test's ``store_target``."""
    return start_service(store_target)


@pytest.fixture(scope="module")
def shared_service(request, tmp_path_factory):
    """One service per test module over a store of the module (read-only tests; ``.populate`` is up to the module)."""
    store, drop = _module_store(request, tmp_path_factory)
    service = Service(store, tmp_path_factory.mktemp("service-log"))
    try:
        service.start()
        yield service
    finally:
        service.stop()
        if drop is not None:
            drop()


@pytest.fixture
def shared(request, shared_service):
    """``shared_service``, with its stderr shown when this test fails."""
    _track(request, shared_service)
    return shared_service
