# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``projects`` repository: git project definitions as rows (no git here; see rules/projects.py).

A project's ``credential`` (user name, password, SSH key file) is encrypted at
rest: the column holds ``{"fernet": "<token>"}``, the credential's JSON
encrypted with the key of :mod:`runtime.secrets`, which lives outside the
store.  Rows are decrypted as they are read (an encrypted credential without
its key is a SecretKeyError naming the project) and encrypted as they are
written; a store that still holds credentials in clear text (made before
this) has them encrypted at open when a key is available
(:func:`encrypt_clear_credentials`).  An empty credential is stored as ``{}``
and needs no key.
"""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json
from ansible_collections.fleet.inventory.plugins.module_utils.errors import SecretKeyError
from ansible_collections.fleet.inventory.plugins.module_utils.runtime import secrets
from ansible_collections.fleet.inventory.plugins.module_utils.store import project_updates

#: the one key of a stored credential that is encrypted
ENCRYPTED = "fernet"

ACTIVE = project_updates.ACTIVE


def project_row(store, row):
    """A stored project as a dict: JSON fields parsed, the status as readers see it (an expired lease reads failed)."""
    if row is None:
        return None
    row = dict(row)
    row["credential"] = decode_credential(store, row["name"], row["credential"])
    row["inventory_files"] = json.loads(row["inventory_files"] or "[]")
    if row["status"] in ACTIVE:
        row["status"] = project_updates.project_state(store, row["id"], row["status"])[0]
    return row


def get(store, name_or_id):
    if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
        row = store.query_one("SELECT * FROM projects WHERE id = ?", (name_or_id,))
    else:
        row = store.query_one("SELECT * FROM projects WHERE name = ?", (str(name_or_id),))
    return project_row(store, row)


def name_of(store, project_id):
    row = store.query_one("SELECT name FROM projects WHERE id = ?", (int(project_id),))
    return row["name"] if row else None


def stored_status(store, project_id):
    row = store.query_one("SELECT status FROM projects WHERE id = ?", (int(project_id),))
    return row["status"] if row else ""


def all_projects(store) -> list:
    return [project_row(store, r) for r in store.query("SELECT * FROM projects ORDER BY id")]


def insert(store, name, fields, stamp, local_path_of):
    """A new project; ``local_path_of(id)`` names its checkout directory.  Returns its id."""
    row = store.query_one(
        "INSERT INTO projects (name, description, scm_type, scm_url, scm_branch, scm_refspec, credential, created, modified)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (name, fields["description"], "git", fields["scm_url"], fields["scm_branch"], fields["scm_refspec"],
         encode_credential(store, name, fields["credential"]), stamp, stamp))
    store.execute("UPDATE projects SET local_path = ? WHERE id = ?", (local_path_of(row["id"]), row["id"]))
    return row["id"]


def update(store, project_id, fields, stamp):
    store.execute(
        "UPDATE projects SET description = ?, scm_url = ?, scm_branch = ?, scm_refspec = ?, credential = ?, modified = ?"
        " WHERE id = ?", (fields["description"], fields["scm_url"], fields["scm_branch"], fields["scm_refspec"],
                          encode_credential(store, name_of(store, project_id), fields["credential"]), stamp,
                          int(project_id)))


def users(store, project_id) -> list:
    """The inventory sources that use the project: ``source`` and ``inventory`` names."""
    return store.query(
        "SELECT s.name AS source, i.name AS inventory FROM inventory_sources s JOIN inventories i ON i.id = s.inventory_id"
        " WHERE s.source_project_id = ? ORDER BY i.name, s.name", (int(project_id),))


def delete(store, project_id):
    store.execute("DELETE FROM projects WHERE id = ?", (int(project_id),))


# -- the credential, encrypted at rest ------------------------------------------------------


def _cipher(store, create):
    memory = store.connect_target == ":memory:"
    sqlite_path = store.connect_target if store.dialect.name == "sqlite" and not memory else None
    return secrets.cipher_for(sqlite_path, create=create, memory=memory)


def is_encrypted(value) -> bool:
    return isinstance(value, dict) and list(value) == [ENCRYPTED]


def encode_credential(store, project_name, credential) -> str:
    """The column text of a credential: ``{}`` when empty, else the credential's JSON encrypted."""
    if not credential:
        return "{}"
    cipher = _cipher(store, create=True)
    if cipher is None:
        raise SecretKeyError("project '%s': store %s keeps project credentials encrypted with a key that lives outside the"
                             " store, and none is configured; %s" % (project_name, store.target, secrets.CONFIGURE_HINT))
    return canonical_json({ENCRYPTED: cipher.encrypt(canonical_json(credential))})


def decode_credential(store, project_name, text) -> dict:
    value = json.loads(text or "{}")
    if not is_encrypted(value):
        return value
    cipher = _cipher(store, create=False)
    if cipher is None:
        raise SecretKeyError("the credential of project '%s' in store %s is encrypted and its key is not available; %s"
                             % (project_name, store.target, secrets.CONFIGURE_HINT))
    return json.loads(cipher.decrypt(value[ENCRYPTED], "the credential of project '%s'" % project_name))


def encrypt_clear_credentials(store) -> int:
    """Encrypt the credentials still stored in clear text, when a key is available; how many were encrypted.

    Called at every open (store/schema.py ON_OPEN, in the open's transaction):
    one small query when there is nothing to do.  Best effort: without a key
    (a PostgreSQL store with none configured), or when a SQLite store's key
    file cannot be made, the credentials stay as they are until the next
    open that has one, and every write of a credential says what to do.
    """
    rows = [r for r in store.query("SELECT id, name, credential FROM projects WHERE credential <> '{}'"
                                   " AND credential NOT LIKE '{\"fernet\":%'")
            if not is_encrypted(json.loads(r["credential"] or "{}"))]
    if not rows:
        return 0
    try:
        cipher = _cipher(store, create=True)
    except SecretKeyError:
        return 0
    if cipher is None:
        return 0
    for row in rows:
        credential = json.loads(row["credential"] or "{}")
        if credential:
            text = canonical_json({ENCRYPTED: cipher.encrypt(canonical_json(credential))})
        else:
            text = "{}"
        store.execute("UPDATE projects SET credential = ? WHERE id = ?", (text, row["id"]))
    return len(rows)
