"""Opening a store whose schema is current takes no write lock: a reader never waits for a writer to open it."""

from __future__ import annotations

import threading
import time

from ansible_collections.fleet.inventory.plugins.module_utils.store import schema
from ansible_collections.fleet.inventory.plugins.module_utils.store.core import Store


def test_a_reader_opens_while_a_writer_holds_the_write_lock(store_target):
    writer = Store.open(store_target)
    writer.save_inventory("prod")
    opened = {}

    def read():
        start = time.monotonic()
        reader = Store.open_existing(store_target)
        try:
            opened["inventories"] = [inv["name"] for inv in reader.list_inventories()]
            opened["version"] = reader.schema_version
        finally:
            reader.close()
        opened["seconds"] = time.monotonic() - start

    try:
        with writer.transaction():
            writer.save_inventory("staging")  # not committed while the reader opens
            thread = threading.Thread(target=read, daemon=True)
            thread.start()
            thread.join(20)
            assert not thread.is_alive(), "opening the store waited for the writer's transaction"
    finally:
        writer.close()
    assert opened["inventories"] == ["prod"] and opened["version"] == schema.SCHEMA_VERSION
    assert opened["seconds"] < 10
