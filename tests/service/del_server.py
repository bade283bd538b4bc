"""A service process for tests/service/test_service_deletion.py until the service's own program serves these routes:
the deletion and update routes on uvicorn, the deletion worker and the update workers in the app's lifespan.

    python del_server.py COLLECTIONS_ROOT HOST PORT INTERVAL   (the store's target in $FLEET_TEST_SERVICE_STORE)
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, sys.argv[1])

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from ansible_collections.fleet.inventory.service import deletion_worker, workers  # noqa: E402
from ansible_collections.fleet.inventory.service.routes import deletion as deletion_routes  # noqa: E402
from ansible_collections.fleet.inventory.service.routes import updates as update_routes  # noqa: E402


def main():
    host, port, interval = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    target = os.environ.pop("FLEET_TEST_SERVICE_STORE")
    app = FastAPI(lifespan=deletion_worker.lifespan(target, interval=interval, inner=workers.lifespan(target, 1, 1.0)))
    app.include_router(deletion_routes.router)
    app.include_router(update_routes.router)
    app.state.store_target = target
    uvicorn.run(app, host=host, port=port, log_level="warning")


main()
