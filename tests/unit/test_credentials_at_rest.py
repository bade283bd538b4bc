"""Project credentials encrypted at rest (store/projects.py, runtime/secrets.py), and the modes of the files that hold secrets."""

from __future__ import annotations

import json
import os
import stat

import pytest
from cryptography.fernet import Fernet

from ansible_collections.fleet.inventory.plugins.module_utils.errors import SecretKeyError
from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.runtime import secrets
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

import scaffolding

PASSWORD = "Sup3r-s3cret-t0ken"
URL = "https://git.example.com/ops/inv.git"


@pytest.fixture
def keyless(monkeypatch, tmp_path):
    """No key in the environment (the test sets what it needs)."""
    monkeypatch.delenv(secrets.ENV_SECRET_KEY, raising=False)
    monkeypatch.delenv(secrets.ENV_KEY_FILE, raising=False)
    monkeypatch.setenv(P.ENV_PROJECTS_ROOT, str(tmp_path / "projects"))


def stored_credential(target):
    return json.loads(scaffolding.rows(target, "SELECT credential FROM projects WHERE name = 'p'")[0][0])


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def save(store, **kw):
    return P.save_project(store, "p", scm_url=URL, username="deploy", password=PASSWORD, **kw)


def test_round_trip_with_a_key_in_the_environment(keyless, monkeypatch, store_target):
    monkeypatch.setenv(secrets.ENV_SECRET_KEY, Fernet.generate_key().decode())
    with Store(store_target) as store:
        after = save(store)[1]
        assert after["credential"] == {"username": "deploy", "password": PASSWORD}
        assert P.get_project(store, "p")["credential"]["password"] == PASSWORD
        assert P.public_project(after)["credential"]["password"] == "$encrypted$"
        # unchanged credential: no change reported, though the ciphertext is new each time it is written
        assert save(store)[2] is False
    assert list(stored_credential(store_target)) == ["fernet"]
    dumped = "\n".join(scaffolding.dump(store_target))
    assert PASSWORD not in dumped and "deploy" not in dumped


def test_key_rotation_decrypts_with_any_key_and_encrypts_with_the_first(keyless, monkeypatch, store_target):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv(secrets.ENV_SECRET_KEY, old)
    with Store(store_target) as store:
        save(store)
    monkeypatch.setenv(secrets.ENV_SECRET_KEY, "%s, %s" % (new, old))
    with Store(store_target) as store:
        assert P.get_project(store, "p")["credential"]["password"] == PASSWORD
        P.save_project(store, "p", password=PASSWORD + "2")
    monkeypatch.setenv(secrets.ENV_SECRET_KEY, new)
    with Store(store_target) as store:
        assert P.get_project(store, "p")["credential"]["password"] == PASSWORD + "2"


def test_wrong_key_is_a_clear_error_naming_the_project(keyless, monkeypatch, store_target):
    monkeypatch.setenv(secrets.ENV_SECRET_KEY, Fernet.generate_key().decode())
    with Store(store_target) as store:
        save(store)
    monkeypatch.setenv(secrets.ENV_SECRET_KEY, Fernet.generate_key().decode())
    with Store(store_target) as store:
        with pytest.raises(SecretKeyError, match="cannot decrypt the credential of project 'p' with the key of the "
                                                 "environment variable FLEET_INVENTORY_SECRET_KEY: it was encrypted with another key"):
            P.get_project(store, "p")
    monkeypatch.setenv(secrets.ENV_SECRET_KEY, "not-a-key")
    with Store(store_target) as store:
        with pytest.raises(SecretKeyError, match="does not hold a valid Fernet key"):
            P.get_project(store, "p")


def test_missing_key_is_a_clear_error_naming_the_project(keyless, monkeypatch, store_target, tmp_path):
    key_file = tmp_path / "service.key"
    key_file.write_text(Fernet.generate_key().decode() + "\n")
    monkeypatch.setenv(secrets.ENV_KEY_FILE, str(key_file))
    with Store(store_target) as store:
        save(store)
        P.save_project(store, "plain", scm_url=URL)  # no credential: needs no key
    key_file.unlink()
    with Store(store_target) as store:
        with pytest.raises(SecretKeyError, match="the credential of project 'p' in store .* is encrypted and its key is not"
                                                 " available; set FLEET_INVENTORY_SECRET_KEY"):
            P.get_project(store, "p")
        assert P.get_project(store, "plain")["credential"] == {}


