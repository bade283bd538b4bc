# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store's schema, as an ordered list of migrations.

Each migration is a list of statements written in the portable subset of SQL
that SQLite and PostgreSQL share.  Dialect-specific spellings are written as
placeholders that the backend (:mod:`backends`) fills in:

``{pk}``        an auto-incrementing integer primary key column type
``{json}``      a column holding a JSON document as text (canonical JSON, the same bytes on every backend)
``{fact_json}`` a fact value: TEXT on SQLite, ``jsonb`` on PostgreSQL (read back as canonical JSON text)
``{bool}``      a boolean column (0/1 integers in SQLite, BOOLEAN in PostgreSQL; defaults written FALSE/TRUE)
``{ts}``        a timestamp column (ISO-8601 text in UTC)
``{without_rowid}``  SQLite's WITHOUT ROWID table option (empty elsewhere)

Table and column names follow AWX's model field names.  Facts are stored one
row per top-level fact key (``host_facts``), keyed by an interned key id
(``fact_keys``): a fact-path search then reads one small JSON value per host
instead of parsing every host's whole fact document.

A migration entry may also be a callable: it is called with the store (in the
migration's transaction) after the statements before it, for data that SQL
alone cannot derive (migration 2 back-fills ``host_fact_items`` from
``host_facts`` with the same Python code that maintains it).  Never edit a
released migration: append a new one.
"""

from __future__ import annotations

from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_catalog import backfill_fact_catalog
from ansible_collections.fleet.inventory.plugins.module_utils.store.fact_items import (
    backfill_fact_items, backfill_fact_numbers, backfill_member_items, create_fact_value_index, normalize_fact_texts)
from ansible_collections.fleet.inventory.plugins.module_utils.store.projects import clear_credentials_stored, encrypt_clear_credentials

MIGRATIONS = [
    # 1: inventories, hosts, groups, facts, and the tables the SCM/source/update
    # steps fill.
    [
        """CREATE TABLE inventories (
            id {pk},
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            kind TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', 'smart', 'constructed')),
            host_filter TEXT NOT NULL DEFAULT '',
            variables {json} NOT NULL DEFAULT '{{}}',
            pending_delete {bool} NOT NULL DEFAULT FALSE,
            created {ts} NOT NULL,
            modified {ts} NOT NULL
        )""",
        """CREATE TABLE hosts (
            id {pk},
            inventory_id INTEGER NOT NULL REFERENCES inventories(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            enabled {bool} NOT NULL DEFAULT TRUE,
            instance_id TEXT NOT NULL DEFAULT '',
            variables {json} NOT NULL DEFAULT '{{}}',
            ansible_facts_modified {ts},
            created {ts} NOT NULL,
            modified {ts} NOT NULL,
            UNIQUE (inventory_id, name)
        )""",
        "CREATE INDEX hosts_name ON hosts (name)",
        "CREATE INDEX hosts_instance_id ON hosts (instance_id)",
        """CREATE TABLE groups (
            id {pk},
            inventory_id INTEGER NOT NULL REFERENCES inventories(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            variables {json} NOT NULL DEFAULT '{{}}',
            created {ts} NOT NULL,
            modified {ts} NOT NULL,
            UNIQUE (inventory_id, name)
        )""",
        "CREATE INDEX groups_name ON groups (name)",
        """CREATE TABLE group_hosts (
            group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
            host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
            PRIMARY KEY (group_id, host_id)
        ){without_rowid}""",
        "CREATE INDEX group_hosts_host ON group_hosts (host_id)",
        """CREATE TABLE group_children (
            parent_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
            child_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
            PRIMARY KEY (parent_id, child_id)
        ){without_rowid}""",
        "CREATE INDEX group_children_child ON group_children (child_id)",
        """CREATE TABLE fact_keys (
            id {pk},
            name TEXT NOT NULL UNIQUE
        )""",
        # One row per (top-level fact key, host).  Clustered by key so that a
        # fact search reads the rows of one key contiguously.
        """CREATE TABLE host_facts (
            key_id INTEGER NOT NULL REFERENCES fact_keys(id),
            host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
            value {fact_json} NOT NULL,
            PRIMARY KEY (key_id, host_id)
        ){without_rowid}""",
        "CREATE INDEX host_facts_host ON host_facts (host_id)",
        """CREATE TABLE projects (
            id {pk},
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            scm_type TEXT NOT NULL DEFAULT 'git',
            scm_url TEXT NOT NULL DEFAULT '',
            scm_branch TEXT NOT NULL DEFAULT '',
            scm_refspec TEXT NOT NULL DEFAULT '',
            credential {json} NOT NULL DEFAULT '{{}}',
            local_path TEXT NOT NULL DEFAULT '',
            scm_revision TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'never updated',
            last_updated {ts},
            inventory_files {json} NOT NULL DEFAULT '[]',
            created {ts} NOT NULL,
            modified {ts} NOT NULL
        )""",
        """CREATE TABLE inventory_sources (
            id {pk},
            inventory_id INTEGER NOT NULL REFERENCES inventories(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            source_project_id INTEGER REFERENCES projects(id) ON DELETE SET NULL,
            source_path TEXT NOT NULL DEFAULT '',
            source_vars {json} NOT NULL DEFAULT '{{}}',
            overwrite {bool} NOT NULL DEFAULT FALSE,
            overwrite_vars {bool} NOT NULL DEFAULT FALSE,
            update_on_launch {bool} NOT NULL DEFAULT FALSE,
            update_on_project_update {bool} NOT NULL DEFAULT FALSE,
            update_cache_timeout INTEGER NOT NULL DEFAULT 0,
            "limit" TEXT NOT NULL DEFAULT '',
            verbosity INTEGER NOT NULL DEFAULT 1,
            enabled_var TEXT NOT NULL DEFAULT '',
            enabled_value TEXT NOT NULL DEFAULT '',
            instance_id_var TEXT NOT NULL DEFAULT '',
            scm_last_revision TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'never updated',
            last_updated {ts},
            created {ts} NOT NULL,
            modified {ts} NOT NULL,
            UNIQUE (inventory_id, name)
        )""",
        """CREATE TABLE project_updates (
            id {pk},
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            status TEXT NOT NULL DEFAULT 'pending',
            launch_type TEXT NOT NULL DEFAULT 'manual',
            scm_revision TEXT NOT NULL DEFAULT '',
            result_stdout TEXT NOT NULL DEFAULT '',
            job_explanation TEXT NOT NULL DEFAULT '',
            created {ts} NOT NULL,
            started {ts},
            finished {ts}
        )""",
        """CREATE TABLE inventory_updates (
            id {pk},
            inventory_source_id INTEGER NOT NULL REFERENCES inventory_sources(id) ON DELETE CASCADE,
            inventory_id INTEGER NOT NULL REFERENCES inventories(id) ON DELETE CASCADE,
            source_project_update_id INTEGER REFERENCES project_updates(id) ON DELETE SET NULL,
            status TEXT NOT NULL DEFAULT 'pending',
            launch_type TEXT NOT NULL DEFAULT 'manual',
            scm_revision TEXT NOT NULL DEFAULT '',
            result_stdout TEXT NOT NULL DEFAULT '',
            job_explanation TEXT NOT NULL DEFAULT '',
            counts {json} NOT NULL DEFAULT '{{}}',
            created {ts} NOT NULL,
            started {ts},
            finished {ts}
        )""",
        "CREATE INDEX inventory_updates_source ON inventory_updates (inventory_source_id)",
        # Ordered inputs of a constructed inventory.
        """CREATE TABLE inventory_input_inventories (
            inventory_id INTEGER NOT NULL REFERENCES inventories(id) ON DELETE CASCADE,
            input_inventory_id INTEGER NOT NULL REFERENCES inventories(id),
            position INTEGER NOT NULL,
            PRIMARY KEY (inventory_id, position)
        )""",
    ],
    # 2: the scalar leaves under arrays of each host's facts (see fact_items):
    # array containment terms (``key[]=value``, ``key[]__sub=value``) become an
    # index lookup instead of a json_each over every host's array.  Clustered
    # by what a search looks up (key, path, value); the host index serves the
    # rewrite of one (host, key) and the cascade when a host is deleted.  A
    # bulk load of new hosts appends to it; the batch is sorted in key order.
    # Built after the back-fill, which is faster than maintaining it row by row.
    [
        """CREATE TABLE host_fact_items (
            key_id INTEGER NOT NULL REFERENCES fact_keys(id),
            path TEXT NOT NULL,
            value TEXT NOT NULL,
            host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
            PRIMARY KEY (key_id, path, value, host_id)
        ){without_rowid}""",
        backfill_fact_items,
        "CREATE INDEX host_fact_items_host ON host_fact_items (host_id, key_id)",
    ],
    # 3: inventory sources and their updates.  Which hosts and groups each
    # source brought (AWX's InventorySource.hosts/groups): an update with
    # overwrite removes only what its own source brought, and the scm plugin
    # serves a source's hosts.  Clustered by source; the second index serves
    # the cascade when a host or group is deleted.  An update record names the
    # process that runs it (pid, its start time and the machine), so that a
    # record whose process died is marked failed instead of blocking the
    # inventory forever; at most one update per inventory is running (the
    # partial unique index is the store's own guard).
    [
        """CREATE TABLE inventory_source_hosts (
            inventory_source_id INTEGER NOT NULL REFERENCES inventory_sources(id) ON DELETE CASCADE,
            host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
            PRIMARY KEY (inventory_source_id, host_id)
        ){without_rowid}""",
        "CREATE INDEX inventory_source_hosts_host ON inventory_source_hosts (host_id)",
        """CREATE TABLE inventory_source_groups (
            inventory_source_id INTEGER NOT NULL REFERENCES inventory_sources(id) ON DELETE CASCADE,
            group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
            PRIMARY KEY (inventory_source_id, group_id)
        ){without_rowid}""",
        "CREATE INDEX inventory_source_groups_group ON inventory_source_groups (group_id)",
        "ALTER TABLE inventory_updates ADD COLUMN pid INTEGER",
        "ALTER TABLE inventory_updates ADD COLUMN pid_start TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE inventory_updates ADD COLUMN hostname TEXT NOT NULL DEFAULT ''",
        "CREATE UNIQUE INDEX inventory_updates_one_running ON inventory_updates (inventory_id) WHERE status = 'running'",
        "CREATE INDEX inventory_sources_project ON inventory_sources (source_project_id)",
    ],
    # 4: facts over time and the catalogue of fact paths.  ``fact_paths``: every
    # fact path some host's facts have, as a filter writes it below
    # ``ansible_facts__`` (see fact_catalog), looked up by path to warn about a
    # filter naming a path no host has; filled from the stored facts here.
    # ``host_fact_history``: one entry per change of a host's facts, which
    # top-level keys (fact_keys ids, JSON lists) were added, changed or removed
    # and when; bounded per host by the store setting ``fact_history_entries``
    # (see fact_history).  ``store_settings``: settings of the store itself,
    # JSON values by name; absent means the default.
    [
        """CREATE TABLE fact_paths (
            path TEXT NOT NULL,
            key_id INTEGER NOT NULL REFERENCES fact_keys(id),
            PRIMARY KEY (path, key_id)
        ){without_rowid}""",
        """CREATE TABLE host_fact_history (
            id {pk},
            host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
            modified {ts} NOT NULL,
            added {json} NOT NULL DEFAULT '[]',
            changed {json} NOT NULL DEFAULT '[]',
            removed {json} NOT NULL DEFAULT '[]'
        )""",
        "CREATE INDEX host_fact_history_host ON host_fact_history (host_id, id)",
        """CREATE TABLE store_settings (
            name TEXT NOT NULL PRIMARY KEY,
            value {json} NOT NULL
        )""",
        backfill_fact_catalog,
    ],
    # 5: a project update record names the process that runs it, as an
    # inventory update does (migration 3): a record left ``running`` by a
    # process that died reads as failed to every reader, not only to the next
    # update of the project.  Records made before have no pid and are trusted.
    [
        "ALTER TABLE project_updates ADD COLUMN pid INTEGER",
        "ALTER TABLE project_updates ADD COLUMN pid_start TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE project_updates ADD COLUMN hostname TEXT NOT NULL DEFAULT ''",
    ],
    # 6: leases instead of process liveness (see leases).  A pending or running
    # update carries the time its lease ends and the time of its last renewal;
    # the node named by ``hostname`` renews it while the update runs, and a
    # record whose lease passed reads as failed on every machine.  Records made
    # before have no lease and are trusted.
    [
        "ALTER TABLE inventory_updates ADD COLUMN lease_expires {ts}",
        "ALTER TABLE inventory_updates ADD COLUMN heartbeat {ts}",
        "ALTER TABLE project_updates ADD COLUMN lease_expires {ts}",
        "ALTER TABLE project_updates ADD COLUMN heartbeat {ts}",
        "CREATE INDEX inventory_updates_active ON inventory_updates (inventory_id, status)",
        "CREATE INDEX project_updates_project ON project_updates (project_id, status)",
    ],
    # 7: the fact layout for the performance targets (docs/performance.md).
    # ``host_fact_items`` loses its index by host and its foreign key to
    # ``hosts``: the index was a second copy of every leaf row (a quarter of a
    # bulk load's b-tree work), and without it a cascade from ``hosts`` would
    # scan the whole table for each deleted host.  Whatever removes hosts or
    # their facts deletes their leaf rows first, by primary key, from the
    # stored values (fact_items.delete_host_items).  The table is copied
    # because neither backend drops a column's foreign key in place.
    # ``host_facts.num`` is the number of a top-level fact that is a JSON
    # number (NULL otherwise, see fact_items.fact_number), with a partial index
    # by key: a comparison term is a range scan instead of a JSON parse of
    # every host's value.
    [
        """CREATE TABLE host_fact_items_v7 (
            key_id INTEGER NOT NULL REFERENCES fact_keys(id),
            path TEXT NOT NULL,
            value TEXT NOT NULL,
            host_id INTEGER NOT NULL,
            PRIMARY KEY (key_id, path, value, host_id)
        ){without_rowid}""",
        "INSERT INTO host_fact_items_v7 (key_id, path, value, host_id) SELECT key_id, path, value, host_id"
        " FROM host_fact_items ORDER BY key_id, path, value, host_id",
        "DROP TABLE host_fact_items",
        "ALTER TABLE host_fact_items_v7 RENAME TO host_fact_items",
        "ALTER TABLE host_facts ADD COLUMN num NUMERIC",
        backfill_fact_numbers,
        "CREATE INDEX host_facts_num ON host_facts (key_id, num) WHERE num IS NOT NULL",
    ],
    # 8: PostgreSQL only (nothing on SQLite): the foreign keys of host_facts and
    # host_fact_items are checked once per statement by triggers instead of once
    # per row (the same rules and the same SQLSTATE; see
    # backends.postgresql.PostgresqlDialect.set_based_fact_references): per-row
    # checks were three quarters of a bulk fact load's server time.
    [
        lambda store: store.dialect.set_based_fact_references(store),
    ],
    # 9: users, tokens and roles of the HTTP service (see store/users.py, store/tokens.py, store/roles.py and
    # rules/access.py).  A token row keeps the SHA-256 of the token's value, never the value; a role names an
    # inventory or a project through its own foreign key, so that deleting the object (or the user) deletes
    # the role; one row per (user, object, role).  Project credentials are encrypted by the store itself
    # (store/projects.py), on write and at every open when a key is available: no statement here.
    [
        """CREATE TABLE users (
            id {pk},
            username TEXT NOT NULL UNIQUE,
            is_superuser {bool} NOT NULL DEFAULT FALSE,
            created {ts} NOT NULL,
            modified {ts} NOT NULL
        )""",
        """CREATE TABLE tokens (
            id {pk},
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
            description TEXT NOT NULL DEFAULT '',
            token_hash TEXT NOT NULL UNIQUE,
            created {ts} NOT NULL,
            last_used {ts},
            expires {ts},
            revoked {bool} NOT NULL DEFAULT FALSE
        )""",
        "CREATE INDEX tokens_user ON tokens (user_id)",
        """CREATE TABLE roles (
            id {pk},
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('admin', 'update', 'use', 'read')),
            object_kind TEXT NOT NULL CHECK (object_kind IN ('inventory', 'project')),
            inventory_id INTEGER REFERENCES inventories(id) ON DELETE CASCADE,
            project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
            created {ts} NOT NULL,
            CHECK ((object_kind = 'inventory' AND inventory_id IS NOT NULL AND project_id IS NULL)
                   OR (object_kind = 'project' AND project_id IS NOT NULL AND inventory_id IS NULL))
        )""",
        "CREATE UNIQUE INDEX roles_user_inventory ON roles (user_id, inventory_id, role) WHERE inventory_id IS NOT NULL",
        "CREATE UNIQUE INDEX roles_user_project ON roles (user_id, project_id, role) WHERE project_id IS NOT NULL",
        "CREATE INDEX roles_inventory ON roles (inventory_id)",
        "CREATE INDEX roles_project ON roles (project_id)",
    ],
    # updates run by the service (rules/update_queue.py, service/workers.py).  A
    # pending record with ``queued`` waits in the service's queue: any worker of
    # any node may claim it (oldest first), and it has no lease until then.
    # ``cancel_flag`` asks the node running an update to cancel it: its
    # heartbeat reads the flag, kills the update's process group and finishes
    # the record ``canceled``.  The partial indexes serve the workers' polls.
    [
        "ALTER TABLE inventory_updates ADD COLUMN queued {bool} NOT NULL DEFAULT FALSE",
        "ALTER TABLE inventory_updates ADD COLUMN cancel_flag {bool} NOT NULL DEFAULT FALSE",
        "ALTER TABLE project_updates ADD COLUMN queued {bool} NOT NULL DEFAULT FALSE",
        "ALTER TABLE project_updates ADD COLUMN cancel_flag {bool} NOT NULL DEFAULT FALSE",
        "CREATE INDEX inventory_updates_pending ON inventory_updates (id) WHERE status = 'pending'",
        "CREATE INDEX project_updates_pending ON project_updates (id) WHERE status = 'pending'",
    ],
    # 11: fact equality from b-tree indexes (the service's host lists, docs/performance.md).  Stored texts
    # that are not canonical JSON (rows written by other means than the store: SQLite only, jsonb is
    # normalized) are rewritten once, so that the SQLite compiler's text tests need no JSON fallback;
    # ``host_fact_items`` also holds the short scalar direct members of every top-level object (path
    # ``["member"]``, see fact_items.member_item), back-filled here; ``host_facts_value`` indexes the short
    # strings, booleans and nulls of each key by value (partial: fact_items.short_scalar_sql; numbers have
    # ``host_facts_num``), so ``ansible_facts__ansible_distribution=Ubuntu`` is one index range.
    [
        normalize_fact_texts,
        backfill_member_items,
        create_fact_value_index,
    ],
    # 12: PostgreSQL only (nothing on SQLite): an index of host names in byte order for ``name__startswith``
    # (``starts_with`` is a range of it), ``host_facts_num`` covering the host id, and per-key statistics of
    # fact numbers (see backends.postgresql.PostgresqlDialect.search_indexes).
    [
        lambda store: store.dialect.search_indexes(store),
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)

#: steps of every open, after the migrations, as (pending, step) pairs: ``pending(store)`` is a read-only check
#: of one small query, run without the write lock on a store already at SCHEMA_VERSION; ``step(store)`` runs
#: in a write transaction only when a migration ran or ``pending`` said there is work.  Project credentials still in clear text (a store made before
#: they were encrypted, or a PostgreSQL store that had no key configured then) are encrypted as soon as a key is
#: available (store/projects.py).
ON_OPEN = [(clear_credentials_stored, encrypt_clear_credentials)]
