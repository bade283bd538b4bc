"""Make ``ansible_collections.fleet.inventory`` importable from the checkout.

The repository root is the collection root.  Python, ansible and pytest find
a collection as ``<path>/ansible_collections/<namespace>/<name>``, so we build
that shape under ``.pytest_collections`` (git-ignored) with a symlink back to
the checkout and put it first on ``sys.path`` and ANSIBLE_COLLECTIONS_PATH.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS_ROOT = REPO / ".pytest_collections"

# Shared helpers of the test modules (git_repo.py, scaffolding.py) are plain
# modules in this folder; put it on sys.path whatever pytest's import mode.
TESTS = str(Path(__file__).resolve().parent)
if TESTS not in sys.path:
    sys.path.insert(0, TESTS)


def _link_collection() -> None:
    ns = COLLECTIONS_ROOT / "ansible_collections" / "fleet"
    ns.mkdir(parents=True, exist_ok=True)
    link = ns / "inventory"
    if not link.exists():
        try:
            link.symlink_to(REPO, target_is_directory=True)
        except FileExistsError:  # another xdist worker won the race
            pass


_link_collection()
os.environ["ANSIBLE_COLLECTIONS_PATH"] = str(COLLECTIONS_ROOT)


# ------------------------------------------------------------------------------ temp dirs
# Keep what Ansible writes in-process (its local temp dir, ~/.ansible) out of the user's home:
# scripts/test.sh points ANSIBLE_HOME, ANSIBLE_LOCAL_TEMP and TMPDIR into its own temp dir; a
# bare `pytest` run gets a temp dir of its own here, removed when the process ends.
def _private_ansible_home() -> None:
    if os.environ.get("ANSIBLE_HOME") and os.environ.get("ANSIBLE_LOCAL_TEMP"):
        return
    import atexit
    import shutil
    import tempfile

    home = tempfile.mkdtemp(prefix="fleet-inventory-ansible-home-")
    atexit.register(shutil.rmtree, home, True)
    os.environ.setdefault("ANSIBLE_HOME", home)
    os.environ.setdefault("ANSIBLE_LOCAL_TEMP", os.path.join(home, "tmp"))


_private_ansible_home()

# Import the collection through ansible's own collection loader, as ansible
# does at run time.  Installing it once, before any test module imports
# ``ansible_collections.*``, keeps one copy of every module (a second import
# path would give two distinct classes of, say, HostFilterError).
from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([str(COLLECTIONS_ROOT)])

# In CI, property tests draw the same examples on every run (a failure there is
# reproducible and never a coin toss); locally they explore new examples each run.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


# ------------------------------------------------------------------------------ progress
class FileProgress:
    """One line per test file when its last test has finished: ``[ 2m05s] tests/unit/test_x.py: 12 passed``.

    With xdist the tests of a file run on several workers; the controller sees every report and
    prints the line when the file's last test is done, with the totals so far.  A CI log shows
    where the run is instead of a wall of dots.
    """

    def __init__(self, config):
        self.config = config
        self.total: dict[str, int] = {}
        self.done: dict[str, dict[str, int]] = {}
        self.finished_files = 0
        self.finished_tests = 0
        self.start = None

    def _expect(self, nodeids):
        total: dict[str, int] = {}
        for nodeid in nodeids:
            f = nodeid.split("::", 1)[0]
            total[f] = total.get(f, 0) + 1
        if not self.total:  # every xdist worker collects the same tests
            self.total = total

    def pytest_collection_modifyitems(self, session, config, items):
        self._expect(item.nodeid for item in items)

    def pytest_xdist_node_collection_finished(self, node, ids):
        self._expect(ids)

    def pytest_sessionstart(self, session):
        import time
        self.start = time.monotonic()

    def pytest_runtest_logreport(self, report):
        import time
        f = report.nodeid.split("::", 1)[0]
        if f not in self.total:
            return
        counts = self.done.setdefault(f, {})
        outcome = None
        if report.when == "call":
            outcome = "xfailed" if hasattr(report, "wasxfail") and report.skipped else report.outcome
        elif report.when == "setup" and not report.passed:
            outcome = "error" if report.failed else "skipped"
        elif report.when == "teardown" and report.failed:
            counts["error"] = counts.get("error", 0) + 1
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
        if report.when != "teardown":
            return
        counts["_finished"] = counts.get("_finished", 0) + 1
        self.finished_tests += 1
        if counts["_finished"] != self.total[f]:
            return
        self.finished_files += 1
        elapsed = int(time.monotonic() - (self.start or time.monotonic()))
        summary = ", ".join("%d %s" % (n, k) for k, n in sorted(counts.items()) if not k.startswith("_"))
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is None:
            return
        if getattr(getattr(tr, "_tw", None), "width_of_current_line", 1):
            tr.write("\n")  # after the dots
        tr.write_line("[%3dm%02ds] %s: %s  (%d/%d files, %d/%d tests)" % (
            elapsed // 60, elapsed % 60, f, summary, self.finished_files, len(self.total),
            self.finished_tests, sum(self.total.values())))


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: a test about the SQLite store file itself (skipped on PostgreSQL)")
    config.addinivalue_line("markers", "postgresql_only: a test of the PostgreSQL backend (skipped on SQLite)")
    if BACKEND not in ("sqlite", "postgresql"):
        raise pytest.UsageError("FLEET_TEST_BACKEND must be sqlite or postgresql, not %r" % BACKEND)
    if BACKEND == "postgresql" and not PG_URL:
        raise pytest.UsageError("FLEET_TEST_BACKEND=postgresql needs FLEET_TEST_PG_URL (an admin URL of a running cluster, "
                                "e.g. postgresql://postgres@127.0.0.1:5432/postgres); scripts/test.sh starts one")
    if hasattr(config, "workerinput"):  # an xdist worker: the controller prints the progress
        return
    if config.getoption("collectonly", False) or os.environ.get("FLEET_TEST_PROGRESS", "1") == "0":
        return
    config.pluginmanager.register(FileProgress(config), "fleet-file-progress")


# ------------------------------------------------------------------------------ store backends
# FLEET_TEST_BACKEND=sqlite|postgresql (default sqlite) selects the backend of the stores the tests
# make through the ``store_target`` fixture; FLEET_TEST_PG_URL is an admin URL of a running
# PostgreSQL cluster (scripts/test.sh starts a throwaway one).  On PostgreSQL each test gets a
# database of its own, copied from a template that already holds the migrated schema (a copy
# takes milliseconds, a migration much longer), dropped when the test ends.
import pytest  # noqa: E402

from backends import BACKEND, PG_URL, PgDatabases  # noqa: E402  (tests/backends.py)

from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store  # noqa: E402  (linked above)


# A PostgreSQL store keeps project credentials encrypted with a key configured outside it (runtime/secrets.py):
# the tests on PostgreSQL run as a configured deployment, with a key of this run in the environment (tests of a
# missing key remove it).  SQLite stores use their default, the key file beside the store.
if BACKEND == "postgresql" and not os.environ.get("FLEET_INVENTORY_SECRET_KEY"):
    from cryptography.fernet import Fernet  # noqa: E402

    os.environ["FLEET_INVENTORY_SECRET_KEY"] = Fernet.generate_key().decode("ascii")


def pytest_collection_modifyitems(config, items):
    if BACKEND == "postgresql":
        skip = pytest.mark.skip(reason="about the SQLite store file itself (FLEET_TEST_BACKEND=postgresql)")
        for item in items:
            if item.get_closest_marker("sqlite_only"):
                item.add_marker(skip)
    elif not PG_URL:
        skip = pytest.mark.skip(reason="needs a PostgreSQL server: set FLEET_TEST_PG_URL (scripts/test.sh does)")
        for item in items:
            if item.get_closest_marker("postgresql_only"):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def pg_databases():
    """The :class:`PgDatabases` of this process (skips the test without FLEET_TEST_PG_URL)."""
    if not PG_URL:
        pytest.skip("needs a PostgreSQL server: set FLEET_TEST_PG_URL (scripts/test.sh does)")
    dbs = PgDatabases(PG_URL)
    yield dbs
    dbs.close()


@pytest.fixture
def pg_database(pg_databases):
    """A fresh, empty PostgreSQL database (no schema) for this test: its URL; dropped afterwards."""
    url = pg_databases.create(migrated=False)
    yield url
    pg_databases.drop(url)


@pytest.fixture
def store_target(request, tmp_path):
    """The store of this test on the backend under test: a SQLite file path under tmp_path
    (not created yet), or the URL of a fresh PostgreSQL database holding the schema, dropped afterwards."""
    if BACKEND != "postgresql":
        yield str(tmp_path / "store.db")
        return
    dbs = request.getfixturevalue("pg_databases")
    url = dbs.create()
    yield url
    dbs.drop(url)


@pytest.fixture
def prod_store(store_target, tmp_path, monkeypatch):
    """An open store on the backend under test holding the inventory ``prod``, its project checkouts under
    tmp_path/projects (a PostgreSQL store would otherwise keep them under the user's data directory)."""
    monkeypatch.setenv("FLEET_INVENTORY_PROJECTS_ROOT", str(tmp_path / "projects"))
    store = Store(store_target)
    store.save_inventory("prod")
    yield store
    store.close()
