"""Browser tests of the web page (docs/web.md): Playwright for Python driving Debian's Chromium.

The service under test is the real process of tests/service/conftest.py (its fixtures ``start_service`` /
``service`` are re-used here, loaded from that file). The browser is ``/usr/bin/chromium`` (or
``FLEET_TEST_CHROMIUM``) through ``executable_path``: Playwright's own browser download cannot be reached.
Without playwright or chromium the tests skip, saying why; under CI (``CI`` set, or
``FLEET_TEST_BROWSER_REQUIRED``) they fail instead.

Fixtures: ``browser`` (one headless Chromium per test process), ``seeded`` (a service over this test's
``store_target`` with the seed data of :func:`seed`), ``page_at`` (``page_at(size)``: a new page at
``DESKTOP`` or ``PHONE`` whose JavaScript errors and CSP violations fail the test), ``shot(page, name)``
(a screenshot into tests/output/screenshots/).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from git_repo import Repo
from web_sizes import DESKTOP, HOSTILE

REPO = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = REPO / "tests" / "output" / "screenshots"
CHROMIUM = os.environ.get("FLEET_TEST_CHROMIUM", "/usr/bin/chromium")

# -- the real service process of tests/service/conftest.py ---------------------------------------------
_spec = importlib.util.spec_from_file_location("fleet_service_fixtures", REPO / "tests" / "service" / "conftest.py")
_service_fixtures = importlib.util.module_from_spec(_spec)
sys.modules["fleet_service_fixtures"] = _service_fixtures
_spec.loader.exec_module(_service_fixtures)
start_service = _service_fixtures.start_service
pytest_runtest_makereport = _service_fixtures.pytest_runtest_makereport

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None


def _missing() -> str:
    if sync_playwright is None:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return "%s is missing (apt-get install -y chromium)" % CHROMIUM
    return ""


@pytest.fixture(scope="session")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI") or os.environ.get("FLEET_TEST_BROWSER_REQUIRED"):
            pytest.fail("browser tests under CI (or FLEET_TEST_BROWSER_REQUIRED) need playwright and chromium: " + reason)
        pytest.skip(reason)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page_at(browser, request):
    """``page_at(size, token=None)``: a new page of a fresh context; JS errors and CSP violations fail the test."""
    contexts = []
    problems = []

    def open_page(size=None):
        context = browser.new_context(viewport=dict(size or DESKTOP), service_workers="block")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on("pageerror", lambda exc: problems.append("page error: %s" % exc))
        page.on("console", lambda msg: problems.append("console: " + msg.text)
                if msg.type == "error" and ("Content Security Policy" in msg.text or "Refused" in msg.text) else None)
        return page
    yield open_page
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture
def shot():
    """``shot(page, name)``: tests/output/screenshots/<name>-<desktop|phone>.png of the page as it is."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        size = "phone" if page.viewport_size["width"] < 700 else "desktop"
        path = SCREENSHOTS / ("%s-%s.png" % (name, size))
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


# -- the seed ------------------------------------------------------------------------------------------------
SLOW_SCRIPT = """\
#!{python}
import json, os, sys, time
if "--host" in sys.argv:
    print("{{}}")
    sys.exit(0)
print("slow source: sleeping", os.environ.get("SLEEP", "0"), file=sys.stderr, flush=True)
time.sleep(float(os.environ.get("SLEEP", "0")))
print(json.dumps({{"slow": {{"hosts": ["s1"]}}}}))
"""


def seed(store, tmp_path):
    """Inventories web (30 hosts, groups, facts), db (5 hosts), edge (the hostile host), an scm source, a smart one;
    users admin (superuser) and reader (read on web). One transaction."""
    with store.transaction():
        _seed(store, tmp_path)


