"""The DR lock under clock skew: two operators whose machines' clocks differ by ten minutes (one operator's
ansible-playbook and module processes see a wall clock shifted by ARC_TEST_CLOCK_SKEW, injected by the test
harness's clock_skew/sitecustomize.py; the monotonic clock is untouched, as on a real machine).

  - Both start a planned failover of one pair at the same moment, either skew sign: exactly one proceeds, the other
    fails naming the holder, and the pair switched once.
  - A lock whose holder stopped renewing it is not taken over early by a clock ten minutes ahead (to which the
    lock's renewTime looks long past), nor never by a clock ten minutes behind (to which it looks in the future):
    both take it over only after watching it unchanged for its duration."""
import concurrent.futures
import datetime
import re

import pytest
from kubernetes import client

from .conftest import HERE, PARTNER
from .dr_playbooks import PlaybookPairs, audit_marks, failed_messages, roles
from .fault_matrix import primary_site
from .interrupted_runs import KillableAnsible, held_locks, warnings_of

PLANNED = "arcdata.sqlmi.failover_planned"
TASK = "Read both sites, then refuse or carry out the transition, mode planned"
TEN_MINUTES = 600
LOCK_SECONDS = 6
STALE_LOCK_SECONDS = 20


def skewed(seconds):
    """The environment of an operator whose clock is `seconds` off."""
    return {"PYTHONPATH": str(HERE / "clock_skew"), "ARC_TEST_CLOCK_SKEW": str(seconds)}


@pytest.fixture(scope="module")
def skew_pairs(arc_sites, tmp_path_factory):
    made = PlaybookPairs(arc_sites, tmp_path_factory.mktemp("clock-skew"))
    yield made
    made.remove_all()


@pytest.fixture(scope="module")
def set_up_pair(arc_sites, skew_pairs, tmp_path_factory):
    pair = skew_pairs.new("skew")
    inventory = skew_pairs.inventory(pair)
    runner = KillableAnsible(arc_sites, tmp_path_factory.mktemp("clock-skew-runs"))
    run = runner.run("arcdata.sqlmi.dr_setup", inventory=inventory)
    assert run.rc == 0, run
    return pair, inventory, runner


@pytest.mark.parametrize("skew", [TEN_MINUTES, -TEN_MINUTES], ids=["ahead", "behind"])
def test_two_operators_with_clocks_ten_minutes_apart_exclude_each_other(arc_sites, set_up_pair, skew):
    pair, inventory, runner = set_up_pair
    before = primary_site(arc_sites, pair)
    # the winner's first DAG patch is slowed down, so that it holds the lock while the other run watches it
    arc_sites.site(before).ops().set_faults([{"verb": "patch", "resource": "failovergroups", "latency_ms": 8000,
                                              "count": 1}])
    operators = [("alice", skewed(skew)), ("bob", None)]
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(lambda operator: runner.run(
                PLANNED, inventory=inventory, env=operator[1],
                extra_vars={"dr_failover_operator": operator[0], "dr_failover_lock_duration": LOCK_SECONDS}),
                operators))
    finally:
        arc_sites.site(before).ops().clear_faults()
    winners = [run for run in runs if run.rc == 0]
    losers = [run for run in runs if run.rc != 0]
    assert len(winners) == 1 and len(losers) == 1, runs
    winner = next(t["result"] for t in winners[0].results(TASK) if t["outcome"] != "skipped")
    message = failed_messages(losers[0])
    assert "is held by %r" % winner["lock"]["holder"] in message, message
    assert "nothing was changed" in message, message
    loser = [t["result"] for t in losers[0].results(TASK) if t["outcome"] != "skipped"]
    assert "switch" not in [step["step"] for step in loser[0]["steps"]], loser
    assert roles(arc_sites, pair) == {before: "Secondary", PARTNER[before]: "Primary"}, "switched once"
    assert held_locks(arc_sites, pair) == {}


def plant_dead_lock(sites, site, pair):
    """The Lease a run that was killed a moment ago left (renewed now by the real clock, never again)."""
    handle = sites.site(site)
    api = client.CoordinationV1Api(handle.custom().api_client)
    name = "arcdata-sqlmi-dr-%s" % pair.dag_name.lower()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    body = {"metadata": {"name": name}, "spec": {"holderIdentity": "dba carol, run dead", "acquireTime": stamp,
                                                 "renewTime": stamp, "leaseDurationSeconds": STALE_LOCK_SECONDS}}
    try:
        api.delete_namespaced_lease(name, handle.namespace)
    except client.rest.ApiException as exc:
        assert exc.status == 404, exc
    api.create_namespaced_lease(handle.namespace, body)


@pytest.mark.parametrize("skew", [TEN_MINUTES, -TEN_MINUTES], ids=["ahead", "behind"])
def test_a_stale_lock_is_taken_over_only_after_watching_it_for_its_duration(arc_sites, set_up_pair, skew):
    pair, inventory, runner = set_up_pair
    before = primary_site(arc_sites, pair)
    plant_dead_lock(arc_sites, before, pair)
    marks = audit_marks(arc_sites)
    run = runner.run(PLANNED, inventory=inventory, env=skewed(skew),
                     extra_vars={"dr_failover_operator": "dave", "dr_failover_lock_duration": LOCK_SECONDS})
    assert run.rc == 0, run
    result = next(t["result"] for t in run.results(TASK) if t["outcome"] != "skipped")
    taken = result["lock"]["taken_over"]
    assert taken["holder"] == "dba carol, run dead", result["lock"]
    assert taken["observed_unchanged_seconds"] >= STALE_LOCK_SECONDS, taken
    assert re.search(r"took over the DR lock of %s .* it stayed unchanged for \d+ s" % pair.group,
                     warnings_of(run)), run
    # by the API server's own clock: the takeover came a full duration after the run first read the lock
    lease_requests = [e for e in arc_sites.site(before).audit_since(marks[before])
                      if e["resource"] == "leases" and e.get("user_agent", "").startswith("arcdata.sqlmi/")]
    first_read = min(e["ts"] for e in lease_requests if e["verb"] == "get")
    takeover = min(e["ts"] for e in lease_requests if e["verb"] == "update" and e["code"] == 200)
    assert takeover - first_read >= STALE_LOCK_SECONDS, (first_read, takeover)
    assert roles(arc_sites, pair) == {before: "Secondary", PARTNER[before]: "Primary"}
    assert held_locks(arc_sites, pair) == {}
