"""Scaffolding shared by the test modules: playbooks of module tasks, their failures, and store dumps.

Importable from any test module: tests/conftest.py puts this folder on ``sys.path``.
"""

from __future__ import annotations

import json
import sqlite3

HEAD = """\
- name: Scenario
  hosts: localhost
  gather_facts: false
  tasks:
"""


def play(tasks: str) -> str:
    """A playbook on localhost with ``tasks`` (YAML text indented by 4 spaces)."""
    return HEAD + tasks


def dump(store) -> list[str]:
    """Every row of the store (a Store or its file's path; read by a connection of its own), to show that nothing was written."""
    target = str(getattr(store, "connect_target", None) or getattr(store, "target", store))
    if target.startswith(("postgresql://", "postgres://")):
        return _pg_dump(target)
    conn = sqlite3.connect(target)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def projects_dir(env):
    """The projects root of a test's ``ansible_env``: FLEET_INVENTORY_PROJECTS_ROOT (set with a PostgreSQL store),
    else ``<store dir>/projects``."""
    from pathlib import Path

    return Path(env.get("FLEET_INVENTORY_PROJECTS_ROOT") or Path(env["FLEET_INVENTORY_STORE"]).parent / "projects")


def rows(target, sql, params=()) -> list[tuple]:
    """The rows of ``sql`` on the store ``target`` (a SQLite path or a PostgreSQL URL), read by a connection of
    its own without creating anything: [] when the store or its schema does not exist."""
    target = str(target)
    if target.startswith(("postgresql://", "postgres://")):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            if not conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()[0]:
                return []
            return [tuple(r) for r in conn.execute(sql.replace("?", "%s"), params).fetchall()]
    import os

    if not os.path.exists(target):
        return []
    conn = sqlite3.connect(target)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # no schema yet
        return []
    finally:
        conn.close()


def _pg_dump(url) -> list[str]:
    """Every row of every table of the PostgreSQL store ``url``, sorted, one line each.

    Not the sequences: PostgreSQL never gives back the ids of rolled-back inserts."""
    import psycopg

    out = []
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]
        for table in tables:
            rows = conn.execute('SELECT * FROM "%s"' % table).fetchall()
            out += sorted("%s %r" % (table, tuple(r)) for r in rows)
    return out


def failed(result):
    """``result`` (one task's), asserted to have failed cleanly: no traceback."""
    assert result.get("failed") is True, result
    assert "Traceback" not in json.dumps(result)
    return result


def failed_msg(res, name="Bad task"):
    """The message of task ``name`` of the run ``res``, asserted to have failed cleanly."""
    return failed(res.task(name))["msg"]
