# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import conditions

CONNECTED = [{"replicaName": "sqlmi-primary", "connectedState": "CONNECTED"},
             {"replicaName": "sqlmi-dr", "connectedState": "CONNECTED"}]


def obj(generation=3, **status):
    return {"metadata": {"name": "x", "generation": generation, "resourceVersion": "17"}, "status": status}


# -- instance_ready -----------------------------------------------------------------------------

def test_instance_ready_met_for_the_awaited_generation():
    met, field, expected, seen = conditions.instance_ready(3).check(obj(state="Ready", observedGeneration=3))
    assert met
    assert field == "status.state"
    assert expected == "'Ready' for generation 3"
    assert seen == "state='Ready' (observedGeneration 3 of 3)"


def test_instance_ready_met_when_the_controller_observed_a_later_generation():
    assert conditions.instance_ready(3).check(obj(4, state="Ready", observedGeneration=4))[0]


@pytest.mark.parametrize("status", [
    {"state": "Ready", "observedGeneration": 2},  # stale: the previous generation's Ready
    {"state": "Ready"},  # no observedGeneration at all
    {"state": "Updating", "observedGeneration": 3},
    {"state": "Error", "observedGeneration": 3},
    {},
])
def test_instance_ready_not_met(status):
    met, dummy, dummy2, seen = conditions.instance_ready(3).check(obj(**status))
    assert not met
    assert "of 3" in seen


def test_instance_ready_not_met_by_a_missing_object():
    met, dummy, dummy2, seen = conditions.instance_ready(1).check(None)
    assert not met
    assert seen == "the object does not exist"


def test_instance_ready_not_met_without_a_generation():
    assert not conditions.instance_ready(None).check(obj(state="Ready", observedGeneration=3))[0]


def test_instance_ready_failed_on_error_of_the_awaited_generation():
    failure = conditions.instance_ready(3).failed(obj(state="Error", observedGeneration=3,
                                                      message="memory_request 1Gi is below 2Gi"))
    assert failure == "the controller reports Error: memory_request 1Gi is below 2Gi"
    assert "no message" in conditions.instance_ready(3).failed(obj(state="Error", observedGeneration=3))


@pytest.mark.parametrize("status", [
    {"state": "Error", "observedGeneration": 2, "message": "the previous generation's problem"},
    {"state": "Error", "message": "not observed yet"},
    {"state": "Updating", "observedGeneration": 3},
    {"state": "Ready", "observedGeneration": 3},
])
def test_instance_ready_not_failed(status):
    assert conditions.instance_ready(3).failed(obj(**status)) is None
    assert conditions.instance_ready(3).failed(None) is None


# -- DAG writes: judged from what every controller writes (rich, the 2022 dumps, the 2025 model) ---------------
# `written` is the object the write returned; a later object is what the watch delivers.

def written(generation=3, **status):
    return obj(generation, **status)


OLD = {"state": "Succeeded", "role": "Primary", "results": "", "lastUpdateTime": "2026-12-07T10:00:00Z"}


def later(generation=3, **status):
    status.setdefault("lastUpdateTime", "2026-12-07T10:00:05Z")
    return obj(generation, **status)


@pytest.mark.parametrize("after", [
    later(state="Succeeded", role="Primary", observedGeneration=3),  # rich: observedGeneration caught up
    later(state="Succeeded", role="Primary"),  # 2022: a status written since, no observedGeneration
    later(state="succeeded", role="primary"),  # any case
    later(state="Succeeded", role="Primary", replicas=[{"connectedState": "DISCONNECTED"}]),  # applied, not linked
])
def test_dag_applied_met_by_a_succeeded_status_written_after_the_change(after):
    condition = conditions.dag_applied(written(**OLD))
    assert condition.check(after)[0]
    assert condition.failed(after) is None


