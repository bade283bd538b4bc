# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL dialects: everything that differs between the store's backends.

Callers write SQL once, with ``?`` placeholders and the portable subset of
SQL; a dialect connects, fills in DDL type placeholders, rewrites
placeholders and provides the few statements that have no portable form
(upserts, "insert or ignore").  A PostgreSQL backend is added by writing a
second :class:`Dialect`, not by changing callers.
"""

from __future__ import annotations

import os
import sqlite3
import time

from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError


MEMORY = ":memory:"


class Dialect:
    """Interface of a backend.  ``name`` also selects the host_filter compiler."""

    name = ""
    #: values for the ``{...}`` placeholders of :mod:`schema`
    ddl_types: dict = {}

    def connect(self, target):  # pragma: no cover - interface
        raise NotImplementedError

    def exists(self, target) -> bool:
        """Whether the store already exists (so opening it creates nothing)."""
        return True

    def prepare_search(self, conn):
        """Called once per connection before the first host_filter search."""

    def sql(self, statement: str) -> str:
        """Rewrite a statement written with ``?`` placeholders."""
        return statement

    def ddl(self, statement: str) -> str:
        return statement.format(**self.ddl_types)

    def insert_ignore(self, table: str, columns: list[str], conflict: list[str]) -> str:
        raise NotImplementedError

    def upsert(self, table: str, columns: list[str], conflict: list[str], update: list[str]) -> str:
        raise NotImplementedError


class SqliteDialect(Dialect):
    name = "sqlite"
    ddl_types = {
        "pk": "INTEGER PRIMARY KEY",
        "json": "TEXT",
        "bool": "INTEGER",
        "ts": "TEXT",
        "without_rowid": " WITHOUT ROWID",
    }
    busy_timeout = 30.0

    def exists(self, target) -> bool:
        return target == MEMORY or os.path.exists(os.path.expanduser(target))

    def connect(self, target):
        if target == MEMORY:
            return self._open(target, target)
        path = os.path.abspath(os.path.expanduser(target))
        parent = os.path.dirname(path)
        try:
            os.makedirs(parent, exist_ok=True)
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
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one
            # transaction per logical change.
            conn = sqlite3.connect(path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = %d" % int(self.busy_timeout * 1000))
            mode = self._journal_mode_wal(conn)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as exc:  # locked, busy, I/O: not a verdict on the file
            raise StoreError("cannot open store %s: %s" % (path, exc)) from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError("store %s is not a SQLite database (%s)" % (path, exc)) from exc
        except sqlite3.Error as exc:
            raise StoreError("cannot open store %s: %s" % (path, exc)) from exc
        if str(mode).lower() != "wal" and target != MEMORY:
            conn.close()
            raise StoreError("store %s cannot use write-ahead logging (journal_mode is %s)" % (path, mode))
        return conn

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

    def prepare_search(self, conn):
        """Register what the host_filter compiler for this dialect needs on ``conn``."""
        from ansible_collections.fleet.inventory.plugins.module_utils.filter_sql import register_sqlite_functions

        register_sqlite_functions(conn)

    def insert_ignore(self, table, columns, conflict):
        return "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO NOTHING" % (
            table, ", ".join(columns), ", ".join(["?"] * len(columns)), ", ".join(conflict))

    def upsert(self, table, columns, conflict, update):
        return "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s" % (
            table, ", ".join(columns), ", ".join(["?"] * len(columns)), ", ".join(conflict),
            ", ".join("%s = excluded.%s" % (c, c) for c in update))


DIALECTS = {"sqlite": SqliteDialect}