def _seed(store, tmp_path):
    store.save_inventory("web", description="web servers")
    store.save_group("web", "frontend", description="public web")
    store.save_group("web", "backend")
    distros = ["Ubuntu", "Debian", "RedHat"]
    for i in range(1, 31):
        name = "web%02d" % i
        store.save_host("web", name, variables={"http_port": 8000 + i, "role": "web"},
                        groups=["frontend"] if i % 2 else ["backend"], instance_id="i-%04d" % i)
    store.save_inventory("db", description="databases")
    for i in range(1, 6):
        store.save_host("db", "db%02d" % i, variables={"pg_version": 15})
    store.save_inventory("edge")
    store.save_host("edge", HOSTILE, description=HOSTILE, variables={HOSTILE: HOSTILE, "note": "</script><script>window.__pwned=2</script>"})
    ids = {h["name"]: h["id"] for inv in ("web", "db", "edge") for h in store.list_hosts(inv)}
    items = []
    for name, host_id in ids.items():
        n = int(name[-2:]) if name[-2:].isdigit() else 0
        items.append((host_id, {"ansible_distribution": distros[n % 3], "ansible_distribution_major_version": str(20 + n % 5),
                                "ansible_memtotal_mb": 1024 * (1 + n % 4),
                                "ansible_lo": {"ipv4": {"address": "127.0.0.1"}, "mtu": 65536},
                                "ansible_local": {HOSTILE: HOSTILE} if name == HOSTILE else {"app": {"version": "1.%d" % n}}}))
    store.set_facts_many(items)
    store.save_inventory("ubuntu", kind="smart", host_filter="ansible_facts__ansible_distribution=Ubuntu")
    repo = Repo(tmp_path / "git")
    repo.write("hosts.ini", "[app]\napp1\napp2\napp3\n")
    repo.write("slow.py", SLOW_SCRIPT.format(python=sys.executable), mode=0o755)
    repo.commit("first")
    P.save_project(store, "infra", scm_url=repo.url, scm_branch="main")
    store.save_inventory("apps", description="from git")
    S.save_source(store, "apps", "git", source="scm", source_project="infra", source_path="hosts.ini", update_project=False)
    store.save_inventory("batch", description="a slow source (the cancel test)")
    S.save_source(store, "batch", "slow", source="scm", source_project="infra", source_path="slow.py",
                  source_vars={"SLEEP": 600}, update_project=False)
    access.create_user(store, "admin", is_superuser=True)
    access.create_user(store, "reader")
    access.grant(store, "reader", "read", "inventory", "web")


class Seeded:
    """The seeded service: ``service`` and the tokens ``admin`` (superuser, write) and ``reader`` (read on web)."""

    def __init__(self, service, admin, reader):
        self.service = service
        self.url = service.url
        self.admin = admin
        self.reader = reader


def _seeded_store(store_target, tmp_path):
    """Seed ``store_target``: ``(target to connect to, admin token, reader token)``."""
    store = Store(store_target)
    try:
        seed(store, tmp_path)
        admin = access.create_token(store, "admin", scope="write")["token"]
        reader = access.create_token(store, "reader", scope="read")["token"]
        return getattr(store, "connect_target", None) or store.target, admin, reader
    finally:
        store.close()


def _env(tmp_path):
    return {"FLEET_INVENTORY_PROJECTS_ROOT": str(tmp_path / "projects"), "FLEET_INVENTORY_SCM_SANDBOX": "off"}


@pytest.fixture
def seeded(store_target, start_service, tmp_path):
    """A seeded service of this test's own (with an update worker): for tests that change the store."""
    target, admin, reader = _seeded_store(store_target, tmp_path)
    return Seeded(start_service(target, workers=1, env=_env(tmp_path)), admin, reader)


@pytest.fixture(scope="module")
def shared_seeded(request, tmp_path_factory):
    """One seeded service per test module (no update workers): for tests that only read."""
    store_target, drop = _service_fixtures._module_store(request, tmp_path_factory)  # pylint: disable=protected-access
    tmp_path = tmp_path_factory.mktemp("web-seed")
    target, admin, reader = _seeded_store(store_target, tmp_path)
    service = _service_fixtures.Service(target, tmp_path, workers=0, env=_env(tmp_path))
    try:
        service.start()
        yield Seeded(service, admin, reader)
    finally:
        service.stop()
        if drop is not None:
            drop()


@pytest.fixture
def reading(request, shared_seeded):
    """``shared_seeded``, with its service's log shown when this test fails."""
    _service_fixtures._track(request, shared_seeded.service)  # pylint: disable=protected-access
    return shared_seeded
