# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tokens`` repository: API tokens of the service's users, stored as hashes (see rules/access.py).

A row keeps ``token_hash``, the SHA-256 of the token's value, never the value
itself; the value is shown once, when the token is made.
"""

from __future__ import annotations

TOKEN_COLUMNS = ("t.id, t.user_id, u.username AS user, t.scope, t.description, t.created, t.last_used, t.expires,"
                 " t.revoked")


def token_row(row):
    if row is None:
        return None
    row = dict(row)
    row["revoked"] = bool(row["revoked"])
    if "is_superuser" in row:
        row["is_superuser"] = bool(row["is_superuser"])
    return row


def get(store, token_id):
    """The token ``token_id`` (without its hash), or None."""
    return token_row(store.query_one("SELECT %s FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?"
                                     % TOKEN_COLUMNS, (int(token_id),)))


def of_user(store, user_id) -> list:
    return [token_row(r) for r in store.query("SELECT %s FROM tokens t JOIN users u ON u.id = t.user_id"
                                              " WHERE t.user_id = ? ORDER BY t.id" % TOKEN_COLUMNS, (int(user_id),))]


def by_hash(store, token_hash):
    """The token whose value hashes to ``token_hash``, with its user's fields and the stored hash, or None."""
    return token_row(store.query_one(
        "SELECT %s, t.token_hash, u.is_superuser FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?"
        % TOKEN_COLUMNS, (token_hash,)))


def insert(store, user_id, scope, description, token_hash, stamp, expires) -> int:
    row = store.query_one(
        "INSERT INTO tokens (user_id, scope, description, token_hash, created, expires) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (int(user_id), scope, description, token_hash, stamp, expires))
    return row["id"]


def revoke(store, token_id) -> bool:
    """Mark the token revoked; whether it was not already."""
    return store.execute("UPDATE tokens SET revoked = TRUE WHERE id = ? AND revoked = FALSE", (int(token_id),)).rowcount > 0


def touch(store, token_id, stamp):
    store.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (stamp, int(token_id)))
