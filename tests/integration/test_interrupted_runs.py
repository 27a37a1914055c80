"""Resumable transitions: ansible-playbook is killed (SIGKILL to its whole process group: the control node dies with
its module processes) at every step of failover_planned, failover_forced and dr_rejoin, then the same playbook runs
again, as the same holder or as another operator. Afterwards the pair has converged (one primary, both sides
connected and Succeeded, both instances Ready), the killed transition is recorded exactly once on each site (its
handover Event and annotation carry its transition id; no other transition was made), no write the workload had
acknowledged is lost in a planned failover, the DR lock is released, and a takeover of the dead run's lock is
recorded in the lock, the re-run's warnings and result, and the record it wrote.

A step inside the failover module is found by its requests in a site's audit log (fault_matrix.Strike): the kill
comes right after the request that precedes the step, while the sandbox holds the step's own request back."""
import datetime
import json

import pytest

from tests.sandbox.conftest import run_cli

from .conftest import ARC_GROUP, HOSTS, PARTNER
from .dr_playbooks import PlaybookPairs, dag_object, instance_object, roles, wait_for_dag
from .fault_matrix import AcknowledgedWrites, Matrix, primary_site
from .pair_state import PairState
from .interrupted_runs import (TAKEOVER, Kill, KillableAnsible, annotated_record, annotation, held_locks,
                               intents, lease, recorded_transitions, warnings_of)

PLANNED, FORCED, REJOIN = "arcdata.sqlmi.failover_planned", "arcdata.sqlmi.failover_forced", "arcdata.sqlmi.dr_rejoin"
LOCK_SECONDS = 6  # the re-run as another operator watches the dead run's lock this long (plus 2 s)
RUN_VARS = {"dr_failover_lock_duration": LOCK_SECONDS, "dr_failover_wait_timeout": 60}
TASK = "Read both sites, then refuse or carry out the transition, mode %s"


@pytest.fixture(scope="module")
def pairs(arc_sites, tmp_path_factory):
    made = PlaybookPairs(arc_sites, tmp_path_factory.mktemp("interrupted"))
    yield made
    made.remove_all()


@pytest.fixture(scope="module")
def runner(arc_sites, tmp_path_factory):
    return KillableAnsible(arc_sites, tmp_path_factory.mktemp("interrupted-runs"))


def set_up(arc_sites, pairs, runner, prefix, **pair_vars):
    pair = pairs.new(prefix)
    pair.pair_vars.update(pair_vars)
    inventory = pairs.inventory(pair)
    run = runner.run("arcdata.sqlmi.dr_setup", inventory=inventory)
    assert run.rc == 0, run
    return pair, inventory


@pytest.fixture(scope="module")
def planned_pair(arc_sites, pairs, runner):
    return set_up(arc_sites, pairs, runner, "irp", arc_switch_licence=True)


@pytest.fixture(scope="module")
def forced_pair(arc_sites, pairs, runner):
    return set_up(arc_sites, pairs, runner, "irf")


@pytest.fixture(scope="module")
def rejoin_pair(arc_sites, pairs, runner):
    return set_up(arc_sites, pairs, runner, "irr")


@pytest.fixture(scope="module")
def checker(arc_sites, tmp_path_factory):
    """fault_matrix.Matrix, for its invariants (one primary, connected and Succeeded, Ready, no duplicates)."""
    return Matrix(arc_sites, tmp_path_factory.mktemp("interrupted-checks"), PLANNED, "indirect")


class Interrupted:
    """One cell: the playbook killed at a step, then run again; what the checks need."""

    def __init__(self, runner, pair, inventory, playbook, rerun_as, extra_vars=None):
        self.runner, self.pair, self.inventory, self.playbook = runner, pair, inventory, playbook
        self.rerun_as = rerun_as
        holder = "dba alice, run %s" % datetime.datetime.now().strftime("%H%M%S%f")
        self.first_vars = dict(RUN_VARS, dr_failover_operator="alice", dr_failover_lock_holder=holder,
                               **(extra_vars or {}))
        self.second_vars = self.first_vars if rerun_as == "same holder" else \
            dict(RUN_VARS, dr_failover_operator="bob", **(extra_vars or {}))
        self.holder = holder
        self.killed = self.rerun = self.killed_intent = None

    def run(self, kill):
        sandbox = self.runner.sandbox
        self.before = recorded_transitions(sandbox, self.pair)
        self.killed = self.runner.run(self.playbook, inventory=self.inventory, extra_vars=self.first_vars, kill=kill)
        assert kill.fired, "the kill did not strike: %r" % self.killed
        assert self.killed.rc < 0, "ansible-playbook was killed: %r" % self.killed
        found = intents(sandbox, self.pair)
        self.killed_intent = next((i for i in found.values() if i.get("holder") == self.holder), None)
        self.rerun = self.runner.run(self.playbook, inventory=self.inventory, extra_vars=self.second_vars)
        assert self.rerun.rc == 0, self.rerun
        return self

    def result(self, mode):
        done = [t["result"] for t in self.rerun.results(TASK % mode) if t["outcome"] != "skipped"]
        assert len(done) == 1, self.rerun
        return done[0]

    def new_transitions(self):
        """{site: Counter of transition ids} recorded since the cell started."""
        after = recorded_transitions(self.runner.sandbox, self.pair)
        return dict((site, after[site] - self.before[site]) for site in HOSTS)


