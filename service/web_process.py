# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One web process of a service with ``--processes N`` above 1 (started by service/supervisor.py, never by hand).

A fresh interpreter (``python -m ansible_collections.fleet.inventory.service.web_process``)
that serves the application on the listening socket the main process bound
and handed down (``--fd``): the kernel gives each new connection to whichever
web process accepts it first.  It opens its own store connections, one per
thread of its pool (service/context.py), and runs neither update workers nor
the deletion worker (``create_app(background=False)``): its routes wake those
of the main process through the pipe ``--wake-fd`` (service/wakeup.py).

It stops as the single-process service does: SIGTERM (or SIGINT) makes
uvicorn stop accepting, finish the requests in flight (at most 30 s), close
the store connections and exit 0.  Its stdin is a pipe from the main process:
at its end (the main process died) it stops the same way.  The store's target
and the configuration come through the environment, never the command line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import sys
import threading

import uvicorn

from ansible_collections.fleet.inventory.service import wakeup
from ansible_collections.fleet.inventory.service.app import SERVER_OPTIONS, create_app

ENV_STORE = "FLEET_INVENTORY_WEB_STORE"
ENV_CONFIG = "FLEET_INVENTORY_WEB_CONFIG"
LOG = logging.getLogger("fleet.inventory.service.web")


def _stopped(_signum, _frame):
    raise SystemExit(0)


def _watch_parent(server, fd):
    """Stop the server when the main process's end of stdin closes (it died or stopped).

    It reads the file descriptor itself, not ``sys.stdin``: a daemon thread blocked in a buffered read would
    hold the buffer's lock while the interpreter finalizes (a fatal error at exit)."""
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    LOG.info("the service's main process is gone: stopping")
    server.should_exit = True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="fleet-inventory-web")
    parser.add_argument("--fd", type=int, required=True, help="the listening socket, inherited")
    parser.add_argument("--wake-fd", type=int, help="the write end of the main process's wake pipe")
    parser.add_argument("--number", type=int, default=0)
    parser.add_argument("--workers", type=int, default=0, help="the service's update workers (for /api/v2/ping/)")
    parser.add_argument("--threads", type=int, default=0, help="this process's thread pool (0: anyio's default)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    level = args.log_level.upper()
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    target = os.environ.pop(ENV_STORE, "")
    if not target:
        parser.error("%s is not set (the service's main process starts its web processes)" % ENV_STORE)
    config = json.loads(os.environ.pop(ENV_CONFIG, "") or "{}")
    wakeup.connect(args.wake_fd)
    sock = socket.socket(fileno=args.fd)
    app = create_app(target, workers=args.workers, config=config, background=False, threads=args.threads or None)
    server = uvicorn.Server(uvicorn.Config(app, log_level=level.lower(), **SERVER_OPTIONS))
    # as in __main__: uvicorn's graceful shutdown on SIGTERM, then the signal raised again reaches this handler
    signal.signal(signal.SIGTERM, _stopped)
    signal.signal(signal.SIGINT, _stopped)  # a Ctrl-C reaches every process of the terminal's group: no traceback
    threading.Thread(target=_watch_parent, args=(server, sys.stdin.fileno()), name="fleet-inventory-parent",
                     daemon=True).start()
    try:
        server.run(sockets=[sock])
    except SystemExit as stop:
        if stop.code not in (0, None) or not server.started:
            raise
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
