# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backing store's core: one connection, its transactions and migrations.

This is the engine every adapter shares (modules, inventory plugins, the
cache plugin, the HTTP service).  It knows nothing of AnsibleModule or HTTP:
it takes plain values, raises :mod:`errors`, and returns plain dicts that use
AWX's field names.

Every logical change runs in one transaction (:meth:`Store.transaction`); a
``dry_run`` transaction does the work and rolls it back, which is how modules
implement check mode with a truthful ``changed`` and diff.

The statements about each AWX object live in one repository module each
(:mod:`store.inventories`, :mod:`store.hosts`, :mod:`store.groups`,
:mod:`store.constructed_inputs`, :mod:`store.inventory_content`,
:mod:`store.facts`, :mod:`store.search`); :class:`Store`'s methods of the same
purpose are one-line delegations to them, so that callers keep writing
``store.save_host(...)`` (see docs/architecture.md).  Where the store is
(``StoreLocation``, ``locate_store``, ansible.cfg) is :mod:`store.location`,
re-exported here.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from urllib.parse import quote

from ansible_collections.fleet.inventory.plugins.module_utils.store import schema
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.sqlite import DIALECTS, damaged_advice
from ansible_collections.fleet.inventory.plugins.module_utils.errors import StoreError, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store import facts as fact_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import groups as group_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import hosts as host_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventories as inventory_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import search
from ansible_collections.fleet.inventory.plugins.module_utils.store import search_cache
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.postgresql import PostgresqlDialect, is_postgresql
from ansible_collections.fleet.inventory.plugins.module_utils.store.inventories import INVENTORY_KINDS  # noqa: F401  pylint: disable=unused-import
from ansible_collections.fleet.inventory.plugins.module_utils.store.location import (  # noqa: F401  pylint: disable=unused-import
    CFG_SECTION,
    ENV_STORE,
    ORIGIN_CFG,
    ORIGIN_DEFAULT,
    ORIGIN_ENV,
    ORIGIN_OPTION,
    StoreLocation,
    cfg_relative,
    controller_config_file,
    default_store_path,
    find_ansible_cfg,
    locate_store,
    location_from_ansible,
    resolve_store,
    store_from_ansible_cfg,
    store_value_in_cfg,
)


def _dialect_for(target: str):
    """The backend a store name selects: a ``postgresql://`` (or ``postgres://``) URL, else a SQLite file."""
    if is_postgresql(target):
        return PostgresqlDialect()
    return DIALECTS["sqlite"]()


