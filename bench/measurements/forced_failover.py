"""Forced failover overhead: the failover_forced playbook end to end with the primary site lost (its processes killed),
minus the controller's own promotion of the DR site, and where the rest of the time goes inside the failover
module's run.

The controller's promotion: the failover module's own "promote" step, from its patch of
role=force-primary-allow-data-loss to the DR site reporting Primary (it includes the patch request itself, so the
overhead here is, if anything, slightly flattered). Between repetitions the lost site is started again and rejoined
(dr_rejoin, not measured), so every repetition starts from a healthy pair and promotes the other site."""
import os

from bench import stats
from bench.measurement import Result
from bench.measurements.planned_failover import SANDBOX_TIMINGS
from bench.pair_setup import dr_setup, inventory_hosts
from bench.playbook_runner import run_playbook
from bench.sandbox_session import running_sandbox

NAME = "forced_failover"
TITLE = "Forced failover with the primary lost: failover_forced end to end, minus the controller's promotion"
TARGET_SECONDS = 2.0
TASK = "Read both sites, then refuse or carry out the transition, mode forced"


def run(args):
    found = {}
    with running_sandbox(*SANDBOX_TIMINGS) as sandbox:
        inventory = dr_setup(sandbox)
        hosts = inventory_hosts(inventory)
        dag_name = next(iter(hosts.values()))["arc_dag_name"]
        lost = next(host for host, values in hosts.items() if values["arc_initial_role"] == "primary")
        for unused in range(args.repetitions):
            sandbox.cli("kill", "--site", lost)
            try:
                playbook = run_playbook("arcdata.sqlmi.failover_forced", inventory,
                                        extra_vars={"dr_failover_confirm": dag_name}).check()
            finally:
                sandbox.cli("start", "--site", lost)
            result = failover_result(playbook)
            for key, value in figures_of(playbook, result).items():
                found.setdefault(key, []).append(value)
            run_playbook("arcdata.sqlmi.dr_rejoin", inventory).check()
            lost = result["to_site"]  # the next repetition loses the new primary
    return report(found)


def failover_result(playbook):
    ran = [e["result"] for e in playbook.results(TASK) if e["outcome"] == "ok"]
    if len(ran) != 1:
        raise RuntimeError("expected one forced failover run, got %d" % len(ran))
    return ran[0]


def figures_of(playbook, result):
    steps = {}
    for step in result["steps"]:
        steps[step["step"]] = steps.get(step["step"], 0.0) + step["seconds"]
    promotion = steps.get("promote", 0.0)
    figures = {"end to end": playbook.seconds, "controller's promotion (the module's promote step)": promotion,
               "automation overhead": playbook.seconds - promotion}
    for step, seconds in steps.items():
        figures["in the module run: " + step] = seconds
    return figures


def report(found):
    result = Result(NAME, TITLE)
    for name, values in found.items():
        result.figures[name] = stats.summary(values, "s")
    overhead = result.figures["automation overhead"]["median"]
    result.target("automation overhead (median)", "<= %s s" % TARGET_SECONDS, overhead, overhead <= TARGET_SECONDS)
    result.notes += [
        "the lost site's processes are killed before the run: its API refuses connections, and the module's read of "
        "it gives up after its retries (in the module run: read both sites)",
        "load average (1 min) at the end: %.1f on %d CPUs" % (os.getloadavg()[0], os.cpu_count())]
    return result
