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


# -- dag_connected ------------------------------------------------------------------------------

def test_dag_connected_met():
    condition = conditions.dag_connected(3)
    met, field, expected, seen = condition.check(obj(state="Succeeded", observedGeneration=3, replicas=CONNECTED))
    assert met
    assert field == "status.state and status.replicas[].connectedState"
    assert expected == "'Succeeded' for generation 3 with every replica CONNECTED"
    assert "['CONNECTED', 'CONNECTED']" in seen


@pytest.mark.parametrize("status", [
    {"state": "Succeeded", "observedGeneration": 2, "replicas": CONNECTED},  # stale Succeeded
    {"state": "Succeeded", "replicas": CONNECTED},
    {"state": "Updating", "observedGeneration": 3, "replicas": CONNECTED},
    {"state": "Succeeded", "observedGeneration": 3, "replicas": []},
    {"state": "Succeeded", "observedGeneration": 3},
    {"state": "Succeeded", "observedGeneration": 3,
     "replicas": [{"connectedState": "CONNECTED"}, {"connectedState": "DISCONNECTED"}]},
])
def test_dag_connected_not_met(status):
    assert not conditions.dag_connected(3).check(obj(**status))[0]


def test_dag_connected_seen_says_what_is_missing():
    seen = conditions.dag_connected(3).check(obj(state="Updating", observedGeneration=2))[3]
    assert seen == "state='Updating', results=None (observedGeneration 2 of 3); connectedState not reported"
    assert conditions.dag_connected(3).check(None)[3].startswith("the object does not exist")


def test_dag_connected_waits_through_a_failed_link_that_may_still_connect():
    """A new DAG half reports Failed while its partner's half does not exist yet, and Succeeded once the partner
    appears (same generation): dag_connected does not treat that Failed as the end of the wait."""
    condition = conditions.dag_connected(3)
    failed = obj(state="Failed", observedGeneration=3, results="the partner endpoint does not answer")
    assert condition.failed(failed) is None
    assert not condition.check(failed)[0]
    assert condition.check(obj(state="Succeeded", observedGeneration=3, replicas=CONNECTED))[0]


def test_dag_connected_not_failed_by_a_previous_generation():
    condition = conditions.dag_connected(3)
    assert condition.failed(obj(state="Failed", observedGeneration=2, results="old")) is None
    assert condition.failed(obj(state="Updating", observedGeneration=3)) is None
    assert condition.failed(obj(state="Succeeded", observedGeneration=3, replicas=CONNECTED)) is None
    assert condition.failed(None) is None


# -- dag_role -----------------------------------------------------------------------------------

def test_dag_role_met():
    condition = conditions.dag_role("Secondary", 4)
    met, field, expected, seen = condition.check(obj(4, role="Secondary", state="Succeeded", observedGeneration=4))
    assert met
    assert field == "status.role"
    assert expected == "'Secondary' (state Succeeded, generation 4)"
    assert seen.startswith("role='Secondary', state='Succeeded', results=None")


@pytest.mark.parametrize("status", [
    {"role": "Secondary", "state": "Succeeded", "observedGeneration": 3},  # stale Succeeded
    {"role": "Primary", "state": "Succeeded", "observedGeneration": 4},
    {"role": "Secondary", "state": "Updating", "observedGeneration": 4},
    {"role": "Secondary", "state": "Succeeded"},
    {"role": "secondary", "state": "Succeeded", "observedGeneration": 4},
])
def test_dag_role_not_met(status):
    assert not conditions.dag_role("Secondary", 4).check(obj(4, **status))[0]


def test_dag_role_not_met_by_a_missing_object():
    assert not conditions.dag_role("Primary", 1).check(None)[0]


