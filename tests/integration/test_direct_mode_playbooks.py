"""The DR playbooks in direct connection mode, on a sandbox of its own started with --mode direct: the same
playbooks and the same inventory shape as indirect mode, the sites' hosts carrying the Azure variables the sandbox
writes (docs/inventory.md). Two kinds of site:

- Azure only (no kubeconfig): every read and write goes through Azure Resource Manager; the DR lock and the handover
  record are tags of each site's SQL managed instance resource;
- Azure plus a kubeconfig: the failover groups still go through Resource Manager, the lock is a Lease and the
  record an annotation of the FailoverGroup custom resource (found by spec.sourceMI, its name being a UUID).

On each: dr_setup and its re-run (no Resource Manager write), a planned failover in check mode (no write), the
planned failover with every acknowledged write found on the new primary (its licence switched through Resource
Manager), failback, a forced failover with the
primary's site killed, dr_rejoin once it is back, dr_status, dr_teardown.
"""
import json

import pytest

from sandbox.arm.files import azure_files
from tests.sandbox.conftest import run_cli

from .conftest import Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs, failed_messages

KUBERNETES_VARS = ("arc_kubeconfig", "arc_context", "arc_namespace")
ARM_WRITES = ("PUT", "PATCH", "DELETE")
RUN_BOUND = 240


@pytest.fixture(scope="module")
def direct_sites(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "direct-playbooks", "--mode", "direct") as sites:
        yield sites


def arm_writes(sites, since):
    lines = azure_files(sites.runtime_dir).audit_log.read_text().splitlines()[since:]
    entries = [json.loads(line) for line in lines if line.strip()]
    return [e for e in entries if e["method"] in ARM_WRITES and e["status"] < 400
            and e["path"].lower().startswith("/subscriptions/")]


def audit_length(sites):
    return len(azure_files(sites.runtime_dir).audit_log.read_text().splitlines())


def sql(sites, pair, site, *args):
    result = run_cli(sites.runtime_dir, "sql", "--site", site, "--instance", pair.instances[site], *args)
    return result.stdout.strip()


def roles(run):
    """The roles arc_failover reported after the transition, from the dr_failover role's last message."""
    text = "\n".join(line for line in run.stdout.splitlines() if "roles now" in line)
    return text


@pytest.mark.timeout(900)
# make test runs the Azure-only pair (every read and write through Resource Manager); with kubeconfigs too (the
# lock a Lease, the record an annotation, as in indirect mode) is in make test-extended
@pytest.mark.parametrize("with_kubeconfig", [False, pytest.param(True, marks=pytest.mark.extended)],
                         ids=["azure-only", "azure-and-kubeconfig"])
def test_the_dr_drill_through_azure_resource_manager(direct_sites, tmp_path, with_kubeconfig):
    sites = direct_sites
    ansible = Ansible(sites, tmp_path)
    made = PlaybookPairs(sites, tmp_path)
    pair = made.new("dm")
    # the former DR site serves clients once primary (a DisasterRecovery instance refuses them)
    pair.pair_vars["arc_switch_licence"] = True
    if not with_kubeconfig:
        for site in pair.connection.values():
            for key in KUBERNETES_VARS:
                site.pop(key, None)
    inventory = made.inventory(pair)

    def run(playbook, **extra_vars):
        done = ansible.run(playbook, inventory=inventory, extra_vars=extra_vars or None, timeout=RUN_BOUND)
        assert done.rc == 0, f"{playbook}: {failed_messages(done)}"
        return done

    run("arcdata.sqlmi.dr_setup")
    mark = audit_length(sites)
    run("arcdata.sqlmi.dr_setup")
    assert arm_writes(sites, mark) == [], "the re-run of dr_setup wrote through Resource Manager"

    mark = audit_length(sites)
    check = ansible.run("arcdata.sqlmi.failover_planned", inventory=inventory, check=True, timeout=RUN_BOUND)
    assert check.rc == 0, failed_messages(check)
    assert arm_writes(sites, mark) == [], "check mode wrote through Resource Manager"

    acknowledged = {f"planned-{number}": str(number) for number in range(5)}
    for key, value in acknowledged.items():
        sql(sites, pair, "primary", "write", key, value)
    planned = run("arcdata.sqlmi.failover_planned")
    assert "'primary': 'Secondary', 'secondary': 'Primary'" in roles(planned), roles(planned)
    for key, value in acknowledged.items():  # no acknowledged write lost
        assert value in sql(sites, pair, "secondary", "read", key), key
    failback = run("arcdata.sqlmi.failback")
    assert "'primary': 'Primary', 'secondary': 'Secondary'" in roles(failback), roles(failback)

    sites.kill("primary")
    try:
        forced = run("arcdata.sqlmi.failover_forced", dr_failover_confirm=pair.dag_name)
        assert "'secondary': 'Primary'" in roles(forced), roles(forced)
    finally:
        sites.start("primary")
    rejoin = run("arcdata.sqlmi.dr_rejoin")
    assert "'primary': 'Secondary', 'secondary': 'Primary'" in roles(rejoin), roles(rejoin)
    # Resource Manager keeps a fence that the lost site's cluster did not take in time and delivers it when the
    # cluster is back: the old primary may return fenced already, leaving the rejoin nothing to do
    late_fence = "nothing to rejoin" in rejoin.stdout
    assert late_fence or "primary rejoined as secondary" in rejoin.stdout, rejoin.stdout[-3000:]

    run("arcdata.sqlmi.dr_status", dr_status_report_dir=str(tmp_path / "reports"))
    report = (tmp_path / "reports" / f"{pair.group}.md").read_text()
    assert "**Primary:** secondary" in report, report
    last = "forced" if late_fence else "rejoin"
    assert "**Last handover:** none recorded" not in report and f", {last} from primary to secondary" in report, report
    run("arcdata.sqlmi.dr_teardown", dr_teardown_confirm=pair.dag_name, dr_teardown_instances=True)
