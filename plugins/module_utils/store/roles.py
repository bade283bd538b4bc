# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``roles`` repository: which user holds which role on which inventory or project (see rules/access.py).

A row names its object through ``inventory_id`` or ``project_id`` (the other
is NULL, ``object_kind`` says which), so that deleting the object or the user
deletes its roles.  Rows come back with ``object_id`` and the object's name.
"""

from __future__ import annotations

#: the column of each object kind
OBJECT_COLUMNS = {"inventory": "inventory_id", "project": "project_id"}

_SELECT = ("SELECT r.id, r.user_id, u.username AS user, r.role, r.object_kind,"
           " COALESCE(r.inventory_id, r.project_id) AS object_id, COALESCE(i.name, p.name) AS object_name, r.created"
           " FROM roles r JOIN users u ON u.id = r.user_id"
           " LEFT JOIN inventories i ON i.id = r.inventory_id LEFT JOIN projects p ON p.id = r.project_id")


def of_user(store, user_id, kind=None) -> list:
    """The roles of a user (of one object kind when given), by kind, object and role."""
    if kind is None:
        return store.query(_SELECT + " WHERE r.user_id = ? ORDER BY r.object_kind, object_id, r.role", (int(user_id),))
    return store.query(_SELECT + " WHERE r.user_id = ? AND r.object_kind = ? ORDER BY object_id, r.role", (int(user_id), kind))


def roles_on(store, user_id, kind, object_id) -> set:
    """The role names the user holds on one object."""
    column = OBJECT_COLUMNS[kind]
    return {r["role"] for r in store.query("SELECT role FROM roles WHERE user_id = ? AND %s = ?" % column,
                                           (int(user_id), int(object_id)))}


def object_ids(store, user_id, kind, role_names) -> set:
    """The ids of the objects of ``kind`` on which the user holds one of ``role_names``."""
    column = OBJECT_COLUMNS[kind]
    names = sorted(role_names)
    rows = store.query("SELECT DISTINCT %s AS object_id FROM roles WHERE user_id = ? AND %s IS NOT NULL AND role IN (%s)"
                       % (column, column, ", ".join("?" * len(names))), (int(user_id), *names))
    return {r["object_id"] for r in rows}


def insert(store, user_id, role, kind, object_id, stamp) -> bool:
    """Grant; whether a row was added (False: the user held the role already)."""
    column = OBJECT_COLUMNS[kind]
    return store.execute(
        "INSERT INTO roles (user_id, role, object_kind, %s, created) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING" % column,
        (int(user_id), role, kind, int(object_id), stamp)).rowcount > 0


def delete(store, user_id, role, kind, object_id) -> bool:
    """Revoke; whether a row was removed."""
    column = OBJECT_COLUMNS[kind]
    return store.execute("DELETE FROM roles WHERE user_id = ? AND role = ? AND %s = ?" % column,
                         (int(user_id), role, int(object_id))).rowcount > 0


_TABLES = {"inventory": "inventories", "project": "projects"}


def find_object(store, kind, name_or_id):
    """``{"id", "name"}`` of the inventory or project named ``name_or_id`` (an int is an id), or None."""
    column = "id" if isinstance(name_or_id, int) and not isinstance(name_or_id, bool) else "name"
    return store.query_one("SELECT id, name FROM %s WHERE %s = ?" % (_TABLES[kind], column), (name_or_id,))
