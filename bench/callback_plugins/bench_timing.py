# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench-only callback: when each task started and when each result arrived (epoch seconds, the clock the
sandbox's audit log uses), with the result, as JSON lines in $ARC_BENCH_TASK_LOG."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: bench_timing
type: aggregate
short_description: Task start and result times as JSON lines (make bench only)
description:
  - Appends one JSON object per task start and per task result to the file named by ARC_BENCH_TASK_LOG.
options: {}
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timing"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, entry):
        path = os.environ.get("ARC_BENCH_TASK_LOG")
        if path:
            with open(path, "a") as handle:
                handle.write(json.dumps(entry, default=str) + "\n")

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._write({"event": "start", "task": task.get_name(), "time": time.time()})

    def _result(self, result, outcome):
        self._write({"event": "result", "task": result.task_name, "host": result._host.get_name(),
                     "outcome": outcome, "time": time.time(), "result": result._result})

    def v2_runner_on_ok(self, result):
        self._result(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._result(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._result(result, "unreachable")
