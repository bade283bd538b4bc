"""The PostgreSQL backend's faults and guarantees (skipped without FLEET_TEST_PG_URL).

Server down, a refused password (never shown), a role that may not create tables, a schema newer
than the collection, two processes opening a new database at once, a reader on a database
without the schema, facts jsonb cannot hold.  An import killed halfway is
tests/unit/test_updates.py::test_import_killed_halfway_leaves_the_previous_inventory (both backends).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store import schema
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.postgresql import redact, rewrite_placeholders
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store, StoreLocation
from backends import PG_URL

pytestmark = pytest.mark.postgresql_only
COLLECTIONS_ROOT = Path(__file__).resolve().parents[2] / ".pytest_collections"

PASSWORD_GROUP = "fleet_password_roles"  # scripts/test.sh's cluster checks these roles' passwords (scram-sha-256)


def _with(url, user=None, password=None, dbname=None, port=None):
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    userinfo = user if user is not None else (parts.username or "")
    if password is not None:
        userinfo += ":" + password
    netloc = "%s@%s:%s" % (userinfo, host, port if port is not None else (parts.port or 5432))
    path = "/" + dbname if dbname is not None else parts.path
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def _shown(exc) -> str:
    """Everything a user could see of an exception: its text, repr and the whole printed chain."""
    return "\n".join([str(exc), repr(exc)] + traceback.format_exception(type(exc), exc, exc.__traceback__))


@pytest.fixture
def admin(pg_databases):
    return pg_databases.conn


@pytest.fixture
def role(admin, request):
    """A login role of its own (dropped afterwards): ``(name, password)``."""
    name = "fleet_t_role_%d_%d" % (id(request) % 100000, int(time.time() * 1000) % 100000)
    password = "pw-%s-Zq9" % name[-6:]
    admin.execute("DO $$ BEGIN CREATE ROLE %s NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$" % PASSWORD_GROUP)
    admin.execute("CREATE ROLE %s LOGIN PASSWORD '%s' IN ROLE %s" % (name, password, PASSWORD_GROUP))
    yield name, password
    try:
        admin.execute("DROP ROLE IF EXISTS %s" % name)
    except Exception:  # pylint: disable=broad-except  # still has privileges somewhere: the cluster is a throwaway one
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------ URLs and placeholders


def test_redact_and_placeholders():
    assert redact("postgresql://u:secret@h:5/db?sslmode=require&password=x") == "postgresql://u@h:5/db?sslmode=require"
    assert redact("postgres://h/db") == "postgres://h/db"
    assert rewrite_placeholders("SELECT '?', \"a?\", x LIKE '%a' FROM t WHERE y = ? AND z = ?") == \
        "SELECT '?', \"a?\", x LIKE '%%a' FROM t WHERE y = %s AND z = %s"


def test_a_store_on_postgresql_round_trips(store_target, pg_databases):
    url = pg_databases.create()
    try:
        with Store(url) as s:
            assert s.dialect.name == "postgresql" and s.schema_version == schema.SCHEMA_VERSION
            s.save_inventory("prod", variables={"a": "100%"})
            _b, host = s.save_host("prod", "web1", enabled=False, variables={"q": "?"})
            assert host["enabled"] is False and host["variables"] == {"q": "?"}
            assert s.get_inventory("prod")["variables"] == {"a": "100%"}
            assert s.set_facts(host["id"], {"n": 1.5, "l": [1, "x"], "d": {"k": None}}) is True
            assert s.get_facts(host["id"]) == {"n": 1.5, "l": [1, "x"], "d": {"k": None}}
            assert s.set_facts(host["id"], {"n": 1.5}) is False  # unchanged: nothing written
            assert s.dialect.ddl("{fact_json}") == "JSONB"
            kind = s.query_one("SELECT data_type FROM information_schema.columns"
                               " WHERE table_name = 'host_facts' AND column_name = 'value'")["data_type"]
            assert kind == "jsonb"
    finally:
        pg_databases.drop(url)


# ------------------------------------------------------------------------------ faults


def test_server_down_is_a_clear_error_within_seconds():
    port = _free_port()
    url = _with(PG_URL, user="fleet", password="n0t-shown-pw", dbname="fleetdb", port=port)
    start = time.monotonic()
    with pytest.raises(StoreError) as err:
        Store(url)
    assert time.monotonic() - start < 5
    shown = _shown(err.value)
    assert "n0t-shown-pw" not in shown
    assert "not reachable" in str(err.value)
    assert "127.0.0.1" in str(err.value) and "port %d" % port in str(err.value) and "fleetdb" in str(err.value)


def test_a_server_that_never_answers_times_out_with_a_clear_error():
    """A listener that accepts and says nothing: the connect timeout (5 s by default) ends the wait."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        url = _with(PG_URL, user="fleet", password="n0t-shown-pw", dbname="fleetdb", port=port) + "?connect_timeout=2"
        start = time.monotonic()
        with pytest.raises(StoreError) as err:
            Store(url)
        assert time.monotonic() - start < 10
    assert "n0t-shown-pw" not in _shown(err.value)
    assert "port %d" % port in str(err.value) and "fleetdb" in str(err.value)


