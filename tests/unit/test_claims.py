"""Concurrency that holds across machines: atomic claims, leases kept by a heartbeat, per-node projects roots.

Real processes race on one store (each its own connection, as two controllers would); "another node" is a
process with its own ``FLEET_INVENTORY_NODE``: nothing here can be told from this machine's process table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects as P
from ansible_collections.fleet.inventory.plugins.module_utils.rules.leasing import keep_lease
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates as U
from ansible_collections.fleet.inventory.plugins.module_utils.runtime import checkouts
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates as update_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store

from git_repo import Repo

COLLECTIONS_ROOT = Path(__file__).resolve().parents[2] / ".pytest_collections"
ROUNDS = 12

# A racer: waits for the start flag, then tries to claim every update in ``todo`` (a JSON list of
# [source id, pending record id or null]) at once, and prints what it won.  A winner finishes its update at once,
# so that the inventory is free for the next round.
RACER = textwrap.dedent("""
    import json, os, sys, time
    sys.path.insert(0, sys.argv[1])
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources, updates
    from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
    store = Store(sys.argv[2])
    todo = json.loads(sys.argv[4])
    print("ready", flush=True)
    while not os.path.exists(sys.argv[3]):
        time.sleep(0.001)
    won = []
    for source_id, record_id in todo:
        source = sources.get_source_by_id(store, source_id)
        try:
            got, _running = updates.claim_update(store, source, record_id=record_id)
        except updates.NotPending:
            got = None
        if got is not None:
            running = [r["id"] for r in store.query("SELECT id FROM inventory_updates WHERE inventory_id = ? AND status = 'running'",
                                                     (source["inventory_id"],))]
            with store.transaction():
                inventory_updates.finish(store, got, source, "successful", {}, "", "", "", None)
            won.append([got, running])
        else:
            won.append(None)
    print(json.dumps(won), flush=True)
""")


@pytest.fixture
def store(store_target):
    s = Store(store_target)
    yield s
    s.close()


def _target(store):
    return getattr(store, "connect_target", None) or store.target


def _sources(store, count):
    out = []
    for i in range(count):
        store.save_inventory("inv%d" % i)
        out.append(S.save_source(store, "inv%d" % i, "src", source="fleet.inventory.smart")[1])
    return out


def _race(store, tmp_path, todo, racers=2):
    flag = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(COLLECTIONS_ROOT), _target(store), str(flag), json.dumps(todo)],
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ, FLEET_INVENTORY_NODE="node-%d" % n))
             for n in range(racers)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        flag.write_text("")
        results = [json.loads(proc.communicate(timeout=300)[0].strip().splitlines()[-1]) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


def test_two_processes_racing_for_one_pending_update_exactly_one_runs_it(store, tmp_path):
    srcs = _sources(store, ROUNDS)
    todo = []
    with store.transaction():
        for src in srcs:
            todo.append([src["id"], update_repo.insert_pending(store, src, "manual", None, "node-x")])
    results = _race(store, tmp_path, todo)
    for n, (source_id, record_id) in enumerate(todo):
        winners = [r[n] for r in results if r[n] is not None]
        assert len(winners) == 1, (n, results)
        assert winners[0] == [record_id, [record_id]]  # it was the only running update of its inventory
    hosts = sorted(r["hostname"] for r in store.query("SELECT hostname FROM inventory_updates"))
    assert set(hosts) <= {"node-0", "node-1"} and len(hosts) == ROUNDS
    assert [r["status"] for r in store.query("SELECT status FROM inventory_updates")] == ["successful"] * ROUNDS


def test_two_processes_starting_updates_of_one_inventory_never_both_run(store, tmp_path):
    (src,) = _sources(store, 1)
    results = _race(store, tmp_path, [[src["id"], None]] * (ROUNDS * 2))
    # each won update was the only running one of the inventory when it was won
    won = [w for r in results for w in r if w is not None]
    assert won and all(running == [got] for got, running in won), won
    assert len({got for got, _running in won}) == len(won)
    assert len(store.query("SELECT id FROM inventory_updates")) == len(won)


def test_the_losing_side_of_a_pending_claim_is_told_who_won(store):
    (src,) = _sources(store, 1)
    with store.transaction():
        rid = update_repo.insert_pending(store, src, "manual", None, "node-x")
    assert U.claim_update(store, src, record_id=rid) == (rid, None)
    with pytest.raises(U.NotPending, match=r"inventory update %d is no longer pending: it is running \(node " % rid):
        U.claim_update(store, src, record_id=rid)


def test_a_claim_refused_while_another_node_runs_the_inventory_names_it(store):
    (src,) = _sources(store, 1)
    with store.transaction():
        other = update_repo.claim_new(store, src, "manual", None, 99, "node-b")
    got, running = U.claim_update(store, src)
    assert got is None and running["id"] == other and running["hostname"] == "node-b"


# ------------------------------------------------------------------------------ heartbeat


SLOW = """\
#!{python}
import json, sys, time
if "--host" in sys.argv:
    print("{{}}")
    sys.exit(0)
