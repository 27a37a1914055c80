"""Planned failover overhead: the failover_planned playbook end to end on a pair dr_setup made, minus the
controller's own switch, and where the rest of the time goes (per task of the run, and per step inside the
failover module's run, as the module reports its steps).

The controller's switch, from the audit log: from our patch of spec.role=secondary on the current primary's DAG
resource (the API server receiving it) to the later of the two status writes the playbook waits for: the old
primary's side reporting role Secondary with state Succeeded for the patched generation (what arc_dag waits
for), and the other side reporting role Primary (what the playbook then checks). Everything else in the
ansible-playbook run's wall time is the automation's overhead. The playbook switches whichever site is primary,
so the repetitions alternate failover and failback, and each is a real switch."""
import os
import resource
from dataclasses import dataclass

from bench import stats
from bench.audit_timing import ObjectHistory, controller_made, our_writes
from bench.measurement import Result
from bench.pair_setup import dr_setup, inventory_hosts
from bench.playbook_runner import run_playbook
from bench.sandbox_session import running_sandbox

NAME = "planned_failover"
TITLE = "Planned failover: failover_planned end to end, minus the controller's own switch"
TARGET_SECONDS = 2.0
# instances Ready and DAGs failing fast, so that dr_setup is quick; the switch itself keeps the sandbox's pace
SANDBOX_TIMINGS = ("--ready-delay", "0.2", "--connect-timeout", "5")
SWITCH_TASK = "Read both sites, then refuse or carry out the transition, mode planned"
# the playbook's steps, each named by the start of the name of its first task, in the order they run
PHASES = (("Validating arguments", "role argument validation"),
          ("Describe this site", "site description"),
          (SWITCH_TASK, "failover module run (arc_failover)"),
          ("Report the pair", "report and set_stats"))
MODULE_TASKS = "module tasks"
MODULE_RUNS = "module runs (module task results per host)"
CPU = "CPU time of ansible-playbook, its workers and modules"
STARTUP, EXIT = "ansible-playbook start-up (to the first task)", "ansible-playbook exit (after the last result)"


def run(args):
    found = {}
    with running_sandbox(*SANDBOX_TIMINGS) as sandbox:
        inventory = dr_setup(sandbox)
        hosts = inventory_hosts(inventory)
        with ObjectHistory(sandbox, ("failovergroups",)) as history:
            for unused in range(args.repetitions):
                marks, cpu = sandbox.marks(), _children_cpu()
                playbook = run_playbook("arcdata.sqlmi.failover_planned", inventory).check()
                entries = {site: log.since(marks[site]) for site, log in sandbox.audit.items()}
                figures = dict(one_switch(playbook, history, entries, hosts), **{CPU: _children_cpu() - cpu})
                for key, value in figures.items():
                    found.setdefault(key, []).append(value)
    return report(found)


def _children_cpu():
    """CPU seconds of the finished child processes: ansible-playbook, with its workers and modules, once it ended
    (a figure that the machine's load does not inflate as it does wall times)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def overhead_figures(playbook, switch):
    """{figure: value} of a failover playbook run whose controller switch took (start, end): end to end, the
    switch, the automation overhead and where it goes (start-up, each phase, exit, each step of the module run)."""
    spans = task_spans(playbook)
    figures = {"end to end": playbook.seconds, "controller's switch": switch[1] - switch[0],
               "automation overhead": playbook.seconds - (switch[1] - switch[0]),
               "overhead: " + STARTUP: spans[0].start - playbook.started}
    for phase, members in phases(spans).items():
        figures["overhead: " + phase] = _overhead(members, switch)
    figures["overhead: " + EXIT] = playbook.started + playbook.seconds - spans[-1].end
    for step, seconds in module_steps(playbook).items():
        figures["in the module run: " + step] = seconds
    return figures


def one_switch(playbook, history, entries, hosts):
    """{figure: value} of one failover_planned run."""
    switch = controller_switch(playbook, history, entries, hosts)
    spans = task_spans(playbook)
    figures = overhead_figures(playbook, switch)
    modules = [span for span in spans if span.module]
    figures["overhead: in module tasks"] = _overhead(modules, switch)
    figures["overhead: in the other tasks (set_fact, assert, include...)"] = _overhead(
        [span for span in spans if not span.module], switch)
    figures[MODULE_TASKS] = len(modules)
    figures[MODULE_RUNS] = len([e for e in playbook.results() if "invocation" in e["result"]])
    return figures


def failover_result(playbook):
    """The failover module's result (it runs once, on one host of the pair)."""
    ran = [e for e in playbook.results(SWITCH_TASK) if e["outcome"] == "ok"]
    if len(ran) != 1:
        raise RuntimeError("expected one failover run, got %s" % [e["host"] for e in ran])
    return ran[0]["result"]


