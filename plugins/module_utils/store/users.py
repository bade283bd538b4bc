# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``users`` repository: the HTTP service's users (see rules/access.py for what they may do)."""

from __future__ import annotations

USER_COLUMNS = "id, username, is_superuser, created, modified"


def user_row(row):
    if row is None:
        return None
    row = dict(row)
    row["is_superuser"] = bool(row["is_superuser"])
    return row


def get(store, name_or_id):
    """The user by id (an int) or username, or None."""
    if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
        row = store.query_one("SELECT %s FROM users WHERE id = ?" % USER_COLUMNS, (name_or_id,))
    else:
        row = store.query_one("SELECT %s FROM users WHERE username = ?" % USER_COLUMNS, (str(name_or_id),))
    return user_row(row)


def list_all(store) -> list:
    return [user_row(r) for r in store.query("SELECT %s FROM users ORDER BY id" % USER_COLUMNS)]


def insert(store, username, is_superuser, stamp) -> int:
    row = store.query_one("INSERT INTO users (username, is_superuser, created, modified) VALUES (?, ?, ?, ?) RETURNING id",
                          (username, bool(is_superuser), stamp, stamp))
    return row["id"]


def set_superuser(store, user_id, is_superuser, stamp):
    store.execute("UPDATE users SET is_superuser = ?, modified = ? WHERE id = ?", (bool(is_superuser), stamp, int(user_id)))


def delete(store, user_id):
    """Delete the user; its tokens and roles go with it (ON DELETE CASCADE)."""
    store.execute("DELETE FROM users WHERE id = ?", (int(user_id),))
