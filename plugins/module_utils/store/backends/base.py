# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The interface of a store backend (a SQL dialect and how to connect).

Callers write SQL once, with ``?`` placeholders and the portable subset of
SQL; a dialect connects, fills in DDL type placeholders, rewrites
placeholders and provides the few statements and operations that have no
portable form (upserts, "insert or ignore", bulk inserts, the writer lock).
Backends: :mod:`sqlite` (a file) and :mod:`postgresql` (a database named by
a ``postgresql://`` URL).
"""

from __future__ import annotations


class Dialect:
    """Interface of a backend.  ``name`` also selects the host_filter compiler."""

    name = ""
    #: values for the ``{...}`` placeholders of :mod:`schema`
    ddl_types: dict = {}
    #: the driver's exceptions that are errors of the database (become StoreError)
    database_errors: tuple = ()
    #: the driver's exceptions that are mistakes of the caller (re-raised as they are)
    programming_errors: tuple = ()

    def connect(self, target):  # pragma: no cover - interface
        raise NotImplementedError

    def exists(self, target) -> bool:
        """Whether the store already exists (so opening it creates nothing)."""
        return True

    def display(self, target) -> str:
        """``target`` as it may be shown in messages, logs and results (no secret in it)."""
        return target

    def has_schema(self, target):
        """For a reader: True when the store holds fleet.inventory's schema, False when it holds none.

        Raises StoreError when it cannot be read.  None: not checked here
        (the caller checks another way).
        """
        return None

    def prepare_search(self, conn):
        """Called once per connection before the first host_filter search."""

    def data_version(self, conn):
        """A value that is equal at two moments only when no change was committed in between (outside a
        transaction of ``conn``), or None when the backend cannot tell; :mod:`search_cache` keeps results by it."""
        return None

    def execute_limited(self, conn, statement, params, timeout_ms):
        """Run the read-only ``statement`` (already rewritten) within ``timeout_ms`` milliseconds (None: no limit)."""
        return conn.execute(statement, params)

    def is_timeout(self, exc) -> bool:
        """Whether a database error is :meth:`execute_limited`'s time limit."""
        return False

    def execute_bounded(self, conn, statement, params, steps):
        """``(description, rows)`` of the read-only ``statement`` (already rewritten), or None when it needed more
        than about ``steps`` thousand steps of the database's virtual machine (a plan that was tried and given up,
        see ``store/listing.py``).  This base runs it unbounded; SQLite bounds it with its progress handler."""
        cur = conn.execute(statement, params)
        return cur.description, cur.fetchall()

    def sql(self, statement: str) -> str:
        """Rewrite a statement written with ``?`` placeholders."""
        return statement

    def ddl(self, statement: str) -> str:
        return statement.format(**self.ddl_types)

    def table_exists_sql(self) -> str:
        """A query of one row and column, true when the table named by its one parameter exists."""
        raise NotImplementedError

    def begin(self, conn):
        """Start the store's one writer transaction on ``conn`` (waits for another writer)."""
        conn.execute("BEGIN")

    def writer_active(self, conn) -> bool:
        """Whether a connection other than ``conn`` (of any process) holds the store's write lock right now.

        Asked without waiting and without taking the lock.  A lock held is
        evidence that its holder is alive: the database drops it when the
        holder's process (SQLite) or session (PostgreSQL) ends.
        """
        return False

    def lock(self, conn, namespace: int, key: int):
        """Take the lock ``(namespace, key)`` on ``conn`` until its current transaction ends (waits for its holder).

        Nothing to do where a transaction already holds the store's only write
        lock (SQLite's BEGIN IMMEDIATE); PostgreSQL: ``pg_advisory_xact_lock``.
        """

    def error_kind(self, exc) -> str:
        """What a database error means for the store: 'damaged', 'notadb', 'full' or ''."""
        return ""

    def error_text(self, exc) -> str:
        """The text of a database error for a message (nothing secret in it)."""
        return str(exc)

    def executemany(self, conn, statement, rows):
        return conn.executemany(statement, rows)

    def bulk_insert(self, conn, table: str, columns: list, rows) -> None:
        """Insert ``rows`` (tuples in the order of ``columns``) into ``table``: the fastest way this backend has."""
        self.executemany(conn, self.sql("INSERT INTO %s (%s) VALUES (%s)" % (
            table, ", ".join(columns), ", ".join(["?"] * len(columns)))), rows)

    def delete_keys(self, conn, table: str, columns: list, types: list, rows) -> None:
        """Delete the rows of ``table`` whose ``columns`` equal one of ``rows``: one statement per row here (SQLite:
        a primary-key probe each, in-process); ``types`` (SQL column types) serve backends that bind arrays."""
        self.executemany(conn, self.sql("DELETE FROM %s WHERE %s" % (table, " AND ".join("%s = ?" % c for c in columns))), rows)

    def set_based_fact_references(self, store) -> None:
        """Schema migration 8: where per-row foreign-key checks make bulk fact writes slow, check them once per
        statement instead (PostgreSQL); nothing to do elsewhere (SQLite's checks are cheap b-tree probes)."""

    def search_indexes(self, store) -> None:
        """Schema migration 12: indexes and statistics only this backend's planner uses (PostgreSQL); nothing
        elsewhere (SQLite's ``hosts_name`` serves a name prefix, its ``host_facts_num`` holds the host id)."""

    def check_fact_text(self, text: str) -> str:
        """'' when a fact's canonical JSON ``text`` can be stored, else why not."""
        return ""

    def insert_ignore(self, table: str, columns: list[str], conflict: list[str]) -> str:
        return "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO NOTHING" % (
            table, ", ".join(columns), ", ".join(["?"] * len(columns)), ", ".join(conflict))

    def upsert(self, table: str, columns: list[str], conflict: list[str], update: list[str]) -> str:
        return "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s" % (
            table, ", ".join(columns), ", ".join(["?"] * len(columns)), ", ".join(conflict),
            ", ".join("%s = excluded.%s" % (c, c) for c in update))
