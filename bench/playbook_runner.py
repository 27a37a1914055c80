"""ansible-playbook as the bench runs it: our collection from the build tree, kubernetes.core from the bench's
vendored copy, the bench_timing callback, and the wall time, exit code and peak memory of the run."""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

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
    peak_rss_mb: float        # of ansible-playbook and its forks (the largest single process)
    stdout: str
    stderr: str
    events: list = field(default_factory=list)  # bench_timing entries

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
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started_wall, started = time.time(), time.monotonic()
    process = subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True,
                             timeout=timeout, check=False)
    seconds = time.monotonic() - started
    # ru_maxrss of waited-for children is the largest so far, so it only says something when it grew
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024.0
    events = [json.loads(line) for line in task_log.read_text().splitlines()] if task_log.exists() else []
    return PlaybookRun(process.returncode, seconds, started_wall, round(peak, 1), process.stdout, process.stderr,
                       events)
