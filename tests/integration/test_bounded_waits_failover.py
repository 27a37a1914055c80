"""Failover waits that end, proven on the failover module (arcdata.sqlmi.arc_failover, run by the failover
playbooks): a site that dies while the module waits on it ends the run at once, naming the site, the object and
the cause, instead of letting the wait run for its timeout; a wait on live sites that runs out of time names the
object, the field, the value expected, the value last seen and the time waited. After each fault the site is
started again and a re-run converges.

Each fault strikes inside the module's run at a chosen step (a Strike: once the request just before the step is in
a site's audit log, with the step's own request, or the controller's status write it waits for, held back by the
sandbox until the fault has landed). The pair is one pair of this module's own sandbox, set up by the first test
and carried from test to test (pytest runs a file's tests in order)."""
import json
import subprocess
import sys

import pytest

from tests.sandbox.conftest import run_cli

from .conftest import HOSTS, PARTNER, Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs, connected, dag_object, roles, wait_for_dag
from .fault_matrix import Strike

# a run that meets a dead site ends long before this; one that sat out a wait's default timeout (600 s) would not
RUN_BOUND = 300
PLANNED, FORCED, REJOIN, SETUP = ("arcdata.sqlmi.%s" % name for name in
                                  ("failover_planned", "failover_forced", "dr_rejoin", "dr_setup"))
FAILOVER_TASK = "Read both sites, then refuse or carry out the transition, mode %s"
# the DR lock lives on the current primary's site; when that site dies holding it, the re-run must wait for it to
# expire: a short lock for those runs
SHORT_LOCK = {"dr_failover_lock_duration": 5}


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Both sites with controllers, for this module only: its tests kill sites."""
    with own_sandbox(tmp_path_factory, "sandbox-bounded-failover") as handle:
        yield handle


@pytest.fixture(scope="module")
def pair(sites, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bounded-failover")
    made = PlaybookPairs(sites, workdir)
    dr_pair = made.new("bwf")
    runner = Ansible(sites, workdir)
    run = runner.run(SETUP, inventory=made.inventory(dr_pair))
    assert run.rc == 0, run
    yield dr_pair, made.inventory(dr_pair), runner
    for site in HOSTS:
        run_cli(sites.runtime_dir, "start", "--site", site, check=False)
    made.remove_all()


def kill(sites, site):
    return [sys.executable, "-m", "sandbox", "--runtime-dir", str(sites.runtime_dir), "kill", "--site", site]


def partition(sites):
    return [sys.executable, "-m", "sandbox", "--runtime-dir", str(sites.runtime_dir), "partition"]


def run_with(sites, runner, playbook, inventory, strike, commands, extra_vars=None):
    """The playbook run with the fault struck where `strike` says; the fault is cleared afterwards."""
    strike.start(sites, commands)
    try:
        run = runner.run(playbook, inventory=inventory, extra_vars=extra_vars, timeout=RUN_BOUND)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{playbook} did not end within {RUN_BOUND} s: a wait went on against a dead or cut-off site")
    finally:
        fired = strike.stop()
        for site in HOSTS:
            if sites.site(site).files.audit_log.exists():
                try:
                    sites.site(site).ops().clear_faults()
                except Exception:  # pylint: disable=broad-except  # a killed site has no faults to clear
                    pass
    assert fired, "the fault never struck\n%r" % run
    return run


def failover_failure(run, mode):
    """The failover task's failed result (it runs on one host of the pair)."""
    assert run.rc != 0, run
    found = [t["result"] for t in run.results(FAILOVER_TASK % mode) if t["outcome"] == "failed"]
    assert len(found) == 1, run
    return found[0]


def assert_names_site_object_cause(message, pair, site, sites):
    assert pair.connection[site]["arc_context"] in message, message
    assert pair.dags[site] in message, message
    assert "unreachable" in message or "stopped answering" in message, message


def restart(sites, pair, site):
    sites.start(site)
    wait_for_dag(sites, pair, site, lambda obj: (obj.get("status") or {}).get("role") is not None, timeout=60)


def wait_connected(sites, pair):
    for site in HOSTS:
        wait_for_dag(sites, pair, site, connected, timeout=60)


def primaries(sites, pair):
    return sorted(site for site, role in roles(sites, pair).items() if role == "Primary")


@pytest.mark.timeout(1200)
def test_a_planned_failover_ends_at_once_when_either_site_dies(sites, pair):
    dr_pair, inventory, runner = pair
    old = primaries(sites, dr_pair)[0]
    # the old primary dies as its switch is asked for
    strike = Strike(old, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))
    run = run_with(sites, runner, PLANNED, inventory, strike, [kill(sites, old)], SHORT_LOCK)
    message = failover_failure(run, "planned")["msg"]
    assert f"{old} setting role secondary: FAILED" in message, message
    assert_names_site_object_cause(message, dr_pair, old, sites)
    restart(sites, dr_pair, old)
    wait_connected(sites, dr_pair)

    # the site taking the primary role dies while the module waits for it (its controller's status write held)
    before = primaries(sites, dr_pair)[0]
    after = PARTNER[before]
    strike = Strike(before, ("patch",), "failovergroups", hold=(after, "*", "failovergroups/status"),
                    hold_agent="")
    run = run_with(sites, runner, PLANNED, inventory, strike, [kill(sites, after)], SHORT_LOCK)
    message = failover_failure(run, "planned")["msg"]
    assert f"{after} taking the primary role: FAILED" in message, message
    assert_names_site_object_cause(message, dr_pair, after, sites)
    restart(sites, dr_pair, after)
    wait_connected(sites, dr_pair)

    run = runner.run(PLANNED, inventory=inventory)
    assert run.rc == 0, run
    assert len(primaries(sites, dr_pair)) == 1, roles(sites, dr_pair)