@pytest.mark.parametrize("after", [
    obj(3, **OLD),  # the status the write returned: nothing handled yet
    later(state="Succeeded", role="Primary", observedGeneration=2),  # observedGeneration reported and behind
    later(state="Updating", role="Primary"),
    None,
])
def test_dag_applied_not_met_before_the_controller_handled_the_change(after):
    condition = conditions.dag_applied(written(**OLD))
    assert not condition.check(after)[0]
    assert condition.failed(after) is None


def test_a_new_object_is_handled_once_it_has_any_status():
    condition = conditions.dag_applied(written())
    assert not condition.check(obj(3))[0]
    assert condition.check(later(state="Succeeded"))[0]


def test_dag_applied_ends_on_a_failure_with_the_controllers_words():
    condition = conditions.dag_applied(written(**OLD))
    assert condition.failed(later(state="Failed", role="Primary", message="the certificate is not PEM",
                                  results="Completed with Failed state for DistributedAgStateMachine")) == \
        "the controller reports Failed: the certificate is not PEM; Completed with Failed state for " \
        "DistributedAgStateMachine"
    assert condition.failed(later(state="FAILED")) == "the controller reports Failed: no message"


def test_dag_applied_takes_a_failed_state_with_the_link_down_for_applied():
    """Some controllers say Failed until the partner's side exists: the change is applied, the link is down."""
    down = later(state="Failed", results="partner unreachable", replicas=[{"connectedState": "DISCONNECTED"}])
    condition = conditions.dag_applied(written())
    assert condition.check(down)[0] and condition.failed(down) is None
    assert conditions.link_down_failure(down)


def test_the_transient_failed_of_a_connected_pair_ends_nothing():
    """The 2025 sample: state Failed and role Unknown while both replicas are CONNECTED and HEALTHY."""
    transient = later(state="Failed", role="Unknown", replicas=CONNECTED)
    for condition in (conditions.dag_applied(written(**OLD)), conditions.dag_role("Secondary", written(**OLD)),
                      conditions.dag_settled(written(**OLD))):
        assert not condition.check(transient)[0]
        assert condition.failed(transient) is None


@pytest.mark.parametrize("after, met", [
    (later(state="Succeeded", replicas=CONNECTED), True),
    (later(state="Succeeded", observedGeneration=3, replicas=CONNECTED), True),
    (later(state="Succeeded"), True),  # no replicas reported: the link is unknown, the caller says so
    (later(state="Succeeded", replicas=[{"connectedState": "CONNECTED"}, {"connectedState": "DISCONNECTED"}]), False),
    (later(state="Failed", results="partner missing", replicas=[{"connectedState": "DISCONNECTED"}]), False),
    (obj(3, **OLD), False),
])
def test_dag_connected(after, met):
    condition = conditions.dag_connected(written(**OLD))
    assert condition.check(after)[0] is met
    # a side reports Failed until its partner's side exists: no state ends this wait
    assert condition.failed(after) is None


def test_dag_connected_seen_says_what_is_missing():
    seen = conditions.dag_connected(written(**OLD)).check(later(state="Updating", observedGeneration=2))[3]
    assert seen == "state='Updating', role=None; connectedState not reported (observedGeneration 2 of 3)"
    assert conditions.dag_connected(written()).check(None)[3] == "the object does not exist"


# -- dag_role -----------------------------------------------------------------------------------

def test_dag_role_met():
    condition = conditions.dag_role("Secondary", written(4, **OLD))
    met, field, expected, seen = condition.check(later(4, role="Secondary", state="Succeeded"))
    assert met
    assert field == "status.role"
    assert expected == "'Secondary' (state Succeeded, after this change)"
    assert seen.startswith("state='Succeeded', role='Secondary'")
    assert condition.check(later(4, role="SECONDARY", state="succeeded", observedGeneration=4))[0]


