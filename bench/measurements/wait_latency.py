"""Wait latency (issue 7 item 1): from the controller's status write that makes a condition true (its audit log
timestamp) to the return of the task that waited for it, for three waits: an instance becoming Ready (arc_sqlmi
create), a DAG side Succeeded and connected (arc_dag create on the secondary site) and a role flip (arc_dag
role=secondary, a planned failover, until status.role is Secondary for the new generation). Ours is the modules'
own watch-based wait; the alternative is what `az` and kubernetes.core do: the same module without waiting, then
an until/retries/delay: 5 loop of kubernetes.core.k8s_info on the same object doing the same check, started
right after the write. Both run on the same sandbox in the same playbook, one after the other.

A poll's latency depends on where the condition falls in its 5-second cycle, so each repetition uses a sandbox
of its own whose timings put that moment at a different point of the cycle (stratified over repetitions: with
one repetition, the middle): the ready delay, how long the partner's DAG half takes to appear, and how long the
partner needs to catch up with a backlog of log records before the switch (the planned failover waits for it)."""
import datetime
import os

from bench import stats
from bench.audit_timing import ObjectHistory, controller_made, epoch_of
from bench.measurement import Result
from bench.pair_setup import WAIT_TIMEOUT, Pair, certificate_task, dag_half_task, instance_task
from bench.playbook_runner import play, run_playbook
from bench.sandbox_session import running_sandbox
from sandbox.layout import REPO_ROOT

NAME = "wait_latency"
TITLE = "Wait latency: controller status write to task return, watch (ours) against a 5 s poll"
POLL_DELAY = 5
POLL_RETRIES = 24
SEEDING_RATE = 20  # log records per second the partner receives: a backlog of N records takes N / 20 s
BACKLOG_WRITE_RATE = 100  # writes per second of the backlog: faster than the partner catches up, and than this
# machine commits them even when loaded (about 150 a second)
WAITS = ("ready", "dag", "role flip")
TARGET_SECONDS = 0.2
TARGET_RATIO = 10

READY_OURS = "ready: arc_sqlmi creates and waits (watch)"
READY_CREATE = "ready: arc_sqlmi creates without waiting"
READY_POLL = "ready: k8s_info every 5 s until Ready"
DAG_OURS = "dag: arc_dag creates the secondary's half and waits (watch)"
DAG_CREATE = "dag: arc_dag creates the secondary's half without waiting"
DAG_POLL = "dag: k8s_info every 5 s until Succeeded and connected"
FLIP_OURS = "role flip: arc_dag role=secondary and waits (watch)"
FLIP_REQUEST = "role flip: arc_dag role=secondary without waiting"
FLIP_POLL = "role flip: k8s_info every 5 s until Secondary"
FLOOR = "ansible floor: a command task"

# Jinja: the status the last k8s_info attempt read
POLLED_STATUS = "{{ (bench_polled.resources | default([]) | first | default({}, true)).status | default({}) }}"
GENERATION = "bench_status.observedGeneration | default(0) | int >= %s.metadata.generation"
CONNECTED = ("bench_status.replicas | default([]) | length > 0 and bench_status.replicas "
             "| rejectattr('connectedState', 'equalto', 'CONNECTED') | list | length == 0")


# -- what the waits wait for, as the modules' conditions (plugins/module_utils/conditions.py) check it ----------
def _status(obj):
    return obj.get("status") or {}


def _observed(obj):
    return (_status(obj).get("observedGeneration") or 0) >= obj["metadata"]["generation"]


def is_ready(obj):
    return _status(obj).get("state") == "Ready" and _observed(obj)


def is_connected(obj):
    replicas = _status(obj).get("replicas") or []
    return (_status(obj).get("state") == "Succeeded" and _observed(obj) and bool(replicas)
            and all(r.get("connectedState") == "CONNECTED" for r in replicas))


def is_secondary(obj):
    return _status(obj).get("role") == "Secondary" and _status(obj).get("state") == "Succeeded" and _observed(obj)


def reports_secondary(obj):
    return _status(obj).get("role") == "Secondary"


