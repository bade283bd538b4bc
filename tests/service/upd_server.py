"""A service process for tests/service/test_service_updates.py until the service's own program serves these routes:
the update routes on uvicorn, with the worker pool in the app's lifespan (service/workers.py lifespan).

    python upd_server.py COLLECTIONS_ROOT HOST PORT WORKERS GRACE   (the store's target in $FLEET_TEST_SERVICE_STORE)
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, sys.argv[1])

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from ansible_collections.fleet.inventory.service import workers  # noqa: E402
from ansible_collections.fleet.inventory.service.routes import updates as routes  # noqa: E402


def main():
    host, port, count, grace = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    target = os.environ.pop("FLEET_TEST_SERVICE_STORE")
    app = FastAPI(lifespan=workers.lifespan(target, count, grace))
    app.include_router(routes.router)
    app.state.store_target = target
    uvicorn.run(app, host=host, port=port, log_level="warning")


main()