def check(cell, checker, mode):
    """The checks every cell makes once the playbook ran again."""
    sandbox, pair = cell.runner.sandbox, cell.pair
    failed = [name for name, ok in checker.invariants(pair).items() if not ok]
    assert not failed, "not converged: %s; %r" % (failed, cell.rerun)
    new = cell.new_transitions()
    ids = set(new["primary"]) | set(new["secondary"])
    assert all(count == 1 for site in HOSTS for count in new[site].values()), "a transition recorded twice: %s" % new
    assert set(new["primary"]) == set(new["secondary"]) == ids, "recorded on one site only: %s" % new
    assert cell.killed_intent is not None, "the killed run's lock carried its intent: %s" % intents(sandbox, pair)
    assert cell.killed_intent["id"] in ids, "the killed transition was recorded: %s, %s" % (cell.killed_intent, new)
    assert len(ids) == 1, "no other transition than the killed one: %s; the re-run: %s" % (
        new, json.dumps(cell.result(mode), default=str)[:2000])
    records = [annotated_record(dag_object(sandbox, pair, site)) for site in HOSTS]
    assert records[0]["transition"] == records[1]["transition"], records
    assert held_locks(sandbox, pair) == {}, "the DR lock is released"
    result = cell.result(mode)
    if cell.rerun_as == "another operator" and result.get("resumed"):
        taken = result["lock"]["taken_over"]
        assert taken is not None and taken["holder"] == cell.holder, result["lock"]
        assert taken["observed_unchanged_seconds"] >= LOCK_SECONDS, taken
        locked = [annotation(lease(sandbox, site, pair), TAKEOVER) for site in HOSTS]
        assert any(t and t["holder"] == cell.holder for t in locked), locked
        assert "took over the DR lock of %s" % pair.group in warnings_of(cell.rerun), cell.rerun
        if result["resumed"]["record_on"]:
            assert cell.holder in (result["record"].get("lock_takeover") or ""), result["record"]
    return result


# -- failover_planned (its pair switches the licences: the lock is kept through that task) ----------------
# Where each kill strikes, as a function of (old primary, new primary): right after the request before the step,
# the step's own request held back by the sandbox meanwhile where one is named (the records of both sites are
# written at once, and the lock released right after: a record's Event held back keeps the kill before the release).
PLANNED_KILLS = [
    ("lock taken", "same holder",
     lambda old, new: Kill(old, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))),
    ("switch requested", "another operator", lambda old, new: Kill(old, ("patch",), "failovergroups")),
    ("awaiting the new primary", "same holder",
     lambda old, new: Kill(old, ("patch",), "failovergroups", hold=(new, "*", "failovergroups/status"),
                           hold_agent="", delay=1.0)),
    ("record on the first site", "another operator",
     lambda old, new: Kill(old, ("patch",), "failovergroups", nth=2, hold=(new, "patch", "failovergroups"))),
    ("record on the second site", "same holder",
     lambda old, new: Kill(new, ("patch",), "failovergroups", hold=(old, "create", "events"))),
    ("lock release", "same holder",
     lambda old, new: Kill(new, ("create",), "events", hold=(old, "create", "events"))),
]


@pytest.mark.parametrize("step, rerun_as, where", PLANNED_KILLS, ids=[k[0].replace(" ", "-") for k in PLANNED_KILLS])
def test_a_planned_failover_killed_at_a_step_is_finished_by_the_next_run(arc_sites, runner, planned_pair, checker,
                                                                         step, rerun_as, where):
    pair, inventory = planned_pair
    old = primary_site(arc_sites, pair)
    writes = AcknowledgedWrites(PairState(arc_sites, pair, "indirect"))
    try:
        cell = Interrupted(runner, pair, inventory, PLANNED, rerun_as).run(where(old, PARTNER[old]))
    finally:
        lost = writes.lost()
    assert not lost, "acknowledged writes lost: %s" % lost[:5]
    result = check(cell, checker, "planned")
    assert roles(arc_sites, pair) == {old: "Secondary", PARTNER[old]: "Primary"}, "switched once, not back"
    assert result["resumed"]["transition"]["id"] == cell.killed_intent["id"], result.get("resumed")


def test_a_planned_failover_killed_in_the_licence_task_converges(arc_sites, runner, planned_pair, checker):
    pair, inventory = planned_pair
    old = primary_site(arc_sites, pair)
    cell = Interrupted(runner, pair, inventory, PLANNED, "another operator").run(
        # the lock's release (after the licence task) is held back until the kill has landed
        Kill(PARTNER[old], ("patch",), "sqlmanagedinstances", hold=(old, "update", "leases")))
    result = check(cell, checker, "planned")  # the lock was kept through the licence task: no second switch
    assert roles(arc_sites, pair) == {old: "Secondary", PARTNER[old]: "Primary"}, "switched once, not back"
    assert result["resumed"]["roles_done"] and result["resumed"]["record_on"] == [], result["resumed"]
    for site in HOSTS:
        role = roles(arc_sites, pair)[site]
        licence = instance_object(arc_sites, pair, site)["spec"].get("licenseType")
        wanted = "LicenseIncluded" if role == "Primary" else ("DisasterRecovery" if site == "secondary" else licence)
        assert licence == wanted, (site, role, licence)


