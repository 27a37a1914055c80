"""API requests per operation (issue 7 item 2), counted in the sites' audit logs: the collection's modules
against kubernetes.core doing the same read or write of the same object on the same sandbox, one task each, in
one playbook.

The operations: reading one instance (arc_sqlmi_info / k8s_info), reading one DAG resource (arc_dag_info /
k8s_info), an arc_dag run with nothing to change (the full desired state of the existing DAG resource, as
dr_setup re-runs it / k8s state=present with the object's own spec), and a role change, a planned failover
(arc_dag role=secondary, which waits until it is done / k8s state=patched with a merge patch of spec.role, then a
k8s_info every 5 s until status.role is Secondary). The role change is counted twice: the write alone (ours: the
requests up to and including its patch) and the write with the wait until done.

kubernetes.core keeps what it discovered in a cache file in the temporary directory, one per server and user,
and reads it in every later run; so it is counted twice: with a cold cache (a temporary directory of its own for
the task: a first task against a site, or a fresh execution environment) and with a warm one (every later task).
Discovery requests (/api, /apis, their group and version lists, /openapi, /version) are counted apart from
resource requests; each task is one module run, so its discovery requests are that run's."""
import re
import tempfile
from collections import defaultdict
from pathlib import Path

from bench import stats
from bench.measurement import Result
from bench.pair_setup import dr_setup
from bench.playbook_runner import play, run_playbook
from bench.sandbox_session import running_sandbox

NAME = "api_requests"
TITLE = "API requests per operation: ours against kubernetes.core"
MAX_REPETITIONS = 3  # the counts hardly vary: more repetitions would only make the bench longer
OURS, PINNED = "ours", "ours, version and kind given"
COLD, WARM = "kubernetes.core, cold cache", "kubernetes.core, warm cache"
VARIANTS = (OURS, PINNED, COLD, WARM)
OUR_USER_AGENT = "arcdata.sqlmi/"
CONTROLLER_USER_AGENT = "arc-controller"
DISCOVERY = re.compile(r"^/apis?(/[^/]+){0,2}$|^/openapi(/.*)?$|^/version$")
POLL_DELAY = 5

SQLMI_INFO = "read one instance"
DAG_INFO = "read one DAG resource"
IDEMPOTENT = "arc_dag with nothing to change"
SWITCH = "role change: the write"
SWITCH_DONE = "role change: write and wait until done"
OPERATIONS = (SQLMI_INFO, DAG_INFO, IDEMPOTENT, SWITCH, SWITCH_DONE)

K8S = {"kubeconfig": "{{ arc_kubeconfig }}", "context": "{{ arc_context }}", "namespace": "{{ arc_namespace }}"}
PARTNER = "hostvars[('secondary' if inventory_hostname == 'primary' else 'primary')]"
# kubernetes.core's object, at the version and kind our modules found (registered by the setup play)
THEIR_MI = dict(K8S, api_version="sql.arcdata.microsoft.com/{{ bench_mi.api_version }}", kind="SqlManagedInstance",
                name="{{ arc_instance }}")
# our modules told what kubernetes.core has to be told: no discovery needed for the object itself
MI_GIVEN = {"api_version": "{{ bench_mi.api_version }}"}
DAG_GIVEN = {"api_version": "{{ bench_dag.api_version }}", "api_kind": "{{ bench_dag.api_kind }}"}
THEIR_DAG = dict(K8S, api_version="sql.arcdata.microsoft.com/{{ bench_dag.api_version }}",
                 kind="{{ bench_dag.api_kind }}", name="{{ arc_dag_resource }}")


def is_discovery(request):
    return bool(DISCOVERY.match(request["path"].split("?")[0]))


def task_name(operation, variant, repetition, step=""):
    return " | ".join(filter(None, (operation, variant, str(repetition), step)))


