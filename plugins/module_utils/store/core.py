# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backing store: inventories, hosts, groups and facts.

This is the engine every adapter shares (modules, inventory plugins, the
cache plugin, the HTTP service).  It knows nothing of AnsibleModule or HTTP:
it takes plain values, raises :mod:`errors`, and returns plain dicts that use
AWX's field names.

Every logical change runs in one transaction (:meth:`Store.transaction`); a
``dry_run`` transaction does the work and rolls it back, which is how modules
implement check mode with a truthful ``changed`` and diff.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import sqlite3
import threading
from urllib.parse import quote

from ansible_collections.fleet.inventory.plugins.module_utils.store import schema
from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json, chunks, load_mapping, now, sql_marks
from ansible_collections.fleet.inventory.plugins.module_utils.store.backends.sqlite import DIALECTS, damaged_advice, sqlite_error_kind
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, StoreError, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store import facts as fact_repo

ENV_STORE = "FLEET_INVENTORY_STORE"
CFG_SECTION = "fleet_inventory"
INVENTORY_KINDS = ("", "smart", "constructed")
_STR_ONLY = {str}


_UNKNOWN = object()

#: where a store's name came from (:attr:`StoreLocation.origin`)
ORIGIN_OPTION, ORIGIN_ENV, ORIGIN_CFG, ORIGIN_DEFAULT = "option", "environment", "ansible.cfg", "default"


def default_store_path() -> str:
    """``$XDG_DATA_HOME/fleet.inventory/store.db`` (``~/.local/share`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "fleet.inventory", "store.db")


class StoreLocation:
    """A resolved store: ``target`` (an absolute path or a URL) and where its name came from.

    ``origin`` is one of ``option``, ``environment``, ``ansible.cfg``,
    ``default``; ``config_file`` is the ansible.cfg that was consulted (the
    one Ansible loaded), or None when there was none.
    """

    def check_readable(self):
        """Raise StoreError unless the store exists as a store: a reader never creates one.

        A SQLite store must be an existing, non-empty file (a truncated,
        0-byte file is refused, never made into a fresh store); whether it
        holds fleet.inventory's schema is checked when it is opened
        (:meth:`Store.open_existing`).
        """
        target = self.target
        if target == ":memory:" or target.startswith(("postgresql://", "postgres://")):
            return
        if not os.path.exists(target):
            raise StoreError(
                "store %s does not exist (%s); a reader (inventory plugins, host_info) never creates a store: check the name, "
                "or create the store with a module that writes to it (for example fleet.inventory.inventory)" % (target, self.describe()))
        if os.path.isdir(target):
            raise StoreError("store path %s is a directory, not a SQLite database file (%s)" % (target, self.describe()))
        try:
            size = os.path.getsize(target)
        except OSError as exc:
            raise StoreError("cannot read store %s (%s): %s" % (target, self.describe(), exc.strerror or exc)) from exc
        if size == 0:
            raise StoreError(
                "store %s is an empty (0-byte) file, not a store (%s); it may have been truncated: restore it from a backup "
                "(see docs/store.md), or remove it to let a module that writes create a new, empty store" % (target, self.describe()))

    def __init__(self, target, origin, config_file=None, option_of=None):
        self.target = target
        self.origin = origin
        self.config_file = config_file
        self.option_of = option_of

    def __repr__(self):
        return "StoreLocation(%r, %r)" % (self.target, self.origin)

    def describe(self) -> str:
        """Where the name came from, in words ("named by ...")."""
        if self.origin == ORIGIN_OPTION:
            return "named by the store option%s" % (" of %s" % self.option_of if self.option_of else "")
        if self.origin == ORIGIN_ENV:
            return "named by the environment variable %s" % ENV_STORE
        if self.origin == ORIGIN_CFG:
            return "named by [%s] store in %s" % (CFG_SECTION, self.config_file)
        cfg = ("the ansible.cfg Ansible loaded (%s) has no [%s] store" % (self.config_file, CFG_SECTION) if self.config_file
               else "Ansible loaded no ansible.cfg (it reads $ANSIBLE_CONFIG, ./ansible.cfg of the current directory, "
                    "~/.ansible.cfg, /etc/ansible/ansible.cfg)")
        return "the default store: no store option, %s is not set, and %s" % (ENV_STORE, cfg)


def find_ansible_cfg():
    """The ansible.cfg that ansible-core itself would load, searched as it does, or None.

    Only for a process that was not told which file the controller loaded
    (see :func:`locate_store`): ``$ANSIBLE_CONFIG`` (a file or a directory),
    ``./ansible.cfg`` (unless the current directory is world-writable, which
    ansible-core refuses), ``~/.ansible.cfg``, ``/etc/ansible/ansible.cfg``.
    """
    cfg = os.environ.get("ANSIBLE_CONFIG")
    candidates = []
    if cfg:
        cfg = os.path.expanduser(cfg)
        candidates.append(os.path.join(cfg, "ansible.cfg") if os.path.isdir(cfg) else cfg)
    try:
        cwd = os.getcwd()
        if not os.stat(cwd).st_mode & 0o002:
            candidates.append(os.path.join(cwd, "ansible.cfg"))
    except OSError:
        pass
    candidates += [os.path.expanduser("~/.ansible.cfg"), "/etc/ansible/ansible.cfg"]
    for path in candidates:
        if os.path.isfile(path):
            return os.path.abspath(path)
    return None


def _ansible_cfg_paths():
    # kept for callers of older releases: the file find_ansible_cfg() picks
    found = find_ansible_cfg()
    if found:
        yield found


def _unquote(value: str) -> str:
    # ansible-core unquotes ini values: one pair of matching outer quotes
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def store_value_in_cfg(path):
    """``[fleet_inventory] store`` of the ansible.cfg ``path`` (read as ansible-core reads it), or None."""
    if not path or not os.path.isfile(path):
        return None
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    try:
        parser.read(path)
        value = parser.get(CFG_SECTION, "store", fallback="")
    except configparser.Error as exc:
        raise StoreError("cannot read [%s] store from %s: %s" % (CFG_SECTION, path, exc)) from exc
    value = _unquote(value.strip()).strip()
    return value or None


def cfg_relative(value, config_file):
    """A store named in ``config_file``: a relative path is relative to that file's directory."""
    if value.startswith(("postgresql://", "postgres://")):
        return value
    return os.path.join(os.path.dirname(os.path.abspath(config_file)), os.path.expanduser(value))


