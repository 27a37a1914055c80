# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft.AzureArcData resource IDs, and instance and failover-group reads and writes against the fake ARM."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import arm_resources
from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_resources import ArcDataResources
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure, InvalidInput, WaitTimeout

RG = "/subscriptions/sub-1/resourceGroups/rg-dr"
MI = RG + "/providers/Microsoft.AzureArcData/sqlManagedInstances/mi-dr"
FOG = MI + "/failoverGroups/fog-1"
OPERATION = "/subscriptions/sub-1/providers/Microsoft.AzureArcData/locations/westeurope/operationStatuses/op-1"
ASYNC_HEADER = {"Azure-AsyncOperation": "https://management.azure.com%s?api-version=2024-01-01" % OPERATION}


def fog(state):
    return {"id": FOG, "properties": {"provisioningState": state, "spec": {"role": "primary"}}}


class FakeClock(object):
    """time.monotonic and time.sleep for the delete check: sleeping advances the clock."""

    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def resources(arm, clock):
    return ArcDataResources(arm.client(), "rg-dr", site="site dr (Azure)", timeout=60, sleep=clock.sleep, clock=clock)


def test_resource_ids():
    assert arm_resources.instance_id("sub-1", "rg-dr", "mi-dr") == MI
    assert arm_resources.failover_group_id("sub-1", "rg-dr", "mi-dr", "fog-1") == FOG
    assert arm_resources.data_controller_id("sub-1", "rg-dr", "dc") == \
        RG + "/providers/Microsoft.AzureArcData/dataControllers/dc"


def test_a_custom_location_by_name_or_by_id():
    by_name = arm_resources.custom_location_id("sub-1", "rg-dr", "cl-dr")
    assert by_name == RG + "/providers/Microsoft.ExtendedLocation/customLocations/cl-dr"
    other = "/subscriptions/sub-2/resourceGroups/rg-x/providers/Microsoft.ExtendedLocation/customLocations/cl"
    assert arm_resources.custom_location_id("sub-1", "rg-dr", other) == other


def test_a_custom_location_id_of_another_type_is_refused():
    with pytest.raises(InvalidInput) as caught:
        arm_resources.custom_location_id("sub-1", "rg-dr", MI)
    assert caught.value.details["option"] == "custom_location"


def test_parse_resource_id_reads_a_partner_instance_id():
    assert arm_resources.parse_resource_id(MI.replace("rg-dr", "rg-prod").replace("mi-dr", "mi-prod")) == {
        "subscription_id": "sub-1", "resource_group": "rg-prod", "sqlManagedInstances": "mi-prod"}


def test_the_default_api_version_is_the_stable_one(resources, arm):
    arm.fake.answer("GET", MI, 200, {"id": MI})
    assert resources.get_instance("mi-dr") == {"id": MI}
    assert arm.fake.requests[0].url.endswith("?api-version=2024-01-01")


def test_the_api_version_can_be_overridden(arm):
    arm.fake.answer("GET", MI + "/failoverGroups", 200, {"value": [fog("Succeeded")]})
    preview = ArcDataResources(arm.client(), "rg-dr", api_version="2023-01-15-preview")
    assert preview.list_failover_groups("mi-dr") == [fog("Succeeded")]
    assert arm.fake.requests[0].url.endswith("?api-version=2023-01-15-preview")


@pytest.mark.parametrize("state", ["Accepted", "Deleting"])
def test_a_put_is_refused_while_arm_works_on_the_resource(resources, arm, state):
    arm.fake.answer("GET", FOG, 200, fog(state))
    with pytest.raises(ApiFailure) as caught:
        resources.put_failover_group("mi-dr", "fog-1", {"properties": {}})
    assert "provisioningState %s" % state in caught.value.message
    assert caught.value.details["reason"] == "OperationInProgress"
    assert arm.fake.sent("PUT") == []


def test_put_and_wait_returns_the_final_resource(resources, arm):
    arm.fake.answer("PUT", FOG, 201, fog("Accepted"), ASYNC_HEADER)
    arm.fake.answer("GET", OPERATION, 200, {"status": "Succeeded"})
    arm.fake.answer("GET", FOG, 200, fog("Succeeded"))
    assert resources.put_failover_group("mi-dr", "fog-1", {"properties": {}}, current=fog("Succeeded")) == \
        fog("Succeeded")
    assert arm.fake.sent() == [("PUT", FOG), ("GET", OPERATION), ("GET", FOG)]


def test_delete_waits_until_the_resource_is_gone(resources, arm, clock):
    arm.fake.answer("GET", FOG, 200, fog("Succeeded"))  # before the delete
    arm.fake.answer("DELETE", FOG, 202, None, ASYNC_HEADER)
    arm.fake.answer("GET", OPERATION, 200, {"status": "Succeeded"})
    arm.fake.answer("GET", FOG, 200, fog("Deleting"))  # the cluster still removes its custom resource
    arm.fake.arm_error("GET", FOG, 404, "ResourceNotFound", "gone")
    assert resources.delete_failover_group("mi-dr", "fog-1") is True
    assert arm.fake.sent() == [("GET", FOG), ("DELETE", FOG), ("GET", OPERATION), ("GET", FOG), ("GET", FOG)]
    assert clock.slept == [arm_resources.DELETE_CHECK_INTERVAL]


def test_deleting_a_missing_failover_group_sends_no_delete(resources, arm):
    assert resources.delete_failover_group("mi-dr", "fog-1") is False
    assert arm.fake.sent("DELETE") == []


def test_a_resource_that_outlives_its_delete_is_a_wait_timeout(resources, arm):
    arm.fake.answer("GET", FOG, 200, fog("Succeeded"))
    arm.fake.answer("DELETE", FOG, 204)
    arm.fake.answer("GET", FOG, 200, fog("Deleting"))
    with pytest.raises(WaitTimeout) as caught:
        resources.delete_failover_group("mi-dr", "fog-1")
    assert caught.value.details["seen"] == "Deleting" and caught.value.details["expected"] == "absent"
    assert caught.value.details["last_object"] == fog("Deleting")


def test_ids_use_the_first_subscription_when_none_is_given(arm):
    arm.fake.answer("GET", "/subscriptions", 200, {"value": [{"subscriptionId": "sub-9"}]})
    resources = ArcDataResources(arm.client(subscription_id=None), "rg-dr")
    assert resources.failover_group_id("mi-dr", "fog-1") == FOG.replace("sub-1", "sub-9")
