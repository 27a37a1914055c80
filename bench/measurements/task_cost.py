"""Per-task cost (issue 7 item 3): the wall time of one task reading the same DAG resource with arc_dag_info and
with kubernetes.core.k8s_info, under the same Ansible overhead: one play on the primary site whose tasks take
turns (ours, theirs, ansible.builtin.ping, in rotating order), TASKS of each per repetition, each timed from its
start to its result by the bench_timing callback. Taking turns spreads whatever else the machine does over all
three alike.

kubernetes.core reads with a warm discovery cache (a setup task fills it), its steady state within a playbook;
ping, the smallest Python module, shows the part of a task that is Ansible's own (templating, sending the
module, starting Python), which neither module can save."""
import statistics
import tempfile

from bench import stats
from bench.measurement import Result
from bench.pair_setup import Pair, certificate_task, dag_half_task, instance_task
from bench.playbook_runner import play, run_playbook
from bench.sandbox_session import running_sandbox

NAME = "task_cost"
TITLE = "Per-task cost: arc_dag_info against kubernetes.core.k8s_info reading the same DAG resource"
TASKS = 10
TARGET_RATIO = 0.8
OURS, THEIRS, PING = "arc_dag_info", "kubernetes.core.k8s_info", "ansible.builtin.ping"
KINDS = (OURS, THEIRS, PING)


def setup_plays(pair):
    """A connected DR pair of the bench's own, made as the seed does it, on both sites."""
    return play([instance_task("instance", "bench_pair"), certificate_task("certificate", "bench_pair", "bench_cert"),
                 dag_half_task("DAG", "bench_pair", "bench_cert")],
                hosts="primary:secondary", vars={"bench_pair": pair.as_var()})


def kind_tasks():
    """One task of each kind, reading this host's DAG half of the pair (kubernetes.core at the version and kind
    ours found, registered by the setup task)."""
    dag = "{{ bench_pair.dags[inventory_hostname] }}"
    return {OURS: {"arcdata.sqlmi.arc_dag_info": {"name": dag}},
            THEIRS: {"kubernetes.core.k8s_info": {
                "kubeconfig": "{{ arc_kubeconfig }}", "context": "{{ arc_context }}", "namespace": "{{ arc_namespace }}",
                "api_version": "sql.arcdata.microsoft.com/{{ bench_dag.api_version }}", "kind": "{{ bench_dag.api_kind }}",
                "name": dag}},
            PING: {"ansible.builtin.ping": {}}}


def measured_play(pair, cache_dir, timed):
    """A play that first learns the DAG's kind and version and warms each kind up, then runs `timed`. It uses
    kubernetes.core's discovery cache in a directory of the bench's own, which the warm-up fills; all kinds of
    task run with it, so that their environment is the same."""
    tasks = kind_tasks()
    prefix = [dict(tasks[OURS], name="setup: kind and version", register="bench_dag")]
    prefix += [dict(task, name="warm-up: %s" % kind) for kind, task in tasks.items()]
    plays = play(prefix + timed, hosts="primary", vars={"bench_pair": pair.as_var()})
    plays[0]["environment"] = {"TMPDIR": cache_dir}
    return plays


def turns(repetitions):
    """TASKS tasks of each kind per repetition, taking turns; each kind goes first, second and third in turn, so
    that none always follows the same one."""
    tasks, timed = kind_tasks(), []
    for repetition in range(repetitions):
        for index in range(TASKS):
            order = KINDS[index % len(KINDS):] + KINDS[:index % len(KINDS)]
            timed += [dict(tasks[kind], name=task_name(kind, repetition, index)) for kind in order]
    return timed


def task_name(kind, repetition, index):
    return "%s | %d | %d" % (kind, repetition, index)


def task_seconds(run):
    """{(kind, repetition): [seconds of each task]} from the tasks' start and result times."""
    started = {}
    found = {}
    for event in run.events:
        if " | " not in event["task"]:
            continue
        if event["event"] == "start":
            started[event["task"]] = event["time"]
        elif event["outcome"] == "ok":
            kind, repetition = event["task"].split(" | ")[:2]
            found.setdefault((kind, int(repetition)), []).append(event["time"] - started[event["task"]])
    return found


def run(args):
    result = Result(NAME, TITLE)
    pair = Pair("cost")
    with running_sandbox() as sandbox, tempfile.TemporaryDirectory(prefix="arc-bench-k8s-cache-") as cache_dir:
        inventory = sandbox.inventory(1)
        run_playbook(setup_plays(pair), inventory).check()
        played = run_playbook(measured_play(pair, cache_dir, turns(args.repetitions)), inventory).check()
    seconds = task_seconds(played)
    # one value per repetition: the median of its TASKS tasks of that kind
    per_repetition = dict((kind, [statistics.median(seconds[(kind, r)]) for r in range(args.repetitions)])
                          for kind in KINDS)
    wall = dict((kind, stats.summary(values, "s")) for kind, values in per_repetition.items())
    for kind in KINDS:
        result.figures["%s: seconds per task" % kind] = wall[kind]
    # the ratio within each repetition: both kinds met the same load there, which drifts between repetitions
    ratios = stats.summary([o / t for o, t in zip(per_repetition[OURS], per_repetition[THEIRS])], "x")
    result.figures["ratio ours / kubernetes.core"] = ratios
    for kind in (OURS, THEIRS):
        # the module's own part: the rest of a task is Ansible's and Python's, the same for any module
        result.figures["seconds per task beyond ping: %s" % kind] = round(
            wall[kind]["median"] - wall[PING]["median"], 3)
    result.target("task time, arc_dag_info / k8s_info", "<= %s" % TARGET_RATIO, ratios["median"],
                  ratios["median"] <= TARGET_RATIO)
    result.notes.append("%d tasks of each kind per repetition, taking turns in one play; each figure is the median "
                        "over repetitions of a repetition's median, the ratio that of each repetition's medians; "
                        "kubernetes.core with a warm discovery cache; on a shared machine the times follow its load, "
                        "the ratio less so" % TASKS)
    return result
