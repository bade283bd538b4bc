# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQLite backend: a store is one database file (see :mod:`base` for the interface)."""

from __future__ import annotations

import os
import sqlite3
import time
from urllib.parse import quote

from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError
from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.compile_sqlite import register_sqlite_functions
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.base import Dialect  # noqa: F401 (re-exported)


MEMORY = ":memory:"
# SQLite's primary result codes (sqlite3.Error.sqlite_errorcode & 0xff)
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_NOTADB = 26
#: beside a SQLite store: it failed (or a statement on it found it damaged); see SqliteDialect.mark_damaged
DAMAGED_SUFFIX = ".damaged"


def sqlite_error_kind(exc) -> str:
    """'damaged', 'notadb', 'full' or '' for a ``sqlite3.Error`` (by its result code, else by its message)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary == SQLITE_CORRUPT or "malformed" in text:
        return "damaged"
    if primary == SQLITE_NOTADB or "not a database" in text:
        return "notadb"
    if primary == SQLITE_FULL or "disk is full" in text:
        return "full"
    return ""


def damaged_advice(path) -> str:
    return ("restore it from a backup (stop every process using it first), or see what is wrong with "
            "`sqlite3 %s 'PRAGMA integrity_check'`; nothing is written to it until it passes that check" % path)


class SqliteDialect(Dialect):
    name = "sqlite"
    ddl_types = {
        "pk": "INTEGER PRIMARY KEY",
        "json": "TEXT",
        "fact_json": "TEXT",
        "bool": "INTEGER",
        "ts": "TEXT",
        "without_rowid": " WITHOUT ROWID",
    }
    busy_timeout = 30.0
    database_errors = (sqlite3.DatabaseError,)
    programming_errors = (sqlite3.ProgrammingError, sqlite3.InterfaceError)

    def begin(self, conn):
        # IMMEDIATE takes the write lock up front: two writers wait on
        # busy_timeout instead of deadlocking on a lock upgrade.
        conn.execute("BEGIN IMMEDIATE")

    def table_exists_sql(self) -> str:
        return "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"

    def writer_active(self, conn) -> bool:
        """Try ``BEGIN IMMEDIATE`` with no busy timeout on a short-lived connection of its own, then ROLLBACK:
        SQLITE_BUSY means another connection holds the write lock (a file lock, which dies with its process)."""
        path = next((row[2] for row in conn.execute("PRAGMA database_list").fetchall() if row[1] == "main"), "")
        if not path:  # an in-memory store: no other connection sees it
            return False
        probe = None
        try:
            probe = sqlite3.connect("file:%s?mode=rw" % quote(path), uri=True, timeout=0, isolation_level=None,
                                    check_same_thread=False)
            probe.execute("PRAGMA busy_timeout = 0")
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code is not None:
                return code & 0xFF == sqlite3.SQLITE_BUSY
            return "locked" in str(exc) or "busy" in str(exc)
        finally:
            if probe is not None:
                probe.close()

    def error_kind(self, exc) -> str:
        return sqlite_error_kind(exc)

    def exists(self, target) -> bool:
        return target == MEMORY or os.path.exists(os.path.expanduser(target))

    def connect(self, target):
        if target == MEMORY:
            return self._open(target, target)
        path = os.path.abspath(os.path.expanduser(target))
        parent = os.path.dirname(path)
        try:
            os.makedirs(parent, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise StoreError("cannot create the directory %s for the store: %s" % (parent, exc.strerror or exc)) from exc
        if os.path.isdir(path):
            raise StoreError("store path %s is a directory, not a SQLite database file" % path)
        if os.path.exists(path):
            if not os.access(path, os.R_OK | os.W_OK):
                raise StoreError("store %s cannot be read and written by this user" % path)
        elif not os.access(parent, os.W_OK | os.X_OK):
            raise StoreError("cannot create the store %s: directory %s is not writable" % (path, parent))
        return self._open(path, path)

    def _open(self, path, target):
        conn = None
        try:
            if target != MEMORY:
                _create_private(path)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one
            # transaction per logical change.
            conn = sqlite3.connect(path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = %d" % int(self.busy_timeout * 1000))
            if target != MEMORY:
                self._recheck_damaged(conn, path)
            # a new store gets 16 KiB pages (no-op on an existing one): a typical fact value (1-4 KB) then fits
            # in its b-tree page instead of an overflow chain; measured 5% smaller and ~15% faster to load
            # (docs/performance.md).  The page cache is raised for bulk loads (64 MiB at most, as used).
            conn.execute("PRAGMA page_size = 16384")
            mode = self._journal_mode_wal(conn)
            conn.execute("PRAGMA cache_size = -65536")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except StoreError:
            if conn is not None:
                conn.close()
            raise
        except OSError as exc:
            raise StoreError("cannot create the store %s: %s" % (path, exc.strerror or exc)) from exc
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            kind = sqlite_error_kind(exc)
            if kind == "damaged":
                self.mark_damaged(path, exc)
                raise StoreError("store %s is damaged (%s): %s" % (path, exc, damaged_advice(path))) from exc
            if kind == "notadb":  # every open fails the same way: no marker needed
                raise StoreError("store %s is not a SQLite database (%s); if it was a store, restore it from a backup" % (
                    path, exc)) from exc
            if kind == "full":
                raise StoreError("cannot open store %s: %s; free space on the file system that holds it" % (path, exc)) from exc
            # locked, busy, I/O: not a verdict on the file
            raise StoreError("cannot open store %s: %s" % (path, exc)) from exc
        if str(mode).lower() != "wal" and target != MEMORY:
            conn.close()
            raise StoreError("store %s cannot use write-ahead logging (journal_mode is %s)" % (path, mode))
        return conn

    @staticmethod
    def mark_damaged(path, exc):
        """Remember that ``path`` was found damaged: until it passes ``PRAGMA integrity_check`` no connection uses it.

        A marker file ``<store>.damaged`` (owner-only) holds the error; every
        later open runs the check first and removes the marker when it passes
        (the store was restored), else refuses to open the store.
        """
        if not path or path == MEMORY:
            return
        marker = path + DAMAGED_SUFFIX
        try:
            fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write("%s\n" % exc)
        except OSError:
            pass  # a read-only directory: the error itself still says what to do

    @staticmethod
    def _recheck_damaged(conn, path):
        marker = path + DAMAGED_SUFFIX
        if not os.path.exists(marker):
            return
        try:
            rows = conn.execute("PRAGMA integrity_check(20)").fetchall()
            problems = [line for r in rows for line in str(r[0]).splitlines() if line.strip() and line != "ok"]
        except sqlite3.Error as exc:
            problems = [str(exc)]
        if problems:
            raise StoreError("store %s is damaged (PRAGMA integrity_check: %s): %s" % (
                path, "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else ""), damaged_advice(path)))
        try:
            os.unlink(marker)
        except OSError:
            pass

    def _journal_mode_wal(self, conn):
        """Switch to WAL.  SQLite does not call the busy handler for this pragma,
        so when several processes open a new store at once it is retried here
        until the busy timeout has passed."""
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.005
        while True:
            try:
                return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                retry = "locked" in str(exc) or "busy" in str(exc)
                if not retry or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def data_version(self, conn):
        """``PRAGMA data_version`` (changed by every commit of another connection) and this connection's own
        ``total_changes``; None inside a transaction (its writes are not committed yet)."""
        if conn.in_transaction:
            return None
        return conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes

    def prepare_search(self, conn):
        """Register what the host_filter compiler for this dialect needs on ``conn``."""
        register_sqlite_functions(conn)

    def execute_bounded(self, conn, statement, params, steps):
        """``(description, rows)``, or None after about ``steps`` thousand virtual machine steps.

        The progress handler interrupts the statement (SQLITE_INTERRUPT: a SELECT is only stopped, a caller's
        transaction stays as it was); it is removed again before this returns.
        """
        calls = [0]

        def progress():
            calls[0] += 1
            return 1 if calls[0] > steps else 0
        conn.set_progress_handler(progress, 1000)
        try:
            cur = conn.execute(statement, params)
            return cur.description, cur.fetchall()
        except sqlite3.OperationalError:
            if calls[0] > steps:
                return None
            raise
        finally:
            conn.set_progress_handler(None, 1000)


def _create_private(path):
    """Create an absent store file readable and writable by its owner only (0600).

    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file,
    so they are owner-only too.  An existing file keeps its mode.  The mode is
    set again after the create, as the umask may have taken bits from it.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


DIALECTS = {"sqlite": SqliteDialect}
