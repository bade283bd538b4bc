"""Engine tests of rules/access.py: users, tokens (stored as hashes), AWX's roles and their implications."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, PermissionDenied, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.rules import access as A
from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

import scaffolding


@pytest.fixture
def db(tmp_path, monkeypatch, store_target):
    monkeypatch.setenv(P.ENV_PROJECTS_ROOT, str(tmp_path / "projects"))
    s = Store(store_target)
    with s.transaction():
        s.save_inventory("east")
        s.save_inventory("west")
    P.save_project(s, "proj", scm_url="https://git.example.com/ops/inv.git")
    P.save_project(s, "other", scm_url="https://git.example.com/ops/other.git")
    yield s
    s.close()


def ids(db, kind, *names):
    return {A.require_object(db, kind, n)["id"] for n in names}


# -- tokens ----------------------------------------------------------------------------------


def test_token_authenticates_and_only_its_hash_is_stored(db):
    A.create_user(db, "alice")
    made = A.create_token(db, "alice", scope="read", description="ci")
    value = made["token"]
    assert value.startswith(A.TOKEN_PREFIX) and len(value) >= 40
    assert made["user"] == "alice" and made["scope"] == "read" and made["description"] == "ci" and not made["revoked"]
    principal = A.authenticate(db, value)
    assert principal == A.Principal(user_id=made["user_id"], username="alice", is_superuser=False, scope="read",
                                    token_id=made["id"])
    assert not principal.can_write
    assert A.get_token(db, made["id"])["last_used"] is not None
    assert "token" not in A.get_token(db, made["id"]) and "token_hash" not in A.get_token(db, made["id"])
    dumped = "\n".join(scaffolding.dump(db))
    assert value not in dumped and value[len(A.TOKEN_PREFIX):] not in dumped
    assert A.hash_token(value) in dumped
    # two tokens never share a value
    assert A.create_token(db, "alice")["token"] != value


@pytest.mark.parametrize("value", [None, "", "fli_nope", "x" * 600, 42, A.TOKEN_PREFIX])
def test_unknown_or_malformed_tokens_authenticate_to_none(db, value):
    A.create_user(db, "alice")
    A.create_token(db, "alice")
    assert A.authenticate(db, value) is None


def test_revoked_token_and_deleted_user_stop_working(db):
    A.create_user(db, "alice")
    first, second = A.create_token(db, "alice"), A.create_token(db, "alice", scope="write")
    assert A.revoke_token(db, first["id"]) is True
    assert A.revoke_token(db, first["id"]) is False  # already revoked
    assert A.revoke_token(db, 999999) is False
    assert A.authenticate(db, first["token"]) is None
    assert A.get_token(db, first["id"])["revoked"] is True
    assert A.authenticate(db, second["token"]).can_write
    A.grant(db, "alice", "read", "inventory", "east")
    assert A.delete_user(db, "alice")["username"] == "alice"
    assert A.authenticate(db, second["token"]) is None
    assert A.get_token(db, second["id"]) is None  # cascaded
    assert scaffolding.rows(db.connect_target, "SELECT COUNT(*) FROM roles") == [(0,)]
    # a new user of the same name gets nothing of the old one
    A.create_user(db, "alice")
    assert A.authenticate(db, second["token"]) is None
    assert A.roles_of(db, "alice") == []


def test_expired_token(db):
    A.create_user(db, "alice")
    past = A.create_token(db, "alice", expires=datetime.now(timezone.utc) - timedelta(seconds=1))
    future = A.create_token(db, "alice", expires=(datetime.now(timezone.utc) + timedelta(hours=1)).isoformat())
    assert A.authenticate(db, past["token"]) is None
    assert A.authenticate(db, future["token"]) is not None
    with pytest.raises(ValidationError, match="expires must be an ISO-8601 time"):
        A.create_token(db, "alice", expires="tomorrow")


def test_last_used_is_written_at_most_once_a_minute(db):
    A.create_user(db, "alice")
    made = A.create_token(db, "alice")
    A.authenticate(db, made["token"])
    first = A.get_token(db, made["id"])["last_used"]
    A.authenticate(db, made["token"])
    assert A.get_token(db, made["id"])["last_used"] == first
    assert A.authenticate(db, made["token"], touch=False) is not None


def test_token_errors(db):
    with pytest.raises(NotFound, match="user 'nobody' does not exist"):
        A.create_token(db, "nobody")
    A.create_user(db, "alice")
    with pytest.raises(ValidationError, match="scope must be one of read, write"):
        A.create_token(db, "alice", scope="admin")


# -- users -------------------------------------------------------------------------------------


def test_users_create_save_delete(db):
    made = A.create_user(db, "bob", is_superuser=True)
    assert made["is_superuser"] is True and made["created"] == made["modified"]
    with pytest.raises(ValidationError, match="exists already"):
        A.create_user(db, "bob")
    before, after = A.save_user(db, "bob")
    assert before == after  # None keeps is_superuser
    before, after = A.save_user(db, "bob", is_superuser=False)
    assert before["is_superuser"] and not after["is_superuser"]
    assert A.save_user(db, "carol")[0] is None
    assert [u["username"] for u in A.list_users(db)] == ["bob", "carol"]
    assert A.delete_user(db, "carol")["username"] == "carol"
    assert A.delete_user(db, "carol") is None
    for bad in ("", " x", "a b", "x" * 151, "tab\there"):
        with pytest.raises(ValidationError):
            A.create_user(db, bad)


# -- roles -------------------------------------------------------------------------------------

#: what each role held directly on an object gives on that object (AWX's implications)
IMPLIED = {
    "admin": {"admin", "update", "use", "read"},
    "update": {"update", "read"},
    "use": {"use", "read"},
    "read": {"read"},
}


@pytest.mark.parametrize("kind", A.KINDS)
@pytest.mark.parametrize("held", A.ROLES)
def test_role_implication_matrix(db, kind, held):
    A.create_user(db, "u")
    name = "east" if kind == "inventory" else "proj"
    other = "west" if kind == "inventory" else "other"
    assert A.grant(db, "u", held, kind, name) is True
    assert A.grant(db, "u", held, kind, name) is False  # held already
    principal = A.principal_of(db, "u")
    obj, other_id = A.require_object(db, kind, name)["id"], A.require_object(db, kind, other)["id"]
    for asked in A.ROLES:
        assert A.has_role(db, principal, asked, kind, obj) is (asked in IMPLIED[held]), (held, asked)
        assert A.has_role(db, principal, asked, kind, other_id) is False
    other_kind = "project" if kind == "inventory" else "inventory"
    assert all(not A.has_role(db, principal, r, other_kind, i) for r in A.ROLES for i in range(1, 4))
    assert A.readable_ids(db, principal, kind) == {obj}
    assert A.readable_ids(db, principal, other_kind) == set()


def test_superuser_has_every_role_and_reads_everything(db):
    A.create_user(db, "root", is_superuser=True)
    principal = A.principal_of(db, "root")
    for role, kind in itertools.product(A.ROLES, A.KINDS):
        assert A.has_role(db, principal, role, kind, 1)
    assert A.readable_ids(db, principal, "inventory") is None and A.readable_ids(db, principal, "project") is None


def test_no_principal_has_nothing(db):
    assert A.has_role(db, None, "read", "inventory", 1) is False
    assert A.readable_ids(db, None, "inventory") == set()


def test_readable_ids_unions_every_role(db):
    A.create_user(db, "u")
    A.grant(db, "u", "use", "inventory", "east")
    A.grant(db, "u", "update", "inventory", "west")
    A.grant(db, "u", "read", "inventory", "west")
    A.grant(db, "u", "admin", "project", "other")
    principal = A.principal_of(db, "u")
    assert A.readable_ids(db, principal, "inventory") == ids(db, "inventory", "east", "west")
    assert A.readable_ids(db, principal, "project") == ids(db, "project", "other")
    assert [(r["role"], r["object_kind"], r["object_name"]) for r in A.roles_of(db, "u", "inventory")] == [
        ("use", "inventory", "east"), ("read", "inventory", "west"), ("update", "inventory", "west")]
    assert A.revoke(db, "u", "update", "inventory", "west") is True
    assert A.revoke(db, "u", "update", "inventory", "west") is False
    assert A.revoke(db, "u", "read", "inventory", "east") is False  # implied by use, not held
    assert A.readable_ids(db, principal, "inventory") == ids(db, "inventory", "east", "west")


def test_roles_go_with_their_object(db):
    A.create_user(db, "u")
    A.grant(db, "u", "admin", "inventory", "west")
    A.grant(db, "u", "read", "project", "other")
    with db.transaction():
        db.delete_inventory("west")
    P.delete_project(db, "other")
    assert A.roles_of(db, "u") == []


def test_grant_errors_name_what_is_missing(db):
    A.create_user(db, "u")
    with pytest.raises(NotFound, match="inventory 'nope' does not exist"):
        A.grant(db, "u", "read", "inventory", "nope")
    with pytest.raises(NotFound, match="project 'nope' does not exist"):
        A.grant(db, "u", "read", "project", "nope")
    with pytest.raises(NotFound, match="user 'ghost' does not exist"):
        A.grant(db, "ghost", "read", "project", "proj")
    with pytest.raises(ValidationError, match="role must be one of admin, update, use, read"):
        A.grant(db, "u", "write", "project", "proj")
    with pytest.raises(ValidationError, match="kind must be one of inventory, project"):
        A.has_role(db, A.principal_of(db, "u"), "read", "host", 1)


def test_require_raises_permission_denied_naming_the_object(db):
    A.create_user(db, "u")
    A.grant(db, "u", "read", "inventory", "east")
    principal = A.principal_of(db, "u")
    east = A.require_object(db, "inventory", "east")["id"]
    A.require(db, principal, "read", "inventory", east)
    with pytest.raises(PermissionDenied, match="user 'u' does not have the update role on inventory 'east'"):
        A.require(db, principal, "update", "inventory", east)


# -- can_update_source ---------------------------------------------------------------------------


def _sources(db):
    S.save_source(db, "east", "manual-ish", source="")
    S.save_source(db, "east", "from-git", source="scm", source_project="proj", source_path="hosts")
    inv = db.require_inventory("east")
    return {s["name"]: s for s in db.query("SELECT * FROM inventory_sources WHERE inventory_id = ?", (inv["id"],))}


@pytest.mark.parametrize("inventory_role, project_role, file_ok, scm_ok", [
    (None, None, False, False),
    ("read", "admin", False, False),
    ("use", "update", False, False),
    ("update", None, True, False),
    ("update", "read", True, False),
    ("update", "use", True, False),
    ("update", "update", True, True),
    ("admin", "admin", True, True),
])
def test_can_update_source(db, inventory_role, project_role, file_ok, scm_ok):
    sources = _sources(db)
    A.create_user(db, "u")
    if inventory_role:
        A.grant(db, "u", inventory_role, "inventory", "east")
    if project_role:
        A.grant(db, "u", project_role, "project", "proj")
    principal = A.principal_of(db, "u")
    assert A.can_update_source(db, principal, sources["manual-ish"]) is file_ok
    assert A.can_update_source(db, principal, sources["from-git"]) is scm_ok
    assert A.can_update_source(db, principal, sources["from-git"]["id"]) is scm_ok  # by id
    with pytest.raises(NotFound):
        A.can_update_source(db, principal, 999999)


def test_superuser_updates_any_source(db):
    sources = _sources(db)
    A.create_user(db, "root", is_superuser=True)
    assert all(A.can_update_source(db, A.principal_of(db, "root"), s) for s in sources.values())
