"""Engine-level tests of plugins/module_utils/store/core.py (no ansible process involved)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.store import schema
from ansible_collections.fleet.inventory.plugins.module_utils.store import core as store_mod
from ansible_collections.fleet.inventory.plugins.module_utils.errors import NotFound, StoreError, ValidationError
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from backends import BACKEND


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No store configured anywhere: empty cwd, HOME without ansible.cfg, no env vars."""
    for var in ("FLEET_INVENTORY_STORE", "ANSIBLE_CONFIG", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    if store_mod.os.path.isfile("/etc/ansible/ansible.cfg"):
        pytest.skip("/etc/ansible/ansible.cfg exists on this machine")
    return tmp_path


@pytest.fixture
def db(store_target):
    s = Store(store_target)
    yield s
    s.close()


# --------------------------------------------------------------------------- where the store lives


def test_resolution_order(clean_env, monkeypatch):
    tmp = clean_env
    # nothing configured: the default under the user's data directory
    assert store_mod.resolve_store() == str(tmp / "home" / ".local" / "share" / "fleet.inventory" / "store.db")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp / "xdg"))
    assert store_mod.resolve_store() == str(tmp / "xdg" / "fleet.inventory" / "store.db")

    # ansible.cfg beats the default; a relative path is relative to the ansible.cfg
    cfg_dir = tmp / "cfg"
    cfg_dir.mkdir()
    (cfg_dir / "ansible.cfg").write_text("[defaults]\nforks = 5\n\n[fleet_inventory]\nstore = data/from-cfg.db\n")
    monkeypatch.setenv("ANSIBLE_CONFIG", str(cfg_dir / "ansible.cfg"))
    assert store_mod.resolve_store() == str(cfg_dir / "data" / "from-cfg.db")

    # the environment variable beats ansible.cfg
    monkeypatch.setenv("FLEET_INVENTORY_STORE", str(tmp / "from-env.db"))
    assert store_mod.resolve_store() == str(tmp / "from-env.db")

    # the argument beats everything
    assert store_mod.resolve_store(str(tmp / "from-arg.db")) == str(tmp / "from-arg.db")
    # an empty argument is "not given"
    assert store_mod.resolve_store("") == str(tmp / "from-env.db")


def test_ansible_cfg_in_cwd_and_home(clean_env, monkeypatch):
    tmp = clean_env
    (tmp / "home" / ".ansible.cfg").write_text("[fleet_inventory]\nstore = /srv/home.db\n")
    assert store_mod.resolve_store() == "/srv/home.db"
    # ./ansible.cfg comes before ~/.ansible.cfg, as in ansible-core
    (tmp / "cwd" / "ansible.cfg").write_text("[fleet_inventory]\nstore = /srv/cwd.db\n")
    assert store_mod.resolve_store() == "/srv/cwd.db"
    # the first ansible.cfg found wins even without the section: the default applies then
    (tmp / "cwd" / "ansible.cfg").write_text("[defaults]\n")
    assert store_mod.resolve_store().endswith("/.local/share/fleet.inventory/store.db")


def test_open_uses_resolution(clean_env, monkeypatch):
    monkeypatch.setenv("FLEET_INVENTORY_STORE", str(clean_env / "env" / "deep" / "s.db"))
    with Store.open() as s:
        assert s.target == str(clean_env / "env" / "deep" / "s.db")
    assert (clean_env / "env" / "deep" / "s.db").is_file()


# --------------------------------------------------------------------------- schema


@pytest.mark.sqlite_only
def test_schema_created_and_versioned(tmp_path):
    path = tmp_path / "new" / "store.db"
    with Store(str(path)) as s:
        assert s.schema_version == schema.SCHEMA_VERSION
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"schema_version", "inventories", "hosts", "groups", "group_hosts", "group_children", "fact_keys",
            "host_facts"} <= tables
    assert conn.execute("SELECT journal_mode FROM pragma_journal_mode").fetchone()[0] == "wal"
    conn.close()
    # opening again does not migrate again
    with Store(str(path)) as s:
        assert s.schema_version == schema.SCHEMA_VERSION
    conn = sqlite3.connect(path)
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")]
    conn.close()
    assert versions == list(range(1, schema.SCHEMA_VERSION + 1))


