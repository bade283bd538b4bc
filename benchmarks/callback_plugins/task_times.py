# -*- coding: utf-8 -*-
# Copyright: fleet.inventory contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: the wall time of every task of a play, written as JSON to $FLEET_BENCH_TASK_TIMES."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_times
type: aggregate
short_description: wall time of each task (fleet.inventory benchmarks)
description: Writes [{"name", "seconds", "hosts"}] to the file named by FLEET_BENCH_TASK_TIMES.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tasks = []
        self._start = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self._tasks.append({"name": task.get_name(), "seconds": None, "hosts": None})
        self._start = time.perf_counter()

    def v2_runner_on_ok(self, result):
        if self._tasks and self._start is not None:
            self._tasks[-1]["seconds"] = time.perf_counter() - self._start
            hosts = result._result.get("hosts")  # pylint: disable=protected-access
            if isinstance(hosts, list):
                self._tasks[-1]["hosts"] = len(hosts)

    def _close(self):
        self._start = None

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("FLEET_BENCH_TASK_TIMES")
        if path:
            with open(path, "w", encoding="utf-8") as fh:
                json.dump(self._tasks, fh)