@pytest.mark.parametrize("status", [
    {"role": "Secondary", "state": "Succeeded", "observedGeneration": 3},  # observedGeneration behind
    {"role": "Primary", "state": "Succeeded"},
    {"role": "Secondary", "state": "Updating"},
])
def test_dag_role_not_met(status):
    assert not conditions.dag_role("Secondary", written(4, **OLD)).check(later(4, **status))[0]


def test_dag_role_not_met_by_the_status_the_write_returned_or_a_missing_object():
    condition = conditions.dag_role("Primary", written(4, **OLD))
    assert not condition.check(obj(4, **OLD))[0]  # Primary and Succeeded, but from before the change
    assert not condition.check(None)[0]


def test_dag_role_failed_after_the_change_only():
    condition = conditions.dag_role("Secondary", written(4, **OLD))
    failure = condition.failed(later(4, role="Primary", state="Failed", results="the partner is not synchronized"))
    assert failure == "the controller reports Failed: the partner is not synchronized"
    assert "no message" in condition.failed(later(4, role="Primary", state="Failed"))
    assert condition.failed(later(4, role="Primary", state="Failed", observedGeneration=3, results="old")) is None
    assert condition.failed(later(4, role="Primary", state="Updating")) is None
    assert condition.failed(None) is None


def test_dag_settled():
    before = dict(OLD)
    before["state"] = "Updating"
    condition = conditions.dag_settled(written(4, **before))
    assert condition.check(later(4, state="Failed", role="Primary"))[0]
    assert condition.check(later(4, state="succeeded", role="Primary"))[0]
    assert not condition.check(later(4, state="Updating", role="Primary"))[0]


# -- instance_certificate -----------------------------------------------------------------------

def _published(**status):
    status.setdefault("highAvailability", {"mirroringCertificate": "-----BEGIN CERTIFICATE-----\r\n..."})
    status.setdefault("endpoints", {"mirroring": "10.0.0.5:5022"})
    return obj(**status)


def test_instance_certificate_met_once_published():
    met, field, expected, dummy = conditions.instance_certificate().check(_published(state="Ready"))
    assert met
    assert field == "status.highAvailability.mirroringCertificate and status.endpoints.mirroring"
    assert expected == "published"


@pytest.mark.parametrize("status", [
    {"state": "Ready", "observedGeneration": 3},  # Ready, but nothing published yet
    {"state": "Ready", "observedGeneration": 3, "endpoints": {"mirroring": "10.0.0.5:5022"}},
    {"state": "Ready", "observedGeneration": 3, "highAvailability": {"mirroringCertificate": "x"}},
    {"state": "Ready", "highAvailability": {"mirroringCertificate": ""}, "endpoints": {"mirroring": "a:1"}},
])
def test_instance_certificate_not_met(status):
    met, dummy, dummy2, seen = conditions.instance_certificate().check(obj(**status))
    assert not met
    assert "state='Ready'" in seen


def test_instance_certificate_not_met_by_a_missing_object():
    met, dummy, dummy2, seen = conditions.instance_certificate().check(None)
    assert not met
    assert seen.startswith("the object does not exist")


def test_instance_certificate_seen_says_no_certificate_yet():
    assert conditions.instance_certificate().check(obj(state="Creating"))[3].endswith("; no certificate yet")


def test_instance_certificate_failed_on_error():
    condition = conditions.instance_certificate()
    assert condition.failed(obj(state="Error", message="pod crashed")) == "the controller reports Error: pod crashed"
    assert condition.failed(obj(state="Creating")) is None
    assert condition.failed(None) is None


# -- deleted ------------------------------------------------------------------------------------

def test_deleted():
    condition = conditions.deleted()
    assert condition.check(None) == (True, "the object", "deleted", "deleted")
    met, dummy, dummy2, seen = condition.check(obj(state="Succeeded", observedGeneration=3))
    assert not met
    assert seen == "it still exists"
    assert condition.failed(obj(state="Failed", observedGeneration=3)) is None


