# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a benchmark puts its stores: SQLite files (the default) or PostgreSQL databases.

Every benchmark takes ``--store``: nothing (a SQLite file per store in the
benchmark's work directory, as before) or ``postgresql://user@host:port/db``,
a URL whose role may create databases; each store of the run is then a
database of its own on that server, named ``fleet_bench_<name>``, dropped and
created again whenever the benchmark starts that store afresh.  The URL's
password, if any, never appears in the output.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

PG_PREFIXES = ("postgresql://", "postgres://")


def add_argument(parser):
    parser.add_argument("--store", default=None, metavar="URL",
                        help="a postgresql://user@host:port/db URL (its role creates one database per store of the run;"
                             " default: SQLite files in the work directory)")


def is_pg(target) -> bool:
    return str(target).startswith(PG_PREFIXES)


def backend(target) -> str:
    return "postgresql" if is_pg(target) else "sqlite"


def redact(url) -> str:
    """``url`` without its password."""
    if not is_pg(url):
        return str(url)
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        creds, host = netloc.rsplit("@", 1)
        netloc = "%s@%s" % (creds.split(":", 1)[0], host)
    return urlunsplit(parts._replace(netloc=netloc))


class Stores:
    """The stores of one benchmark run: ``target(name)`` gives a store's path or URL, ``reset`` empties it."""

    def __init__(self, base, workdir):
        self.base = base
        self.workdir = workdir

    @property
    def backend(self) -> str:
        return "postgresql" if self.base else "sqlite"

    def target(self, name, directory=None) -> str:
        name = re.sub(r"[^a-z0-9_]", "_", name.lower())
        if not self.base:
            return os.path.join(directory or self.workdir, "%s.db" % name)
        parts = urlsplit(self.base)
        return urlunsplit(parts._replace(path="/fleet_bench_%s" % name))

    def reset(self, target):
        """A fresh, empty store at ``target`` (what was there is dropped)."""
        reset(target, self.base)


def reset(target, admin_url=None):
    if not is_pg(target):
        for suffix in ("", "-wal", "-shm", ".damaged"):
            if os.path.exists(target + suffix):
                os.unlink(target + suffix)
        return
    import psycopg  # pylint: disable=import-outside-toplevel
    admin = admin_url or urlunsplit(urlsplit(target)._replace(path="/postgres"))
    dbname = urlsplit(target).path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % dbname)
        conn.execute('CREATE DATABASE "%s"' % dbname)


def size_bytes(store) -> int:
    """The bytes a store takes: SQLite's file (after a WAL checkpoint), PostgreSQL's tables with their indexes and TOAST."""
    if not is_pg(store.target):
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(os.path.getsize(p) for p in (store.target, store.target + "-wal") if os.path.exists(p))
    return int(store.execute(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'm') AND n.nspname = current_schema()").fetchone()[0])


def size_by_object(store) -> dict:
    """``{table or index: bytes}`` of the largest objects of a store."""
    if not is_pg(store.target):
        try:
            rows = store.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 12").fetchall()
        except Exception:  # pylint: disable=broad-except  # dbstat is a compile-time option
            return {}
        return {name: int(size) for name, size in rows}
    rows = store.execute(
        "SELECT c.relname, pg_relation_size(c.oid) + COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind IN ('r', 'i') AND n.nspname = current_schema() ORDER BY 2 DESC LIMIT 12").fetchall()
    return {name: int(size) for name, size in rows}


def explain(store, sql, params) -> list:
    """The plan of ``sql`` as text lines (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN)."""
    if is_pg(store.target):
        return [r[0] for r in store.execute("EXPLAIN " + sql, list(params)).fetchall()]
    return [r[-1] for r in store.execute("EXPLAIN QUERY PLAN " + sql, list(params)).fetchall()]


def analyze(store):
    """PostgreSQL: fresh planner statistics after a bulk load (autovacuum may not have run yet); SQLite as a user's store."""
    if is_pg(store.target):
        store.execute("ANALYZE")