@pytest.mark.timeout(1200)
def test_a_forced_failover_ends_at_once_when_the_dr_site_dies_during_its_promotion(sites, pair):
    dr_pair, inventory, runner = pair
    confirm = {"dr_failover_confirm": dr_pair.dag_name}
    old = primaries(sites, dr_pair)[0]
    new = PARTNER[old]
    # the DR site dies once the old primary is fenced, before its controller reports it Primary
    strike = Strike(old, ("patch",), "failovergroups", hold=(new, "*", "failovergroups/status"),
                    hold_agent="")
    run = run_with(sites, runner, FORCED, inventory, strike, [kill(sites, new)], dict(confirm, **SHORT_LOCK))
    message = failover_failure(run, "forced")["msg"]
    assert message.startswith(f"forced failover of {dr_pair.group} failed: promoting {new}: "), message
    assert_names_site_object_cause(message, dr_pair, new, sites)
    restart(sites, dr_pair, new)

    current = sorted(roles(sites, dr_pair).values())
    converge = REJOIN if current == ["Primary", "Primary"] else FORCED
    run = runner.run(converge, inventory=inventory, extra_vars=confirm)
    assert run.rc == 0, run
    assert len(primaries(sites, dr_pair)) == 1, roles(sites, dr_pair)


def _split_brain_reported(obj):
    status = obj.get("status") or {}
    return status.get("role") == "Primary" and status.get("healthState") not in (None, "OK")


def split(sites, pair, runner, inventory):
    """Two primaries and the record of the forced failover that made them; returns (old primary, kept)."""
    old = primaries(sites, pair)[0]
    sites.kill(old)
    run = runner.run(FORCED, inventory=inventory, extra_vars={"dr_failover_confirm": pair.dag_name})
    assert run.rc == 0, run
    sites.start(old)
    wait_for_dag(sites, pair, old, _split_brain_reported, timeout=60)
    assert primaries(sites, pair) == sorted(HOSTS)
    return old, PARTNER[old]


@pytest.mark.timeout(1200)
def test_a_rejoin_ends_at_once_when_the_old_primary_dies_and_times_out_naming_what_it_awaited(sites, pair):
    dr_pair, inventory, runner = pair
    wait_connected(sites, dr_pair)
    old, kept = split(sites, dr_pair, runner, inventory)

    # the old primary dies as its demotion is asked for: the kept primary's wait for the link stops with it
    strike = Strike(kept, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))
    run = run_with(sites, runner, REJOIN, inventory, strike, [kill(sites, old)], SHORT_LOCK)
    result = failover_failure(run, "rejoin")
    assert result["msg"].startswith(f"rejoin of {dr_pair.group} failed: FAILED, "), result["msg"]
    assert_names_site_object_cause(result["msg"], dr_pair, old, sites)
    assert [s["outcome"] for s in result["steps"] if s["step"] == "await the link" and s["site"] == kept] == \
        ["failed"], result["steps"]
    restart(sites, dr_pair, old)
    wait_for_dag(sites, dr_pair, old, _split_brain_reported, timeout=60)

    # the link is cut as the old primary's demotion is asked for (a demotion needs no link): the wait for the link
    # runs out of time on live sites
    strike = Strike(kept, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))
    run = run_with(sites, runner, REJOIN, inventory, strike, [partition(sites)],
                   dict(SHORT_LOCK, dr_failover_wait_timeout=10))
    run_cli(sites.runtime_dir, "heal")
    message = failover_failure(run, "rejoin")["msg"]
    for part in ("timed out after", "status.replicas[].connectedState", "with every replica CONNECTED", "last seen",
                 "connectedState ["):
        assert part in message, (part, message)
    # both sides waited for the link; the first to run out of time ended the other's wait, and is named
    assert dr_pair.dags[old] in message or dr_pair.dags[kept] in message, message
    waited = float(message.split("timed out after ")[1].split(" s")[0])
    assert waited >= 10, message
    # the old primary was demoted all the same: the record says so, and that the link did not come back in time
    assert message.startswith(f"rejoin of {dr_pair.group} failed after {old} was demoted ({kept} kept): "), message
    record = json.loads(dag_object(sites, dr_pair, kept)["metadata"]["annotations"]["arcdata.sqlmi/handover"])
    assert (record["mode"], record["to_site"], record["outcome"]) == ("rejoin", kept, "failed"), record

    # once the link is back the pair has one primary: a re-run has nothing to rejoin
    wait_connected(sites, dr_pair)
    run = runner.run(REJOIN, inventory=inventory)
    assert run.rc == 0, run
    assert primaries(sites, dr_pair) == [kept], roles(sites, dr_pair)
