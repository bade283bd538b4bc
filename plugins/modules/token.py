#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: token
short_description: Create or revoke an API token of a fleet.inventory HTTP service user
version_added: 0.2.0
author:
  - fleet.inventory contributors (@fleet-inventory)
description:
  - Creates an API token for a user of the collection's HTTP service (M(fleet.inventory.user)), or revokes one.
    A client sends it in the C(Authorization) header as C(Bearer <token>).
  - The token's value is random (256 bits from Python's C(secrets)) and returned once, as RV(token), by the task
    that creates it; the store keeps only its SHA-256 hash, so it cannot be shown again. Keep it (for example in a
    vault) or revoke it and create another.
  - The value is in the result's RV(token) key only; it is never in the diff, the task's messages or warnings.
    Set C(no_log=true) on the task to keep the whole result out of Ansible's output and logs as well; a registered
    variable still holds the value.
  - As in AWX, each run with O(state=present) creates a new token (a token cannot be looked up by its value, and
    the value of an existing one is not known), so such a task always reports C(changed).
  - A token with O(scope=read) may only read (GET); O(scope=write) may do everything its user's roles allow.
extends_documentation_fragment:
  - fleet.inventory.store
options:
  user:
    description:
      - The username of the token's owner. Required with O(state=present).
      - With O(state=absent), when given, the token O(id) must belong to this user.
    type: str
  scope:
    description: What the token may do, V(read) (GET requests only) or V(write).
    type: str
    choices: [read, write]
    default: write
  description:
    description: Free text to tell the user's tokens apart (what it is for, who holds it).
    type: str
    default: ''
  expires:
    description:
      - When the token stops working, an ISO-8601 time (for example V(2027-06-30T00:00:00+00:00); without a time
        zone it is UTC). Not given, the token works until it is revoked.
    type: str
  id:
    description:
      - The id of the token to revoke (RV(id) of the task that created it). Required with O(state=absent).
    type: int
  state:
    description:
      - V(present) creates a token; V(absent) revokes the token O(id) (it stops working at once; the record stays,
        marked C(revoked)).
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Reports what would change; no token is created (RV(token) is null) and none is revoked.
    support: full
  diff_mode:
    description: Returns the token's record before and after the change, never its value.
    support: full
seealso:
  - module: fleet.inventory.user
  - module: fleet.inventory.role
"""

EXAMPLES = r"""
- name: A write token for the CI system
  fleet.inventory.token:
    user: ci
    description: GitLab CI, project ops/inventories
  register: ci_token
  no_log: true

- name: Keep the value (it is shown only once)
  ansible.builtin.copy:
    content: "{{ ci_token.token }}"
    dest: /etc/ci/fleet-inventory.token
    mode: "0600"
  no_log: true

- name: A read-only token that expires
  fleet.inventory.token:
    user: dashboard
    scope: read
    expires: "2027-01-01T00:00:00+00:00"
  register: dashboard_token

- name: Revoke a token
  fleet.inventory.token:
    id: "{{ ci_token.id }}"
    state: absent
"""

RETURN = r"""
token:
  description:
    - The new token's value, shown this once (only its hash is stored). Null in check mode, with O(state=absent),
      and when nothing was created.
  returned: always
  type: str
  sample: fli_Jm3vQ0pX8v2eQ4yT6bY1nU9cK5hW7sD3fG2aL0zR8xE
id:
  description: The token's id (the one to give O(id) to revoke it); null when there is none.
  returned: always
  type: int
  sample: 3
record:
  description:
    - The token's stored record after the task (in check mode, as it would be), without its value or hash; for
      O(state=absent) the revoked token, or null when there was none.
  returned: always
  type: dict
  sample:
    id: 3
    user_id: 1
    user: ci
    scope: write
    description: GitLab CI, project ops/inventories
    created: '2026-12-01T23:30:00.000000+00:00'
    last_used: null
    expires: null
    revoked: false
"""

from ansible_collections.fleet.inventory.plugins.module_utils.module import FleetModule, argument_spec

try:
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
except ImportError:  # pragma: no cover - reported by FleetModule
    access = None

FIELDS = ("id", "user", "scope", "description", "expires", "revoked")


def _view(record):
    return {k: record[k] for k in FIELDS if k in record} if record else {}


def main(task_class=FleetModule):
    """Run the module; the collection's action plugin passes its in-process task class (plugin_utils/store_action.py)."""
    module = task_class(argument_spec(
        user=dict(type="str"),
        scope=dict(type="str", choices=["read", "write"], default="write"),
        description=dict(type="str", default=""),
        expires=dict(type="str"),
        id=dict(type="int"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    ), required_if=[("state", "present", ("user",)), ("state", "absent", ("id",))])
    p = module.params
    if p["state"] == "present" and p["id"] is not None:
        module.fail_json(msg="id names a token to revoke (state=absent); a new token gets its id when it is created")
    store = module.store

    if p["state"] == "absent":
        def revoke():
            with store.transaction(dry_run=module.check_mode):
                before = access.get_token(store, p["id"])
                if before is not None and p["user"] and before["user"] != p["user"]:
                    module.fail_json(msg="token %d belongs to user '%s', not '%s'" % (p["id"], before["user"], p["user"]))
                changed = access.revoke_token(store, p["id"])
                return before, access.get_token(store, p["id"]), changed

        before, after, changed = module.guard(revoke)
        result = dict(changed=changed, token=None, id=before["id"] if before else None, record=after)
        if module._diff:
            result["diff"] = dict(before=_view(before), after=_view(after))
        module.exit_json(**result)

    def create():
        with store.transaction(dry_run=module.check_mode):
            return access.create_token(store, p["user"], scope=p["scope"], description=p["description"], expires=p["expires"])

    made = module.guard(create)
    value = made.pop("token")
    if module.check_mode:
        value = None
        made["id"] = None  # not created: no id yet
    result = dict(changed=True, token=value, id=made["id"], record=made)
    if module._diff:
        result["diff"] = dict(before={}, after=_view(made))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
