# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PostgreSQL backend: a store is one database, named by a libpq URL.

``postgresql://[user[:password]@]host[:port]/dbname[?options]`` (or
``postgres://``).  libpq fills in what the URL leaves out: ``PGPASSWORD``,
``~/.pgpass``, ``PGUSER``, ``PGPORT``...  The password is never shown: every
message, log line and result names the store by :meth:`PostgresqlDialect.display`
(the URL without its password) and says host, port and database.

Driver: psycopg 3 (``psycopg[binary]``), imported when a PostgreSQL store is
opened, so SQLite users need not install it.  One connection per store, in
autocommit mode: :class:`Store` issues ``BEGIN``/``COMMIT`` itself, and
:meth:`PostgresqlDialect.begin` takes a transaction-level advisory lock
(namespace :data:`LOCK_NAMESPACE`, key :data:`LOCK_STORE_WRITES`) so that one
writer at a time changes the store, as SQLite's ``BEGIN IMMEDIATE`` does;
migrations on open run in such a transaction, so two processes opening a new
database at once migrate it once, one after the other.
"""

from __future__ import annotations

import json
import os
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json
from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.base import Dialect

SCHEMES = ("postgresql://", "postgres://")
#: ``pg_advisory_xact_lock(LOCK_NAMESPACE, key)``: the store's own locks ("fl")
LOCK_NAMESPACE = 0x666C
#: the key of "one writer at a time" (every Store.transaction, migrations included)
LOCK_STORE_WRITES = 1
#: seconds to wait for the server when the URL and PGCONNECT_TIMEOUT say nothing
CONNECT_TIMEOUT = 5
#: settings of every store connection (session-level ``SET`` right after connecting, outside any transaction).
#: ``max_parallel_workers_per_gather = 0``: no parallel query.  A host list's count ran in three processes
#: (a Gather of two workers) for about the same time as one: on a server as busy as it has cores (the
#: service's 20 clients on 2 cores) every worker is CPU taken from another request (docs/performance.md).
SESSION_SETTINGS = (("max_parallel_workers_per_gather", "0"),)
#: rows of one set-based delete (:meth:`PostgresqlDialect.delete_keys`): one array per column, a few hundred kB
DELETE_CHUNK = 5000

# a JSON text holding U+0000 (an escape preceded by an even number of backslashes): jsonb refuses it
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_SQL_CACHE: dict = {}


def is_postgresql(target) -> bool:
    return isinstance(target, str) and target.startswith(SCHEMES)


def _psycopg():
    try:
        import psycopg  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        raise StoreError("a postgresql:// store needs the Python package psycopg 3 on the controller "
                         "(pip install 'psycopg[binary]')") from exc
    return psycopg


def redact(url: str) -> str:
    """The URL without its password (in the user part or as a ``password=`` option)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, hosts = netloc.rsplit("@", 1)
            netloc = "%s@%s" % (userinfo.split(":", 1)[0], hosts)
        query = parts.query
        if query:
            query = urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k.lower() != "password"])
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "%s//(a URL that cannot be read)" % url.split("//", 1)[0]


def url_password(url: str) -> str:
    """The password written in a store URL ('' when none): callers censor it wherever results are built."""
    return _secret(url) if is_postgresql(url) else ""


def _secret(url: str) -> str:
    """The password written in ``url`` ('' when none)."""
    try:
        parts = urlsplit(url)
        password = parts.password or ""
        for key, value in parse_qsl(parts.query or "", keep_blank_values=True):
            if key.lower() == "password":
                password = password or value
        return password
    except ValueError:
        return ""


def rewrite_placeholders(statement: str) -> str:
    """``?`` -> ``%s`` outside quoted literals and identifiers; a literal ``%`` -> ``%%``."""
    out = _SQL_CACHE.get(statement)
    if out is not None:
        return out
    if "?" not in statement and "%" not in statement:
        out = statement
    else:
        pieces, quote = [], ""
        for char in statement:
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char == "?":
                pieces.append("%s")
                continue
            pieces.append("%%" if char == "%" else char)
        out = "".join(pieces)
    if len(_SQL_CACHE) < 4096:
        _SQL_CACHE[statement] = out
    return out


