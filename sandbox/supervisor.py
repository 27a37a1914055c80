"""Processes of the sandbox: start, stop and kill each site's components, and know which run.

Each component runs in its own session (process group), recorded in a pid file beside the
site's state. A pid is only trusted if /proc shows the same command line for the same site
directory, so a recycled pid is never signalled.
"""
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .layout import REPO_ROOT

# in start order: the controller needs its site's API
COMPONENTS = ("apiserver", "controller")
READY_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 5


class SandboxError(Exception):
    """A sandbox operation failed; the message says which site and why."""


def _command(component, files):
    return [sys.executable, "-m", f"sandbox.{component}", "--site-dir", str(files.dir)]


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            state = stat.read().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def running_pid(files, component):
    """The pid of the component if it is running for this site, else None."""
    pid_file = files.pid_file(component)
    try:
        pid = int(pid_file.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    expected = [part.encode() for part in _command(component, files)[1:]]
    if cmdline[1:len(expected) + 1] != expected or not _alive(pid):
        return None
    return pid


def start(files, component):
    if running_pid(files, component):
        return
    files.ready_file(component).unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    with open(files.log_file(component), "ab") as log:
        process = subprocess.Popen(_command(component, files), stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True, cwd=str(REPO_ROOT), env=env)
    files.pid_file(component).write_text(str(process.pid))
    _wait_exec(files, component, process)


def _wait_exec(files, component, process, timeout=2.0):
    """Right after fork the child's /proc cmdline is still empty, so `running_pid` would not yet
    recognise it (and `wait_ready` would give up at once): wait until it does, or the child died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None and not running_pid(files, component):
        time.sleep(0.01)


def _wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


def stop(files, component, hard=False):
    """SIGTERM (or SIGKILL when `hard`) the component's process group and wait until it is gone."""
    pid = running_pid(files, component)
    if pid is not None:
        try:
            os.killpg(pid, signal.SIGKILL if hard else signal.SIGTERM)
        except ProcessLookupError:
            pass
        if not _wait_gone(pid, STOP_TIMEOUT_SECONDS) and not hard:
            os.killpg(pid, signal.SIGKILL)
            _wait_gone(pid, STOP_TIMEOUT_SECONDS)
        if _alive(pid):
            raise SandboxError(f"{files.dir.name}: {component} (pid {pid}) did not stop")
    files.pid_file(component).unlink(missing_ok=True)


def wait_ready(files, site, token):
    """Block until the site's API answers /readyz with its token, or fail with the log's tail."""
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    request = urllib.request.Request(f"{site.api_url}/readyz", headers={"Authorization": f"Bearer {token}"})
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if not running_pid(files, "apiserver"):
            break
        try:
            with urllib.request.urlopen(request, context=context, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    raise SandboxError(f"site {site.name}: API at {site.api_url} did not become ready; last log lines:\n"
                       + log_tail(files, "apiserver"))


def wait_component_ready(files, site, component):
    """Block until the component wrote its ready file (it serves), or fail with the log's tail."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        pid = running_pid(files, component)
        if not pid:
            break
        try:
            if int(files.ready_file(component).read_text()) == pid:
                return
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.05)
    raise SandboxError(f"site {site.name}: {component} did not become ready; last log lines:\n"
                       + log_tail(files, component))


def log_tail(files, component, lines=20):
    try:
        return "\n".join(files.log_file(component).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