# -- the playbook of one repetition ---------------------------------------------------------------------------
def poll_task(name, kind, registered, condition):
    """kubernetes.core.k8s_info on the object `registered` (a module result) names, every 5 s until `condition`."""
    resource = "resource" if kind == "FailoverGroup" else "instance"
    return {"name": name, "kubernetes.core.k8s_info": {
        "api_version": "sql.arcdata.microsoft.com/{{ %s.api_version }}" % registered, "kind": kind,
        "name": "{{ %s.%s.metadata.name }}" % (registered, resource), "namespace": "{{ arc_namespace }}",
        "kubeconfig": "{{ arc_kubeconfig }}", "context": "{{ arc_context }}"},
        "register": "bench_polled", "vars": {"bench_status": POLLED_STATUS},
        "until": "%s and %s" % (condition, GENERATION % ("%s.%s" % (registered, resource))),
        "retries": POLL_RETRIES, "delay": POLL_DELAY}


def floor_task():
    """What Ansible alone costs from a module's end to the task result: the command module reports when its
    command ended, just before it exits, as our modules do once their watch delivered the awaited version."""
    return {"name": FLOOR, "ansible.builtin.command": "true", "changed_when": False}


def on(host, task):
    return dict(task, when="inventory_hostname == '%s'" % host)


def ready_play(play_vars):
    """Both sites' instances of each pair: the 'ours' pair's waiting in arc_sqlmi, the 'poll' pair's by k8s_info."""
    return play([instance_task(READY_OURS, "bench_ours"),
                 instance_task(READY_CREATE, "bench_poll", wait=False, register="bench_created"),
                 poll_task(READY_POLL, "SqlManagedInstance", "bench_created",
                           "bench_status.state | default('') == 'Ready'"),
                 certificate_task("certificates of the 'ours' pair", "bench_ours", "bench_cert_ours"),
                 certificate_task("certificates of the 'poll' pair", "bench_poll", "bench_cert_poll"), floor_task()],
                hosts="primary:secondary", vars=play_vars)


def dag_play(play_vars, pair_var, waited):
    """The secondary's DAG half is created (and waited for), while the primary's half comes bench_partner_delay
    seconds later: each host goes its own way (strategy free), so the link comes up at that moment."""
    certificates = pair_var.replace("bench_", "bench_cert_")
    tasks = [on("primary", {"name": "dag: the primary's half comes later", "changed_when": False,
                            "ansible.builtin.command": {"argv": ["sleep", "{{ bench_partner_delay }}"]}}),
             on("primary", dag_half_task("dag: the primary's half (%s pair)" % pair_var, pair_var, certificates,
                                         wait=False))]
    if waited:
        secondary = [on("secondary", dag_half_task(DAG_OURS, pair_var, certificates))]
    else:
        secondary = [on("secondary", dag_half_task(DAG_CREATE, pair_var, certificates, wait=False,
                                                   register="bench_dag_created")),
                     on("secondary", poll_task(DAG_POLL, "FailoverGroup", "bench_dag_created",
                                               "bench_status.state | default('') == 'Succeeded' and " + CONNECTED))]
    plays = play(secondary + tasks, hosts="primary:secondary", vars=play_vars)
    plays[0]["strategy"] = "free"
    return plays


def backlog_task(pair_var, sandbox, seconds):
    """Writes to the pair's primary instance for `seconds`, faster than the partner receives them: the planned
    failover waits until the partner has them all."""
    return {"name": "role flip: a backlog of writes on the %s pair" % pair_var, "changed_when": False,
            "ansible.builtin.command": {"chdir": str(REPO_ROOT), "argv": [
                "{{ ansible_python_interpreter }}", "-m", "sandbox", "--runtime-dir", str(sandbox.runtime_dir),
                "workload", "--site", "primary", "--instance", "{{ %s.instances.primary }}" % pair_var,
                "--rate", str(BACKLOG_WRITE_RATE), "--seconds", "%.3f" % seconds]}}


def flip_play(play_vars, sandbox, backlog_seconds):
    """A planned failover of each pair, after a backlog that the partner needs time to catch up with."""
    ours = {"name": "{{ bench_ours.dags.primary }}", "role": "secondary", "wait_timeout": WAIT_TIMEOUT}
    poll = {"name": "{{ bench_poll.dags.primary }}", "role": "secondary", "wait": False}
    return play([floor_task(), backlog_task("bench_ours", sandbox, backlog_seconds),
                 {"name": FLIP_OURS, "arcdata.sqlmi.arc_dag": ours},
                 backlog_task("bench_poll", sandbox, backlog_seconds),
                 {"name": FLIP_REQUEST, "arcdata.sqlmi.arc_dag": poll, "register": "bench_flip"},
                 poll_task(FLIP_POLL, "FailoverGroup", "bench_flip",
                           "bench_status.role | default('') == 'Secondary' and "
                           "bench_status.state | default('') == 'Succeeded'")],
                hosts="primary", vars=play_vars)