def test_condition_without_failed_never_fails():
    condition = conditions.Condition("anything", lambda o: (False, "f", "e", "s"))
    assert condition.failed(obj(state="Error", observedGeneration=3)) is None
    assert condition.description == "anything"


# -- the object's own generation (what the _info modules wait for and report) ------------------------------------

@pytest.mark.parametrize("status, ready", [
    ({"state": "Ready", "observedGeneration": 3}, True),
    ({"state": "Ready", "observedGeneration": 4}, True),  # the controller is ahead of what was read: caught up
    ({"state": "Ready", "observedGeneration": 2}, False),  # the previous generation's Ready
    ({"state": "Ready"}, False),  # documented for SqlManagedInstance: required
    ({"state": "Updating", "observedGeneration": 3}, False),
    ({"state": "Error", "observedGeneration": 3}, False),
])
def test_ready_for_its_generation_is_instance_ready_for_the_generation_the_object_carries(status, ready):
    instance = obj(3, **status)
    assert conditions.ready_for_its_generation(instance) is ready
    assert conditions.instance_ready(3).check(instance)[0] is ready  # the writers' rule, the same answer


def test_instance_ready_for_its_generation_says_which_generation_and_fails_on_its_error():
    condition = conditions.INSTANCE_WAIT_CONDITIONS["ready"]()
    met, field, expected, seen = condition.check(obj(5, state="Updating", observedGeneration=4))
    assert (met, field, expected) == (False, "status.state", "'Ready' for generation 5")
    assert seen == "state='Updating' (observedGeneration 4 of 5)"
    assert condition.failed(obj(5, state="Error", observedGeneration=5, message="no storage class 'x'")) == \
        "the controller reports Error: no storage class 'x'"
    # the Error of a generation since replaced is not the answer to the current one
    assert condition.failed(obj(5, state="Error", observedGeneration=4, message="old")) is None
    assert not condition.check(None)[0] and condition.failed(None) is None


def test_instance_absent_condition():
    condition = conditions.INSTANCE_WAIT_CONDITIONS["absent"]()
    assert condition.check(None)[0]
    assert not condition.check(obj(state="Ready", observedGeneration=3))[0]


@pytest.mark.parametrize("status, linked", [
    ({"state": "Succeeded", "observedGeneration": 3, "replicas": CONNECTED}, True),
    ({"state": "succeeded", "observedGeneration": 3, "replicas": CONNECTED}, True),  # compared case-insensitively
    # no real FailoverGroup reports observedGeneration: where it is absent the state is taken as it is
    ({"state": "Succeeded", "replicas": CONNECTED}, True),
    # no replicas reported (the 2022 dumps): the link is unknown, never assumed up
    ({"state": "Succeeded", "observedGeneration": 3}, None),
    ({"state": "Succeeded", "replicas": []}, None),
    ({"state": "Succeeded", "observedGeneration": 2, "replicas": CONNECTED}, False),  # stale Succeeded
    ({"state": "Updating", "observedGeneration": 3, "replicas": CONNECTED}, False),
    ({"state": "Failed", "observedGeneration": 3, "replicas": CONNECTED}, False),
    ({"state": "Succeeded", "observedGeneration": 3,
      "replicas": [{"connectedState": "CONNECTED"}, {"connectedState": "DISCONNECTED"}]}, False),
])
def test_linked_for_its_generation(status, linked):
    assert conditions.linked_for_its_generation(obj(3, **status)) is linked
    # the wait for `connected` ends when linked, and when the controller cannot say (the module then warns)
    assert conditions.DAG_WAIT_CONDITIONS["connected"]().check(obj(3, **status))[0] is (linked is not False)