@pytest.mark.postgresql_only
def test_postgresql_without_a_key_refuses_to_store_a_credential(keyless, store_target):
    with Store(store_target) as store:
        with pytest.raises(SecretKeyError, match="project 'p': store .* keeps project credentials encrypted with a key that"
                                                 " lives outside the store, and none is configured; set"
                                                 " FLEET_INVENTORY_SECRET_KEY .* every machine that uses the store needs"
                                                 " the same key"):
            save(store)
        assert P.get_project(store, "p") is None  # nothing half-written
        assert P.save_project(store, "plain", scm_url=URL)[1]["credential"] == {}


@pytest.mark.postgresql_only
def test_postgresql_never_makes_up_a_configured_key_file(keyless, monkeypatch, store_target, tmp_path):
    monkeypatch.setenv(secrets.ENV_KEY_FILE, str(tmp_path / "missing.key"))
    with Store(store_target) as store:
        with pytest.raises(SecretKeyError, match="none is configured"):
            save(store)
    assert not (tmp_path / "missing.key").exists()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277])
def test_sqlite_store_and_its_key_file_are_owner_only_whatever_the_umask(keyless, tmp_path, umask):
    path = tmp_path / "store.db"
    old = os.umask(umask)
    try:
        with Store(str(path)) as store:
            assert not os.path.exists(str(path) + ".key")  # made when a secret is first written, not before
            save(store)
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    assert mode(str(path) + ".key") == 0o600
    for suffix in ("-wal", "-shm"):
        if os.path.exists(str(path) + suffix):
            assert mode(str(path) + suffix) & 0o077 == 0
    with Store(str(path)) as store:
        assert P.get_project(store, "p")["credential"]["password"] == PASSWORD


@pytest.mark.sqlite_only
def test_the_clear_text_is_nowhere_in_the_sqlite_files(keyless, tmp_path):
    path = tmp_path / "store.db"
    with Store(str(path)) as store:
        save(store)
        P.save_project(store, "p", password=PASSWORD + "-rotated")
    # the WAL and the main file, before and after a checkpoint: the bytes, not a dump
    blobs = [p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("store.db") and p.is_file()]
    with Store(str(path)) as store:
        store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    blobs += [p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("store.db") and p.is_file()]
    assert blobs
    for blob in blobs:
        assert PASSWORD.encode() not in blob
        assert b'"deploy"' not in blob


@pytest.mark.sqlite_only
def test_configured_key_file_is_created_for_a_sqlite_store(keyless, monkeypatch, tmp_path):
    key_file = tmp_path / "conf" / "fleet.key"
    key_file.parent.mkdir()
    monkeypatch.setenv(secrets.ENV_KEY_FILE, str(key_file))
    with Store(str(tmp_path / "store.db")) as store:
        save(store)
    assert mode(key_file) == 0o600 and not (tmp_path / "store.db.key").exists()
    assert list(stored_credential(str(tmp_path / "store.db"))) == ["fernet"]


def _clear_text_credential(target):
    """Write a credential as the collection did before it encrypted them (a store of an older version)."""
    with Store(target) as store:
        P.save_project(store, "p", scm_url=URL)
        with store.transaction():
            store.execute("UPDATE projects SET credential = ? WHERE name = 'p'",
                          (json.dumps({"username": "deploy", "password": PASSWORD}),))


@pytest.mark.sqlite_only
def test_clear_text_credentials_of_an_older_store_are_encrypted_at_open(keyless, tmp_path):
    target = str(tmp_path / "store.db")
    _clear_text_credential(target)  # the UPDATE after the open: still clear until the next open
    assert stored_credential(target)["password"] == PASSWORD
    with Store(target) as store:
        assert list(stored_credential(target)) == ["fernet"]
        assert P.get_project(store, "p")["credential"] == {"username": "deploy", "password": PASSWORD}


@pytest.mark.postgresql_only
def test_clear_text_credentials_on_postgresql_wait_for_a_key(keyless, monkeypatch, store_target):
    _clear_text_credential(store_target)
    with Store(store_target) as store:  # no key: the open works, the credential stays as it was
        assert P.get_project(store, "p")["credential"]["password"] == PASSWORD
    assert stored_credential(store_target)["password"] == PASSWORD
    monkeypatch.setenv(secrets.ENV_SECRET_KEY, Fernet.generate_key().decode())
    with Store(store_target) as store:
        assert list(stored_credential(store_target)) == ["fernet"]
        assert P.get_project(store, "p")["credential"]["password"] == PASSWORD


def test_two_processes_creating_the_key_file_agree(keyless, tmp_path):
    path = str(tmp_path / "k.key")
    secrets.create_key_file(path)
    first = open(path).read()
    secrets.create_key_file(path)  # a second maker keeps the first one's key
    assert open(path).read() == first
    assert [p.name for p in tmp_path.iterdir()] == ["k.key"]  # no temp file left behind