class Store:
    """A connection to one store.  Not shared between threads; open one per thread."""

    def __init__(self, target: str, migrate: bool = True):
        self.dialect = _dialect_for(target)
        #: what this process connects with (a PostgreSQL URL may hold a password: never show it)
        self.connect_target = target
        #: the store's name in messages and results (a URL without its password)
        self.target = self.dialect.display(target)
        self.conn = self.dialect.connect(target)
        self._depth = 0
        self._lock = threading.RLock()
        #: ``hook(store)`` called inside every transaction of this store, just before its COMMIT (see add_commit_hook)
        self._commit_hooks: list = []
        self._fact_key_ids: dict[str, int] = {}
        self._search_ready = False
        size = search_cache.configured_size()
        #: host searches kept while nothing changes (None: FLEET_INVENTORY_SEARCH_CACHE=0)
        self.search_cache = search_cache.SearchCache(size) if size else None
        self._damaged = ""
        if migrate:
            self._migrate()

    # -- connection, transactions ------------------------------------------------

    @classmethod
    def open(cls, store=None, create=True) -> "Store":
        """Open (and create or migrate) the store.

        With ``create=False`` a store that does not exist yet is not created:
        an empty in-memory store stands in, so check mode reports what would
        be created without leaving a file behind.
        """
        location = store if isinstance(store, StoreLocation) else locate_store(store)
        target = location.target
        if not create and not _dialect_for(target).exists(target):
            memory = cls(":memory:")
            memory.location = StoreLocation(target, location.origin, location.config_file, location.option_of)
            return memory
        opened = cls(target)
        opened.location = location
        return opened

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def transaction(self, dry_run: bool = False):
        """One atomic unit of work.  Nested calls join the outer transaction.

        With ``dry_run`` the work is rolled back at the end (check mode); the
        caller still sees its own writes inside the block.
        """
        with self._lock:
            if self._depth:
                if dry_run:
                    raise StoreError("a dry-run transaction cannot be nested in another transaction")
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            if self._damaged:
                raise StoreError("store %s was found damaged (%s): %s" % (self.target, self._damaged, damaged_advice(self.target)))
            try:
                # one writer at a time (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock)
                self.dialect.begin(self.conn)
            except self.dialect.database_errors as exc:
                if self.dialect.error_kind(exc) or self.dialect.name != "sqlite":
                    raise self.db_error(exc, "cannot start a transaction on") from exc
                raise StoreError("store %s is busy or read-only: %s" % (self.target, exc)) from exc
            self._depth = 1
            try:
                yield self
                if not dry_run:
                    for hook in list(self._commit_hooks):
                        hook(self)
            except BaseException as exc:
                self._depth = 0
                self._rollback()
                if isinstance(exc, self.dialect.database_errors) and not isinstance(exc, self.dialect.programming_errors):
                    raise self.db_error(exc) from exc
                raise
            self._depth = 0
            if dry_run:
                self._rollback()
            else:
                try:
                    self.conn.execute("COMMIT")
                except self.dialect.database_errors as exc:
                    # SQLite may have rolled back already (a full disk does): report the first
                    # error, never the "cannot rollback - no transaction is active" of a second one
                    self._rollback()
                    raise self.db_error(exc, "cannot write") from exc

    @property
    def in_transaction(self) -> bool:
        """Whether a :meth:`transaction` of this Store object is open (in this thread or another)."""
        return bool(self._depth)

    def _rollback(self):
        self._fact_key_ids.clear()
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except self.dialect.database_errors:
            pass  # the error that made us roll back is the one to report

    def add_commit_hook(self, hook):
        """Call ``hook(store)`` at the end of every transaction that commits, inside it (so its writes commit with
        it); a running update renews its lease so (rules/leasing.py).  An error in it fails the transaction."""
        self._commit_hooks.append(hook)

    def remove_commit_hook(self, hook):
        if hook in self._commit_hooks:
            self._commit_hooks.remove(hook)

    def writer_active(self) -> bool:
        """Whether another connection (of any process or node) holds the store's write lock right now.

        Readers ask it when a lease has passed (store/leases.py): a holder of the
        write lock is alive, and a running update that writes in one long
        transaction cannot renew its lease until that transaction commits.
        Inside a transaction of this store it is False: this connection holds the lock.
        """
        if self._depth or self.conn is None:
            return False
        try:
            return self.dialect.writer_active(self.conn)
        except self.dialect.database_errors:
            return False

    #: lock namespace of per-inventory writes (see :meth:`lock_inventory`; the key is the inventory's id)
    LOCK_INVENTORY = 0x666D

    def lock_inventory(self, inventory_id):
        """Serialize the writes to one inventory: call at the start of every transaction that writes it.

        The lock lasts until the transaction ends.  SQLite: nothing to do (its
        transactions already take the store's write lock); PostgreSQL: a
        transaction-level advisory lock (the backend's ``lock``).
        """
        if not self._depth:
            raise StoreError("lock_inventory must be called inside a store transaction")
        if inventory_id is not None:
            self.dialect.lock(self.conn, self.LOCK_INVENTORY, int(inventory_id))

    def db_error(self, exc, doing="") -> StoreError:
        """A database error as a StoreError that names the store and says what to do."""
        kind = self.dialect.error_kind(exc)
        where = "%s store %s" % (doing, self.target) if doing else "store %s" % self.target
        text = self.dialect.error_text(exc)
        if kind in ("damaged", "notadb"):
            self._damaged = str(exc)
            self.dialect.mark_damaged(self.target, exc)
            return StoreError("%s: the store is damaged (%s): %s" % (where.strip(), exc, damaged_advice(self.target)))
        if kind == "full":
            return StoreError("%s: %s; nothing of this change was written. Free space on the file system that holds it"
                              " (the store is usable again once there is room)" % (where.strip(), text))
        return StoreError("%s: %s" % (where.strip(), text))

    def execute(self, sql: str, params=()):
        try:
            return _Cursor(self, self.conn.execute(self.dialect.sql(sql), params))
        except self.dialect.database_errors as exc:
            if isinstance(exc, self.dialect.programming_errors):
                raise
            raise self.db_error(exc) from exc

    def executemany(self, sql: str, rows):
        try:
            return _Cursor(self, self.dialect.executemany(self.conn, self.dialect.sql(sql), rows))
        except self.dialect.database_errors as exc:
            if isinstance(exc, self.dialect.programming_errors):
                raise
            raise self.db_error(exc) from exc

    def bulk_insert(self, table: str, columns: list, rows):
        """Insert many new rows into ``table`` (COPY on PostgreSQL, executemany on SQLite)."""
        rows = list(rows)
        if not rows:
            return
        try:
            self.dialect.bulk_insert(self.conn, table, columns, rows)
        except self.dialect.database_errors as exc:
            if isinstance(exc, self.dialect.programming_errors):
                raise
            raise self.db_error(exc) from exc

    def delete_keys(self, table: str, columns: list, types: list, rows) -> int:
        """Delete the rows of ``table`` whose ``columns`` (SQL ``types``) equal one of ``rows`` (a set-based statement
        per few thousand rows on PostgreSQL, executemany on SQLite); returns how many rows were given."""
        rows = list(rows)
        if not rows:
            return 0
        try:
            self.dialect.delete_keys(self.conn, table, columns, types, rows)
        except self.dialect.database_errors as exc:
            if isinstance(exc, self.dialect.programming_errors):
                raise
            raise self.db_error(exc) from exc
        return len(rows)

    def query(self, sql: str, params=()) -> list[dict]:
        cur = self.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]

    def query_one(self, sql: str, params=()):
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def _migrate(self):
        try:
            # a store already at this version (every open but the first after an upgrade) is checked
            # without the write lock: a reader never waits for a writer's transaction to open the store
            if (self.has_table("schema_version") and self._checked_version() == schema.SCHEMA_VERSION
                    and not any(pending(self) for pending, _step in schema.ON_OPEN)):
                return
            with self.transaction():
                self.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                current = self._checked_version()
                for version in range(current + 1, schema.SCHEMA_VERSION + 1):
                    for statement in schema.MIGRATIONS[version - 1]:
                        if callable(statement):  # a data step (back-fill), see schema
                            statement(self)
                        else:
                            self.execute(self.dialect.ddl(statement))
                    self.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
                for pending, step in schema.ON_OPEN:  # data kept up to date at every open (see schema.ON_OPEN)
                    if pending(self):
                        step(self)
        except self.dialect.database_errors as exc:
            raise self.db_error(exc, "cannot read the schema of") from exc

    def _checked_version(self) -> int:
        """The stored schema version (0: none yet); a StoreError when it is newer than this collection knows."""
        current = self.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
        if current > schema.SCHEMA_VERSION:
            raise StoreError("store %s has schema version %d, newer than this collection knows (%d); upgrade fleet.inventory"
                             % (self.target, current, schema.SCHEMA_VERSION))
        return current

    def has_table(self, name) -> bool:
        """Whether the store has a table called ``name``."""
        return bool(self.execute(self.dialect.table_exists_sql(), (name,)).fetchone()[0])

    @property
    def schema_version(self) -> int:
        return self.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    def prepare_search(self):
        """Make the connection ready for compiled host filters (once per connection)."""
        if not self._search_ready:
            self.dialect.prepare_search(self.conn)
            self._search_ready = True

    def data_version(self):
        """The backend's version of the committed data (see :mod:`search_cache`), None inside a transaction."""
        if self._depth or self.conn is None:
            return None
        try:
            return self.dialect.data_version(self.conn)
        except self.dialect.database_errors as exc:
            raise self.db_error(exc) from exc

    def execute_search(self, sql, params, compiled):
        """Run a query built around a :meth:`compile_filter` result, within the time limit it asks for."""
        timeout_ms = getattr(compiled, "timeout_ms", None)
        try:
            return _Cursor(self, self.dialect.execute_limited(self.conn, self.dialect.sql(sql), params, timeout_ms))
        except self.dialect.database_errors as exc:
            if self.dialect.is_timeout(exc):
                raise ValidationError("host_filter: the search took longer than %g s, the limit of a search with a regular"
                                      " expression on a PostgreSQL store (statement_timeout); PostgreSQL's regex engine is"
                                      " slow on some patterns: simplify the regular expression, or narrow the filter with"
                                      " other terms" % (timeout_ms / 1000.0)) from None
            if isinstance(exc, self.dialect.programming_errors):
                raise
            raise self.db_error(exc) from exc

    # -- repositories: one-line delegations (see the modules named) ---------------------

    def get_inventory(self, name_or_id):
        return inventory_repo.get(self, name_or_id)

    def require_inventory(self, name_or_id, kinds=None, purpose=None, pending_ok=False):
        """The inventory, or NotFound (also when it is pending deletion, unless ``pending_ok``); with ``kinds``,
        a ValidationError when it is of another kind."""
        return inventory_repo.require(self, name_or_id, kinds=kinds, purpose=purpose, pending_ok=pending_ok)

    def require_normal_inventory(self, inventory, what):
        return inventory_repo.require_normal(self, inventory, what)

    def list_inventories(self, kind=None, include_pending=False) -> list[dict]:
        return inventory_repo.list_all(self, kind, include_pending=include_pending)

    def save_inventory(self, name, **fields):
        """Create or update an inventory, see :func:`store.inventories.save`; returns ``(before, after)``."""
        return inventory_repo.save(self, name, **fields)

    def delete_inventory(self, name):
        return inventory_repo.delete(self, name)

    def constructed_view(self, inv):
        return inventory_repo.constructed_view(self, inv)

    def get_host(self, inventory, name, with_groups=True):
        return host_repo.get(self, inventory, name, with_groups=with_groups)

    def list_hosts(self, inventory) -> list[dict]:
        return host_repo.list_in(self, inventory)

    def save_host(self, inventory, name, **fields):
        """Create or update a host, see :func:`store.hosts.save`; returns ``(before, after)``."""
        return host_repo.save(self, inventory, name, **fields)

    def delete_host(self, inventory, name):
        return host_repo.delete(self, inventory, name)

    def hosts_named(self, name) -> list[dict]:
        return host_repo.named(self, name)

    def get_group(self, inventory, name):
        return group_repo.get(self, inventory, name)

    def list_groups(self, inventory) -> list[dict]:
        return group_repo.list_in(self, inventory)

    def save_group(self, inventory, name, **fields):
        """Create or update a group, see :func:`store.groups.save`; returns ``(before, after)``."""
        return group_repo.save(self, inventory, name, **fields)

    def delete_group(self, inventory, name):
        return group_repo.delete(self, inventory, name)

    def groups_for_hosts(self, host_ids) -> dict:
        return group_repo.for_hosts(self, host_ids)

    def compile_filter(self, host_filter):
        """``(where_sql, params)`` for a host_filter text, over ``hosts h``."""
        return search.compile_filter(self, host_filter)

    def search_hosts(self, host_filter, one_per_name=False, inventory=None, limit=None) -> list[dict]:
        return search.search_hosts(self, host_filter, one_per_name=one_per_name, inventory=inventory, limit=limit)

    def smart_inventory_hosts(self, inventory) -> list[dict]:
        """The hosts of a smart inventory: its host_filter over all hosts, one per name."""
        inv = self.require_inventory(inventory, kinds=("smart",), purpose="expected a smart inventory")
        return self.search_hosts(inv["host_filter"], one_per_name=True)

    # -- facts ---------------------------------------------------------------------------

    def fact_key_id(self, name: str) -> int:
        return fact_repo.fact_key_id(self, name)

    def get_facts(self, host_id: int) -> dict:
        return fact_repo.read_facts(self, [host_id]).get(host_id, {})

    def facts_for_hosts(self, host_ids) -> dict:
        """``{host_id: facts}`` for the hosts that have any facts (the one reader: :func:`store.facts.read_facts`)."""
        return fact_repo.read_facts(self, host_ids)

    def set_facts(self, host_id: int, facts: dict, merge: bool = True) -> bool:
        """Store ``facts`` for one host; see :meth:`set_facts_many` (facts of a constructed host go to its original)."""
        return bool(fact_repo.set_facts_many(self, [(host_id, facts)], merge=merge))

    def set_facts_many(self, items, merge: bool = True) -> list:
        """Store facts for many hosts in bulk statements (:func:`store.facts.set_facts_many`).

        ``items`` is an iterable of ``(host_id, facts)``.  With ``merge`` the
        new top-level keys replace or add to the stored ones (AWX merges facts
        per host); without it the stored facts become exactly ``facts``.  A
        host listed twice gets its facts merged in order (with ``merge``) or
        the last ones.  ``ansible_facts_modified`` moves only for hosts whose
        facts really changed.  Returns the ids of those hosts.

        Facts written for a host of a constructed inventory are written for
        the host it was made from (its ``instance_id``), as AWX does, so that
        fact search and every constructed inventory see them.

        Only the (key, host) rows whose value changed are written, with the
        rows of array leaves that changed (``host_fact_items``, see :mod:`fact_items`).
        """
        return fact_repo.set_facts_many(self, items, merge=merge)

    def _host_label(self, host_id) -> str:
        row = self.execute("SELECT h.name, i.name FROM hosts h JOIN inventories i ON i.id = h.inventory_id WHERE h.id = ?",
                           (host_id,)).fetchone()
        return "'%s' of inventory '%s'" % tuple(row) if row else "id %s" % host_id

    def clear_facts(self, host_id: int) -> bool:
        return fact_repo.clear_facts(self, host_id)

    def _fact_texts(self, host_ids) -> dict:
        return fact_repo.fact_texts(self, host_ids)

    def _facts_to_original_hosts(self, by_host, merge):
        return fact_repo.facts_to_original_hosts(self, by_host, merge)

    def reconnect(self):
        """Close and reopen the connection (outside a transaction).

        A process about to fork calls it around the fork: SQLite's state must
        not be inherited by a child that opens the same file (updates' wait=false).
        """
        if self._depth:
            raise StoreError("store %s: cannot reconnect inside a transaction" % self.target)
        if self.conn is not None:
            self.conn.close()
        self.conn = self.dialect.connect(self.connect_target)
        self._search_ready = False
        self._fact_key_ids.clear()

    # -- where the store came from (set by open / open_existing) ------------------------

    location = None

    @property
    def label(self) -> str:
        """The store's name for messages (the file a check-mode stand-in is for, not ``:memory:``)."""
        if self.location is not None and self.target == ":memory:" and self.location.target != ":memory:":
            return "%s (which does not exist yet)" % self.location.target
        return self.target

    # -- fact catalogue and fact history (fact_catalog, fact_history) -------------------

    def _record_fact_changes(self, stamp, paths, history):
        fact_repo.record_fact_changes(self, stamp, paths, history)

    def fact_path_warnings(self, host_filter) -> list:
        """Warnings for the fact paths ``host_filter`` names that no stored host has (with "did you mean")."""
        return fact_repo.fact_path_warnings(self, host_filter)

    def fact_history(self, host_ids) -> dict:
        """``{host_id: [entries, newest first]}``, see :func:`fact_history.history_for_hosts`."""
        return fact_repo.fact_history(self, host_ids)

    # -- readers: open an existing store only (see StoreLocation.check_readable) ----------

    @classmethod
    def open_existing(cls, location) -> "Store":
        """Open the store at ``location`` (a :class:`StoreLocation` or a name to resolve) for a reader.

        Nothing is created: a missing or empty file, or a database without
        fleet.inventory's schema, is a StoreError naming the store and where
        its name came from.  An existing store of an older schema version is
        migrated as any open does.
        """
        if not isinstance(location, StoreLocation):
            location = locate_store(location)
        location.check_readable()
        target = location.target
        if is_postgresql(target):
            # one connection: the schema is looked for on the connection the reader then uses
            store = cls(target, migrate=False)
            try:
                if not store.has_table("schema_version"):
                    raise StoreError("store %s (%s) is a PostgreSQL database without the fleet.inventory schema; "
                                     "a reader never creates one: create the store with a module that writes to it "
                                     "(for example fleet.inventory.inventory)" % (store.target, location.describe()))
                store._migrate()
            except BaseException:
                store.close()
                raise
            store.location = location
            return store
        if target != ":memory:":
            try:
                probe = sqlite3.connect("file:%s?mode=ro" % _uri_path(target), uri=True)
                try:
                    found = probe.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
                finally:
                    probe.close()
            except sqlite3.DatabaseError as exc:
                raise StoreError("store %s (%s) is not a usable SQLite database: %s; if it was a store, restore it from a backup"
                                 % (target, location.describe(), exc)) from exc
            if not found:
                raise StoreError("store %s (%s) is a SQLite database without the fleet.inventory schema; "
                                 "a reader never creates one" % (target, location.describe()))
        store = cls(target)
        store.location = location
        return store


def _uri_path(path) -> str:
    return quote(os.path.abspath(path))


class _Cursor:
    """A cursor whose errors (a damaged page met while fetching, say) become the StoreError of :meth:`Store.db_error`."""

    __slots__ = ("_store", "_cur")

    def __init__(self, store, cur):
        self._store = store
        self._cur = cur

    def _wrap(self, func, *args):
        try:
            return func(*args)
        except self._store.dialect.database_errors as exc:
            if isinstance(exc, self._store.dialect.programming_errors):
                raise
            raise self._store.db_error(exc) from exc

    def fetchone(self):
        return self._wrap(self._cur.fetchone)

    def fetchall(self):
        return self._wrap(self._cur.fetchall)

    def fetchmany(self, *args):
        return self._wrap(self._cur.fetchmany, *args)

    def __iter__(self):
        try:
            yield from self._cur
        except self._store.dialect.database_errors as exc:
            if isinstance(exc, self._store.dialect.programming_errors):
                raise
            raise self._store.db_error(exc) from exc

    def __getattr__(self, name):
        return getattr(self._cur, name)