def test_dag_connected_condition_names_the_fields_and_what_was_seen():
    condition = conditions.DAG_WAIT_CONDITIONS["connected"]()
    met, field, expected, seen = condition.check(obj(3, state="Succeeded", observedGeneration=3, replicas=[
        {"connectedState": "DISCONNECTED"}, {"connectedState": "DISCONNECTED"}]))
    assert not met
    assert field == "status.state and status.replicas[].connectedState"
    assert expected == "'Succeeded' for its generation with every replica CONNECTED (where replicas are reported)"
    assert seen == "state='Succeeded', role=None; connectedState ['DISCONNECTED', 'DISCONNECTED'] " \
                   "(observedGeneration 3 of 3)"
    assert condition.check(None)[3] == "the object does not exist"
    # a Failed side may still connect once its partner's side exists: it does not end the wait
    assert condition.failed(obj(3, state="Failed", observedGeneration=3, results="partner missing")) is None


@pytest.mark.parametrize("name, role", [("primary", "Primary"), ("secondary", "Secondary")])
def test_dag_role_conditions(name, role):
    condition = conditions.DAG_WAIT_CONDITIONS[name]()
    other = "Secondary" if role == "Primary" else "Primary"
    assert condition.check(obj(4, role=role, state="Succeeded", observedGeneration=4))[0]
    assert condition.check(obj(4, role=role, state="Succeeded"))[0]
    assert condition.check(obj(4, role=role.upper(), state="SUCCEEDED"))[0]  # any case
    assert not condition.check(obj(4, role=role, state="Succeeded", observedGeneration=3))[0]
    assert not condition.check(obj(4, role=role, state="Updating", observedGeneration=4))[0]
    assert not condition.check(obj(4, role=other, state="Succeeded", observedGeneration=4))[0]
    met, field, expected, seen = condition.check(obj(4, role=other, state="Failed", observedGeneration=4))
    assert (field, expected) == ("status.role", "%r (state Succeeded for its generation)" % role)
    assert seen.startswith("state='Failed', role=%r" % other)
    # the watched side is changed by its partner's controller: none of its states ends the wait early
    assert condition.failed(obj(4, role=other, state="Failed", observedGeneration=4, results="x")) is None


def test_the_wait_conditions_offered():
    assert sorted(conditions.INSTANCE_WAIT_CONDITIONS) == ["absent", "ready"]
    assert sorted(conditions.DAG_WAIT_CONDITIONS) == ["absent", "connected", "primary", "secondary", "synchronized"]


@pytest.mark.parametrize("replicas, met", [
    ([{"connectedState": "CONNECTED", "synchronizationState": "HEALTHY"}] * 2, True),
    ([{"connectedState": "CONNECTED", "synchronizationState": "NOT_HEALTHY"},
      {"connectedState": "CONNECTED", "synchronizationState": "HEALTHY"}], False),  # a rejoined site catching up
    ([{"connectedState": "CONNECTED"}] * 2, True),  # not reported: the link decides
    (None, True),  # no replicas at all: the link is unknown
    ([{"connectedState": "DISCONNECTED", "synchronizationState": "HEALTHY"}] * 2, False),
])
def test_synchronized_for_its_generation(replicas, met):
    status = {"state": "Succeeded"} if replicas is None else {"state": "Succeeded", "replicas": replicas}
    assert conditions.DAG_WAIT_CONDITIONS["synchronized"]().check(obj(3, **status))[0] is met


def test_caught_up():
    assert conditions.caught_up(obj(3, observedGeneration=3))
    assert not conditions.caught_up(obj(3))
    assert conditions.caught_up(obj(3), required=False)
    assert not conditions.caught_up(None, required=False)


def test_instance_words_compare_without_regard_to_case():
    assert conditions.instance_ready(3).check(obj(state="READY", observedGeneration=3))[0]
    assert conditions.instance_ready(3).failed(obj(state="error", observedGeneration=3, message="m")).endswith(": m")


def test_instance_ready_for_its_generation_of_an_instance_not_there_yet():
    met, field, expected, seen = conditions.INSTANCE_WAIT_CONDITIONS["ready"]().check(None)
    assert (met, field, expected, seen) == (False, "status.state", "'Ready' once it exists", "the object does not exist")