# -- one repetition -------------------------------------------------------------------------------------------
class Delays:
    """When each condition comes true, for a repetition at `phase` (0..1) of the 5-second poll cycle."""

    def __init__(self, phase):
        # the poll's first check comes a second or two after the write (k8s_info starting): the delays start there
        self.ready = 2.0 + POLL_DELAY * phase      # seconds after the create (the sandbox's ready delay)
        self.partner = 1.0 + POLL_DELAY * phase    # seconds until the primary's DAG half is created
        # seconds of writing: the partner catches up (and the switch can happen) about (3 + 5 * phase) s after the
        # first write, which is 1-3 s before arc_dag's patch on this machine
        self.backlog = (3.0 + POLL_DELAY * phase) * SEEDING_RATE / BACKLOG_WRITE_RATE

    def sandbox_args(self):
        # the DAG half waiting for its partner must not give up (Failed) before the partner comes
        return ("--ready-delay", "%.2f" % self.ready, "--connect-timeout", "60", "--seeding-rate", str(SEEDING_RATE))


def repetition(phase):
    """{(wait, 'ours'|'poll'): [seconds]} plus poll details, from one playbook on a sandbox of its own."""
    delays = Delays(phase)
    ours, poll = Pair("o"), Pair("p")
    with running_sandbox(*delays.sandbox_args()) as sandbox:
        inventory = sandbox.inventory(1)
        play_vars = {"bench_ours": ours.as_var(), "bench_poll": poll.as_var(),
                     "bench_partner_delay": round(delays.partner, 2)}
        plays = (ready_play(play_vars) + dag_play(play_vars, "bench_ours", True)
                 + dag_play(play_vars, "bench_poll", False) + flip_play(play_vars, sandbox, delays.backlog))
        marks = sandbox.marks()
        with ObjectHistory(sandbox, ("sqlmanagedinstances", "failovergroups")) as history:
            playbook = run_playbook(plays, inventory).check()
        entries = {site: log.since(marks[site]) for site, log in sandbox.audit.items()}
    return Repetition(playbook, history, entries, ours, poll).samples()


class Repetition:
    """Latencies of one playbook run, from its task times, the observed versions and the audit logs."""

    def __init__(self, playbook, history, entries, ours, poll):
        self.run, self.history, self.entries = playbook, history, entries
        self.ours, self.poll = ours, poll
        self.found = {}

    def samples(self):
        for host in ("primary", "secondary"):
            self._add("ready", host, "sqlmanagedinstances", self.ours.instances[host], is_ready, READY_OURS)
            self._add("ready", host, "sqlmanagedinstances", self.poll.instances[host], is_ready, READY_POLL,
                      READY_CREATE)
        self._add("dag", "secondary", "failovergroups", self.ours.dags["secondary"], is_connected, DAG_OURS)
        self._add("dag", "secondary", "failovergroups", self.poll.dags["secondary"], is_connected, DAG_POLL,
                  DAG_CREATE)
        settled = self._add("role flip", "primary", "failovergroups", self.ours.dags["primary"], is_secondary,
                            FLIP_OURS)
        self._add("role flip", "primary", "failovergroups", self.poll.dags["primary"], is_secondary, FLIP_POLL,
                  FLIP_REQUEST)
        self._split_flip(settled)
        self.found["floor"] = [e["time"] - _local_epoch(e["result"]["end"]) for e in self.run.results(FLOOR)]
        return self.found

    def _split_flip(self, settled):
        """Where our role flip's latency goes: the controller's own flip-to-settled step, then, on our side, the
        wait until arc_dag knew (it stamps failover.finished when its wait ends) and what followed it."""
        flipped = controller_made(self.history, self.entries["primary"], "primary", "failovergroups",
                                  self.ours.dags["primary"], reports_secondary, after=self._started(FLIP_OURS))
        returned = self._returned(FLIP_OURS, "primary")
        finished = epoch_of(returned["result"]["failover"]["finished"])
        self.found[("role flip", "flip to settled")] = [settled.ts - flipped.ts]
        self.found[("role flip", "module knew")] = [finished - settled.ts]
        self.found[("role flip", "after the module")] = [returned["time"] - finished]

    def _add(self, wait, host, plural, name, predicate, task, writer=None):
        """One latency: from the controller's write to the return of `task`; `writer` is the task that made the
        request (the waiting task itself when omitted), after which the condition is looked for."""
        returned = self._returned(task, host)
        moment = controller_made(self.history, self.entries[host], host, plural, name, predicate,
                                 after=self._started(writer or task))
        method = "poll" if writer else "ours"
        self.found.setdefault((wait, method), []).append(returned["time"] - moment.ts)
        if writer:
            poll_started = self._returned(writer, host)["time"]
            self.found.setdefault((wait, "true after poll start"), []).append(moment.ts - poll_started)
            self.found.setdefault((wait, "checks"), []).append(returned["result"].get("attempts", 1))
        return moment

    def _returned(self, task, host):
        found = [e for e in self.run.results(task) if e["host"] == host]
        if len(found) != 1 or found[0]["outcome"] != "ok":
            raise RuntimeError("%s on %s: expected one ok result, got %s" % (task, host, found))
        return found[0]

    def _started(self, task):
        return min(self.run.started_at(task))