def module_steps(playbook):
    """{step: seconds} as the failover module timed its steps (a step that ran twice adds up)."""
    found = {}
    for step in failover_result(playbook)["steps"]:
        found[step["step"]] = found.get(step["step"], 0.0) + step["seconds"]
    return found


def controller_switch(playbook, history, entries, hosts):
    """(our patch, the controller's last write of the switch), epoch seconds, from the audit logs."""
    result = failover_result(playbook)
    old, new = result["from_site"], result["to_site"]
    resources = {host: hosts[host]["arc_dag_resource"] for host in hosts}
    requested = min(e["time"] for e in playbook.events if e["event"] == "start" and _bare(e["task"]) == SWITCH_TASK)
    patch = [e for e in our_writes(entries[old], "failovergroups", resources[old]) if e["ts"] >= requested][0]
    demoted = controller_made(history, entries[old], old, "failovergroups", resources[old], _settled_secondary,
                              after=patch["ts"])
    promoted = controller_made(history, entries[new], new, "failovergroups", resources[new], _primary,
                               after=patch["ts"])
    return (patch["ts"], max(demoted.ts, promoted.ts))


def _settled_secondary(obj):
    status = obj.get("status") or {}
    return (status.get("role"), status.get("state")) == ("Secondary", "Succeeded") and \
        status.get("observedGeneration") == obj["metadata"]["generation"]


def _primary(obj):
    return (obj.get("status") or {}).get("role") == "Primary"


@dataclass
class TaskSpan:
    name: str      # without its role's prefix
    start: float   # its start, epoch seconds
    end: float     # the next task's start (tasks run one after the other), or its last result
    module: bool   # a module ran (its results carry an invocation), not an action such as set_fact or assert


def task_spans(playbook):
    """Every task of the run, in order, from the bench_timing events."""
    starts = [e for e in playbook.events if e["event"] == "start"]
    last = max(e["time"] for e in playbook.events)
    spans = []
    for number, event in enumerate(starts):
        name = _bare(event["task"])
        end = starts[number + 1]["time"] if number + 1 < len(starts) else last
        module = any("invocation" in e["result"] for e in playbook.results(name) if event["time"] <= e["time"] <= end)
        spans.append(TaskSpan(name, event["time"], end, module))
    return spans


def phases(spans):
    """{phase: [TaskSpan]}: the run cut where a task of PHASES starts (the first phase begins with the first task)."""
    grouped, phase = {}, PHASES[0][1]
    for span in spans:
        phase = next((name for first, name in PHASES if span.name.startswith(first) and name not in grouped), phase)
        grouped.setdefault(phase, []).append(span)
    return grouped


def _overhead(spans, switch):
    """Wall time of `spans` minus the part of the controller's switch in them."""
    return sum((span.end - span.start) - _overlap((span.start, span.end), switch) for span in spans)


def _bare(task):
    """A task's name without the 'namespace.collection.role : ' prefix of task start events."""
    return task.split(" : ", 1)[-1]


def _overlap(span, other):
    return max(0.0, min(span[1], other[1]) - max(span[0], other[0]))


def report(found):
    result = Result(NAME, TITLE)
    for name, values in found.items():
        result.figures[name] = stats.summary(values, {MODULE_TASKS: "tasks", MODULE_RUNS: "runs"}.get(name, "s"))
    overhead = result.figures["automation overhead"]["median"]
    result.target("automation overhead (median)", "<= %s s" % TARGET_SECONDS, overhead, overhead <= TARGET_SECONDS)
    result.notes += [
        "controller's switch: from our patch of spec.role=secondary (audit log) to the later of the controller's "
        "status writes that make the old primary's side Secondary/Succeeded for the patched generation and the "
        "other side Primary (found through a watch of the bench's own and status.lastUpdateTime)",
        "overhead per step: the step's wall time (bench_timing task starts) minus the part of the controller's "
        "switch that falls in it; the steps add up to the automation overhead",
        "in the module run: the failover module's own timing of its steps (the switch and the wait for the other "
        "site run at the same time)",
        "each repetition is a real switch: failover_planned hands the primary role to whichever site is secondary, "
        "so runs alternate failover and failback",
        "load average (1 min) at the end: %.1f on %d CPUs: wall times here grow with other work on the machine, "
        "the CPU time does not" % (os.getloadavg()[0], os.cpu_count())]
    return result
