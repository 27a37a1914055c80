"""ansible-playbook as the bench runs it: our collection from the build tree, kubernetes.core from the bench's
vendored copy, the bench_timing callback, and the wall time, exit code, CPU and peak memory of the run."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bench import processes
from sandbox.layout import REPO_ROOT

HERE = Path(__file__).resolve().parent
BUILD = REPO_ROOT / "build"
VENDOR = BUILD / "vendor-collections"  # kubernetes.core from the ansible wheel (bench/vendor.py)
# what the collection's modules read from the sandbox inventory's host vars
MODULE_DEFAULTS = {"group/arcdata.sqlmi.arc": {"kubeconfig": "{{ arc_kubeconfig }}", "context": "{{ arc_context }}",
                                               "namespace": "{{ arc_namespace }}"}}


@dataclass
class PlaybookRun:
    rc: int
    seconds: float
    started: float            # epoch seconds
    peak_rss_mb: float        # of ansible-playbook and its forks (the largest single process, in this run)
    stdout: str
    stderr: str
    events: list = field(default_factory=list)  # bench_timing entries
    peak_pss_mb: float = 0.0  # ansible-playbook and its live forks together (summed PSS, sampled every 0.2 s)
    cpu_seconds: float = 0.0  # user + system CPU of ansible-playbook, its forks and the modules they ran

    def results(self, task=None):
        return [e for e in self.events if e["event"] == "result" and (task is None or e["task"] == task)]

    def started_at(self, task):
        return [e["time"] for e in self.events if e["event"] == "start" and e["task"] == task]

    def check(self):
        if self.rc != 0:
            tail = (self.rc, self.stdout[-3000:], self.stderr[-2000:])
            raise RuntimeError("ansible-playbook failed (%s):\n%s\n%s" % tail)
        return self


def play(tasks, hosts="primary", vars=None):  # noqa: A002
    """One play with the collection's connection defaults, as a list for run_playbook."""
    return [{"name": "bench", "hosts": hosts, "gather_facts": False, "module_defaults": MODULE_DEFAULTS,
             "vars": vars or {}, "tasks": tasks}]


def run_playbook(playbook, inventory, extra_vars=None, forks=None, env=None, timeout=1800):
    """Run a playbook (plays as a list, or a path or `arcdata.sqlmi.<name>`); returns a PlaybookRun."""
    workdir = Path(tempfile.mkdtemp(prefix="arc-bench-play-"))
    if isinstance(playbook, list):
        path = workdir / "playbook.yml"
        path.write_text(yaml.safe_dump(playbook, sort_keys=False))
        playbook = str(path)
    task_log = workdir / "tasks.jsonl"
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), playbook]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if forks:
        command += ["--forks", str(forks)]
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH="%s:%s" % (BUILD, VENDOR),
                       ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"), ANSIBLE_CALLBACKS_ENABLED="bench_timing",
                       ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_HOST_KEY_CHECKING="0",
                       ARC_BENCH_TASK_LOG=str(task_log), ANSIBLE_LOCAL_TEMP=str(workdir / "tmp"))
    environment.update(env or {})
    started_wall, started = time.time(), time.monotonic()
    rc, usage, peak_pss_mb = _run_measured(command, workdir, environment, timeout)
    seconds = time.monotonic() - started
    events = [json.loads(line) for line in task_log.read_text().splitlines()] if task_log.exists() else []
    return PlaybookRun(rc, seconds, started_wall, round(usage.ru_maxrss / 1024.0, 1), (workdir / "stdout").read_text(),
                       (workdir / "stderr").read_text(), events, peak_pss_mb=peak_pss_mb,
                       cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2))


def _run_measured(command, workdir, environment, timeout):
    """Run the command to its end: its exit code, its resource usage and the sampled peak of its tree's PSS.
    The usage comes from wait4, so it is this run's alone (getrusage's RUSAGE_CHILDREN would mix in every
    earlier child of the bench): ru_maxrss is the largest single process among the command and the forks it
    waited for, the CPU times are theirs summed."""
    with open(workdir / "stdout", "w") as stdout, open(workdir / "stderr", "w") as stderr:
        child = subprocess.Popen(command, cwd=workdir, env=environment, stdout=stdout, stderr=stderr)
    memory = processes.TreeMemory(child.pid)
    memory.start()
    expired = threading.Event()
    killer = threading.Timer(timeout, lambda: (expired.set(), child.kill()))
    killer.start()
    try:
        status, usage = os.wait4(child.pid, 0)[1:]
    finally:
        killer.cancel()
        peak_pss_mb = memory.stop()
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait for it again
    if expired.is_set():
        raise subprocess.TimeoutExpired(command, timeout)
    return child.returncode, usage, peak_pss_mb
