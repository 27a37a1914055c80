"""Helpers of test_interrupted_runs.py and test_lock_clock_skew.py: ansible-playbook runs that can be killed (the
whole process group, SIGKILL: the control node dies with its module processes) at a step found in a site's audit
log, and what the tests read back afterwards: the transitions recorded (handover Events and annotations), the DR
lock on each site, whether the pair converged."""
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from kubernetes import client
from kubernetes.client.rest import ApiException

from .conftest import HERE, HOSTS, COLLECTIONS_PATH, Ansible, Run
from .dr_playbooks import handover_events
from .fault_matrix import Strike

TRANSITION = re.compile(r"\[transition ([0-9a-f]+)\]")
HANDOVER = "arcdata.sqlmi/handover"
INTENT = "arcdata.sqlmi/transition"
TAKEOVER = "arcdata.sqlmi/taken-over"


def process_tree(root):
    """The pids of `root` and all its descendants (from /proc: ansible's workers call setsid, so they are in process
    groups of their own, and a kill of ansible-playbook's group alone would leave them and their modules running)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def kill_control_node(root):
    """SIGKILL to every process of the run (each process group of the tree): stopped first, so that none starts a
    request or a child in between."""
    stopped = set()
    for unused in range(3):  # until no new child appears
        fresh = [pid for pid in process_tree(root) if pid not in stopped]
        if not fresh:
            break
        for pid in fresh:
            _signal(pid, signal.SIGSTOP)
            stopped.add(pid)
    for pid in stopped:
        _signal(pid, signal.SIGKILL)


def _signal(pid, number):
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


class Kill(Strike):
    """A Strike (fault_matrix.py) whose fault is SIGKILL to the whole ansible-playbook run (its process group and
    its workers' groups, module processes included), `delay` seconds after the request it waits for."""

    def __init__(self, *args, delay=0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.delay = delay

    def _strike(self, commands):
        time.sleep(self.delay)
        for process in commands:
            if process.poll() is not None:
                self.errors.append("ansible-playbook had ended before the kill")
            kill_control_node(process.pid)
        self.fired = True


class KillableAnsible(Ansible):
    """Ansible runs in a process group of their own; run() with `kill` (a Kill) kills it when the Kill fires.
    `env` of run() may put a sitecustomize on PYTHONPATH for the module processes (clock_skew/)."""

    def run(self, playbook, extra_vars=None, env=None, inventory=None, timeout=600, kill=None, **unused):
        path = Path(playbook) if not isinstance(playbook, (list, dict)) else None
        tag = "%08x" % (time.monotonic_ns() & 0xffffffff)
        task_log = self.workdir / f"tasks-{tag}.jsonl"
        command = [self.ansible_playbook, "-i", str(inventory or self.inventory), str(path or playbook)]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_PATH),
                           ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"),
                           ANSIBLE_CALLBACKS_ENABLED="task_log", ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
                           ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_RETRY_FILES_ENABLED="0",
                           ARC_TASK_LOG=str(task_log), ANSIBLE_LOCAL_TEMP=str(self.workdir / "ansible-tmp"))
        environment.update(env or {})
        process = subprocess.Popen(command, cwd=self.workdir, env=environment, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        if kill is not None:
            kill.start(self.sandbox, [process])
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        finally:
            if kill is not None:
                kill.stop()
        return Run(subprocess.CompletedProcess(command, process.returncode, stdout, stderr), task_log)


def recorded_transitions(sandbox, pair):
    """{site: Counter of transition ids in the site's handover Events about the pair's DAG resource}."""
    found = {}
    for site in HOSTS:
        ids = [m.group(1) for m in (TRANSITION.search(e.message or "") for e in handover_events(sandbox, pair, site))
               if m]
        found[site] = Counter(ids)
    return found


def annotated_record(dag):
    """The handover record a DAG resource carries, or None."""
    text = ((dag or {}).get("metadata", {}).get("annotations") or {}).get(HANDOVER)
    return json.loads(text) if text else None


def lease(sandbox, site, pair):
    """The pair's DR lock on this site, as a dict (None: none)."""
    handle = sandbox.site(site)
    api = client.CoordinationV1Api(handle.custom().api_client)
    try:
        found = api.read_namespaced_lease("arcdata-sqlmi-dr-%s" % pair.dag_name.lower(), handle.namespace)
    except ApiException as exc:
        assert exc.status == 404, exc
        return None
    return api.api_client.sanitize_for_serialization(found)


def annotation(found_lease, key):
    text = ((found_lease or {}).get("metadata", {}).get("annotations") or {}).get(key)
    return json.loads(text) if text else None


def held_locks(sandbox, pair):
    """The sites whose DR lock is held, with the holder."""
    found = {}
    for site in HOSTS:
        holder = ((lease(sandbox, site, pair) or {}).get("spec") or {}).get("holderIdentity")
        if holder:
            found[site] = holder
    return found


def intents(sandbox, pair):
    """The transition intents the DR locks carry, by site."""
    return dict((site, annotation(lease(sandbox, site, pair), INTENT)) for site in HOSTS
                if annotation(lease(sandbox, site, pair), INTENT))


def warnings_of(run):
    """The run's warnings as one line (ansible wraps them to the terminal's width)."""
    return " ".join(run.stderr.split())