class Caches:
    """The temporary directories kubernetes.core keeps its discovery cache in: a new one for every cold task,
    one shared by all warm tasks (warmed by the setup play)."""

    def __init__(self, root):
        self.root = Path(root)
        self.warm = self._new("warm")
        self._cold = 0

    def _new(self, name):
        path = self.root / name
        path.mkdir()
        return str(path)

    def environment(self, variant):
        if variant == WARM:
            return {"TMPDIR": self.warm}
        self._cold += 1
        return {"TMPDIR": self._new("cold-%d" % self._cold)}


# -- the playbook ---------------------------------------------------------------------------------------------
def setup_play(caches):
    """On both sites: each instance's certificate (for the partner's full arc_dag arguments), the versions and
    kind our modules find (kubernetes.core is given the same), and kubernetes.core's warm cache."""
    warm = {"environment": {"TMPDIR": caches.warm}}
    return play([
        {"name": "setup: certificate", "arcdata.sqlmi.arc_mirroring_cert": {"name": "{{ arc_instance }}"},
         "register": "bench_cert"},
        {"name": "setup: instance version", "arcdata.sqlmi.arc_sqlmi_info": {"name": "{{ arc_instance }}"},
         "register": "bench_mi"},
        {"name": "setup: DAG kind and version", "arcdata.sqlmi.arc_dag_info": {"name": "{{ arc_dag_resource }}"},
         "register": "bench_dag"},
        dict(warm, name="setup: warm kubernetes.core (instance)", **{"kubernetes.core.k8s_info": THEIR_MI}),
        dict(warm, name="setup: warm kubernetes.core (DAG)", register="bench_live",
             **{"kubernetes.core.k8s_info": THEIR_DAG}),
    ], hosts="primary:secondary")


def ours_idempotent():
    """arc_dag's options for the full desired state of this site's DAG half, as dr_setup's dr_dag role gives it."""
    return {"name": "{{ arc_dag_resource }}", "dag_name": "{{ arc_dag_name }}", "local_instance": "{{ arc_instance }}",
            "remote_instance": "{{ %s.arc_instance }}" % PARTNER,
            "remote_mirroring_url": "{{ %s.bench_cert.mirroring_url }}" % PARTNER,
            "remote_mirroring_cert": "{{ %s.bench_cert.certificate }}" % PARTNER,
            "role": "{{ arc_initial_role }}", "sync_mode": "{{ arc_sync_mode }}"}


def their_idempotent():
    """k8s state=present with the object's own spec: what a declarative kubernetes.core playbook re-applies."""
    definition = {"apiVersion": "sql.arcdata.microsoft.com/{{ bench_dag.api_version }}",
                  "kind": "{{ bench_dag.api_kind }}",
                  "metadata": {"name": "{{ arc_dag_resource }}", "namespace": "{{ arc_namespace }}"},
                  "spec": "{{ bench_live.resources[0].spec }}"}
    return {"kubernetes.core.k8s": dict(K8S, state="present", definition=definition)}


def read_tasks(repetition, caches):
    """The reads and the idempotent arc_dag, ours and theirs (cold, warm), on the primary site."""
    pairs = {SQLMI_INFO: ("arcdata.sqlmi.arc_sqlmi_info", {"name": "{{ arc_instance }}"}, MI_GIVEN,
                          {"kubernetes.core.k8s_info": THEIR_MI}),
             DAG_INFO: ("arcdata.sqlmi.arc_dag_info", {"name": "{{ arc_dag_resource }}"}, DAG_GIVEN,
                        {"kubernetes.core.k8s_info": THEIR_DAG}),
             IDEMPOTENT: ("arcdata.sqlmi.arc_dag", ours_idempotent(), DAG_GIVEN, their_idempotent())}
    tasks = []
    for operation, (module, options, given, theirs) in pairs.items():
        tasks.append({"name": task_name(operation, OURS, repetition), module: options})
        tasks.append({"name": task_name(operation, PINNED, repetition), module: dict(options, **given)})
        for variant in (COLD, WARM):
            tasks.append(dict(theirs, name=task_name(operation, variant, repetition),
                              environment=caches.environment(variant)))
    return tasks