time.sleep({seconds})
print(json.dumps({{"slow": {{"hosts": ["s1"]}}}}))
"""


def test_the_heartbeat_keeps_a_long_update_alive_past_several_leases(store, tmp_path):
    repo = Repo(tmp_path / "git")
    repo.write("slow.py", SLOW.format(python=sys.executable, seconds=4), mode=0o755)
    repo.commit()
    store.save_inventory("prod")
    P.save_project(store, "p", scm_url=repo.url)
    P.update_project(store, "p")
    S.save_source(store, "prod", "slow", source="scm", source_project="p", source_path="slow.py", update_project=False)
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, %r)
        from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
        from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources, updates
        s = Store(%r)
        print(updates.run_source_update(s, sources.get_source(s, "prod", "slow"))["status"])
    """) % (str(COLLECTIONS_ROOT), _target(store))
    lease = 0.6  # the update takes more than six leases
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, FLEET_INVENTORY_LEASE_SECONDS=str(lease), FLEET_INVENTORY_NODE="node-slow"))
    seen, renewals = [], set()
    try:
        while proc.poll() is None:
            rows = U.list_updates(store, S.get_source(store, "prod", "slow"))
            if rows:
                seen.append(rows[-1]["status"])
                renewals.add(rows[-1]["heartbeat"])
            time.sleep(0.05)
        assert proc.communicate(timeout=60)[0].strip() == "successful"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "running" in seen and "failed" not in seen, seen
    assert len(renewals) >= 6, renewals  # renewed every third of a lease
    assert sorted(h["name"] for h in store.list_hosts("prod")) == ["s1"]


def test_lease_settings(monkeypatch):
    monkeypatch.delenv(leases.ENV_LEASE, raising=False)
    assert (leases.lease_seconds(), leases.heartbeat_seconds()) == (30.0, 10.0)
    monkeypatch.setenv(leases.ENV_LEASE, "3")
    assert (leases.lease_seconds(), leases.heartbeat_seconds()) == (3.0, 1.0)
    monkeypatch.setenv(leases.ENV_LEASE, "nonsense")
    assert leases.lease_seconds() == 30.0
    monkeypatch.setenv(leases.ENV_NODE, "node-a")
    assert leases.node_name() == "node-a"


# ------------------------------------------------------------------------------ projects root


class _Target:
    def __init__(self, target):
        self.target = target


def test_projects_root_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv(checkouts.ENV_PROJECTS_ROOT, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    # beside a SQLite store
    assert checkouts.projects_root(_Target(str(tmp_path / "s" / "store.db"))) == str(tmp_path / "s" / "projects")
    # one directory per PostgreSQL store (host, port, database), never the password
    pg = checkouts.projects_root(_Target("postgresql://fleet:s3cret@db.example.com:6543/inv"))
    assert pg == str(tmp_path / "data" / "fleet.inventory" / "projects" / "db.example.com_6543_inv")
    assert checkouts.projects_root(_Target("postgresql://db.example.com/other")).endswith("db.example.com_5432_other")
    assert "s3cret" not in pg
    # two stores never share one
    assert len({checkouts.projects_root(_Target(t)) for t in (
        "postgresql://a/x", "postgresql://a/y", "postgresql://b/x", "postgresql://a:5433/x")}) == 4
    # the environment wins
    monkeypatch.setenv(checkouts.ENV_PROJECTS_ROOT, str(tmp_path / "node-root"))
    assert checkouts.projects_root(_Target("postgresql://db/inv")) == str(tmp_path / "node-root")
    assert checkouts.projects_root(_Target(str(tmp_path / "store.db"))) == str(tmp_path / "node-root")


def test_two_nodes_update_one_project_each_in_its_own_checkout(store, tmp_path, monkeypatch):
    repo = Repo(tmp_path / "git")
    repo.write("hosts", "web1\n")
    repo.commit()
    P.save_project(store, "p", scm_url=repo.url)
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, %r)
        from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
        from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects
        s = Store(%r)
        print(projects.update_project(s, "p")["status"])
    """) % (str(COLLECTIONS_ROOT), _target(store))
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, FLEET_INVENTORY_NODE="node-%s" % n,
                                       FLEET_INVENTORY_PROJECTS_ROOT=str(tmp_path / ("root-%s" % n))))
             for n in "ab"]
    assert [p.communicate(timeout=300)[0].strip() for p in procs] == ["successful", "successful"]
    rev = P.get_project(store, "p")["scm_revision"]
    for n in "ab":
        checkout = tmp_path / ("root-%s" % n) / P.get_project(store, "p")["local_path"]
        assert (checkout / "hosts").read_text() == "web1\n"
        assert subprocess.run(["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True, text=True, check=True).stdout.strip() == rev
    assert sorted(r["hostname"] for r in store.query("SELECT hostname FROM project_updates")) == ["node-a", "node-b"]
    assert P.get_project(store, "p")["status"] == "successful"


# ------------------------------------------------------------------------------ writes to one inventory

WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from ansible_collections.fleet.inventory.plugins.module_utils.rules import importer
    from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
    store = Store(sys.argv[2])
    me = sys.argv[3]
    for i in range(int(sys.argv[4])):
        data = {"_meta": {"hostvars": {"%s-%d" % (me, i): {"writer": me}}},
                "all": {"children": ["shared"]}, "shared": {"hosts": ["%s-%d" % (me, i)], "vars": {"last": me}}}
        importer.import_inventory(store, "prod", data, overwrite=False)
    print("done", flush=True)
""")