class PgConnection:
    """A psycopg connection with the few methods of a sqlite3 connection the store uses."""

    __slots__ = ("raw", "total_changes")

    def __init__(self, raw):
        self.raw = raw
        #: rows inserted, updated or deleted through this connection (as sqlite3's ``total_changes``)
        self.total_changes = 0

    def _count(self, statement, cur):
        if cur.rowcount > 0 and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            self.total_changes += cur.rowcount

    def execute(self, statement, params=(), prepare=None):
        """``prepare``: psycopg's (None: prepared after a few runs; False: never)."""
        cur = self.raw.cursor()
        # always a sequence: psycopg then turns "%%" into "%" (it leaves a statement without parameters as it is)
        cur.execute(statement, tuple(params) if params is not None else (), prepare=prepare)
        self._count(statement, cur)
        return cur

    def executemany(self, statement, rows):
        cur = self.raw.cursor()
        rows = list(rows)
        if rows:
            cur.executemany(statement, rows)
            self._count(statement, cur)
        return cur

    def commit(self):
        """As sqlite3's: commit an open transaction (the store's own are committed by Store.transaction)."""
        if self.in_transaction:
            self.raw.execute("COMMIT")

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != _psycopg().pq.TransactionStatus.IDLE

    def close(self):
        self.raw.close()

    def __repr__(self):
        return "<PgConnection>"