def store_from_ansible_cfg(config_file=_UNKNOWN):
    """``[fleet_inventory] store`` of the ansible.cfg in use (relative to its directory), or None."""
    if config_file is _UNKNOWN:
        config_file = controller_config_file()
    value = store_value_in_cfg(config_file)
    return cfg_relative(value, config_file) if value else None


def controller_config_file():
    """The ansible.cfg searched as ansible-core searches (:func:`find_ansible_cfg`).

    Only a caller that does not know the file its Ansible loaded uses this: the
    collection's action plugins run in the controller and pass
    ``ansible.constants.CONFIG_FILE`` to :func:`locate_store` themselves.
    """
    return find_ansible_cfg()


def _absolute(target):
    if target == ":memory:" or target.startswith(("postgresql://", "postgres://")):
        return target
    return os.path.abspath(os.path.expanduser(target))


def locate_store(store=None, config_file=_UNKNOWN, option_of=None) -> StoreLocation:
    """Where the store is, and why: the argument, then ``$FLEET_INVENTORY_STORE``,
    then ``[fleet_inventory] store`` of the ansible.cfg in use (``config_file``:
    the file Ansible loaded, None for none; by default :func:`controller_config_file`),
    then :func:`default_store_path`.  Blank values count as not given."""
    if store is not None and str(store).strip():
        return StoreLocation(_absolute(str(store).strip()), ORIGIN_OPTION, option_of=option_of)
    if config_file is _UNKNOWN:
        config_file = controller_config_file()
    env = os.environ.get(ENV_STORE, "").strip()
    if env:
        return StoreLocation(_absolute(env), ORIGIN_ENV, config_file)
    value = store_value_in_cfg(config_file)
    if value:
        return StoreLocation(_absolute(cfg_relative(value, config_file)), ORIGIN_CFG, config_file)
    return StoreLocation(default_store_path(), ORIGIN_DEFAULT, config_file)


def location_from_ansible(value, origin, config_file=None, option_of=None) -> StoreLocation:
    """A :class:`StoreLocation` from an Ansible plugin's ``get_option_and_origin('store')``.

    ansible-core's origins: ``Direct`` (the inventory file / task), ``env: NAME``,
    the path of the ini file it read, ``default``.
    """
    from_cfg = bool(origin) and os.path.isabs(str(origin))
    if value is not None and str(value).strip():
        value = str(value).strip()
        if from_cfg:
            return StoreLocation(_absolute(cfg_relative(_unquote(value), origin)), ORIGIN_CFG, origin)
        if str(origin).startswith("env:"):
            return StoreLocation(_absolute(value), ORIGIN_ENV, config_file)
        return StoreLocation(_absolute(value), ORIGIN_OPTION, option_of=option_of)
    return locate_store(None, config_file=config_file)


def resolve_store(store=None) -> str:
    """Where the store lives: the argument, then $FLEET_INVENTORY_STORE, then
    ansible.cfg ``[fleet_inventory] store``, then :func:`default_store_path`."""
    for candidate in (store, os.environ.get(ENV_STORE)):
        if candidate and str(candidate).strip():
            return str(candidate).strip()
    return store_from_ansible_cfg() or default_store_path()


