# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: injects a fault into the sandbox at a chosen step of a playbook.

When a task whose name matches $ARC_FAULT_AT (a regular expression) starts, it runs the commands of
$ARC_FAULT_COMMANDS (a JSON list of argv lists, e.g. the sandbox CLI's `fault`, `kill` or `partition`;
in $ARC_FAULT_CWD) once, before the task runs, and notes the task and any command's failure in
$ARC_FAULT_FIRED. So a test can say "kill the
primary site when the switch starts" and know the fault met that step and no other.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: fault_trigger
type: aggregate
short_description: Inject a sandbox fault when a chosen task starts (integration tests only)
description:
  - Runs the commands in ARC_FAULT_COMMANDS once, when the first task matching ARC_FAULT_AT starts.
options: {}
"""

import json
import os
import re
import subprocess
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "fault_trigger"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        pattern = os.environ.get("ARC_FAULT_AT")
        self._pattern = re.compile(pattern) if pattern else None
        self._commands = json.loads(os.environ.get("ARC_FAULT_COMMANDS") or "[]")
        self._fired = False

    def v2_playbook_on_task_start(self, task, is_conditional):
        name = task.get_name()
        if self._fired or self._pattern is None or not self._pattern.search(name):
            return
        self._fired = True
        note = {"task": name, "at": time.time(), "errors": []}
        for command in self._commands:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                                  cwd=os.environ.get("ARC_FAULT_CWD"))
            if done.returncode != 0:
                note["errors"].append("%s: exit %d: %s" % (" ".join(command), done.returncode, done.stderr[-500:]))
        path = os.environ.get("ARC_FAULT_FIRED")
        if path:
            with open(path, "a") as handle:
                handle.write(json.dumps(note) + "\n")