def _local_epoch(stamp):
    """Epoch seconds of the command module's local-time `end` (2024-05-01 10:00:00.123456)."""
    return datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()


# -- the figures ----------------------------------------------------------------------------------------------
def run(args):
    found = {}
    for number in range(args.repetitions):
        for key, values in repetition((number + 0.5) / args.repetitions).items():
            found.setdefault(key, []).extend(values)
    result = Result(NAME, TITLE)
    for wait in WAITS:
        _compare(result, wait, found)
    for wait in WAITS:
        _explain(result, wait, found)
    result.figures["role flip: controller, status.role flip to the settled write"] = stats.summary(
        found[("role flip", "flip to settled")], "s")
    result.figures["role flip: ours, write to the end of arc_dag's wait (failover.finished)"] = stats.summary(
        found[("role flip", "module knew")], "s")
    result.figures["role flip: ours, end of arc_dag's wait to the task result"] = stats.summary(
        found[("role flip", "after the module")], "s")
    result.figures["ansible floor: a command's end to its task result"] = stats.summary(found["floor"], "s")
    result.notes += NOTES + ["load average (1 min) at the end: %.1f on %d CPUs (other work on the machine slows "
                             "every process start and exit measured here)" % (os.getloadavg()[0], os.cpu_count())]
    return result


def _compare(result, wait, found):
    """Ours against the poll, with the two targets."""
    ours, poll = stats.summary(found[(wait, "ours")], "s"), stats.summary(found[(wait, "poll")], "s")
    ratio = stats.ratio(poll, ours)
    result.figures.update({"%s: ours (watch)" % wait: ours, "%s: 5 s poll" % wait: poll,
                           "%s: poll / ours" % wait: ratio})
    result.target("%s: median latency, ours" % wait, "<= %s s" % TARGET_SECONDS, ours["median"],
                  ours["median"] <= TARGET_SECONDS)
    result.target("%s: poll / ours" % wait, ">= %sx" % TARGET_RATIO, ratio, ratio is not None and ratio >= TARGET_RATIO)


def _explain(result, wait, found):
    """Where each latency goes: ours split at the moment the module closed its watch; the poll's phase."""
    figures = {"poll, condition true after the poll started": (found[(wait, "true after poll start")], "s"),
               "poll, checks made": (found[(wait, "checks")], "checks")}
    for name, (values, unit) in figures.items():
        result.figures["%s: %s" % (wait, name)] = stats.summary(values, unit)


NOTES = [
    "latency: the audit log time of the controller's status write that made the condition true (found through a "
    "watch of the bench's own and status.lastUpdateTime) to the bench_timing result time of the task",
    "ready: both sites' instances (2 samples per repetition); dag: the secondary's half, its partner's half "
    "created a chosen delay later; role flip: arc_dag role=secondary on the primary, until status.role is "
    "Secondary and state Succeeded for the new generation (the controller writes the flip itself a little "
    "earlier, with state Updating: see the controller figure)",
    "poll: the same module with wait=false, then kubernetes.core.k8s_info with until/retries/delay %d doing the "
    "same check; each repetition has a sandbox of its own whose ready delay, partner delay and failover backlog "
    "put the condition at a different point of the poll cycle" % POLL_DELAY,
    "where ours goes: arc_dag stamps failover.finished when its wait ends, so a role flip splits into the wait "
    "and what follows (the module exiting, Ansible handling the result); the ansible floor is that second part "
    "for a command task"]