# -- failover_forced ------------------------------------------------------------------------------------------------
FORCED_KILLS = [
    ("lock taken", "same holder",
     lambda old, new: Kill(old, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))),
    ("fence requested", "same holder",
     lambda old, new: Kill(old, ("patch",), "failovergroups", hold=(new, "patch", "failovergroups"))),
    ("promotion requested", "another operator",
     lambda old, new: Kill(new, ("patch",), "failovergroups", hold=(old, "create", "events"))),
    ("record on the first site", "same holder",
     lambda old, new: Kill(old, ("patch",), "failovergroups", nth=2, hold=(new, "create", "events"))),
    ("lock release", "same holder",
     lambda old, new: Kill(new, ("create",), "events", hold=(old, "create", "events"))),
]


@pytest.mark.parametrize("step, rerun_as, where", FORCED_KILLS, ids=[k[0].replace(" ", "-") for k in FORCED_KILLS])
def test_a_forced_failover_killed_at_a_step_is_finished_by_the_next_run(arc_sites, runner, forced_pair, checker,
                                                                        step, rerun_as, where):
    pair, inventory = forced_pair
    old = primary_site(arc_sites, pair)
    cell = Interrupted(runner, pair, inventory, FORCED, rerun_as, {"dr_failover_confirm": pair.dag_name}).run(
        where(old, PARTNER[old]))
    result = check(cell, checker, "forced")
    assert roles(arc_sites, pair) == {old: "Secondary", PARTNER[old]: "Primary"}, "failed over once, not back"
    assert result["resumed"]["transition"]["id"] == cell.killed_intent["id"], result.get("resumed")


# -- dr_rejoin ------------------------------------------------------------------------------------------------------
def split(sandbox, pair):
    """Two primaries and a forced-failover record naming the one that took over (as after a forced failover whose
    old primary came back); returns (old primary, new primary)."""
    old = primary_site(sandbox, pair)
    new = PARTNER[old]
    run_cli(sandbox.runtime_dir, "partition")
    try:
        handle = sandbox.site(new)
        handle.custom().patch_namespaced_custom_object(ARC_GROUP, "v2", handle.namespace, "failovergroups",
                                                       pair.dags[new],
                                                       {"spec": {"role": "force-primary-allow-data-loss"}})
        wait_for_dag(sandbox, pair, new, lambda obj: (obj.get("status") or {}).get("role") == "Primary")
        record = {"time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "mode": "forced", "from_site": old, "to_site": new, "outcome": "succeeded",
                  "from_instance": pair.instances[old], "to_instance": pair.instances[new], "operator": "test",
                  "job": None, "details": "forced through the API by the test"}
        for site in HOSTS:
            handle = sandbox.site(site)
            handle.custom().patch_namespaced_custom_object(
                ARC_GROUP, "v2", handle.namespace, "failovergroups", pair.dags[site],
                {"metadata": {"annotations": {"arcdata.sqlmi/handover": json.dumps(record, sort_keys=True)}}})
    finally:
        run_cli(sandbox.runtime_dir, "heal")
    assert roles(sandbox, pair) == {"primary": "Primary", "secondary": "Primary"}
    return old, new


REJOIN_KILLS = [
    ("lock taken", "same holder",
     lambda old, new: Kill(new, ("create", "update"), "leases", hold=(old, "patch", "failovergroups"))),
    ("demotion requested", "another operator", lambda old, new: Kill(old, ("patch",), "failovergroups")),
    ("awaiting the link", "same holder",
     lambda old, new: Kill(old, ("patch",), "failovergroups", hold=(new, "*", "failovergroups/status"),
                           hold_agent="", delay=1.0)),
    ("record on the first site", "same holder",
     lambda old, new: Kill(old, ("patch",), "failovergroups", nth=2, hold=(new, "patch", "failovergroups"))),
    ("lock release", "same holder",
     lambda old, new: Kill(new, ("create",), "events", hold=(old, "create", "events"))),
]


@pytest.mark.parametrize("step, rerun_as, where", REJOIN_KILLS, ids=[k[0].replace(" ", "-") for k in REJOIN_KILLS])
def test_a_rejoin_killed_at_a_step_is_finished_by_the_next_run(arc_sites, runner, rejoin_pair, checker, step,
                                                               rerun_as, where):
    pair, inventory = rejoin_pair
    old, new = split(arc_sites, pair)
    cell = Interrupted(runner, pair, inventory, REJOIN, rerun_as).run(where(old, new))
    result = check(cell, checker, "rejoin")
    assert primary_site(arc_sites, pair) == new, "the recorded primary kept"
    assert result["resumed"]["transition"]["id"] == cell.killed_intent["id"], result.get("resumed")