def _dialect_for(target: str):
    if target.startswith(("postgresql://", "postgres://")):
        raise StoreError(
            "store %s: the PostgreSQL backend is not available in this release; use a SQLite file path" % target.split("@")[-1])
    return DIALECTS["sqlite"]()


def _variables(text) -> dict:
    """A stored ``variables`` JSON text as a dict (most hosts have none: skip the parser)."""
    if not text or text == "{}":
        return {}
    return json.loads(text)


class Store:
    """A connection to one store.  Not shared between threads; open one per thread."""

    def __init__(self, target: str):
        self.target = target
        self.dialect = _dialect_for(target)
        self.conn = self.dialect.connect(target)
        self._depth = 0
        self._lock = threading.RLock()
        self._fact_key_ids: dict[str, int] = {}
        self._search_ready = False
        self._damaged = ""
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
                # IMMEDIATE takes the write lock up front: two writers wait on
                # busy_timeout instead of deadlocking on a lock upgrade.
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                if sqlite_error_kind(exc):
                    raise self.db_error(exc, "cannot start a transaction on") from exc
                raise StoreError("store %s is busy or read-only: %s" % (self.target, exc)) from exc
            self._depth = 1
            try:
                yield self
            except BaseException as exc:
                self._depth = 0
                self._rollback()
                if isinstance(exc, sqlite3.Error) and not isinstance(exc, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
                    raise self.db_error(exc) from exc
                raise
            self._depth = 0
            if dry_run:
                self._rollback()
            else:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    # SQLite may have rolled back already (a full disk does): report the first
                    # error, never the "cannot rollback - no transaction is active" of a second one
                    self._rollback()
                    raise self.db_error(exc, "cannot write") from exc

    def _rollback(self):
        self._fact_key_ids.clear()
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the error that made us roll back is the one to report

    def db_error(self, exc, doing="") -> StoreError:
        """A database error as a StoreError that names the store and says what to do."""
        kind = sqlite_error_kind(exc)
        where = "%s store %s" % (doing, self.target) if doing else "store %s" % self.target
        if kind in ("damaged", "notadb"):
            self._damaged = str(exc)
            self.dialect.mark_damaged(self.target, exc)
            return StoreError("%s: the store is damaged (%s): %s" % (where.strip(), exc, damaged_advice(self.target)))
        if kind == "full":
            return StoreError("%s: %s; nothing of this change was written. Free space on the file system that holds it"
                              " (the store is usable again once there is room)" % (where.strip(), exc))
        return StoreError("%s: %s" % (where.strip(), exc))

    def execute(self, sql: str, params=()):
        try:
            return _Cursor(self, self.conn.execute(self.dialect.sql(sql), params))
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.ProgrammingError):
                raise
            raise self.db_error(exc) from exc

    def executemany(self, sql: str, rows):
        try:
            return _Cursor(self, self.conn.executemany(self.dialect.sql(sql), rows))
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.ProgrammingError):
                raise
            raise self.db_error(exc) from exc

    def query(self, sql: str, params=()) -> list[dict]:
        cur = self.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row)) for row in cur.fetchall()]

    def query_one(self, sql: str, params=()):
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def _migrate(self):
        try:
            with self.transaction():
                self.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                row = self.execute("SELECT MAX(version) FROM schema_version").fetchone()
                current = row[0] or 0
                if current > schema.SCHEMA_VERSION:
                    raise StoreError(
                        "store %s has schema version %d, newer than this collection knows (%d); upgrade fleet.inventory"
                        % (self.target, current, schema.SCHEMA_VERSION))
                for version in range(current + 1, schema.SCHEMA_VERSION + 1):
                    for statement in schema.MIGRATIONS[version - 1]:
                        if callable(statement):  # a data step (back-fill), see schema
                            statement(self)
                        else:
                            self.execute(self.dialect.ddl(statement))
                    self.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        except sqlite3.DatabaseError as exc:
            raise self.db_error(exc, "cannot read the schema of") from exc

    @property
    def schema_version(self) -> int:
        return self.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    # -- inventories ---------------------------------------------------------------

    @staticmethod
    def _inventory_row(row):
        if row is None:
            return None
        row = dict(row)
        row["variables"] = _variables(row["variables"])
        row["pending_delete"] = bool(row["pending_delete"])
        return row

    def get_inventory(self, name_or_id):
        if isinstance(name_or_id, int):
            row = self.query_one("SELECT * FROM inventories WHERE id = ?", (name_or_id,))
        else:
            row = self.query_one("SELECT * FROM inventories WHERE name = ?", (name_or_id,))
        return self._inventory_row(row)

    def require_inventory(self, name_or_id, kinds=None, purpose=None):
        """The inventory, or NotFound; with ``kinds``, a ValidationError when it is of another kind."""
        inv = self.get_inventory(name_or_id)
        if inv is None:
            raise NotFound("inventory %s does not exist in store %s" % (_quote(name_or_id), self.label))
        if kinds is not None and inv["kind"] not in kinds:
            raise ValidationError("%s: inventory '%s' is a %s inventory" % (
                purpose or "not allowed", inv["name"], _kind_name(inv["kind"])))
        return inv

    def list_inventories(self, kind=None) -> list[dict]:
        if kind is None:
            rows = self.query("SELECT * FROM inventories ORDER BY id")
        else:
            rows = self.query("SELECT * FROM inventories WHERE kind = ? ORDER BY id", (kind,))
        return [self._inventory_row(r) for r in rows]

    def save_inventory(self, name, description=None, kind=None, host_filter=None, variables=None,
                       input_inventories=None, source_vars=None, limit=None, update_cache_timeout=None, verbosity=None):
        """Create or update an inventory; returns ``(before, after)`` (before is None on create).

        ``kind`` is fixed at creation.  A smart inventory needs a valid
        ``host_filter``; other kinds refuse one.  A constructed inventory owns
        exactly one inventory source (``source = 'constructed'``), created with
        it, which holds ``source_vars`` (its constructed options), ``limit``,
        ``update_cache_timeout`` and ``verbosity``; ``input_inventories`` (names,
        in order) when given replace its inputs.  These options are refused for
        other kinds.  For a constructed inventory ``before``/``after`` also hold
        them (see :meth:`constructed_view`).
        """
        constructed = {"input_inventories": input_inventories, "source_vars": source_vars, "limit": limit,
                       "update_cache_timeout": update_cache_timeout, "verbosity": verbosity}
        if not name or not str(name).strip():
            raise ValidationError("inventory name must not be empty")
        if kind is not None and kind not in INVENTORY_KINDS:
            raise ValidationError("kind must be one of '', 'smart', 'constructed', not '%s'" % kind)
        with self.transaction():
            before = self.get_inventory(name)
            if before is not None and kind is not None and kind != before["kind"]:
                raise ValidationError(
                    "inventory '%s' is a %s inventory; kind is set at creation and cannot be changed to %s"
                    % (name, _kind_name(before["kind"]), _kind_name(kind)))
            new = {
                "description": before["description"] if before else "",
                "kind": before["kind"] if before else (kind or ""),
                "host_filter": before["host_filter"] if before else "",
                "variables": before["variables"] if before else {},
            }
            if description is not None:
                new["description"] = description
            if host_filter is not None:
                new["host_filter"] = host_filter.strip()
            if variables is not None:
                new["variables"] = load_mapping(variables, "variables")
            self._validate_host_filter(name, new["kind"], new["host_filter"])
            given = [k for k, v in constructed.items() if v is not None]
            if given and new["kind"] != "constructed":
                raise ValidationError("inventory '%s' is a %s inventory: %s only appl%s to constructed inventories" % (
                    name, _kind_name(new["kind"]), ", ".join(given), "ies" if len(given) == 1 else "y"))
            if new["kind"] == "constructed":
                before = self.constructed_view(before)
            stamp = now()
            if before is None:
                self.execute(
                    "INSERT INTO inventories (name, description, kind, host_filter, variables, created, modified)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (name, new["description"], new["kind"], new["host_filter"], json.dumps(new["variables"]), stamp, stamp))
            elif any(new[k] != before[k] for k in new):
                self.execute(
                    "UPDATE inventories SET description = ?, host_filter = ?, variables = ?, modified = ? WHERE id = ?",
                    (new["description"], new["host_filter"], json.dumps(new["variables"]), stamp, before["id"]))
            if new["kind"] == "constructed":
                self._save_constructed_source(self.get_inventory(name), stamp, **constructed)
                return before, self.constructed_view(self.get_inventory(name))
            return before, self.get_inventory(name)

    def _validate_host_filter(self, name, kind, host_filter):
        if kind == "smart":
            if not host_filter:
                raise ValidationError("smart inventory '%s' needs a host_filter" % name)
            try:
                where, params = self.compile_filter(host_filter)
            except ValidationError as exc:
                raise ValidationError("smart inventory '%s': %s" % (name, exc)) from exc
            try:
                # prepared, not run: a filter this backend cannot run is refused now, not at every later use
                self.execute("EXPLAIN SELECT h.id FROM hosts h WHERE %s" % where, params).fetchall()
            except StoreError as exc:
                cause = str(exc.__cause__ or exc)
                if "locked" in cause or "busy" in cause or "disk" in cause:
                    raise
                raise ValidationError("smart inventory '%s': host_filter: this filter cannot run on the store (%s)" % (name, cause)) from exc
        elif host_filter:
            raise ValidationError(
                "inventory '%s' is a %s inventory: host_filter only applies to smart inventories" % (name, _kind_name(kind)))

    def delete_inventory(self, name):
        """Delete an inventory with its hosts, groups and facts; returns what was deleted (or None)."""
        with self.transaction():
            before = self.get_inventory(name)
            if before is not None:
                used_by = self.query(
                    "SELECT i.name FROM inventory_input_inventories ii JOIN inventories i ON i.id = ii.inventory_id"
                    " WHERE ii.input_inventory_id = ?", (before["id"],))
                if used_by:
                    raise ValidationError("inventory '%s' is an input of constructed inventory %s; remove it there first"
                                          % (name, ", ".join("'%s'" % r["name"] for r in used_by)))
                self.execute("DELETE FROM inventories WHERE id = ?", (before["id"],))
            return before

    def require_normal_inventory(self, inventory, what):
        """The inventory named, when hosts/groups may be added to it by hand."""
        inv = self.require_inventory(inventory)
        if inv["kind"]:
            raise ValidationError("cannot add %s to %s inventory '%s': its hosts come from %s" % (
                what, _kind_name(inv["kind"]), inv["name"],
                "its host_filter" if inv["kind"] == "smart" else "its input inventories"))
        return inv

    # -- hosts -----------------------------------------------------------------------

    @staticmethod
    def _host_row(row):
        if row is None:
            return None
        row = dict(row)
        row["variables"] = _variables(row["variables"])
        row["enabled"] = bool(row["enabled"])
        return row

    def get_host(self, inventory, name, with_groups=True):
        inv = self.require_inventory(inventory)
        row = self._host_row(self.query_one(
            "SELECT * FROM hosts WHERE inventory_id = ? AND name = ?", (inv["id"], name)))
        if row is not None:
            row["inventory"] = inv["name"]
            if with_groups:
                row["groups"] = [r["name"] for r in self.query(
                    "SELECT g.name FROM group_hosts gh JOIN groups g ON g.id = gh.group_id WHERE gh.host_id = ? ORDER BY g.name",
                    (row["id"],))]
        return row

    def list_hosts(self, inventory) -> list[dict]:
        inv = self.require_inventory(inventory)
        rows = self.query("SELECT * FROM hosts WHERE inventory_id = ? ORDER BY name", (inv["id"],))
        out = []
        for r in rows:
            r = self._host_row(r)
            r["inventory"] = inv["name"]
            out.append(r)
        return out

    def save_host(self, inventory, name, description=None, enabled=None, instance_id=None, variables=None, groups=None):
        """Create or update a host; ``groups`` (names) when given is the exact set of its groups.

        Returns ``(before, after)``.
        """
        if not name or not str(name).strip():
            raise ValidationError("host name must not be empty")
        with self.transaction():
            inv = self.require_normal_inventory(inventory, "hosts")
            before = self.get_host(inv["name"], name)
            new = {
                "description": before["description"] if before else "",
                "enabled": before["enabled"] if before else True,
                "instance_id": before["instance_id"] if before else "",
                "variables": before["variables"] if before else {},
            }
            for key, value in (("description", description), ("enabled", enabled), ("instance_id", instance_id)):
                if value is not None:
                    new[key] = value
            if variables is not None:
                new["variables"] = load_mapping(variables, "variables")
            stamp = now()
            if before is None:
                cur = self.execute(
                    "INSERT INTO hosts (inventory_id, name, description, enabled, instance_id, variables, created, modified)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (inv["id"], name, new["description"], int(bool(new["enabled"])), new["instance_id"],
                     json.dumps(new["variables"]), stamp, stamp))
                host_id = cur.lastrowid
            else:
                host_id = before["id"]
                if any(new[k] != before[k] for k in new):
                    self.execute(
                        "UPDATE hosts SET description = ?, enabled = ?, instance_id = ?, variables = ?, modified = ? WHERE id = ?",
                        (new["description"], int(bool(new["enabled"])), new["instance_id"], json.dumps(new["variables"]),
                         stamp, host_id))
            if groups is not None:
                group_ids = self._group_ids(inv, groups)
                self._replace_links("group_hosts", "host_id", host_id, "group_id", group_ids)
            return before, self.get_host(inv["name"], name)

    def delete_host(self, inventory, name):
        with self.transaction():
            before = self.get_host(inventory, name)
            if before is not None:
                self.execute("DELETE FROM hosts WHERE id = ?", (before["id"],))
            return before

    # -- groups ------------------------------------------------------------------------

    def get_group(self, inventory, name):
        inv = self.require_inventory(inventory)
        row = self.query_one("SELECT * FROM groups WHERE inventory_id = ? AND name = ?", (inv["id"], name))
        if row is None:
            return None
        row["variables"] = _variables(row["variables"])
        row["inventory"] = inv["name"]
        row["hosts"] = [r["name"] for r in self.query(
            "SELECT h.name FROM group_hosts gh JOIN hosts h ON h.id = gh.host_id WHERE gh.group_id = ? ORDER BY h.name",
            (row["id"],))]
        row["children"] = [r["name"] for r in self.query(
            "SELECT g.name FROM group_children gc JOIN groups g ON g.id = gc.child_id WHERE gc.parent_id = ? ORDER BY g.name",
            (row["id"],))]
        return row

    def list_groups(self, inventory) -> list[dict]:
        inv = self.require_inventory(inventory)
        return [self.get_group(inv["name"], r["name"]) for r in self.query(
            "SELECT name FROM groups WHERE inventory_id = ? ORDER BY name", (inv["id"],))]

    def save_group(self, inventory, name, description=None, variables=None, hosts=None, children=None,
                   preserve_existing_hosts=False, preserve_existing_children=False):
        """Create or update a group.  ``hosts``/``children`` (names, which must exist in
        the same inventory) set the memberships exactly, or add to them with the
        ``preserve_existing_*`` flags.  Returns ``(before, after)``."""
        if not name or not str(name).strip():
            raise ValidationError("group name must not be empty")
        if name in ("all", "ungrouped"):
            raise ValidationError("'%s' is a group every inventory has implicitly; it cannot be stored" % name)
        with self.transaction():
            inv = self.require_normal_inventory(inventory, "groups")
            before = self.get_group(inv["name"], name)
            new = {
                "description": before["description"] if before else "",
                "variables": before["variables"] if before else {},
            }
            if description is not None:
                new["description"] = description
            if variables is not None:
                new["variables"] = load_mapping(variables, "variables")
            stamp = now()
            if before is None:
                cur = self.execute(
                    "INSERT INTO groups (inventory_id, name, description, variables, created, modified) VALUES (?, ?, ?, ?, ?, ?)",
                    (inv["id"], name, new["description"], json.dumps(new["variables"]), stamp, stamp))
                group_id = cur.lastrowid
            else:
                group_id = before["id"]
                if any(new[k] != before[k] for k in new):
                    self.execute("UPDATE groups SET description = ?, variables = ?, modified = ? WHERE id = ?",
                                 (new["description"], json.dumps(new["variables"]), stamp, group_id))
            if hosts is not None:
                host_ids = self._host_ids(inv, hosts)
                self._replace_links("group_hosts", "group_id", group_id, "host_id", host_ids, keep=preserve_existing_hosts)
            if children is not None:
                child_ids = self._group_ids(inv, children)
                if group_id in child_ids:
                    raise ValidationError("group '%s' cannot be its own child" % name)
                ancestors = self._ancestor_ids([group_id])
                loops = [c for c, cid in zip(dict.fromkeys(str(c) for c in children), child_ids) if cid in ancestors]
                if loops:
                    raise ValidationError("group '%s' cannot have %s as a child: that would make a cycle" % (
                        name, ", ".join("'%s'" % c for c in loops)))
                self._replace_links("group_children", "parent_id", group_id, "child_id", child_ids,
                                    keep=preserve_existing_children)
            return before, self.get_group(inv["name"], name)

    def delete_group(self, inventory, name):
        with self.transaction():
            before = self.get_group(inventory, name)
            if before is not None:
                self.execute("DELETE FROM groups WHERE id = ?", (before["id"],))
            return before

    def _ancestor_ids(self, group_ids) -> set:
        """The groups that contain any of ``group_ids``, transitively (cycle-safe)."""
        seen, frontier = set(), set(group_ids)
        while frontier:
            rows = []
            for chunk in chunks(sorted(frontier)):
                rows += self.execute("SELECT parent_id FROM group_children WHERE child_id IN (%s)" % sql_marks(chunk), chunk).fetchall()
            frontier = {r[0] for r in rows} - seen
            seen |= frontier
        return seen

    def _host_ids(self, inv, names):
        return self._ids("hosts", "host", inv, names)

    def _group_ids(self, inv, names):
        return self._ids("groups", "group", inv, names)

    def _ids(self, table, what, inv, names):
        names = list(dict.fromkeys(str(n) for n in names))
        found = {}
        for chunk in chunks(names):
            for row in self.execute("SELECT name, id FROM %s WHERE inventory_id = ? AND name IN (%s)" % (table, sql_marks(chunk)),
                                    [inv["id"]] + chunk).fetchall():
                found[row[0]] = row[1]
        missing = [n for n in names if n not in found]
        if missing:
            raise NotFound("no %s named %s in inventory '%s'" % (what, ", ".join("'%s'" % n for n in missing), inv["name"]))
        return [found[n] for n in names]

    def _replace_links(self, table, own_col, own_id, other_col, other_ids, keep=False):
        current = {r[0] for r in self.execute("SELECT %s FROM %s WHERE %s = ?" % (other_col, table, own_col), (own_id,)).fetchall()}
        wanted = set(other_ids)
        if not keep:
            gone = current - wanted
            for chunk in chunks(sorted(gone)):
                self.execute("DELETE FROM %s WHERE %s = ? AND %s IN (%s)" % (table, own_col, other_col, sql_marks(chunk)),
                             [own_id] + chunk)
        self.executemany("INSERT INTO %s (%s, %s) VALUES (?, ?)" % (table, own_col, other_col),
                         [(own_id, o) for o in sorted(wanted - current)])

    # -- facts ---------------------------------------------------------------------------

    def fact_key_id(self, name: str) -> int:
        return fact_repo.fact_key_id(self, name)

    def get_facts(self, host_id: int) -> dict:
        return fact_repo.read_facts(self, [host_id]).get(host_id, {})

    def facts_for_hosts(self, host_ids) -> dict:
        """``{host_id: facts}`` for the hosts that have any facts (see :func:`store.facts.read_facts`)."""
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

    def clear_facts(self, host_id: int) -> bool:
        return fact_repo.clear_facts(self, host_id)

    def _fact_texts(self, host_ids) -> dict:
        return fact_repo.fact_texts(self, host_ids)

    def hosts_named(self, name) -> list[dict]:
        """Every stored host called ``name``, in any inventory (lowest id first)."""
        return [self._host_row(r) for r in self.query("SELECT * FROM hosts WHERE name = ? ORDER BY id", (name,))]

    # -- search --------------------------------------------------------------------------

    def compile_filter(self, host_filter):
        """``(where_sql, params)`` for a host_filter text, over ``hosts h``."""
        from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.sql import compile_sql
        from ansible_collections.fleet.inventory.plugins.module_utils.host_filter.parser import HostFilterError, parse_host_filter

        if not self._search_ready:
            self.dialect.prepare_search(self.conn)
            self._search_ready = True
        try:
            return compile_sql(parse_host_filter(host_filter), dialect=self.dialect.name)
        except HostFilterError as exc:
            raise ValidationError(str(exc)) from exc

    def search_hosts(self, host_filter, one_per_name=False, inventory=None, limit=None) -> list[dict]:
        """Hosts matching ``host_filter`` over every stored host, by name then id.

        ``one_per_name`` keeps only the lowest id of each name (a smart
        inventory's rule); ``inventory`` restricts to one inventory.  Hosts of
        inventories pending deletion are never returned.
        """
        where, params = self.compile_filter(host_filter)
        sql = ("SELECT h.*, i.name AS inventory FROM hosts h JOIN inventories i ON i.id = h.inventory_id"
               " WHERE i.pending_delete = 0 AND (%s)" % where)
        params = list(params)
        if inventory is not None:
            sql += " AND h.inventory_id = ?"
            params.append(self.require_inventory(inventory)["id"])
        if one_per_name:
            # the filter runs once; the window keeps the lowest id of each name
            sql = sql.replace("SELECT h.*,", "SELECT h.*, ROW_NUMBER() OVER (PARTITION BY h.name ORDER BY h.id) AS name_rank,", 1)
            sql = "SELECT * FROM (%s) m WHERE m.name_rank = 1 ORDER BY m.name, m.id" % sql
        else:
            sql += " ORDER BY h.name, h.id"
        if limit is not None:
            sql += " LIMIT %d" % int(limit)
        # built here rather than through query()/_host_row: one dict per host,
        # which matters when a filter matches tens of thousands of hosts
        cur = self.execute(sql, params)
        cols = [d[0] for d in cur.description]
        hosts = []
        for values in cur:
            row = dict(zip(cols, values))
            row.pop("name_rank", None)
            row["variables"] = _variables(row["variables"])
            row["enabled"] = bool(row["enabled"])
            hosts.append(row)
        return hosts

    def smart_inventory_hosts(self, inventory) -> list[dict]:
        """The hosts of a smart inventory: its host_filter over all hosts, one per name."""
        inv = self.require_inventory(inventory, kinds=("smart",), purpose="expected a smart inventory")
        return self.search_hosts(inv["host_filter"], one_per_name=True)

    def groups_for_hosts(self, host_ids) -> dict:
        """The groups the hosts belong to, with their ancestors, for building an inventory.

        Returns ``{"groups": {group_id: {"name", "variables", "inventory_id"}},
        "children": [(parent_id, child_id)], "memberships": [(group_id, host_id)]}``.
        """
        memberships = []
        for chunk in chunks(list(host_ids)):
            memberships += self.execute(
                "SELECT group_id, host_id FROM group_hosts WHERE host_id IN (%s)" % sql_marks(chunk), chunk).fetchall()
        direct = {link[0] for link in memberships}
        all_ids = direct | self._ancestor_ids(direct)
        groups, children = {}, []
        ids = sorted(all_ids)
        for chunk in chunks(ids):
            for row in self.query("SELECT id, inventory_id, name, variables FROM groups WHERE id IN (%s)" % sql_marks(chunk), chunk):
                groups[row["id"]] = {"name": row["name"], "inventory_id": row["inventory_id"],
                                     "variables": _variables(row["variables"])}
            children += self.execute(
                "SELECT parent_id, child_id FROM group_children WHERE child_id IN (%s)" % sql_marks(chunk), chunk).fetchall()
        children = [(p, c) for p, c in children if p in all_ids]
        return {"groups": groups, "children": sorted(children), "memberships": sorted(memberships)}

    # -- constructed inventories (their one source and their inputs) ----------------------

    def constructed_view(self, inv):
        """A constructed inventory's row with its ``input_inventories`` (names, in order), ``source_vars``,
        ``limit``, ``update_cache_timeout`` and ``verbosity``; other rows (and None) unchanged."""
        if inv is None or inv.get("kind") != "constructed":
            return inv
        from ansible_collections.fleet.inventory.plugins.module_utils.rules.constructed import constructed_source, input_inventories

        inv = dict(inv)
        source = constructed_source(self, inv["id"]) or {}
        inv["input_inventories"] = [name for _id, name, _kind in input_inventories(self, inv["id"])]
        inv["source_vars"] = source.get("source_vars") or {}
        inv["limit"] = source.get("limit") or ""
        inv["update_cache_timeout"] = source.get("update_cache_timeout") or 0
        inv["verbosity"] = source.get("verbosity", 1) if source else 1
        return inv

    def _save_constructed_source(self, inv, stamp, input_inventories=None, source_vars=None, limit=None,
                                 update_cache_timeout=None, verbosity=None):
        """Create or update the one ``constructed`` source of constructed inventory ``inv``, and its inputs."""
        from ansible_collections.fleet.inventory.plugins.module_utils.rules.constructed import (
            constructed_source, normalize_config, resolve_inputs, source_name)

        source = constructed_source(self, inv["id"])
        new = {
            "source_vars": source["source_vars"] if source else {},
            "limit": source["limit"] if source else "",
            "update_cache_timeout": source["update_cache_timeout"] if source else 0,
            "verbosity": source["verbosity"] if source else 1,
        }
        if source_vars is not None:
            new["source_vars"] = normalize_config(source_vars, "source_vars")
        if limit is not None:
            new["limit"] = str(limit).strip()
        if update_cache_timeout is not None:
            if isinstance(update_cache_timeout, bool) or not isinstance(update_cache_timeout, int) or update_cache_timeout < 0:
                raise ValidationError("update_cache_timeout must be a number of seconds (0 or more), not %r" % (update_cache_timeout,))
            new["update_cache_timeout"] = update_cache_timeout
        if verbosity is not None:
            if verbosity not in (0, 1, 2) or isinstance(verbosity, bool):
                raise ValidationError("verbosity must be 0, 1 or 2, not %r" % (verbosity,))
            new["verbosity"] = verbosity
        if source is None:
            self.execute(
                'INSERT INTO inventory_sources (inventory_id, name, source, source_vars, overwrite, overwrite_vars, "limit",'
                " update_cache_timeout, verbosity, created, modified) VALUES (?, ?, 'constructed', ?, 1, 1, ?, ?, ?, ?, ?)",
                (inv["id"], source_name(inv["name"]), json.dumps(new["source_vars"]), new["limit"], new["update_cache_timeout"],
                 new["verbosity"], stamp, stamp))
        elif any(new[k] != source[k] for k in new):
            self.execute(
                'UPDATE inventory_sources SET source_vars = ?, "limit" = ?, update_cache_timeout = ?, verbosity = ?, modified = ?'
                " WHERE id = ?",
                (json.dumps(new["source_vars"]), new["limit"], new["update_cache_timeout"], new["verbosity"], stamp, source["id"]))
        if input_inventories is not None:
            wanted = [i for i, _n in resolve_inputs(self, input_inventories, constructed_name=inv["name"])]
            current = [r[0] for r in self.execute(
                "SELECT input_inventory_id FROM inventory_input_inventories WHERE inventory_id = ? ORDER BY position", (inv["id"],))]
            if wanted != current:
                self.execute("DELETE FROM inventory_input_inventories WHERE inventory_id = ?", (inv["id"],))
                self.executemany("INSERT INTO inventory_input_inventories (inventory_id, input_inventory_id, position) VALUES (?, ?, ?)",
                                 [(inv["id"], input_id, position) for position, input_id in enumerate(wanted)])
                self.execute("UPDATE inventories SET modified = ? WHERE id = ?", (stamp, inv["id"]))

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
        self.conn = self.dialect.connect(self.target)
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
        if not target.startswith(("postgresql://", "postgres://")) and target != ":memory:":
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
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.ProgrammingError):
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
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.ProgrammingError):
                raise
            raise self._store.db_error(exc) from exc

    def __getattr__(self, name):
        return getattr(self._cur, name)


def _quote(value) -> str:
    return "id %d" % value if isinstance(value, int) else "'%s'" % value


def _kind_name(kind) -> str:
    return kind or "normal"
