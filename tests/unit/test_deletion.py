"""Background deletion of inventories (rules/deletion.py, store/deletion.py) on both backends.

From the moment an inventory is marked ``pending_delete`` it and its hosts are
gone for every reader: one test per read path.  Then its rows go in batches:
every table is counted afterwards, a run stopped half way is resumed, two
workers share the work, and another process writing meanwhile never waits
long.  The module ``fleet.inventory.inventory`` ``state: absent`` (``wait``,
check mode, diff) runs in-process through its action plugin's task class.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import cache_loader, inventory_loader

from ansible_collections.fleet.inventory.plugins.module_utils.errors import (
    DeletionConflict, NotFound, PendingDeletion, ValidationError)
from ansible_collections.fleet.inventory.plugins.module_utils.rules import constructed as C
from ansible_collections.fleet.inventory.plugins.module_utils.rules import deletion
from ansible_collections.fleet.inventory.plugins.module_utils.rules import importer
from ansible_collections.fleet.inventory.plugins.module_utils.rules import projects
from ansible_collections.fleet.inventory.plugins.module_utils.rules import smart
from ansible_collections.fleet.inventory.plugins.module_utils.rules import sources as S
from ansible_collections.fleet.inventory.plugins.module_utils.rules import updates as U
from ansible_collections.fleet.inventory.plugins.module_utils.store import fact_cache
from ansible_collections.fleet.inventory.plugins.module_utils.store import hosts as host_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import inventory_updates as update_repo
from ansible_collections.fleet.inventory.plugins.module_utils.store import leases
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from ansible_collections.fleet.inventory.plugins.modules import host_info as host_info_module
from ansible_collections.fleet.inventory.plugins.modules import inventory as inventory_module
from ansible_collections.fleet.inventory.plugins.plugin_utils.store_action import InProcessTask, _Finished

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "deletion.py"


@pytest.fixture
def store(store_target):
    """prod (to be deleted: web1, web2 with facts, group web, a manual source), stage (kept: web1, web3),
    smart 'webs' (groups__name=web) and constructed 'both' over prod and stage."""
    s = Store.open(store_target)
    for name in ("prod", "stage"):
        s.save_inventory(name)
        s.save_group(name, "web")
    s.save_host("prod", "web1", groups=["web"])
    s.save_host("prod", "web2", groups=["web"])
    s.save_host("stage", "web1", groups=["web"])
    s.save_host("stage", "web3", groups=["web"])
    for inv, name in (("prod", "web1"), ("prod", "web2"), ("stage", "web3")):
        s.set_facts(s.get_host(inv, name)["id"], {"ansible_distribution": "Debian", "ansible_lo": {"ipv6": [{"scope": "host"}]},
                                                  "where": inv})
    S.save_source(s, "prod", "src")
    s.save_inventory("webs", kind="smart", host_filter="groups__name=web")
    s.save_inventory("both", kind="constructed", input_inventories=["prod", "stage"])
    yield s
    s.close()


def names(rows, key="name"):
    return sorted(r[key] for r in rows)


def mark(store, name="prod"):
    return deletion.request_delete(store, name)


# ----------------------------------------------------------------------------- the request


def test_request_marks_pending_in_one_statement_and_keeps_the_rows(store):
    before = mark(store)
    assert before["name"] == "prod" and before["pending_delete"] is False
    assert store.get_inventory(before["id"])["pending_delete"] is True
    assert deletion.remaining(store, before["id"])["hosts"] == 2
    assert deletion.pending_inventories(store) == [before["id"]]


def test_second_request_is_refused_as_awx_does(store):
    mark(store)
    with pytest.raises(PendingDeletion, match="^Inventory is already pending deletion.$") as info:
        mark(store)
    assert isinstance(info.value, ValidationError)  # the service's 400


def test_request_of_an_unknown_inventory(store):
    with pytest.raises(NotFound, match="inventory 'nope' does not exist"):
        deletion.request_delete(store, "nope")
    with pytest.raises(NotFound, match="inventory id 999 does not exist"):
        deletion.request_delete(store, 999)


@pytest.mark.parametrize("status", ["pending", "running"])
def test_request_is_refused_while_an_update_is_pending_or_running(store, status):
    source = S.get_source(store, "prod", "src")
    with store.transaction():
        record = update_repo.insert_pending(store, source, "manual", None, leases.node_name())
        if status == "running":
            assert update_repo.claim_pending(store, record, os.getpid(), leases.node_name())
    with pytest.raises(DeletionConflict, match="inventory 'prod' has a %s update .*inventory_update %d" % (status, record)) as info:
        mark(store)
    assert info.value.active == [{"type": "inventory_update", "id": record}]
    assert store.get_inventory("prod")["pending_delete"] is False
    with store.transaction():
        store.execute("UPDATE inventory_updates SET status = 'successful' WHERE id = ?", (record,))
    mark(store)
    assert store.get_inventory("prod")["pending_delete"] is True


def test_a_queued_update_of_the_service_blocks_the_deletion(store):
    # the service's queue (rules/update_queue.py): a pending record without a lease until a worker claims it
    source = S.get_source(store, "prod", "src")
    with store.transaction():
        record = update_repo.insert_queued(store, source, "manual")
    with pytest.raises(DeletionConflict, match="inventory_update %d" % record):
        mark(store)


def test_an_expired_update_does_not_block_the_deletion(store):
    source = S.get_source(store, "prod", "src")
    with store.transaction():
        record = update_repo.insert_pending(store, source, "manual", None, "gone-node")
        store.execute("UPDATE inventory_updates SET lease_expires = '2000-01-01T00:00:00.000000+00:00' WHERE id = ?", (record,))
    mark(store)


def test_dry_run_request_writes_nothing(store):
    deletion.request_delete(store, "prod", dry_run=True)
    assert store.get_inventory("prod")["pending_delete"] is False


def test_no_update_of_a_pending_inventory(store):
    mark(store)
    source = store.query_one("SELECT * FROM inventory_sources WHERE name = 'src'")
    assert U.can_update(store, dict(source, source="scm", source_project_id=1)) == (False, "its inventory is being deleted")


# ----------------------------------------------------------------------------- every read path hides it


def test_host_filter_searches_hide_its_hosts(store):
    mark(store)
    assert [(h["inventory"], h["name"]) for h in store.search_hosts("name__startswith=web")] == [("stage", "web1"), ("stage", "web3")]
    assert store.search_hosts("inventory__name=prod") == []
    assert store.search_hosts('ansible_facts__where="prod"') == []
    assert store.search_hosts('ansible_facts__ansible_lo__ipv6[]__scope="host"', one_per_name=True)[0]["inventory"] == "stage"


def test_smart_inventories_hide_its_hosts(store):
    stage_web1 = store.get_host("stage", "web1")["id"]
    assert [h["inventory"] for h in store.smart_inventory_hosts("webs")] == ["prod", "prod", "stage"]
    mark(store)
    rows = store.smart_inventory_hosts("webs")
    assert [(h["inventory"], h["name"]) for h in rows] == [("stage", "web1"), ("stage", "web3")]
    assert [r[0] for r in smart.select_hosts(store, "groups__name=web")][0] == stage_web1  # one per name: stage's web1 now


def test_smart_plugin_hides_its_hosts(store, store_target, tmp_path):
    mark(store)
    path = tmp_path / "inv.smart.yml"
    path.write_text(json.dumps({"plugin": "fleet.inventory.smart", "store": store_target, "inventory": "webs"}))
    plugin = inventory_loader.get("fleet.inventory.smart")
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    assert sorted(inventory.hosts) == ["web1", "web3"]
    assert inventory.get_host("web1").vars.get("awx_inventory_name", "stage") == "stage"


def test_constructed_inventories_lose_it_as_an_input(store):
    assert store.constructed_view(store.get_inventory("both"))["input_inventories"] == ["prod", "stage"]
    mark(store)
    assert store.constructed_view(store.get_inventory("both"))["input_inventories"] == ["stage"]
    C.update_constructed_inventory(store, "both")
    assert names(store.list_hosts("both")) == ["web1", "web3"]
    assert {h["instance_id"] for h in store.list_hosts("both")} == {
        str(store.get_host("stage", "web1")["id"]), str(store.get_host("stage", "web3")["id"])}


def test_constructed_plugin_refuses_it_as_an_inline_input(store, store_target, tmp_path):
    mark(store)
    path = tmp_path / "inv.constructed.yml"
    path.write_text(json.dumps({"plugin": "fleet.inventory.constructed", "store": store_target,
                                "input_inventories": ["prod", "stage"]}))
    plugin = inventory_loader.get("fleet.inventory.constructed")
    with pytest.raises(Exception, match="inventory 'prod' is being deleted"):
        plugin.parse(InventoryData(), DataLoader(), str(path), cache=False)
    path.write_text(json.dumps({"plugin": "fleet.inventory.constructed", "store": store_target, "inventory": "both"}))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    assert sorted(inventory.hosts) == ["web1", "web3"]


def test_host_info_hides_its_hosts(store, store_target):
    mark(store)
    result = run_module(host_info_module, store_target, host_filter="name__startswith=web")
    assert [(h["inventory"], h["name"]) for h in result["hosts"]] == [("stage", "web1"), ("stage", "web3")]
    result = run_module(host_info_module, store_target, host_filter="name=web2")
    assert result["hosts"] == []


def test_reads_by_name_say_it_is_being_deleted(store):
    mark(store)
    for read in (lambda: store.get_host("prod", "web1"), lambda: store.list_hosts("prod"), lambda: store.list_groups("prod"),
                 lambda: store.get_group("prod", "web"), lambda: store.require_inventory("prod"),
                 lambda: S.list_sources(store, "prod")):
        with pytest.raises(NotFound, match="inventory 'prod' is being deleted"):
            read()
    assert store.require_inventory("prod", pending_ok=True)["pending_delete"] is True


def test_hosts_by_name_and_listings_leave_it_out(store):
    mark(store)
    assert [h["inventory_id"] for h in store.hosts_named("web1")] == [store.get_inventory("stage")["id"]]
    assert store.hosts_named("web2") == []
    found = host_repo.by_names(store, ["web1", "web2"])
    assert list(found) == ["web1"] and [r["inventory"] for r in found["web1"]] == ["stage"]
    assert "prod" not in names(store.list_inventories())
    assert "prod" in names(store.list_inventories(include_pending=True))
    assert store.list_inventories(kind="") == [i for i in store.list_inventories() if i["kind"] == ""]


def test_fact_cache_hides_its_hosts(store, store_target):
    mark(store)
    assert fact_cache.get_facts(store, "web2") is None
    assert fact_cache.names_with_facts(store) == ["web3"]
    os.environ["FLEET_INVENTORY_STORE"] = store_target
    try:
        cache = cache_loader.get("fleet.inventory.store")
    finally:
        del os.environ["FLEET_INVENTORY_STORE"]
    assert not cache.contains("web2") and "web2" not in cache.keys()
    cache.set("web1", {"seen": True})  # lands on stage's web1 only
    assert store.get_facts(store.get_host("stage", "web1")["id"])["seen"] is True
    assert "seen" not in store.get_facts(store.query_one("SELECT id FROM hosts WHERE name = 'web1' AND inventory_id = ?",
                                                         (store.get_inventory("prod")["id"],))["id"])


def test_scm_sources_of_it_are_not_found(store):
    mark(store)
    with pytest.raises(NotFound, match="inventory source 'src' does not exist"):
        projects.find_scm_source(store, "src")
    with pytest.raises(NotFound, match="inventory 'prod' is being deleted"):
        projects.find_scm_source(store, "src", "prod")


def test_writers_are_refused_and_the_name_stays_taken(store):
    mark(store)
    with pytest.raises(ValidationError, match="cannot save inventory 'prod': inventory 'prod' is being deleted .*name stays taken"):
        store.save_inventory("prod")
    with pytest.raises(NotFound, match="inventory 'prod' is being deleted"):
        store.save_host("prod", "web9")
    with pytest.raises(NotFound, match="inventory 'prod' is being deleted"):
        store.save_group("prod", "db")
    with pytest.raises(NotFound, match="inventory 'prod' is being deleted"):
        importer.import_inventory(store, "prod", {"all": {"hosts": ["x"]}, "_meta": {"hostvars": {}}}, overwrite=False)
    with pytest.raises(NotFound, match="inventory 'prod' is being deleted"):
        S.save_source(store, "prod", "other")


# ----------------------------------------------------------------------------- the batched removal


def _tables(store):
    if store.dialect.name == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    return [r[0] for r in store.execute(sql).fetchall()]


def _counts(store):
    return {t: store.execute('SELECT COUNT(*) FROM "%s"' % t).fetchone()[0] for t in _tables(store)}


#: global catalogues, not rows of an inventory: the fact keys and paths stay known after their hosts are gone
GLOBAL = {"fact_keys", "fact_paths"}


def _fill(store, name, hosts, facts=True):
    """Inventory ``name`` with ``hosts`` hosts in two groups (one a child of the other), facts with array leaves,
    fact history, a source that owns some hosts and update records."""
    doc = {"_meta": {"hostvars": {"h%d" % i: {"v": i} for i in range(hosts)}}, "all": {"children": ["web"]},
           "web": {"hosts": ["h%d" % i for i in range(hosts)], "children": ["dc"]}, "dc": {"hosts": ["h0"]}}
    store.save_inventory(name)
    S.save_source(store, name, "file-src", source="file")
    importer.import_inventory(store, name, doc, overwrite=False)
    ids = [h["id"] for h in store.list_hosts(name)]
    if facts:
        store.set_facts_many([(i, {"ansible_distribution": "Debian", "n": i, "ansible_lo": {"ipv6": [{"scope": "host"}, i]}})
                              for i in ids])
        store.set_facts_many([(i, {"n": -i}) for i in ids[:5]])  # a second change: history entries
    source = S.get_source(store, name, "file-src")
    with store.transaction():
        for status in ("successful", "failed"):
            record = update_repo.insert_pending(store, source, "manual", None, leases.node_name())
            store.execute("UPDATE inventory_updates SET status = ?, result_stdout = 'log' WHERE id = ?", (status, record))
        store.executemany("INSERT INTO inventory_source_hosts (inventory_source_id, host_id) VALUES (?, ?)",
                          [(source["id"], i) for i in ids[:10]])
    return store.get_inventory(name)["id"]


def test_batched_deletion_leaves_no_row_in_any_table(store):
    before = _counts(store)
    inv_id = _fill(store, "big", 120)
    filled = _counts(store)
    assert filled["host_facts"] > before["host_facts"] and filled["host_fact_items"] > before["host_fact_items"]
    assert filled["host_fact_history"] > before["host_fact_history"] and filled["inventory_updates"] > before["inventory_updates"]
    deletion.request_delete(store, "big")
    stats = deletion.delete_pending(store, inv_id, batch_size=25)
    assert stats["deleted"] is True and stats["hosts"] == 120 and stats["groups"] == 2 and stats["updates"] == 2
    assert stats["sources"] == 1 and stats["batches"] > 5
    after = _counts(store)
    assert {t: n for t, n in after.items() if t not in GLOBAL} == {t: n for t, n in before.items() if t not in GLOBAL}
    assert store.get_inventory(inv_id) is None and store.get_inventory("big") is None
    store.save_inventory("big")  # the name is free again


def test_deleting_an_input_removes_its_link(store):
    inv_id = mark(store)["id"]
    deletion.delete_pending(store, inv_id)
    assert store.query("SELECT * FROM inventory_input_inventories WHERE input_inventory_id = ?", (inv_id,)) == []
    assert store.constructed_view(store.get_inventory("both"))["input_inventories"] == ["stage"]


def test_deleting_a_constructed_inventory(store):
    C.update_constructed_inventory(store, "both")
    inv_id = mark(store, "both")["id"]
    assert store.search_hosts("name=web3") == [store.search_hosts("name=web3")[0]]  # only stage's web3 is left
    assert deletion.delete_pending(store, inv_id)["deleted"] is True
    assert store.query("SELECT * FROM inventory_input_inventories") == []
    assert store.query("SELECT * FROM inventory_sources WHERE inventory_id = ?", (inv_id,)) == []


def test_a_run_stopped_half_way_is_resumed(store):
    inv_id = _fill(store, "big", 60)
    deletion.request_delete(store, "big")

    class Crash(Exception):
        pass

    def crash_after_two(stats):
        if stats["batches"] == 2:
            raise Crash()

    with pytest.raises(Crash):
        deletion.delete_pending(store, inv_id, batch_size=10, target_seconds=60, on_batch=crash_after_two)
    left = deletion.remaining(store, inv_id)
    assert 0 < left["hosts"] < 60 and store.get_inventory(inv_id)["pending_delete"] is True
    assert store.search_hosts("inventory__name=big") == []
    # a new process (another Store) continues where it stopped
    with Store.open(store.connect_target) as other:
        stats = deletion.delete_all_pending(other, batch_size=10)
    assert [(i, s["hosts"], s["deleted"]) for i, s in stats] == [(inv_id, left["hosts"], True)]
    assert store.get_inventory(inv_id) is None


def test_delete_pending_of_an_inventory_not_pending_does_nothing(store):
    inv_id = store.get_inventory("prod")["id"]
    assert deletion.delete_pending(store, inv_id)["deleted"] is False
    assert deletion.remaining(store, inv_id)["hosts"] == 2
    assert deletion.delete_pending(store, 12345)["deleted"] is False


def test_two_workers_on_one_inventory_share_the_work(store):
    inv_id = _fill(store, "big", 300, facts=False)
    deletion.request_delete(store, "big")
    results, errors = [], []

    def work():
        try:
            with Store.open(store.connect_target) as own:
                results.append(deletion.delete_pending(own, inv_id, batch_size=7, target_seconds=60, max_pause=0.001))
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(exc)

    threads = [threading.Thread(target=work) for _worker in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(r["hosts"] for r in results) == 300
    assert store.get_inventory(inv_id) is None


def test_a_concurrent_writer_never_waits_long(store, tmp_path):
    inv_id = _fill(store, "big", 3000)
    store.save_inventory("writer")
    env = dict(os.environ)
    proc, out_path, stop_path = _start_writer(store.connect_target, tmp_path, env)
    deletion.request_delete(store, "big")
    stats = deletion.delete_pending(store, inv_id, batch_size=200)
    report = _stop_writer(proc, out_path, stop_path)
    assert stats["deleted"] is True and stats["hosts"] == 3000
    assert report["errors"] == []  # no 'database is locked', no busy store
    assert report["transactions"] > 5
    assert report["max_wait_s"] < 1.0, report


def _start_writer(target, workdir, env):
    sys.path.insert(0, str(BENCH.parent))
    try:
        import deletion as bench  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    return bench.start_writer(target, str(workdir), env)


def _stop_writer(proc, out_path, stop_path):
    sys.path.insert(0, str(BENCH.parent))
    try:
        import deletion as bench  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    return bench.stop_writer(proc, out_path, stop_path)


# ----------------------------------------------------------------------------- the module


def run_module(module, store_target, check_mode=False, diff=False, **args):
    args.setdefault("store", store_target)
    made = []

    def task_class(argument_spec, **kwargs):
        task = InProcessTask(module.__name__.rsplit(".", 1)[-1], args, check_mode, diff, argument_spec, **kwargs)
        made.append(task)
        return task

    try:
        module.main(task_class)
    except _Finished as finished:
        return finished.result
    finally:
        for task in made:
            task.close()
    raise AssertionError("no result")


def test_module_absent_waits_by_default(store, store_target):
    inv_id = store.get_inventory("prod")["id"]
    result = run_module(inventory_module, store_target, diff=True, name="prod", state="absent")
    assert result["changed"] is True and result["id"] == inv_id and result["inventory"]["name"] == "prod"
    assert result["deletion"]["pending_delete"] is False and result["deletion"]["hosts"] == 2
    assert result["diff"]["after"] == {} and result["diff"]["before"]["name"] == "prod"
    assert store.get_inventory(inv_id) is None
    again = run_module(inventory_module, store_target, name="prod", state="absent")
    assert again["changed"] is False and again["inventory"] is None and "deletion" not in again


def test_module_absent_without_wait_marks_and_returns(store, store_target):
    inv_id = store.get_inventory("prod")["id"]
    result = run_module(inventory_module, store_target, name="prod", state="absent", wait=False)
    assert result["changed"] is True and result["deletion"] == {
        "hosts": 0, "groups": 0, "updates": 0, "sources": 0, "batches": 0, "longest_batch": 0.0, "pending_delete": True}
    assert store.get_inventory(inv_id)["pending_delete"] is True and deletion.remaining(store, inv_id)["hosts"] == 2
    assert store.search_hosts("name=web2") == []
    again = run_module(inventory_module, store_target, name="prod", state="absent", wait=False)
    assert again["changed"] is False and again["deletion"]["pending_delete"] is True
    refused = run_module(inventory_module, store_target, name="prod")
    assert refused["failed"] is True and "is being deleted" in refused["msg"]
    # the next state=absent with wait finishes it
    finish = run_module(inventory_module, store_target, name="prod", state="absent")
    assert finish["changed"] is True and finish["deletion"]["hosts"] == 2 and finish["deletion"]["pending_delete"] is False
    assert store.get_inventory(inv_id) is None


@pytest.mark.parametrize("wait", [True, False])
def test_module_absent_in_check_mode_writes_nothing(store, store_target, wait):
    result = run_module(inventory_module, store_target, check_mode=True, diff=True, name="prod", state="absent", wait=wait)
    assert result["changed"] is True and result["diff"]["after"] == {}
    assert result["deletion"]["pending_delete"] is (not wait) and result["deletion"]["hosts"] == 0
    assert store.get_inventory("prod")["pending_delete"] is False
    assert deletion.remaining(store, store.get_inventory("prod")["id"])["hosts"] == 2


def test_module_absent_fails_while_an_update_runs(store, store_target):
    source = S.get_source(store, "prod", "src")
    with store.transaction():
        record = update_repo.insert_pending(store, source, "manual", None, leases.node_name())
    for check_mode in (True, False):
        result = run_module(inventory_module, store_target, check_mode=check_mode, name="prod", state="absent")
        assert result["failed"] is True and "has a pending update" in result["msg"] and "inventory_update %d" % record in result["msg"]
    assert store.get_inventory("prod")["pending_delete"] is False


def test_subprocess_writer_script_runs(tmp_path, store_target):
    # the writer is a real process of its own (what the benchmark and the concurrency test use)
    with Store.open(store_target) as s:
        s.save_inventory("writer")
    proc, out_path, stop_path = _start_writer(store_target, tmp_path, dict(os.environ))
    report = _stop_writer(proc, out_path, stop_path)
    assert report["errors"] == [] and proc.returncode == 0
    assert subprocess.run([sys.executable, str(BENCH), "--help"], capture_output=True, check=False).returncode == 0