@pytest.mark.sqlite_only
def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "store.db"
    Store(str(path)).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (schema.SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"schema version %d, newer than this collection knows \(%d\)"
                       % (schema.SCHEMA_VERSION + 1, schema.SCHEMA_VERSION)):
        Store(str(path))


@pytest.mark.sqlite_only
def test_not_a_database(tmp_path):
    path = tmp_path / "notes.txt"
    text = "this is a text file, not a database\n" * 20
    path.write_text(text)
    with pytest.raises(StoreError, match="not a .*SQLite database"):
        Store(str(path))
    assert path.read_text() == text


@pytest.mark.sqlite_only
def test_unwritable_location(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the directory"):
        Store(str(blocker / "store.db"))
    assert blocker.read_text() == "x"


@pytest.mark.sqlite_only
def test_directory_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a directory"):
        Store(str(tmp_path))


def test_postgresql_server_down_names_it_without_the_password():
    """Port 1 of the loopback refuses at once: no PostgreSQL server is needed for this one."""
    pytest.importorskip("psycopg")
    with pytest.raises(StoreError, match=r"not reachable") as err:
        Store("postgresql://fleet:s3cr3t-pw@127.0.0.1:1/fleetdb")
    text = str(err.value)
    assert "s3cr3t-pw" not in text and "s3cr3t-pw" not in repr(err.value)
    assert "127.0.0.1" in text and "port 1" in text and "fleetdb" in text


# --------------------------------------------------------------------------- transactions


def test_dry_run_rolls_back(db):
    with db.transaction(dry_run=True):
        before, after = db.save_inventory("prod", description="d")
        assert before is None and after["description"] == "d"
        db.save_host("prod", "web1")
        assert db.get_host("prod", "web1")["name"] == "web1"
    assert db.get_inventory("prod") is None
    assert db.list_inventories() == []


def test_failed_transaction_writes_nothing(db):
    db.save_inventory("prod")
    with pytest.raises(NotFound):
        with db.transaction():
            db.save_host("prod", "web1")
            db.save_host("prod", "web2", groups=["nosuchgroup"])
    assert db.list_hosts("prod") == []


def test_dry_run_cannot_nest(db):
    with db.transaction():
        with pytest.raises(StoreError, match="cannot be nested"):
            with db.transaction(dry_run=True):
                pass


# --------------------------------------------------------------------------- inventories, kinds


def test_inventory_create_update_idempotent(db):
    before, after = db.save_inventory("prod", description="Production", variables="a: 1\nb: [1, 2]\n")
    assert before is None
    assert after["kind"] == "" and after["variables"] == {"a": 1, "b": [1, 2]}
    modified = after["modified"]
    before, again = db.save_inventory("prod", variables={"b": [1, 2], "a": 1})
    assert before == again and again["modified"] == modified
    _b, changed = db.save_inventory("prod", description="Prod")
    assert changed["description"] == "Prod" and changed["variables"] == {"a": 1, "b": [1, 2]}


def test_kinds(db):
    with pytest.raises(ValidationError, match="smart inventory 'sm' needs a host_filter"):
        db.save_inventory("sm", kind="smart")
    with pytest.raises(ValidationError, match="host_filter only applies to smart inventories"):
        db.save_inventory("plain", host_filter="name=x")
    with pytest.raises(ValidationError, match="kind must be one of"):
        db.save_inventory("odd", kind="dynamic")
    _b, sm = db.save_inventory("sm", kind="smart", host_filter="name=web1")
    assert sm["kind"] == "smart"
    # kind is fixed; omitting it keeps it
    with pytest.raises(ValidationError, match="kind is set at creation and cannot be changed to normal"):
        db.save_inventory("sm", kind="")
    _b, same = db.save_inventory("sm", description="kept kind")
    assert same["kind"] == "smart"
    # a smart inventory holds no hosts or groups of its own
    with pytest.raises(ValidationError, match="cannot add hosts to smart inventory 'sm'"):
        db.save_host("sm", "web1")
    with pytest.raises(ValidationError, match="cannot add groups to smart inventory 'sm'"):
        db.save_group("sm", "web")
    _b, cons = db.save_inventory("cons", kind="constructed")
    assert cons["kind"] == "constructed"
    with pytest.raises(ValidationError, match="constructed inventory 'cons'"):
        db.save_host("cons", "web1")
    assert db.query("SELECT COUNT(*) AS n FROM hosts")[0]["n"] == 0


def test_delete_inventory_cascades(db):
    db.save_inventory("prod")
    db.save_group("prod", "web")
    _b, host = db.save_host("prod", "web1", groups=["web"])
    db.set_facts(host["id"], {"a": 1})
    assert db.delete_inventory("prod")["name"] == "prod"
    assert db.delete_inventory("prod") is None
    for table in ("hosts", "groups", "group_hosts", "host_facts"):
        assert db.query("SELECT COUNT(*) AS n FROM %s" % table)[0]["n"] == 0


# --------------------------------------------------------------------------- hosts and groups


def test_host_groups_exact_set(db):
    db.save_inventory("prod")
    for g in ("a", "b", "c"):
        db.save_group("prod", g)
    _b, h = db.save_host("prod", "web1", groups=["a", "b"])
    assert h["groups"] == ["a", "b"] and h["enabled"] is True
    _b, h = db.save_host("prod", "web1", groups=["c"], enabled=False)
    assert h["groups"] == ["c"] and h["enabled"] is False
    _b, h = db.save_host("prod", "web1", description="kept groups")
    assert h["groups"] == ["c"]
    with pytest.raises(NotFound, match="no group named 'zzz' in inventory 'prod'"):
        db.save_host("prod", "web1", groups=["zzz"])
    with pytest.raises(NotFound, match="inventory 'nope' does not exist"):
        db.save_host("nope", "web1")


def test_group_members_preserve_and_cycles(db):
    db.save_inventory("prod")
    for h in ("h1", "h2", "h3"):
        db.save_host("prod", h)
    for g in ("top", "mid", "leaf"):
        db.save_group("prod", g)
    _b, g = db.save_group("prod", "top", hosts=["h1", "h2"], children=["mid"])
    assert g["hosts"] == ["h1", "h2"] and g["children"] == ["mid"]
    _b, g = db.save_group("prod", "top", hosts=["h3"], preserve_existing_hosts=True)
    assert g["hosts"] == ["h1", "h2", "h3"]
    _b, g = db.save_group("prod", "top", hosts=["h3"])
    assert g["hosts"] == ["h3"]
    db.save_group("prod", "mid", children=["leaf"])
    with pytest.raises(ValidationError, match="cannot have 'top' as a child: that would make a cycle"):
        db.save_group("prod", "leaf", children=["top"])
    with pytest.raises(ValidationError, match="cannot be its own child"):
        db.save_group("prod", "leaf", children=["leaf"])
    with pytest.raises(ValidationError, match="'all' is a group every inventory has implicitly"):
        db.save_group("prod", "all")
    assert db.get_group("prod", "leaf")["children"] == []


def test_variables_must_be_a_mapping(db):
    with pytest.raises(ValidationError, match="variables must be a mapping, got list"):
        db.save_inventory("prod", variables="[1, 2]")
    with pytest.raises(ValidationError, match="variables must be a mapping or a YAML/JSON string, not int"):
        db.save_inventory("prod", variables=5)
    assert db.get_inventory("prod") is None


# --------------------------------------------------------------------------- facts


def _stamp(db, host_id):
    return db.query_one("SELECT ansible_facts_modified AS m FROM hosts WHERE id = ?", (host_id,))["m"]


def test_facts_merge_replace_and_modified(db):
    db.save_inventory("prod")
    _b, host = db.save_host("prod", "web1")
    hid = host["id"]
    assert _stamp(db, hid) is None and db.get_facts(hid) == {}

    assert db.set_facts(hid, {"os": "Debian", "cpu": {"n": 2}}) is True
    first = _stamp(db, hid)
    assert first is not None

    # the same facts again: nothing changes, the timestamp stays
    time.sleep(0.002)
    assert db.set_facts(hid, {"cpu": {"n": 2}, "os": "Debian"}) is False
    assert _stamp(db, hid) == first

    # merge: top-level keys replace or add, others stay
    time.sleep(0.002)
    assert db.set_facts(hid, {"os": "Ubuntu", "mem": 4}) is True
    second = _stamp(db, hid)
    assert second > first
    assert db.get_facts(hid) == {"os": "Ubuntu", "cpu": {"n": 2}, "mem": 4}

    # replace: the stored facts become exactly the new ones
    time.sleep(0.002)
    assert db.set_facts(hid, {"os": "Ubuntu"}, merge=False) is True
    third = _stamp(db, hid)
    assert third > second
    assert db.get_facts(hid) == {"os": "Ubuntu"}
    assert db.set_facts(hid, {"os": "Ubuntu"}, merge=False) is False
    assert _stamp(db, hid) == third

    # type-strict: 8 is not "8"
    assert db.set_facts(hid, {"os": "Ubuntu", "n": 8}) is True
    assert db.set_facts(hid, {"n": "8"}) is True
    assert db.get_facts(hid)["n"] == "8"

    time.sleep(0.002)
    assert db.clear_facts(hid) is True
    assert db.get_facts(hid) == {} and _stamp(db, hid) > third
    assert db.clear_facts(hid) is False


def test_set_facts_many_and_dry_run(db):
    db.save_inventory("prod")
    ids = [db.save_host("prod", "h%d" % i)[1]["id"] for i in range(5)]
    assert sorted(db.set_facts_many([(i, {"k": i}) for i in ids])) == ids
    assert db.set_facts_many([(i, {"k": i}) for i in ids]) == []
    with db.transaction(dry_run=True):
        assert db.set_facts_many([(ids[0], {"k": "new"})]) == [ids[0]]
    assert db.get_facts(ids[0]) == {"k": ids[0]}
    with pytest.raises(ValidationError, match="facts must be a mapping"):
        db.set_facts_many([(ids[0], ["x"])])


def _items(db, host_id):
    return sorted(tuple(r) for r in db.execute(
        "SELECT fk.name, x.path, x.value FROM host_fact_items x JOIN fact_keys fk ON fk.id = x.key_id"
        " WHERE x.host_id = ?", (host_id,)).fetchall())


def _names(db, host_filter):
    return sorted(h["name"] for h in db.search_hosts(host_filter))


def test_fact_items_follow_fact_writes(db):
    """The array-leaf side table is rewritten exactly when a key's value changes."""
    db.save_inventory("prod")
    hid = db.save_host("prod", "web1")[1]["id"]
    other = db.save_host("prod", "web2")[1]["id"]
    db.set_facts_many([
        (hid, {"cpu": ["GenuineIntel", "GenuineIntel", 1.0, True, None], "lo": {"ipv6": [{"scope": "host"}]}, "os": "x[]"}),
        (other, {"cpu": ["AuthenticAMD"], "lo": {"ipv6": []}}),
    ])
    # distinct scalar leaves under an array; 1.0 is stored as 1 (it equals 1), true and null as themselves
    assert _items(db, hid) == [("cpu", "[0]", '"GenuineIntel"'), ("cpu", "[0]", "1"), ("cpu", "[0]", "null"),
                               ("cpu", "[0]", "true"), ("lo", '["ipv6",0,"scope"]', '"host"')]
    assert _names(db, "ansible_facts__cpu[]=GenuineIntel") == ["web1"]
    assert _names(db, "ansible_facts__cpu[]=1") == ["web1"]
    assert _names(db, "ansible_facts__cpu[]__in=AuthenticAMD,true") == ["web1", "web2"]
    assert _names(db, 'ansible_facts__cpu[]="1"') == []
    assert _names(db, "ansible_facts__lo__ipv6[]__scope=host") == ["web1"]
    assert _names(db, "not ansible_facts__lo__ipv6[]__scope=host") == ["web2"]

    # merge: only the changed key's rows are rewritten, the others stay
    db.set_facts(hid, {"cpu": ["AuthenticAMD"]})
    assert _items(db, hid) == [("cpu", "[0]", '"AuthenticAMD"'), ("lo", '["ipv6",0,"scope"]', '"host"')]
    assert _names(db, "ansible_facts__cpu[]=GenuineIntel") == []
    assert _names(db, "ansible_facts__cpu[]=AuthenticAMD") == ["web1", "web2"]
    # a value without arrays leaves no rows
    db.set_facts(hid, {"cpu": "none"})
    assert _items(db, hid) == [("lo", '["ipv6",0,"scope"]', '"host"')]
    # replace: keys that are gone lose their rows
    db.set_facts(hid, {"os": "y"}, merge=False)
    assert _items(db, hid) == []
    assert _names(db, "ansible_facts__lo__ipv6[]__scope=host") == []
    # clear_facts and deleting the host remove them
    db.set_facts(hid, {"cpu": [1]})
    assert db.clear_facts(hid) is True and _items(db, hid) == []
    assert _items(db, other) == [("cpu", "[0]", '"AuthenticAMD"')]
    db.delete_host("prod", "web2")
    assert db.execute("SELECT COUNT(*) FROM host_fact_items").fetchone()[0] == 0


def test_set_facts_many_same_host_twice_and_key_types(db):
    db.save_inventory("prod")
    hid = db.save_host("prod", "web1")[1]["id"]
    assert db.set_facts_many([(hid, {"a": [1], "b": 2}), (hid, {"a": [3]})]) == [hid]
    assert db.get_facts(hid) == {"a": [3], "b": 2}
    assert _items(db, hid) == [("a", "[0]", "3")]
    assert db.set_facts_many([(hid, {"a": 1}), (hid, {"c": 3})], merge=False) == [hid]
    assert db.get_facts(hid) == {"c": 3}
    # keys are stored as text
    assert db.set_facts(hid, {1: [True]}) is True
    assert db.get_facts(hid) == {"c": 3, "1": [True]}
    assert _names(db, "ansible_facts__1[]=true") == ["web1"]


@pytest.mark.sqlite_only
def test_migration_2_backfills_fact_items(tmp_path):
    """A store created at schema version 1, with facts, migrates on open; array searches find its facts."""
    path = str(tmp_path / "v1.db")
    conn = sqlite3.connect(path)
    ddl = store_mod.DIALECTS["sqlite"].ddl_types
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for statement in schema.MIGRATIONS[0]:
        conn.execute(statement.format(**ddl))
    conn.execute("INSERT INTO schema_version (version) VALUES (1)")
    ts = "2024-01-01T00:00:00+00:00"
    conn.execute("INSERT INTO inventories (id, name, created, modified) VALUES (1, 'prod', ?, ?)", (ts, ts))
    facts = {
        1: {"ansible_processor": ["0", "GenuineIntel", "Xeon"], "ansible_lo": {"ipv6": [{"scope": "host"}]}, "n": 8},
        2: {"ansible_processor": ["0", "AuthenticAMD", "EPYC"], "ansible_lo": {"ipv6": []}, "n": [8.0]},
    }
    conn.execute("INSERT INTO fact_keys (id, name) VALUES (1, 'ansible_processor'), (2, 'ansible_lo'), (3, 'n')")
    for hid in facts:
        conn.execute("INSERT INTO hosts (id, inventory_id, name, created, modified) VALUES (?, 1, ?, ?, ?)",
                     (hid, "web%d" % hid, ts, ts))
        for key_id, key in ((1, "ansible_processor"), (2, "ansible_lo"), (3, "n")):
            conn.execute("INSERT INTO host_facts (key_id, host_id, value) VALUES (?, ?, ?)",
                         (key_id, hid, json.dumps(facts[hid][key])))
    conn.commit()
    conn.close()
    with Store(path) as s:
        assert s.schema_version == schema.SCHEMA_VERSION >= 2
        assert _names(s, 'ansible_facts__ansible_processor[]="GenuineIntel"') == ["web1"]
        assert _names(s, "ansible_facts__ansible_lo__ipv6[]__scope=host") == ["web1"]
        assert _names(s, "ansible_facts__n[]=8") == ["web2"]
        assert _names(s, "ansible_facts__n=8") == ["web1"]
        assert _items(s, 2) == [("ansible_processor", "[0]", '"0"'), ("ansible_processor", "[0]", '"AuthenticAMD"'),
                                ("ansible_processor", "[0]", '"EPYC"'), ("n", "[0]", "8")]
        plan = " ".join(str(r[-1]) for r in s.execute(
            "EXPLAIN QUERY PLAN SELECT h.id FROM hosts h WHERE %s" % s.compile_filter("ansible_facts__n[]=8")[0],
            s.compile_filter("ansible_facts__n[]=8")[1]).fetchall())
        assert "USING PRIMARY KEY (key_id=? AND path=? AND value=?)" in plan and "SCAN" not in plan
    # and it does not migrate twice
    with Store(path) as s:
        assert [r[0] for r in s.execute("SELECT version FROM schema_version ORDER BY version")] == \
            list(range(1, schema.SCHEMA_VERSION + 1))


def test_hosts_named_across_inventories(db):
    for inv in ("a", "b"):
        db.save_inventory(inv)
        db.save_host(inv, "web1")
    db.save_host("a", "other")
    rows = db.hosts_named("web1")
    assert [r["inventory_id"] for r in rows] == [db.get_inventory("a")["id"], db.get_inventory("b")["id"]]


# --------------------------------------------------------------------------- concurrency


def test_concurrent_writers(store_target):
    path = store_target
    with Store(path) as s:
        s.save_inventory("a")
        s.save_inventory("b")
    errors = []
    start = threading.Barrier(2)

    def writer(inventory):
        try:
            with Store(path) as s:
                start.wait()
                for i in range(200):
                    s.save_host(inventory, "host%03d" % i, variables={"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=writer, args=(inv,)) for inv in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert not any("locked" in e for e in errors)
    with Store(path) as s:
        assert len(s.list_hosts("a")) == 200 and len(s.list_hosts("b")) == 200
        assert s.query_one("SELECT COUNT(*) AS n FROM hosts")["n"] == 400


def test_concurrent_opening_of_a_new_store(tmp_path, request):
    """Several processes' first use at once: the schema is created exactly once."""
    if BACKEND == "postgresql":
        path = request.getfixturevalue("pg_database")  # an empty database
    else:
        path = str(tmp_path / "fresh.db")
    errors, start = [], threading.Barrier(4)

    def opener():
        try:
            start.wait()
            with Store(path) as s:
                s.save_inventory("inv-%d" % threading.get_ident())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=opener) for dummy in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with Store(path) as s:
        assert len(s.list_inventories()) == 4
        assert s.query_one("SELECT COUNT(*) AS n FROM schema_version")["n"] == schema.SCHEMA_VERSION


@pytest.mark.sqlite_only
def test_open_without_create_leaves_no_file(tmp_path):
    """Check mode opens with create=False: a store that does not exist is not made."""
    path = tmp_path / "sub" / "never.db"
    with Store.open(str(path), create=False) as s:
        before, after = s.save_inventory("would-be")
        assert before is None and after["name"] == "would-be"
    assert not path.exists() and not path.parent.exists()
    with Store.open(str(path)) as s:  # a normal open creates it
        assert s.list_inventories() == []
    assert path.exists()
