"""Which fields a FailoverGroup status carries, per controller behaviour profile (sandbox/controller/behaviour.py):
observedGeneration (dag_observed_generation), replicas and healthState (dag_link_detail), the cause in `results`
or an opaque text there (dag_results) and the cause in `message` (dag_message); and, in every profile, a new
lastUpdateTime for each generation the controller handles, even when nothing else in the status changes
(emulator-audit #1, #3, #4)."""
import pytest

from .conftest import Pair, own_sandbox, wait_for

ALWAYS = {"state", "results", "role", "lastUpdateTime"}
# the fields of a connected pair's status; `message` only comes with a cause
FIELDS = {
    "rich": ALWAYS | {"observedGeneration", "healthState", "replicas"},
    "observed-2022": ALWAYS,
    "cli-2025": ALWAYS | {"healthState", "replicas"},
}
OPAQUE = "Completed with {} state for DistributedAgStateMachine on {}"


@pytest.fixture(scope="module", params=sorted(FIELDS))
def profiled(request, tmp_path_factory):
    """(profile, sandbox) with both sites running the profile."""
    with own_sandbox(tmp_path_factory, "--behaviour", request.param) as handle:
        yield request.param, handle


@pytest.fixture(scope="module")
def connected(profiled):
    """(profile, pair): a connected pair (its DR side accepts clients: the tests read its engine)."""
    profile, handle = profiled
    return profile, Pair(handle).setup(dr_licence="BasePrice")


def test_a_connected_pair_reports_the_fields_of_its_profile(connected):
    profile, pair = connected
    for side, role in (("primary", "Primary"), ("secondary", "Secondary")):
        status = pair.dags[side].status()
        assert set(status) == FIELDS[profile], status
        assert (status["state"], status["role"]) == ("Succeeded", role)
        expected = "" if profile == "rich" else OPAQUE.format("Succeeded", pair.instances[side].name)
        assert status["results"] == expected
        if "replicas" in status:
            assert status["healthState"] == "OK"
            assert {(r["connectedState"], r["synchronizationState"]) for r in status["replicas"]} == {
                ("CONNECTED", "HEALTHY")}
        if "observedGeneration" in status:
            assert status["observedGeneration"] == pair.dags[side].get()["metadata"]["generation"]


def test_a_failure_puts_its_cause_where_the_profile_puts_it(profiled):
    profile, handle = profiled
    pair = Pair(handle).create_instances(dr_licence="BasePrice")
    pair.dags["primary"].create(pair.dag_body("primary", "primary"))
    dag = pair.dags["secondary"]
    created = dag.create(pair.dag_body("secondary", "leader"))  # not a role accepted at creation
    status = dag.wait_reported(created, state="Failed")
    cause_words = ("'leader'", "not accepted at creation")
    if profile == "rich":
        assert all(word in status["results"] for word in cause_words), status
        assert "message" not in status
    else:
        assert status["results"] == OPAQUE.format("Failed", pair.instances["secondary"].name)
    if profile == "cli-2025":
        assert all(word in status["message"] for word in cause_words), status
    if profile == "observed-2022":
        # nothing in the status says why: the Event on the resource does
        assert set(status) <= ALWAYS, status
        site = pair.sites["secondary"]
        events = [e.message for e in site.core().list_namespaced_event(site.namespace).items
                  if e.involved_object.name == dag.name and e.reason == "InvalidSpec"]
        assert any(all(word in message for word in cause_words) for message in events), events
    # corrected: the pair links, and the cause goes with the failure
    dag.set_role("secondary")
    status = wait_for(lambda: pair.linked("secondary"), what="the corrected side linked")
    assert "message" not in status and "leader" not in status["results"]


def test_each_handled_generation_is_reported_with_a_new_last_update_time(connected):
    """A change that leaves the status as it was (the sync mode written out as the async it already was) is still
    reported: where observedGeneration is absent, a new lastUpdateTime is how a reader knows its write was
    handled. A generation the controller refuses the same way twice is reported twice too."""
    profile, pair = connected
    dag = pair.dags["primary"]
    before = dag.status()
    written = dag.patch(partnerSyncMode="async")
    after = dag.wait_reported(written, state="Succeeded")
    assert {k: v for k, v in after.items() if k not in ("lastUpdateTime", "observedGeneration")} == {
        k: v for k, v in before.items() if k not in ("lastUpdateTime", "observedGeneration")}
    assert after["lastUpdateTime"] > before["lastUpdateTime"]
    assert set(after) == FIELDS[profile]

    refused = []
    for url in ("not-a-url", "still-not-a-url"):
        written = dag.patch(partnerMirroringURL=url)
        refused.append(dag.wait_reported(written, state="Failed"))
    if profile != "rich":  # the opaque results are the same for both: only lastUpdateTime tells them apart
        assert {k: v for k, v in refused[0].items() if k not in ("lastUpdateTime", "message")} == {
            k: v for k, v in refused[1].items() if k not in ("lastUpdateTime", "message")}
    assert refused[1]["lastUpdateTime"] > refused[0]["lastUpdateTime"]
    written = dag.patch(partnerMirroringURL=pair.instances["secondary"].mirroring_url)
    dag.wait_reported(written, state="Succeeded")
    wait_for(lambda: pair.linked("primary"), what="the pair linked again")
