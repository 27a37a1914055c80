"""Direct mode (issue 15): the DR playbooks on a sandbox started with --mode direct, whose inventory's hosts carry
the Azure variables (and the sites' kubeconfigs, as `sandbox up --mode direct` writes them), so that the failover
groups go through the sandbox's Azure Resource Manager.

Two figures beside the indirect ones:

- planned-failover automation overhead: failover_planned end to end minus the controller's switch, here from our
  Resource Manager write of the failover group (the Azure audit log) to the later of the controller's status
  writes that make the old primary's side Secondary/Succeeded and the other side Primary (the sites' audit logs,
  found as planned_failover finds them); the Resource Manager round trips, the projection to the sites and the
  long-running operation's polling all count as overhead, as they are what the automation waits for;
- requests per operation (dr_setup, failover_planned, failover_forced with the primary site killed, dr_rejoin):
  Resource Manager requests, sign-in and cloud-metadata requests (the Azure audit log), and the collection's
  Kubernetes requests (the sites' audit logs, by our user agent), each with how many of them were writes."""
import json
import os

from bench import stats
from bench.audit_timing import ObjectHistory, controller_made
from bench.measurement import Result
from bench.measurements.planned_failover import SANDBOX_TIMINGS, SWITCH_TASK, _bare, _primary, _settled_secondary, \
    failover_result, overhead_figures
from bench.pair_setup import inventory_hosts
from bench.playbook_runner import run_playbook
from bench.sandbox_session import AuditLog, collection_requests, running_sandbox, writes
from sandbox.arm.files import azure_files

NAME = "direct_mode"
TITLE = "Direct mode: planned failover overhead and requests per operation through Azure Resource Manager"
TARGET_SECONDS = 2.0
# a smoke run of it takes about 100 s, more than `make bench-smoke` (run by `make test`) may grow by
IN_SMOKE_RUN = False
MAX_FORCED = 3  # a forced failover and its rejoin take a while: the counts hardly vary
ARM_WRITES = ("PUT", "PATCH", "POST", "DELETE")
RESOURCE_MANAGER = "/subscriptions/"  # every other request is sign-in (Entra) or cloud metadata
OVERHEAD = "planned failover: automation overhead"


class Requests:
    """What one playbook run asked: marks of the Azure and the sites' audit logs before it, counts after it."""

    def __init__(self, sandbox, azure_audit):
        self.sandbox, self.azure_audit = sandbox, azure_audit
        self.azure_mark, self.site_marks = azure_audit.mark(), sandbox.marks()

    def azure(self):
        return self.azure_audit.since(self.azure_mark)

    def counts(self):
        azure = self.azure()
        arm = [e for e in azure if e["path"].startswith(RESOURCE_MANAGER)]
        kubernetes = collection_requests(self.sandbox.requests_since(self.site_marks))
        return {"Resource Manager requests": len(arm),
                "Resource Manager writes": len([e for e in arm if e["method"] in ARM_WRITES]),
                "sign-in and metadata requests": len(azure) - len(arm),
                "Kubernetes requests (ours)": len(kubernetes),
                "Kubernetes writes (ours)": len(writes(kubernetes))}


def run(args):
    found = {}

    def add(operation, figures):
        for key, value in figures.items():
            found.setdefault("%s: %s" % (operation, key), []).append(value)

    with running_sandbox(*SANDBOX_TIMINGS, "--mode", "direct") as sandbox:
        azure_audit = AuditLog(azure_files(sandbox.runtime_dir).audit_log)
        inventory = sandbox.runtime_dir / "inventory.yml"  # with the Azure variables: `up --mode direct` wrote it
        hosts = inventory_hosts(inventory)
        counted = Requests(sandbox, azure_audit)
        run_playbook("arcdata.sqlmi.dr_setup", inventory).check()
        add("dr_setup", counted.counts())
        with ObjectHistory(sandbox, ("failovergroups",)) as history:
            for unused in range(args.repetitions):
                counted = Requests(sandbox, azure_audit)
                playbook = run_playbook("arcdata.sqlmi.failover_planned", inventory).check()
                add("failover_planned", counted.counts())
                entries = {site: log.since(counted.site_marks[site]) for site, log in sandbox.audit.items()}
                add("planned failover", one_switch(playbook, history, entries, counted.azure()))
        for unused in range(min(args.repetitions, MAX_FORCED)):
            forced_and_rejoined(sandbox, azure_audit, inventory, hosts, add)
    return report(found)


