"""Issue 6, item 4: one operator at a time. A failover holds the pair's DR lock (a coordination.k8s.io/v1 Lease on
the current primary's site) from before its first write to its end, renews it while it waits, and a second
failover started at the same moment fails, once it sees the lock change, saying who holds the lock and since when.
A lock left by a run that died is taken over once it stayed unchanged for its duration, and the takeover is
reported."""
import concurrent.futures
import datetime
import re
import threading

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from .conftest import PARTNER, Ansible
from .dr_playbooks import PlaybookPairs, audit_marks, collection_since, failed_messages, roles

PLANNED = "arcdata.sqlmi.failover_planned"
NOT_CHANGED = "nothing was changed"
FAILOVER_TASK = "Read both sites, then refuse or carry out the transition, mode planned"


@pytest.fixture(scope="module")
def lock_pairs(arc_sites, tmp_path_factory):
    made = PlaybookPairs(arc_sites, tmp_path_factory.mktemp("dr-lock"))
    yield made
    made.remove_all()


@pytest.fixture(scope="module")
def set_up_pair(arc_sites, lock_pairs, tmp_path_factory):
    """A pair made by dr_setup, shared by the tests: (pair, inventory, runner). Each test leaves it with one
    primary, not necessarily the first site."""
    pair = lock_pairs.new("lock")
    inventory = lock_pairs.inventory(pair)
    runner = Ansible(arc_sites, tmp_path_factory.mktemp("dr-lock-runs"))
    run = runner.run("arcdata.sqlmi.dr_setup", inventory=inventory)
    assert run.rc == 0, run
    return pair, inventory, runner


def primary_now(sites, pair):
    current = roles(sites, pair)
    assert sorted(current.values()) == ["Primary", "Secondary"], current
    return next(site for site, role in current.items() if role == "Primary")


def switched(before):
    """The roles after a planned failover from `before` (the primary site)."""
    return {before: "Secondary", PARTNER[before]: "Primary"}


def lease_name(pair):
    return f"arcdata-sqlmi-dr-{pair.dag_name}"


def leases(handle):
    return client.CoordinationV1Api(handle.custom().api_client)


def read_lease(sites, site, pair):
    handle = sites.site(site)
    try:
        return leases(handle).read_namespaced_lease(lease_name(pair), handle.namespace)
    except ApiException as exc:
        assert exc.status == 404, exc
        return None


def plant_lease(sites, site, pair, holder, renewed_seconds_ago, duration):
    """A Lease as a run that is still going (or one that died) leaves it on the primary's site."""
    handle = sites.site(site)
    renewed = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=renewed_seconds_ago)
    stamp = renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    leases(handle).create_namespaced_lease(handle.namespace, {
        "metadata": {"name": lease_name(pair)},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration, "acquireTime": stamp,
                 "renewTime": stamp, "leaseTransitions": 0}})


class Renewing:
    """A live holder of a planted Lease: renews it every `every` seconds until stopped."""

    def __init__(self, sites, site, pair, every):
        self.handle, self.pair, self.every = sites.site(site), pair, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        api = leases(self.handle)
        while not self.stop.wait(self.every):
            lease = api.read_namespaced_lease(lease_name(self.pair), self.handle.namespace)
            lease.spec.renew_time = datetime.datetime.now(datetime.timezone.utc)
            api.replace_namespaced_lease(lease_name(self.pair), self.handle.namespace, lease)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)


def remove_lease(sites, site, pair):
    handle = sites.site(site)
    try:
        leases(handle).delete_namespaced_lease(lease_name(pair), handle.namespace)
    except ApiException as exc:
        assert exc.status == 404, exc


def role_patches(requests):
    """The collection's writes to DAG resources (a failover's only writes besides the lock and the records)."""
    return [e for e in requests if e["resource"] == "failovergroups" and e["verb"] == "patch" and not e["dry_run"]]


def lease_writes(requests):
    return [e for e in requests if e["resource"] == "leases" and e["verb"] in ("create", "update")]