class PostgresqlDialect(Dialect):
    name = "postgresql"
    ddl_types = {
        "pk": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "json": "TEXT",
        "fact_json": "JSONB",
        "bool": "BOOLEAN",
        "ts": "TEXT",
        "without_rowid": "",
    }

    def __init__(self):
        psycopg = _psycopg()
        self.database_errors = (psycopg.DatabaseError,)
        self.programming_errors = (psycopg.InterfaceError,)
        self._psycopg = psycopg
        self._where = None  # (user, host, port, dbname) of the last connect

    # -- naming the store -----------------------------------------------------------

    def display(self, target) -> str:
        return redact(target)

    def where(self, target) -> tuple:
        """``(user, host, port, dbname)`` the URL names, with libpq's defaults (environment, then built-in)."""
        try:
            params = self._psycopg.conninfo.conninfo_to_dict(target)
        except self._psycopg.Error:
            raise StoreError("store %s: not a valid PostgreSQL URL (postgresql://[user[:password]@]host[:port]/dbname[?options])"
                             % redact(target)) from None
        user = params.get("user") or os.environ.get("PGUSER") or _login()
        host = params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST") or "localhost (its Unix socket)"
        port = params.get("port") or os.environ.get("PGPORT") or "5432"
        dbname = params.get("dbname") or os.environ.get("PGDATABASE") or user
        return user, host, port, dbname

    def _label(self, target) -> str:
        user, host, port, dbname = self.where(target)
        return "PostgreSQL store %s (database %s on host %s, port %s, as role %s)" % (redact(target), dbname, host, port, user)

    # -- connecting --------------------------------------------------------------------

    def connect(self, target):
        psycopg = self._psycopg
        where = self.where(target)
        kwargs = {}
        if "connect_timeout" not in target and not os.environ.get("PGCONNECT_TIMEOUT"):
            kwargs["connect_timeout"] = CONNECT_TIMEOUT
        try:
            raw = psycopg.connect(target, autocommit=True, **kwargs)
        except psycopg.Error as exc:
            # "from None": the driver's exception is not chained into what users see
            raise StoreError(self._connect_problem(target, exc)) from None
        self._where = where
        _register_loaders(raw, psycopg)
        try:
            for name, value in SESSION_SETTINGS:
                raw.execute("SELECT set_config(%s, %s, false)", (name, value))
        except psycopg.Error as exc:
            raw.close()
            raise StoreError("cannot open %s: %s" % (self._label(target), self.error_text(exc))) from None
        return PgConnection(raw)

    def _connect_problem(self, target, exc) -> str:
        user, host, port, dbname = self.where(target)
        text = _scrub(str(exc), _secret(target)).strip()
        lowered = text.lower()
        label = self._label(target)
        if "password authentication failed" in lowered or "no password supplied" in lowered or (
                "authentication failed" in lowered):
            return ("cannot open %s: the server refused the password of role %s (%s); check the password given by "
                    "PGPASSWORD, ~/.pgpass or the URL" % (label, user, _last_line(text)))
        if "does not exist" in lowered and "database" in lowered:
            return ("cannot open %s: database %s does not exist on that server; create it first "
                    "(for example `createdb -h %s -p %s %s`)" % (label, dbname, host, port, dbname))
        if "role" in lowered and "does not exist" in lowered:
            return "cannot open %s: role %s does not exist on that server" % (label, user)
        if "timeout" in lowered:
            return ("cannot open %s: no answer from the server within its connect timeout; is it running and reachable? (%s)"
                    % (label, _last_line(text)))
        if "refused" in lowered or "no such file" in lowered or "could not translate" in lowered or (
                "could not connect" in lowered) or "is the server running" in lowered:
            return "cannot open %s: the server is not reachable; is it running? (%s)" % (label, _last_line(text))
        return "cannot open %s: %s" % (label, _last_line(text))

    def _probe(self, target, statement):
        conn = self.connect(target)
        try:
            return conn.execute(statement).fetchone()[0]
        except self._psycopg.Error as exc:
            raise StoreError("%s: %s" % (self._label(target), self.error_text(exc))) from None
        finally:
            conn.close()

    def exists(self, target) -> bool:
        """A database exists as a store once it holds the schema (opening it then creates nothing)."""
        return bool(self._probe(target, "SELECT to_regclass('schema_version') IS NOT NULL"))

    def has_schema(self, target):
        return self.exists(target)

    # -- statements ---------------------------------------------------------------------

    def sql(self, statement: str) -> str:
        return rewrite_placeholders(statement)

    def ddl(self, statement: str) -> str:
        return rewrite_placeholders(statement.format(**self.ddl_types))

    def table_exists_sql(self) -> str:
        return "SELECT to_regclass(?) IS NOT NULL"

    def begin(self, conn):
        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(%d, %d)" % (LOCK_NAMESPACE, LOCK_STORE_WRITES))

    def data_version(self, conn):
        """The server's snapshot (``pg_current_snapshot()``: the next transaction id and those in progress): two
        equal snapshots see the same committed data, since every write commits under a transaction id of its own.
        Any write on the server changes it (another database's too).  None inside a transaction."""
        if conn.in_transaction:
            return None
        return conn.execute("SELECT pg_current_snapshot()::text", prepare=False).fetchone()[0]

    def execute_limited(self, conn, statement, params, timeout_ms):
        """``statement`` under ``SET LOCAL statement_timeout``: in a transaction of its own, or in the
        caller's (whose own timeout is put back after it).  The rows are read before it returns.

        Never a prepared statement: how many rows a host_filter's terms read depends on the
        values bound (half the fleet or one host), and psycopg's prepared statements get
        PostgreSQL's generic plan after a few runs (measured: the ``Ubuntu`` host list went
        from 40 ms to 160-240 ms at 100k hosts from the 11th run of a connection on).
        """
        if not timeout_ms:
            return conn.execute(statement, params, prepare=False)
        own = not conn.in_transaction
        before = None if own else conn.execute("SELECT current_setting('statement_timeout')").fetchone()[0]
        if own:
            conn.execute("BEGIN")
        try:
            conn.execute("SELECT set_config('statement_timeout', %s, true)", (str(int(timeout_ms)),))
            cur = conn.execute(statement, params, prepare=False)
            if own:
                conn.execute("COMMIT")
            else:
                conn.execute("SELECT set_config('statement_timeout', %s, true)", (before,))
        except BaseException:
            if own and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return cur

    def is_timeout(self, exc) -> bool:
        return getattr(exc, "sqlstate", None) == "57014"  # query_canceled (statement_timeout)

    def writer_active(self, conn) -> bool:
        """Whether another session holds this store's "one writer at a time" advisory lock (granted, in pg_locks).
        The server releases it when the session ends, so a holder is a live session.  Advisory locks belong to one
        database: a writer of another store (database) on the same server does not count."""
        return bool(conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %d AND objid = %d"
            " AND objsubid = 2 AND pid <> pg_backend_pid()"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
            % (LOCK_NAMESPACE, LOCK_STORE_WRITES)).fetchone()[0])

    def lock(self, conn, namespace, key):
        conn.execute("SELECT pg_advisory_xact_lock(%d, %d)" % (int(namespace), int(key)))

    def bulk_insert(self, conn, table, columns, rows):
        """COPY: one round trip for any number of rows."""
        cur = conn.raw.cursor()
        count = 0
        with cur.copy("COPY %s (%s) FROM STDIN" % (table, ", ".join(columns))) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        conn.total_changes += count

    def delete_keys(self, conn, table, columns, types, rows):
        """One ``DELETE ... USING unnest(?::type[], ...)`` per :data:`DELETE_CHUNK` rows, not one statement per row.

        Each row of an ``executemany`` is a statement of its own for the server (a
        parse, a plan and a round trip: 68 us a leaf row of ``host_fact_items``,
        three quarters of a background deletion's time); the arrays are one
        statement whose rows the planner joins to the table's index (its estimate
        of ``unnest`` is the arrays' length).  Runs in the caller's transaction:
        what it deletes commits or rolls back with the rest of the batch.
        """
        columns = list(columns)
        sql = "DELETE FROM %s t USING unnest(%s) AS v(%s) WHERE %s" % (
            table, ", ".join("%%s::%s[]" % kind for kind in types), ", ".join(columns),
            " AND ".join("t.%s = v.%s" % (c, c) for c in columns))
        cur = conn.raw.cursor()
        for start in range(0, len(rows), DELETE_CHUNK):
            chunk = rows[start:start + DELETE_CHUNK]
            cur.execute(sql, [_array_literal(values, kind) for values, kind in zip(zip(*chunk), types)], prepare=False)
            if cur.rowcount > 0:
                conn.total_changes += cur.rowcount

    def set_based_fact_references(self, store):
        """Schema migration 8: the foreign keys of ``host_facts`` and ``host_fact_items`` become statement triggers.

        A foreign key is checked by the server once per inserted row (a query
        and a row lock on the referenced row each): in a bulk fact load that
        was three quarters of the COPY time (docs/performance.md).  The same
        rules are kept, checked once per statement over its transition table:
        an inserted (or re-keyed) fact row must name an existing fact key (and,
        in ``host_facts``, an existing host), else the statement fails with
        SQLSTATE 23503 (foreign_key_violation) as before; deleting hosts
        deletes their ``host_facts`` rows (the former ON DELETE CASCADE); a fact
        key still in use cannot be deleted.  The row locks a foreign key takes
        against a concurrent delete are not needed: every write of a store holds
        its writer lock (:meth:`begin`).
        """
        for table, name in store.execute(
                "SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c WHERE c.contype = 'f'"
                " AND c.conrelid IN ('host_facts'::regclass, 'host_fact_items'::regclass)").fetchall():
            store.execute('ALTER TABLE %s DROP CONSTRAINT "%s"' % (table, name))
        for statement in _FACT_REFERENCE_DDL:
            store.execute(statement)

    def search_indexes(self, store):
        """Schema migration 12: what PostgreSQL's planner needs for ``name__startswith`` and fact number ranges.

        - ``hosts_name_prefix`` (``text_pattern_ops``): ``starts_with(h.name, ?)`` is an
          index range only over an index of byte order; ``hosts_name`` follows the
          database's collation, which is not "C" (``C.UTF-8``, ``en_US.UTF-8``...).
        - ``host_facts_num`` again, with ``INCLUDE (host_id)``: a range of a key's
          numbers (``vcpus__gte=8``) is then an index-only scan, not a heap visit per
          row (SQLite's index holds the primary key, so the host id, already).
        - the frequent numbers of each key (``key_id`` and ``num`` together), so the
          planner sees how many hosts a range selects (``vcpus >= 8``: 54.5k hosts
          of 100k were estimated at 7k).
        Collected at once when the store holds facts (see fact_items.create_fact_value_index).
        """
        store.execute("CREATE INDEX hosts_name_prefix ON hosts (name text_pattern_ops)")
        store.execute("DROP INDEX host_facts_num")
        store.execute("CREATE INDEX host_facts_num ON host_facts (key_id, num) INCLUDE (host_id) WHERE num IS NOT NULL")
        store.execute("CREATE STATISTICS host_facts_key_num (mcv) ON key_id, num FROM host_facts")
        if store.execute("SELECT EXISTS (SELECT 1 FROM host_facts)").fetchone()[0]:
            store.execute("ANALYZE host_facts")

    def check_fact_text(self, text):
        if "\\u0000" in text and _NUL_ESCAPE.search(text):
            return "it holds the character U+0000 (NUL), which PostgreSQL's jsonb cannot store"
        return ""

    # -- errors --------------------------------------------------------------------------

    def error_kind(self, exc) -> str:
        sqlstate = getattr(exc, "sqlstate", None) or ""
        if sqlstate == "53100":  # disk_full
            return "full"
        return ""

    def error_text(self, exc) -> str:
        sqlstate = getattr(exc, "sqlstate", None) or ""
        text = str(exc).strip()
        if sqlstate == "42501":  # insufficient_privilege
            user = self._where[0] if self._where else "of this store"
            return ("%s: role %s may not do what this needs; the store's tables are created and migrated when a store is "
                    "opened, which needs a role that may create tables in the database's schema (for example "
                    "`GRANT CREATE ON SCHEMA public TO %s`, or open it once as the database owner)" % (text, user, user))
        if isinstance(exc, self._psycopg.OperationalError) and sqlstate[:2] in ("", "08", "57"):
            return "%s (the connection to the PostgreSQL server failed)" % _last_line(text)
        return text