def test_two_controllers_writing_one_inventory_lose_and_duplicate_nothing(store):
    store.save_inventory("prod")
    rounds = 8
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(COLLECTIONS_ROOT), _target(store), me, str(rounds)],
                              stdout=subprocess.PIPE, text=True) for me in ("a", "b")]
    assert [p.communicate(timeout=300)[0].strip() for p in procs] == ["done", "done"]
    names = [h["name"] for h in store.list_hosts("prod")]
    expected = sorted("%s-%d" % (me, i) for me in "ab" for i in range(rounds))
    assert sorted(names) == expected  # none lost, none twice
    assert sorted(store.get_group("prod", "shared")["hosts"]) == expected


@pytest.mark.postgresql_only
def test_lock_inventory_takes_an_advisory_lock_until_the_transaction_ends(store):
    store.save_inventory("prod")
    inv = store.require_inventory("prod")
    sql = ("SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND objid = ? AND granted"
           " AND pid = pg_backend_pid()")
    with store.transaction():
        store.lock_inventory(inv["id"])
        assert store.query_one(sql, (Store.LOCK_INVENTORY, inv["id"]))["n"] == 1
    assert store.query_one(sql, (Store.LOCK_INVENTORY, inv["id"]))["n"] == 0


def test_lock_inventory_belongs_in_a_transaction(store):
    with pytest.raises(Exception, match="inside a store transaction"):
        store.lock_inventory(1)


def test_writer_active_sees_another_connection_holding_the_write_lock(store):
    """What a reader asks when a lease has passed: does some other connection hold the store's write lock?
    Never while this connection holds it itself, and never for an in-memory store."""
    other = Store(_target(store))
    try:
        assert store.writer_active() is False
        with other.transaction():
            assert store.writer_active() is True
            assert other.writer_active() is False  # inside its own transaction: it is the writer
        assert store.writer_active() is False
        with store.transaction(dry_run=True):
            assert store.writer_active() is False
    finally:
        other.close()
    assert Store(":memory:").writer_active() is False


@pytest.mark.postgresql_only
def test_a_writer_of_another_store_on_the_same_server_does_not_count(store, pg_databases):
    """Advisory locks belong to one database: a long transaction in another store (database) of the same server
    must not keep this store's expired leases alive."""
    url = pg_databases.create(migrated=True)
    other = Store(url)
    try:
        with other.transaction():
            assert store.writer_active() is False
    finally:
        other.close()
        pg_databases.drop(url)


def test_a_commit_renews_the_lease_of_the_update_it_runs(store):
    """keep_lease renews inside every transaction of the caller's store, before it commits."""
    store.save_inventory("prod")
    src = S.save_source(store, "prod", "src", source="fleet.inventory.smart")[1]
    record, _status = U.claim_update(store, src)
    old = update_repo.get(store, record)
    with keep_lease(store, lambda own: update_repo.renew(own, record, leases.node_name()), interval=3600):
        time.sleep(0.01)
        with store.transaction():
            store.save_inventory("other")
    assert update_repo.get(store, record)["lease_expires"] > old["lease_expires"]