def test_two_failovers_at_the_same_moment_exactly_one_proceeds(arc_sites, set_up_pair):
    pair, inventory, runner = set_up_pair
    primary = primary_now(arc_sites, pair)
    # the winner's first DAG patch is slowed down, so it still holds the lock when the other run gets there even
    # if the two ansible-playbook processes start at different speeds on a busy machine
    arc_sites.site(primary).ops().set_faults([{"verb": "patch", "resource": "failovergroups", "latency_ms": 12000,
                                               "count": 1}])
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(lambda unused: runner.run(PLANNED, inventory=inventory), range(2)))
    finally:
        arc_sites.site(primary).ops().clear_faults()

    winners = [run for run in runs if run.rc == 0]
    losers = [run for run in runs if run.rc != 0]
    assert len(winners) == 1 and len(losers) == 1, runs
    message = failed_messages(losers[0])
    namespace = arc_sites.site(primary).namespace
    assert re.search(r"the DR lock \(Lease %s/%s\) is held by '[^']*run [0-9a-f]{8}' for planned failover of %s since "
                     r"\d{4}-\d\d-\d\dT" % (namespace, re.escape(lease_name(pair)), pair.group), message), message
    assert NOT_CHANGED in message, message
    # the loser wrote no role change, and the pair switched once
    loser = [t["result"] for t in losers[0].results(FAILOVER_TASK) if t["outcome"] != "skipped"]
    assert len(loser) == 1 and "switch" not in [step["step"] for step in loser[0]["steps"]], loser
    assert roles(arc_sites, pair) == switched(primary)
    lease = read_lease(arc_sites, primary, pair)
    assert lease is not None and lease.spec.holder_identity == "", "the winner released the lock"
    winner = [t["result"] for t in winners[0].results(FAILOVER_TASK) if t["outcome"] != "skipped"]
    steps = [(step["step"], step["outcome"]) for step in winner[0]["steps"]]
    assert steps[-2:] == [("record the handover", "done"), ("release the DR lock", "done")], steps


def test_a_held_lock_stops_a_failover_before_any_dag_write(arc_sites, set_up_pair):
    pair, inventory, runner = set_up_pair
    primary = primary_now(arc_sites, pair)
    remove_lease(arc_sites, primary, pair)
    plant_lease(arc_sites, primary, pair, "dba bob, AWX job 77, run 1234abcd", renewed_seconds_ago=2, duration=6)
    try:
        marks = audit_marks(arc_sites)
        with Renewing(arc_sites, primary, pair, every=2):  # a holder that is alive
            run = runner.run(PLANNED, inventory=inventory)
        assert run.rc != 0, run
        message = failed_messages(run)
        assert "is held by 'dba bob, AWX job 77, run 1234abcd'" in message, message
        assert "since 20" in message and "its holder is alive" in message and NOT_CHANGED in message, message
        requests = collection_since(arc_sites, marks)
        assert role_patches(requests["primary"]) == [] and role_patches(requests["secondary"]) == []
        assert primary_now(arc_sites, pair) == primary
        lease = read_lease(arc_sites, primary, pair)
        assert lease.spec.holder_identity == "dba bob, AWX job 77, run 1234abcd", "someone else's lock is left alone"
    finally:
        remove_lease(arc_sites, primary, pair)


def test_a_lock_left_by_a_crashed_run_is_taken_over_once_it_stayed_unchanged(arc_sites, set_up_pair):
    pair, inventory, runner = set_up_pair
    primary = primary_now(arc_sites, pair)
    remove_lease(arc_sites, primary, pair)
    plant_lease(arc_sites, primary, pair, "dba carol, run deadbeef", renewed_seconds_ago=90, duration=6)
    run = runner.run(PLANNED, inventory=inventory)
    assert run.rc == 0, run
    warned = " ".join(run.stderr.split())  # warnings go to stderr, wrapped to the terminal's width
    assert "took over the DR lock of %s (%s) from 'dba carol, run deadbeef'" % (pair.group, lease_name(pair)) \
        in warned, run
    assert re.search(r"it stayed unchanged for \d+ s while this run watched it", warned), run
    assert roles(arc_sites, pair) == switched(primary)
    lease = read_lease(arc_sites, primary, pair)
    assert lease.spec.lease_transitions == 1 and lease.spec.holder_identity == "", lease.spec


def test_the_lock_is_renewed_while_a_failover_waits(arc_sites, set_up_pair):
    pair, inventory, runner = set_up_pair
    primary = primary_now(arc_sites, pair)
    marks = audit_marks(arc_sites)
    # the primary site's controller reports the switch slowly: the failover waits longer than the lock lasts
    arc_sites.site(primary).ops().set_faults([{"verb": "*", "resource": "failovergroups/status",
                                               "latency_ms": 3000, "count": 3}])
    try:
        run = runner.run(PLANNED, inventory=inventory, extra_vars={"dr_failover_lock_duration": 5})
    finally:
        arc_sites.site(primary).ops().clear_faults()
    assert run.rc == 0, run
    assert roles(arc_sites, pair) == switched(primary)
    writes = [e for e in lease_writes(collection_since(arc_sites, marks)[primary]) if e["code"] in (200, 201)]
    renewals = writes[1:-1]  # between taking and releasing it
    assert len(renewals) >= 2, "taken, renewed at least twice while waiting, released: %s" % writes
    # while the switch is awaited (between steps the lock lives on its duration, 60 s by default)
    gaps = [later["ts"] - earlier["ts"] for earlier, later in zip(renewals, renewals[1:])]
    assert max(gaps) < 5, "the lock went %.1f s without renewal during the wait: it could have expired" % max(gaps)
