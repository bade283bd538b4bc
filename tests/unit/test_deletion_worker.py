"""The service's deletion worker (service/deletion_worker.py) without the web part: it finds inventories pending
deletion, removes their rows, wakes at once, stops between two batches (the inventory stays pending and the next
worker continues), and two workers (two service nodes) on one store share the work."""

from __future__ import annotations

import time

import pytest

from ansible_collections.fleet.inventory.plugins.module_utils.rules import deletion
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store
from ansible_collections.fleet.inventory.service import deletion_worker

from test_deletion import _fill


@pytest.fixture
def store(store_target):
    s = Store.open(store_target)
    yield s
    s.close()


def _wait(predicate, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_worker_removes_what_a_delete_marked(store):
    inv_id = _fill(store, "big", 50)
    worker = deletion_worker.start(store.connect_target, interval=30)
    try:
        deletion.request_delete(store, "big")
        deletion_worker.wake()  # what the DELETE route does after its mark: no wait for the next round
        assert _wait(lambda: store.get_inventory(inv_id) is None, 20)
        assert worker.deleted == [inv_id] and worker.errors == []
    finally:
        assert deletion_worker.stop()
    assert not worker.alive


def test_the_worker_finds_pending_inventories_by_polling(store):
    inv_id = _fill(store, "big", 20, facts=False)
    deletion.request_delete(store, "big")
    worker = deletion_worker.DeletionWorker(store.connect_target, interval=0.1).start()
    try:
        assert _wait(lambda: store.get_inventory(inv_id) is None, 20)
    finally:
        assert worker.stop()


def test_a_stopped_worker_leaves_the_inventory_pending_and_the_next_one_continues(store):
    inv_id = _fill(store, "big", 400, facts=False)
    deletion.request_delete(store, "big")
    worker = deletion_worker.DeletionWorker(store.connect_target, interval=30, batch_size=5)
    check = worker._check_stop

    def told_to_stop_during_the_first_batch(stats):
        worker._stopping.set()
        check(stats)

    worker._check_stop = told_to_stop_during_the_first_batch
    worker.start()
    assert _wait(lambda: not worker.alive, 20)
    assert worker.stop(1) and worker.deleted == []
    assert store.get_inventory(inv_id)["pending_delete"] is True
    assert deletion.remaining(store, inv_id)["hosts"] > 0
    nxt = deletion_worker.DeletionWorker(store.connect_target, interval=30).start()
    try:
        assert _wait(lambda: store.get_inventory(inv_id) is None, 30)
    finally:
        assert nxt.stop()


def test_two_workers_share_one_store(store):
    ids = [_fill(store, "big%d" % i, 60, facts=False) for i in range(3)]
    for i in range(3):
        deletion.request_delete(store, "big%d" % i)
    workers = [deletion_worker.DeletionWorker(store.connect_target, interval=0.05, batch_size=7).start() for _node in range(2)]
    try:
        assert _wait(lambda: all(store.get_inventory(i) is None for i in ids), 60)
    finally:
        assert all(w.stop() for w in workers)
    assert all(w.errors == [] for w in workers)
    assert sorted(set(workers[0].deleted) | set(workers[1].deleted)) == sorted(ids)
