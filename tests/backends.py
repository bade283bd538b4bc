"""Which store backend the tests run on, and the PostgreSQL databases they use (see tests/conftest.py).

``FLEET_TEST_BACKEND=sqlite|postgresql`` (default sqlite); ``FLEET_TEST_PG_URL`` is an admin URL of a
running PostgreSQL cluster (scripts/test.sh starts a throwaway one).  A plain module, so that test
modules can ``from backends import BACKEND``.
"""

from __future__ import annotations

import itertools
import os
from urllib.parse import urlsplit, urlunsplit

BACKEND = os.environ.get("FLEET_TEST_BACKEND", "sqlite").strip() or "sqlite"
PG_URL = os.environ.get("FLEET_TEST_PG_URL", "").strip()


def pg_url(dbname: str, base: str | None = None) -> str:
    """``FLEET_TEST_PG_URL`` (or ``base``) naming the database ``dbname`` instead."""
    parts = urlsplit(base or PG_URL)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


class PgDatabases:
    """Creates and drops the per-test databases of one pytest process (an xdist worker)."""

    def __init__(self, admin_url: str):
        import psycopg

        self.admin_url = admin_url
        self.prefix = "fleet_t_%d" % os.getpid()
        self.template = self.prefix + "_tpl"
        self.counter = itertools.count(1)
        self.conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
        self._template_ready = False

    def _drop(self, name):
        self.conn.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def _ensure_template(self):
        if self._template_ready:
            return
        from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

        self._drop(self.template)
        self.conn.execute('CREATE DATABASE "%s"' % self.template)
        Store(pg_url(self.template, self.admin_url)).close()  # migrate once
        self._template_ready = True

    def create(self, migrated: bool = True) -> str:
        """A new database (holding the store's schema unless ``migrated`` is false); returns its URL."""
        name = "%s_%d" % (self.prefix, next(self.counter))
        if migrated:
            self._ensure_template()
            self.conn.execute('CREATE DATABASE "%s" TEMPLATE "%s" STRATEGY FILE_COPY' % (name, self.template))
        else:
            self.conn.execute('CREATE DATABASE "%s" STRATEGY FILE_COPY' % name)
        return pg_url(name, self.admin_url)

    def drop(self, url: str):
        self._drop(urlsplit(url).path.lstrip("/"))

    def close(self):
        try:
            self._drop(self.template)
        finally:
            self.conn.close()