def forced_and_rejoined(sandbox, azure_audit, inventory, hosts, add):
    """The primary site killed, failover_forced, the site started again, dr_rejoin: each run's requests."""
    lost = current_primary(sandbox, inventory)
    sandbox.cli("kill", "--site", lost)
    try:
        counted = Requests(sandbox, azure_audit)
        run_playbook("arcdata.sqlmi.failover_forced", inventory,
                     extra_vars={"dr_failover_confirm": next(iter(hosts.values()))["arc_dag_name"]}).check()
        add("failover_forced", counted.counts())
    finally:
        sandbox.cli("start", "--site", lost)
    counted = Requests(sandbox, azure_audit)
    run_playbook("arcdata.sqlmi.dr_rejoin", inventory).check()
    add("dr_rejoin", counted.counts())


def current_primary(sandbox, inventory):
    """The site whose instance is primary now (the planned failovers alternate)."""
    for site in sandbox.sites:
        instance = inventory_hosts(inventory)[site]["arc_instance"]
        if json.loads(sandbox.cli("sql", "--site", site, "--instance", instance, "stats"))["role"] == "PRIMARY":
            return site
    raise RuntimeError("no site's instance is primary")


def one_switch(playbook, history, entries, azure):
    """{figure: seconds} of one failover_planned run."""
    result = failover_result(playbook)
    old, new = result["from_site"], result["to_site"]
    requested = min(e["time"] for e in playbook.events if e["event"] == "start" and _bare(e["task"]) == SWITCH_TASK)
    asked = [e for e in azure if e["method"] in ARM_WRITES and "/failovergroups/" in e["path"].lower()
             and e["ts"] >= requested and e["status"] < 300][0]["ts"]
    demoted = controller_made(history, entries[old], old, "failovergroups", only_object(history, old),
                              _settled_secondary, after=asked)
    promoted = controller_made(history, entries[new], new, "failovergroups", only_object(history, new), _primary,
                               after=asked)
    # where the overhead goes, as planned_failover breaks it down in indirect mode
    return overhead_figures(playbook, (asked, max(demoted.ts, promoted.ts)))


def only_object(history, site):
    """The name of the one failover group custom resource on `site` (the bench's sandbox has one pair; in direct
    mode the projection names it, not the inventory)."""
    names = history.names(site, "failovergroups")
    if len(names) != 1:
        raise RuntimeError("expected one failover group on %s, found %s" % (site, sorted(names)))
    return names.pop()


def report(found):
    result = Result(NAME, TITLE)
    for name, values in found.items():
        result.figures[name] = stats.summary(values, "s" if name.startswith("planned failover") else "requests")
    overhead = result.figures["planned failover: automation overhead"]["median"]
    result.target("planned failover: automation overhead (median)", "<= %s s" % TARGET_SECONDS, overhead,
                  overhead <= TARGET_SECONDS)
    result.notes += [
        "the inventory `sandbox up --mode direct` writes: each host has the Azure variables and its site's kubeconfig, "
        "so the failover groups and the instances' licences go through Resource Manager, the DR lock (a Lease) and "
        "the handover record through Kubernetes",
        "controller's switch: from our Resource Manager write of the failover group (Azure audit log) to the later of "
        "the controller's status writes making the old primary's side Secondary/Succeeded and the other side Primary",
        "requests: Resource Manager requests are those under /subscriptions/; sign-in and metadata are the token, "
        "OpenID configuration and cloud metadata endpoints; Kubernetes requests are our modules' (user agent)",
        "failover_forced runs with the primary site's processes killed; dr_rejoin once it is started again "
        "(at most %d of each)" % MAX_FORCED,
        "load average (1 min) at the end: %.1f on %d CPUs" % (os.getloadavg()[0], os.cpu_count())]
    return result