def test_wrong_password_is_refused_and_never_shown(role, pg_database):
    name, password = role
    wrong = "Wr0ng-" + password
    url = _with(pg_database, user=name, password=wrong)
    err = None
    try:
        Store(url).close()
    except StoreError as exc:
        err = exc
    if err is None:
        pytest.skip("this cluster does not check passwords of the roles in %s (scripts/test.sh's cluster does)" % PASSWORD_GROUP)
    shown = _shown(err)
    assert wrong not in shown and password not in shown
    assert "refused the password" in str(err) and name in str(err)
    parts = urlsplit(pg_database)
    assert parts.hostname in str(err) and "port %s" % parts.port in str(err) and parts.path.lstrip("/") in str(err)
    # the right password gets further (this role may not create the tables), still never shown
    with pytest.raises(StoreError, match="permission denied") as err:
        Store(_with(pg_database, user=name, password=password))
    assert password not in _shown(err.value)


def test_role_without_create_rights(role, pg_database, admin):
    name, password = role
    admin.execute("GRANT CONNECT ON DATABASE %s TO %s" % (urlsplit(pg_database).path.lstrip("/"), name))
    url = _with(pg_database, user=name, password=password)
    with pytest.raises(StoreError) as err:
        Store(url)
    text = str(err.value)
    assert "permission denied" in text and "may not" in text and "CREATE" in text and name in text
    assert urlsplit(pg_database).path.lstrip("/") in text and password not in _shown(err.value)


def test_schema_newer_than_the_collection(store_target, pg_databases):
    url = pg_databases.create()
    try:
        with Store(url) as s:
            s.execute("INSERT INTO schema_version (version) VALUES (?)", (schema.SCHEMA_VERSION + 1,))
        with pytest.raises(StoreError, match=r"schema version %d, newer than this collection knows \(%d\)"
                           % (schema.SCHEMA_VERSION + 1, schema.SCHEMA_VERSION)) as err:
            Store(url)
        parts = urlsplit(url)
        assert "%s:%s/%s" % (parts.hostname, parts.port, parts.path.lstrip("/")) in str(err.value)
    finally:
        pg_databases.drop(url)


def test_unknown_database(pg_databases):
    url = _with(PG_URL, dbname="fleet_t_no_such_db", password="n0t-shown-pw")
    with pytest.raises(StoreError, match="database fleet_t_no_such_db does not exist") as err:
        Store(url)
    assert "n0t-shown-pw" not in _shown(err.value)


OPENER = """
import sys, time
sys.path.insert(0, %r)
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
time.sleep(max(0.0, %r - time.time()))  # all start at once
with Store(%r) as s:
    s.save_inventory("inv-%d")
print("ok")
"""


def test_two_processes_open_a_new_database_at_once(pg_database):
    start = time.time() + 3  # after every interpreter has started
    procs = [subprocess.Popen([sys.executable, "-c", OPENER % (str(COLLECTIONS_ROOT), start, pg_database, i)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in range(3)]
    outcomes = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert outcomes == ["ok"] * 3
    with Store(pg_database) as s:
        assert sorted(i["name"] for i in s.list_inventories()) == ["inv-0", "inv-1", "inv-2"]
        assert [r[0] for r in s.execute("SELECT version FROM schema_version ORDER BY version")] == \
            list(range(1, schema.SCHEMA_VERSION + 1))


def test_writers_are_serialized(store_target):
    """Two connections' transactions: the second waits for the first (the advisory lock), no lost rows."""
    with Store(store_target) as s:
        s.save_inventory("a")
    order = []
    first_in = threading.Event()

    def first():
        with Store(store_target) as s, s.transaction():
            order.append("first-begin")
            first_in.set()
            time.sleep(0.5)
            s.save_host("a", "h1")
            order.append("first-end")

    def second():
        first_in.wait(10)
        with Store(store_target) as s, s.transaction():
            order.append("second-begin")
            s.save_host("a", "h2")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert order == ["first-begin", "first-end", "second-begin"]
    with Store(store_target) as s:
        assert [h["name"] for h in s.list_hosts("a")] == ["h1", "h2"]


def test_reader_never_creates_a_store(pg_database):
    location = StoreLocation(pg_database, "environment")
    with pytest.raises(StoreError, match="PostgreSQL database without the fleet.inventory schema; a reader never creates one") as err:
        Store.open_existing(location)
    assert "FLEET_INVENTORY_STORE" in str(err.value)
    with Store(pg_database) as s:  # untouched: no table was made
        assert s.schema_version == schema.SCHEMA_VERSION
    with Store.open_existing(location) as s:  # once created, readers open it
        assert s.list_inventories() == []


def test_check_mode_on_a_database_without_the_schema_creates_nothing(pg_database):
    with Store.open(pg_database, create=False) as s:
        assert s.target == ":memory:"
        s.save_inventory("would-be")
    with pytest.raises(StoreError, match="without the fleet.inventory schema"):
        Store.open_existing(pg_database)


def test_a_fact_with_nul_is_refused_naming_host_and_fact(store_target):
    with Store(store_target) as s:
        s.save_inventory("prod")
        _b, host = s.save_host("prod", "web1")
        with pytest.raises(ValidationError, match=r"fact 'motd' of host 'web1' of inventory 'prod' .*U\+0000"):
            s.set_facts(host["id"], {"ok": 1, "motd": "a\x00b"})
        assert s.get_facts(host["id"]) == {}
        assert s.set_facts(host["id"], {"motd": "a\\u0000b"}) is True  # a backslash, not a NUL
