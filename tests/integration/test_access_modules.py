"""fleet.inventory.user, .token and .role driven by ansible-playbook: check mode, diff, idempotency, a token shown once."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import scaffolding

from ansible_collections.fleet.inventory.plugins.module_utils.rules import access
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store


def task(title, module, /, **args):
    return {"name": title, module: args}


def play(*tasks):
    return [{"hosts": "localhost", "gather_facts": False, "tasks": list(tasks)}]


def rows(ansible_env, sql):
    return scaffolding.rows(ansible_env["FLEET_INVENTORY_STORE"], sql)


def test_user_check_mode_diff_idempotency_and_delete(run_playbook, ansible_env):
    create = task("user", "fleet.inventory.user", username="ci")
    checked = run_playbook(play(create), check=True, diff=True).task("user")
    assert checked["changed"] and checked["id"] is None
    assert checked["diff"] == {"before": {}, "after": {"username": "ci", "is_superuser": False}}
    assert rows(ansible_env, "SELECT * FROM users") == []

    made = run_playbook(play(create), diff=True).task("user")
    assert made["changed"] and made["user"]["username"] == "ci" and made["id"] == made["user"]["id"]
    again = run_playbook(play(create)).task("user")
    assert not again["changed"] and again["id"] == made["id"]

    promote = task("user", "fleet.inventory.user", username="ci", is_superuser=True)
    checked = run_playbook(play(promote), check=True, diff=True).task("user")
    assert checked["changed"] and checked["diff"]["after"]["is_superuser"] is True and checked["id"] == made["id"]
    assert rows(ansible_env, "SELECT is_superuser FROM users") in ([(0,)], [(False,)])
    assert run_playbook(play(promote)).task("user")["changed"]
    assert not run_playbook(play(promote)).task("user")["changed"]
    assert not run_playbook(play(create)).task("user")["changed"]  # not given: kept

    drop = task("user", "fleet.inventory.user", username="ci", state="absent")
    checked = run_playbook(play(drop), check=True, diff=True).task("user")
    assert checked["changed"] and checked["diff"]["after"] == {} and len(rows(ansible_env, "SELECT * FROM users")) == 1
    gone = run_playbook(play(drop)).task("user")
    assert gone["changed"] and gone["user"]["username"] == "ci"
    assert not run_playbook(play(drop)).task("user")["changed"]


def test_token_shown_once_never_in_diff_or_store_and_revoked(run_playbook, ansible_env):
    run_playbook(play(task("user", "fleet.inventory.user", username="ci")))
    create = task("token", "fleet.inventory.token", user="ci", scope="read", description="dashboard")

    checked = run_playbook(play(create), check=True, diff=True).task("token")
    assert checked["changed"] and checked["token"] is None and checked["id"] is None
    assert checked["diff"]["after"]["scope"] == "read" and "token" not in checked["diff"]["after"]
    assert rows(ansible_env, "SELECT * FROM tokens") == []

    ran = run_playbook(play(create), diff=True)
    out = ran.task("token")
    value = out["token"]
    assert out["changed"] and value.startswith(access.TOKEN_PREFIX)
    assert out["record"]["user"] == "ci" and out["record"]["scope"] == "read" and not out["record"]["revoked"]
    assert value not in json.dumps(out["diff"]) and value not in json.dumps(out["record"])
    assert ran.stdout.count(value) == 1  # the result's token key, nowhere else
    assert value not in ran.stderr
    store_rows = rows(ansible_env, "SELECT * FROM tokens")
    assert len(store_rows) == 1 and value not in repr(store_rows)
    assert value not in "\n".join(scaffolding.dump(ansible_env["FLEET_INVENTORY_STORE"]))

    with Store(ansible_env["FLEET_INVENTORY_STORE"]) as store:
        principal = access.authenticate(store, value)
        assert principal.username == "ci" and principal.scope == "read"

    # each present run makes another token (AWX's rule: a token's value cannot be looked up)
    second = run_playbook(play(create)).task("token")
    assert second["changed"] and second["token"] != value and second["id"] != out["id"]

    revoke = task("token", "fleet.inventory.token", id=out["id"], state="absent")
    checked = run_playbook(play(revoke), check=True, diff=True).task("token")
    assert checked["changed"] and checked["diff"]["before"]["revoked"] is False and checked["diff"]["after"]["revoked"] is True
    with Store(ansible_env["FLEET_INVENTORY_STORE"]) as store:
        assert access.authenticate(store, value) is not None
    revoked = run_playbook(play(revoke), diff=True).task("token")
    assert revoked["changed"] and revoked["record"]["revoked"] is True and revoked["token"] is None
    assert not run_playbook(play(revoke)).task("token")["changed"]
    with Store(ansible_env["FLEET_INVENTORY_STORE"]) as store:
        assert access.authenticate(store, value) is None
        assert access.authenticate(store, second["token"]) is not None


def test_token_no_log_hides_the_result_but_register_keeps_it(run_playbook, ansible_env, tmp_path):
    out_file = tmp_path / "token.txt"
    ran = run_playbook(play(
        task("user", "fleet.inventory.user", username="ci"),
        dict(task("token", "fleet.inventory.token", user="ci"), register="made", no_log=True),
        {"name": "keep", "ansible.builtin.copy": {"content": "{{ made.token }}", "dest": str(out_file), "mode": "0600"},
         "no_log": True},
    ))
    value = out_file.read_text()
    assert value.startswith(access.TOKEN_PREFIX)
    assert value not in ran.stdout and value not in ran.stderr
    with Store(ansible_env["FLEET_INVENTORY_STORE"]) as store:
        assert access.authenticate(store, value).username == "ci"


def test_token_failures(run_playbook, ansible_env):
    res = run_playbook(play(task("token", "fleet.inventory.token", user="ghost")), expect_rc=2).task("token")
    assert res["failed"] and "user 'ghost' does not exist" in res["msg"]
    res = run_playbook(play(task("token", "fleet.inventory.token", state="absent")), expect_rc=2).task("token")
    assert res["failed"] and "id" in res["msg"]
    run_playbook(play(task("user", "fleet.inventory.user", username="a"), task("user", "fleet.inventory.user", username="b")))
    made = run_playbook(play(task("token", "fleet.inventory.token", user="a"))).task("token")
    res = run_playbook(play(task("token", "fleet.inventory.token", user="b", id=made["id"], state="absent")),
                       expect_rc=2).task("token")
    assert res["failed"] and "belongs to user 'a', not 'b'" in res["msg"] and made["token"] not in json.dumps(res)


def test_role_grant_revoke_check_mode_diff_and_unknown_names(run_playbook, ansible_env, tmp_path):
    ansible_env.setdefault("FLEET_INVENTORY_PROJECTS_ROOT", str(tmp_path / "projects"))
    run_playbook(play(
        task("user", "fleet.inventory.user", username="ci"),
        task("inv", "fleet.inventory.inventory", name="prod"),
        task("inv2", "fleet.inventory.inventory", name="staging"),
        task("proj", "fleet.inventory.project", name="inventories", scm_url="https://127.0.0.1:9/ops/inv.git", update=False),
    ))
    grant = task("role", "fleet.inventory.role", user="ci", role="update", inventories=["prod", "staging"],
                 projects=["inventories"])
    checked = run_playbook(play(grant), check=True, diff=True).task("role")
    assert checked["changed"]
    assert checked["diff"]["before"] == {"inventories": {"prod": [], "staging": []}, "projects": {"inventories": []}}
    assert checked["diff"]["after"] == {"inventories": {"prod": ["update"], "staging": ["update"]},
                                        "projects": {"inventories": ["update"]}}
    assert rows(ansible_env, "SELECT * FROM roles") == []

    granted = run_playbook(play(grant), diff=True).task("role")
    assert granted["changed"] and sorted((r["object_kind"], r["object_name"], r["role"]) for r in granted["roles"]) == [
        ("inventory", "prod", "update"), ("inventory", "staging", "update"), ("project", "inventories", "update")]
    assert not run_playbook(play(grant)).task("role")["changed"]

    # an unknown name anywhere: a clear failure, and nothing of the task is written
    for bad, message in ((dict(inventories=["prod", "nope"]), "inventory 'nope' does not exist"),
                         (dict(projects=["nope"]), "project 'nope' does not exist"),
                         (dict(user="ghost", inventories=["prod"]), "user 'ghost' does not exist")):
        args = {"user": "ci", "role": "read", **bad}
        res = run_playbook(play(task("role", "fleet.inventory.role", **args)), expect_rc=2).task("role")
        assert res["failed"] and message in res["msg"], res
    assert len(rows(ansible_env, "SELECT * FROM roles")) == 3

    revoke = task("role", "fleet.inventory.role", user="ci", role="update", inventories=["staging"], state="absent")
    checked = run_playbook(play(revoke), check=True, diff=True).task("role")
    assert checked["changed"] and checked["diff"]["after"] == {"inventories": {"staging": []}}
    assert run_playbook(play(revoke)).task("role")["changed"]
    assert not run_playbook(play(revoke)).task("role")["changed"]
    assert len(rows(ansible_env, "SELECT * FROM roles")) == 2

    with Store(ansible_env["FLEET_INVENTORY_STORE"]) as store:
        principal = access.principal_of(store, "ci")
        prod = store.get_inventory("prod")["id"]
        assert access.has_role(store, principal, "read", "inventory", prod)
        assert not access.has_role(store, principal, "admin", "inventory", prod)
        assert access.readable_ids(store, principal, "inventory") == {prod}

    # deleting the user takes its roles
    run_playbook(play(task("user", "fleet.inventory.user", username="ci", state="absent")))
    assert rows(ansible_env, "SELECT * FROM roles") == []


def test_role_needs_inventories_or_projects(run_playbook):
    res = run_playbook(play(task("role", "fleet.inventory.role", user="ci", role="read")), expect_rc=2).task("role")
    assert res["failed"] and "inventories" in res["msg"] and "projects" in res["msg"]


@pytest.mark.sqlite_only
def test_project_credential_through_the_module_is_encrypted_with_a_key_file_beside_the_store(run_playbook, ansible_env, tmp_path):
    secret = "pl4y-b00k-s3cret"
    ansible_env.pop("FLEET_INVENTORY_SECRET_KEY", None)
    ansible_env.pop("FLEET_INVENTORY_KEY_FILE", None)
    ran = run_playbook(play(task("proj", "fleet.inventory.project", name="p", scm_url="https://127.0.0.1:9/ops/inv.git",
                                 scm_username="deploy", scm_password=secret, update=False)), diff=True)
    assert ran.task("proj")["project"]["credential"] == {"username": "deploy", "password": "$encrypted$"}
    assert secret not in ran.stdout
    store = Path(ansible_env["FLEET_INVENTORY_STORE"])
    key = Path(str(store) + ".key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(store.stat().st_mode) == 0o600
    for path in store.parent.iterdir():
        if path.name.startswith(store.name) and path.is_file():
            assert secret.encode() not in path.read_bytes(), path