_FACT_REFERENCE_DDL = (
    """CREATE FUNCTION fleet_fact_rows_check() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF EXISTS (SELECT 1 FROM fleet_new n WHERE NOT EXISTS (SELECT 1 FROM fact_keys k WHERE k.id = n.key_id)) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                MESSAGE = 'insert or update on table "' || TG_TABLE_NAME || '" names a fact key that does not exist';
        END IF;
        IF TG_TABLE_NAME = 'host_facts'
                AND EXISTS (SELECT 1 FROM fleet_new n WHERE NOT EXISTS (SELECT 1 FROM hosts h WHERE h.id = n.host_id)) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                MESSAGE = 'insert or update on table "host_facts" names a host that does not exist';
        END IF;
        RETURN NULL;
    END $body$""",
    """CREATE FUNCTION fleet_host_facts_cascade() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        DELETE FROM host_facts WHERE host_id IN (SELECT id FROM fleet_old);
        RETURN NULL;
    END $body$""",
    """CREATE FUNCTION fleet_fact_keys_restrict() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF EXISTS (SELECT 1 FROM fleet_old o WHERE EXISTS (SELECT 1 FROM host_facts f WHERE f.key_id = o.id)
                   OR EXISTS (SELECT 1 FROM host_fact_items i WHERE i.key_id = o.id)) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                MESSAGE = 'a fact key still used by stored facts cannot be deleted';
        END IF;
        RETURN NULL;
    END $body$""",
    "CREATE TRIGGER host_facts_refs_insert AFTER INSERT ON host_facts REFERENCING NEW TABLE AS fleet_new"
    " FOR EACH STATEMENT EXECUTE FUNCTION fleet_fact_rows_check()",
    """CREATE FUNCTION fleet_fact_row_check() RETURNS trigger LANGUAGE plpgsql AS $body$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM fact_keys k WHERE k.id = NEW.key_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                MESSAGE = 'update on table "' || TG_TABLE_NAME || '" names a fact key that does not exist';
        END IF;
        IF TG_TABLE_NAME = 'host_facts' AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.id = NEW.host_id) THEN
            RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
                MESSAGE = 'update on table "host_facts" names a host that does not exist';
        END IF;
        RETURN NULL;
    END $body$""",
    # an UPDATE can break a reference only by moving key_id or host_id (the write path sets value and num:
    # the WHEN clause is false for it, the function is not even called)
    "CREATE TRIGGER host_facts_refs_update AFTER UPDATE ON host_facts FOR EACH ROW"
    " WHEN (OLD.key_id IS DISTINCT FROM NEW.key_id OR OLD.host_id IS DISTINCT FROM NEW.host_id)"
    " EXECUTE FUNCTION fleet_fact_row_check()",
    "CREATE TRIGGER host_fact_items_refs_insert AFTER INSERT ON host_fact_items REFERENCING NEW TABLE AS fleet_new"
    " FOR EACH STATEMENT EXECUTE FUNCTION fleet_fact_rows_check()",
    "CREATE TRIGGER host_fact_items_refs_update AFTER UPDATE ON host_fact_items FOR EACH ROW"
    " WHEN (OLD.key_id IS DISTINCT FROM NEW.key_id) EXECUTE FUNCTION fleet_fact_row_check()",
    "CREATE TRIGGER hosts_facts_cascade AFTER DELETE ON hosts REFERENCING OLD TABLE AS fleet_old"
    " FOR EACH STATEMENT EXECUTE FUNCTION fleet_host_facts_cascade()",
    "CREATE TRIGGER fact_keys_restrict AFTER DELETE ON fact_keys REFERENCING OLD TABLE AS fleet_old"
    " FOR EACH STATEMENT EXECUTE FUNCTION fleet_fact_keys_restrict()",
)