def settled(name):
    """Not counted: waits until this site's DAG half is Primary, Succeeded and connected, so that each role
    change starts from a settled pair (kubernetes.core would not wait for it on its own)."""
    return {"name": name, "arcdata.sqlmi.arc_dag_info": {"name": "{{ arc_dag_resource }}"}, "register": "bench_now",
            "until": "bench_now.dags[0].role == 'Primary' and bench_now.dags[0].state == 'Succeeded' and "
                     "bench_now.dags[0].connected", "retries": 60, "delay": 1}


def our_switch(repetition, sample):
    return play([settled("settle: ours %d %d" % (repetition, sample)),
                 {"name": task_name(SWITCH_DONE, OURS, repetition, str(sample)),
                  "arcdata.sqlmi.arc_dag": {"name": "{{ arc_dag_resource }}", "role": "secondary"}}],
                hosts="primary")


def their_switch(repetition, variant, caches):
    """A merge patch of spec.role, then k8s_info every 5 s until status.role is Secondary, with the same cache."""
    environment = caches.environment(variant)
    polled = "(bench_polled.resources | default([]) | first | default({}, true)).status | default({})"
    return play([settled("settle: %s %d" % (variant, repetition)),
                 {"name": task_name(SWITCH_DONE, variant, repetition, "patch"), "environment": environment,
                  "kubernetes.core.k8s": dict(THEIR_DAG, state="patched", merge_type="merge",
                                              definition={"spec": {"role": "secondary"}})},
                 {"name": task_name(SWITCH_DONE, variant, repetition, "wait"), "environment": environment,
                  "kubernetes.core.k8s_info": THEIR_DAG, "register": "bench_polled",
                  "until": "(%s).role | default('') == 'Secondary'" % polled, "retries": 24, "delay": POLL_DELAY}],
                hosts="secondary")


def playbook(repetitions, caches):
    """Setup, the reads, then the role changes: the secondary site is promoted by ours and demoted back by
    theirs, so every role change starts from the same pair. The last play is theirs: its switch writes to both
    sites' DAG resources, which ends our last watch and so puts it in the audit log before the run ends."""
    plays = setup_play(caches)
    for repetition in range(repetitions):
        plays += play(read_tasks(repetition, caches), hosts="primary")
    for repetition in range(repetitions):
        for variant in (COLD, WARM):
            plays += our_switch(repetition, variant == WARM) + their_switch(repetition, variant, caches)
    return plays


# -- counting -------------------------------------------------------------------------------------------------
def windows(run):
    """{task name: (first start, last result)} of the counted tasks (their names have a variant)."""
    starts, ends = {}, {}
    for event in run.events:
        if not any(" | %s | " % v in event["task"] for v in VARIANTS):
            continue
        if event["event"] == "start":
            starts.setdefault(event["task"], event["time"])
        else:
            ends[event["task"]] = max(ends.get(event["task"], 0), event["time"])
    return dict((task, (starts[task], ends[task])) for task in starts if task in ends)


def client_requests(requests, variant):
    """Ours by our user agent; theirs is every other client (not the sites' controllers)."""
    if variant in (OURS, PINNED):
        return [r for r in requests if r["user_agent"].startswith(OUR_USER_AGENT)]
    return [r for r in requests
            if not r["user_agent"].startswith((OUR_USER_AGENT, CONTROLLER_USER_AGENT))]


def per_task(run, requests):
    """{task name: its requests, in time order}, by the audit timestamps within the task's window."""
    found = defaultdict(list)
    for task, (start, end) in windows(run).items():
        variant = task.split(" | ")[1]
        found[task] = sorted((r for r in client_requests(requests, variant) if start <= r["ts"] <= end),
                             key=lambda r: r["ts"])
    return found


def up_to_patch(requests):
    """Ours' requests of a role change without its wait: those up to and including the patch."""
    patches = [i for i, r in enumerate(requests) if r["verb"] == "patch"]
    return requests[:patches[0] + 1] if patches else requests


