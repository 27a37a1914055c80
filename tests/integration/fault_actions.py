"""The fault that is not the sandbox's to inflict, run at a step by the fault matrix (from its Strike thread or from
the fault_trigger callback inside ansible-playbook):

  python -m tests.integration.fault_actions kill-playbook PID_FILE
      SIGKILL to the whole process group of the ansible-playbook run whose pid PID_FILE holds (its forks and module
      processes with it), as when an AWX job is cancelled hard or the operator's laptop dies

A SIGKILL of one process leaves its children running; ansible-playbook therefore runs in a process group of its
own, started by the shim `playbook_shim` writes (the matrix's runs use it as their ansible-playbook).
"""
import json
import os
import signal
import sys
from pathlib import Path

SHIM = """#!{python}
# ansible-playbook in a session (and process group) of its own, its pid written where the fault matrix reads it
import os
import sys

os.setsid()
with open(os.environ["ARC_PLAYBOOK_PID_FILE"], "w") as handle:
    handle.write(str(os.getpid()))
os.execv({real!r}, [{real!r}] + sys.argv[1:])
"""


def playbook_shim(directory):
    """Write the shim into `directory` and return its path (runs need ARC_PLAYBOOK_PID_FILE in their env)."""
    real = str(Path(sys.executable).parent / "ansible-playbook")
    path = Path(directory) / "ansible-playbook-own-group"
    path.write_text(SHIM.format(python=sys.executable, real=real))
    path.chmod(0o755)
    return path


def kill_playbook(pid_file):
    pid = int(Path(pid_file).read_text())
    note_fired()
    os.killpg(pid, signal.SIGKILL)  # when run by the callback, this process is in the group too


def note_fired():
    """Inside ansible-playbook (the fault_trigger callback ran us), note the strike first: the callback, killed with
    its group, cannot note it afterwards."""
    path, task = os.environ.get("ARC_FAULT_FIRED"), os.environ.get("ARC_FAULT_AT")
    if path and task:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"task": task, "errors": [], "killed": True}) + "\n")


def main(argv):
    action, args = argv[0], argv[1:]
    if action == "kill-playbook":
        kill_playbook(*args)
    else:
        raise SystemExit("unknown action %r" % action)


if __name__ == "__main__":
    main(sys.argv[1:])