def _array_literal(values, kind) -> str:
    """``values`` as the text of a PostgreSQL array of ``kind`` (cast by the statement): built with str methods,
    because psycopg's own array dumper is Python code per element (0.13 s of 0.23 s for 9,000 leaf rows)."""
    if kind in ("integer", "bigint", "smallint"):
        return "{%s}" % ",".join(str(int(v)) for v in values)
    return "{%s}" % ",".join('"%s"' % v.replace("\\", "\\\\").replace('"', '\\"') for v in values)


def _register_loaders(raw, psycopg):
    """jsonb values are read as canonical JSON text (what the SQLite store holds); numeric as int or float."""

    class CanonicalJsonbLoader(psycopg.adapt.Loader):
        def load(self, data):
            return canonical_json(json.loads(bytes(data)))

    class NumberLoader(psycopg.adapt.Loader):
        def load(self, data):
            text = bytes(data).decode("ascii")
            if text.lstrip("-").isdigit():
                return int(text)
            return float(text)

    raw.adapters.register_loader("jsonb", CanonicalJsonbLoader)
    raw.adapters.register_loader("json", CanonicalJsonbLoader)
    raw.adapters.register_loader("numeric", NumberLoader)


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "********") if secret else text


def _last_line(text: str) -> str:
    """The driver's message on one line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(lines) if lines else text


def _login() -> str:
    try:
        import pwd  # pylint: disable=import-outside-toplevel

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return os.environ.get("USER", "")


DIALECTS = {"postgresql": PostgresqlDialect}
