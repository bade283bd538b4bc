# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``projects`` repository: git project definitions as rows (no git here; see rules/projects.py)."""

from __future__ import annotations

import json

from ansible_collections.fleet.inventory.plugins.module_utils.common import canonical_json
from ansible_collections.fleet.inventory.plugins.module_utils.store import project_updates

ACTIVE = project_updates.ACTIVE


def project_row(store, row):
    """A stored project as a dict: JSON fields parsed, the status as readers see it (an expired lease reads failed)."""
    if row is None:
        return None
    row = dict(row)
    row["credential"] = json.loads(row["credential"] or "{}")
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
         canonical_json(fields["credential"]), stamp, stamp))
    store.execute("UPDATE projects SET local_path = ? WHERE id = ?", (local_path_of(row["id"]), row["id"]))
    return row["id"]


def update(store, project_id, fields, stamp):
    store.execute(
        "UPDATE projects SET description = ?, scm_url = ?, scm_branch = ?, scm_refspec = ?, credential = ?, modified = ?"
        " WHERE id = ?", (fields["description"], fields["scm_url"], fields["scm_branch"], fields["scm_refspec"],
                          canonical_json(fields["credential"]), stamp, int(project_id)))


def users(store, project_id) -> list:
    """The inventory sources that use the project: ``source`` and ``inventory`` names."""
    return store.query(
        "SELECT s.name AS source, i.name AS inventory FROM inventory_sources s JOIN inventories i ON i.id = s.inventory_id"
        " WHERE s.source_project_id = ? ORDER BY i.name, s.name", (int(project_id),))


def delete(store, project_id):
    store.execute("DELETE FROM projects WHERE id = ?", (int(project_id),))
