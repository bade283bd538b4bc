# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m ansible_collections.fleet.inventory.service --store STORE --listen HOST:PORT [--workers N] [--processes N] [--config FILE]``.

Run with the directory that holds ``ansible_collections/`` on PYTHONPATH.
Logs go to stderr.  SIGTERM (and SIGINT) stop it cleanly: uvicorn stops
accepting connections, finishes the requests in flight, then the application's
shutdown hooks run (the update workers stop there) and the store connections close.

``--config FILE`` is a YAML (or JSON) mapping with the same keys as the
options (``store``, ``listen``, ``workers``, ``processes``) plus ``key_file``
(the key that encrypts project credentials, see docs/service.md), ``log_level``
and ``max_body``; an option given on the command line wins over the file.

``--processes N``: N web processes (default: the CPUs, at most 4; 0 means
that default too).  With 1 the service is one process (its update workers
aside); with more, this process is their supervisor (service/supervisor.py):
it binds the socket, runs the update workers and the deletion worker once,
and starts N web processes that serve the requests.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

import uvicorn
import yaml

from ansible_collections.fleet.inventory.service import supervisor
from ansible_collections.fleet.inventory.service.app import SERVER_OPTIONS, create_app

DEFAULT_LISTEN = "127.0.0.1:8052"
LOG = logging.getLogger("fleet.inventory.service")


def parse_listen(text):
    """``(host, port)`` of ``HOST:PORT`` (``[::1]:8052`` for IPv6); ValueError when it is not one."""
    host, sep, port = str(text).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("--listen must be HOST:PORT (for example 127.0.0.1:8052), not %r" % text)
    return host.strip("[]"), int(port)


def load_config(path):
    if not path:
        return {}
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ValueError("configuration file %s must hold a mapping" % path)
    return data


def arguments(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ansible_collections.fleet.inventory.service",
                                     description="AWX's inventory API over a fleet.inventory store.")
    parser.add_argument("--store", help="the store: a SQLite file path or a postgresql:// URL (else FLEET_INVENTORY_STORE)")
    parser.add_argument("--listen", help="HOST:PORT to listen on (default %s)" % DEFAULT_LISTEN)
    parser.add_argument("--workers", type=int, help="update worker processes (default 2)")
    parser.add_argument("--processes", type=int,
                        help="web processes serving the requests (default: the number of CPUs, at most 4; 0: that default)")
    parser.add_argument("--config", help="a YAML configuration file (see docs/service.md)")
    parser.add_argument("--log-level", help="debug, info (default), warning, error")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = arguments(argv)
    try:
        config = load_config(args.config)
        store = args.store or config.get("store") or os.environ.get("FLEET_INVENTORY_STORE")
        if not store:
            raise ValueError("no store: give --store, 'store' in the configuration file, or FLEET_INVENTORY_STORE")
        host, port = parse_listen(args.listen or config.get("listen") or DEFAULT_LISTEN)
        workers = args.workers if args.workers is not None else int(config.get("workers", 2))
        if workers < 0:
            raise ValueError("--workers must be 0 or more, not %d" % workers)
        processes = args.processes if args.processes is not None else int(config.get("processes") or 0)
        if processes < 0:
            raise ValueError("--processes must be 1 or more (0: one per CPU, at most 4), not %d" % processes)
        processes = processes or supervisor.default_processes()
    except (OSError, ValueError, yaml.YAMLError) as exc:
        sys.stderr.write("fleet.inventory.service: %s\n" % exc)
        return 2
    level = str(args.log_level or config.get("log_level") or "info").upper()
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if config.get("key_file") and not os.environ.get("FLEET_INVENTORY_KEY_FILE"):
        os.environ["FLEET_INVENTORY_KEY_FILE"] = str(config["key_file"])
    if processes > 1:
        return supervisor.serve(store, host, port, processes, workers, config=config, log_level=level.lower())
    app = create_app(store, workers=workers, config=config)
    LOG.info("fleet.inventory service on %s:%d, store %s, %d workers, one process", host, port, app.state.stores.label, workers)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=level.lower(), **SERVER_OPTIONS))
    # uvicorn handles SIGTERM itself (a graceful shutdown) and then raises the signal again with the handler that
    # was there before: this one, so that a stop by SIGTERM exits 0 instead of dying by the signal
    signal.signal(signal.SIGTERM, _stopped)
    try:
        server.run()
    except SystemExit as stop:
        if stop.code not in (0, None) or not server.started:
            raise
    LOG.info("stopped")
    return 0 if server.started else 1


def _stopped(_signum, _frame):
    raise SystemExit(0)


if __name__ == "__main__":
    sys.exit(main())