def samples(found):
    """(operation, variant, sample, requests) of every counted task. A role change also counts as its write
    alone: ours up to its patch, theirs the patch task; theirs' patch and wait tasks are one sample together."""
    for task, requests in found.items():
        operation, variant, repetition, step = (task.split(" | ") + [""])[:4]
        if operation != SWITCH_DONE:
            yield operation, variant, repetition, requests
        elif variant == OURS:
            yield SWITCH_DONE, variant, repetition + step, requests
            yield SWITCH, variant, repetition + step, up_to_patch(requests)
        else:
            yield SWITCH_DONE, variant, repetition, requests
            if step == "patch":
                yield SWITCH, variant, repetition, requests


def counts(found):
    """{(operation, variant): [(discovery, resource requests) per sample]}"""
    totals = defaultdict(lambda: [0, 0])
    for operation, variant, sample, requests in samples(found):
        discovery = sum(1 for r in requests if is_discovery(r))
        totals[(operation, variant, sample)][0] += discovery
        totals[(operation, variant, sample)][1] += len(requests) - discovery
    result = defaultdict(list)
    for (operation, variant, unused), pair in sorted(totals.items()):
        result[(operation, variant)].append(tuple(pair))
    return result


def sequences(found, variants):
    """{(operation, variant): what the first sample asked, in order, as 'verb resource'} for `variants`."""
    first = {}
    for operation, variant, sample, requests in sorted(samples(found), key=lambda s: s[:3]):
        if variant in variants and first.setdefault((operation, variant), (sample, []))[0] == sample:
            first[(operation, variant)][1].extend(requests)
    return dict((key, ", ".join("%s %s" % (r["verb"], r["resource"] or r["path"])
                                for r in sorted(requests, key=lambda r: r["ts"])))
                for key, (unused, requests) in first.items())


def max_discovery_per_run(found):
    """The most discovery requests one of our module runs made."""
    return max(sum(1 for r in requests if is_discovery(r))
               for task, requests in found.items() if task.split(" | ")[1] in (OURS, PINNED))


# -- the measurement ------------------------------------------------------------------------------------------
def run(args):
    result = Result(NAME, TITLE)
    repetitions = min(args.repetitions, MAX_REPETITIONS)
    with running_sandbox() as sandbox, tempfile.TemporaryDirectory(prefix="arc-bench-k8s-cache-") as root:
        inventory = dr_setup(sandbox)
        marks = sandbox.marks()
        played = run_playbook(playbook(repetitions, Caches(root)), inventory).check()
        found = per_task(played, sandbox.requests_since(marks))
    report(result, counts(found), max_discovery_per_run(found))
    result.notes += ["%s, %s: %s" % (operation, variant, asked)
                     for (operation, variant), asked in sorted(sequences(found, (OURS, WARM)).items(),
                                                               key=lambda item: OPERATIONS.index(item[0][0]))]
    result.notes.append("%d repetitions (at most %d: the counts hardly vary); ours' role change runs twice per "
                        "repetition; kubernetes.core polls every %d s" % (repetitions, MAX_REPETITIONS, POLL_DELAY))
    return result


def report(result, counted, most_discovery):
    result.target("discovery requests per module run (ours, the most of any run)", "<= 1", most_discovery,
                  most_discovery <= 1)
    for operation in OPERATIONS:
        totals = {}
        variants = [v for v in VARIANTS if (operation, v) in counted]
        for variant in variants:
            measured = counted[(operation, variant)]
            totals[variant] = stats.summary([d + r for d, r in measured], "requests")
            result.figures["%s: %s" % (operation, variant)] = totals[variant]
        result.notes.append("%s: %s" % (operation, "; ".join(
            "%s %s discovery + %s resource" % (variant, _median(counted[(operation, variant)], 0),
                                               _median(counted[(operation, variant)], 1))
            for variant in variants)))
        for variant in (COLD, WARM):
            ours, theirs = totals[OURS]["median"], totals[variant]["median"]
            result.target("%s: ours <= %s" % (operation, variant), "<= %s" % theirs, ours, ours <= theirs)


def _median(pairs, index):
    return stats.summary([p[index] for p in pairs], "requests")["median"]