def test_dag_role_failed_for_the_awaited_generation_only():
    condition = conditions.dag_role("Secondary", 4)
    failure = condition.failed(obj(4, role="Primary", state="Failed", observedGeneration=4,
                                   results="the partner is not synchronized"))
    assert failure == "the controller reports Failed: the partner is not synchronized"
    assert "no results" in condition.failed(obj(4, role="Primary", state="Failed", observedGeneration=4))
    assert condition.failed(obj(4, role="Primary", state="Failed", observedGeneration=3, results="old")) is None
    assert condition.failed(obj(4, role="Primary", state="Updating", observedGeneration=4)) is None
    assert condition.failed(None) is None


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
    ({"state": "Succeeded", "observedGeneration": 2, "replicas": CONNECTED}, False),  # stale Succeeded
    ({"state": "Updating", "observedGeneration": 3, "replicas": CONNECTED}, False),
    ({"state": "Failed", "observedGeneration": 3, "replicas": CONNECTED}, False),
    ({"state": "Succeeded", "observedGeneration": 3, "replicas": []}, False),
    ({"state": "Succeeded", "observedGeneration": 3,
      "replicas": [{"connectedState": "CONNECTED"}, {"connectedState": "DISCONNECTED"}]}, False),
])
def test_linked_for_its_generation(status, linked):
    assert conditions.linked_for_its_generation(obj(3, **status)) is linked
    assert conditions.DAG_WAIT_CONDITIONS["connected"]().check(obj(3, **status))[0] is linked


def test_dag_connected_condition_names_the_fields_and_what_was_seen():
    condition = conditions.DAG_WAIT_CONDITIONS["connected"]()
    met, field, expected, seen = condition.check(obj(3, state="Succeeded", observedGeneration=3, replicas=[
        {"connectedState": "DISCONNECTED"}, {"connectedState": "DISCONNECTED"}]))
    assert not met
    assert field == "status.state and status.replicas[].connectedState"
    assert expected == "'Succeeded' for its generation with every replica CONNECTED"
    assert seen == "state='Succeeded', results=None (observedGeneration 3 of 3); connectedState " \
                   "['DISCONNECTED', 'DISCONNECTED']"
    assert condition.check(None)[3] == "the object does not exist"
    # a Failed side may still connect once its partner's side exists: it does not end the wait
    assert condition.failed(obj(3, state="Failed", observedGeneration=3, results="partner missing")) is None


@pytest.mark.parametrize("name, role", [("primary", "Primary"), ("secondary", "Secondary")])
def test_dag_role_conditions(name, role):
    condition = conditions.DAG_WAIT_CONDITIONS[name]()
    other = "Secondary" if role == "Primary" else "Primary"
    assert condition.check(obj(4, role=role, state="Succeeded", observedGeneration=4))[0]
    assert condition.check(obj(4, role=role, state="Succeeded"))[0]
    assert not condition.check(obj(4, role=role, state="Succeeded", observedGeneration=3))[0]
    assert not condition.check(obj(4, role=role, state="Updating", observedGeneration=4))[0]
    assert not condition.check(obj(4, role=other, state="Succeeded", observedGeneration=4))[0]
    met, field, expected, seen = condition.check(obj(4, role=other, state="Failed", observedGeneration=4))
    assert (field, expected) == ("status.role", "%r (state Succeeded for its generation)" % role)
    assert seen.startswith("role=%r, state='Failed'" % other)
    # the watched side is changed by its partner's controller: none of its states ends the wait early
    assert condition.failed(obj(4, role=other, state="Failed", observedGeneration=4, results="x")) is None


def test_the_wait_conditions_offered():
    assert sorted(conditions.INSTANCE_WAIT_CONDITIONS) == ["absent", "ready"]
    assert sorted(conditions.DAG_WAIT_CONDITIONS) == ["absent", "connected", "primary", "secondary"]


def test_caught_up_and_replicas_connected():
    assert conditions.caught_up(obj(3, observedGeneration=3))
    assert not conditions.caught_up(obj(3))
    assert conditions.caught_up(obj(3), required=False)
    assert not conditions.caught_up(None, required=False)
    assert conditions.replicas_connected(obj(replicas=CONNECTED))
    assert not conditions.replicas_connected(obj())


def test_instance_ready_for_its_generation_of_an_instance_not_there_yet():
    met, field, expected, seen = conditions.INSTANCE_WAIT_CONDITIONS["ready"]().check(None)
    assert (met, field, expected, seen) == (False, "status.state", "'Ready' once it exists", "the object does not exist")
