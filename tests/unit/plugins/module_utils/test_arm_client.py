# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ARM client against a fake Resource Manager behind azure-core's requests transport (conftest.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import threading

import pytest
import requests
import yaml
from azure.core.exceptions import ClientAuthenticationError

from ansible_collections.arcdata.sqlmi.plugins.module_utils.arm_client import USER_AGENT
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import AZURE_ROLE_FILE, ApiFailure, WaitTimeout

RG = "/subscriptions/sub-1/resourceGroups/rg-dr"
MI = RG + "/providers/Microsoft.AzureArcData/sqlManagedInstances/mi-dr"
FOG = MI + "/failoverGroups/fog-1"
OPERATION = "/subscriptions/sub-1/providers/Microsoft.AzureArcData/locations/westeurope/operationStatuses/op-1"
ASYNC_HEADER = {"Azure-AsyncOperation": "https://management.azure.com%s?api-version=2024-01-01" % OPERATION}
API = "2024-01-01"
GALAXY = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "galaxy.yml")


def fog(state, role="primary"):
    return {"id": FOG, "name": "fog-1", "type": "Microsoft.AzureArcData/sqlManagedInstances/failoverGroups",
            "properties": {"provisioningState": state, "partnerManagedInstanceId": MI.replace("dr", "prod"),
                           "spec": {"role": role, "partnerSyncMode": "async"}}}


def test_a_get_carries_the_api_version_the_token_and_the_collection_user_agent(arm):
    arm.fake.answer("GET", FOG, 200, fog("Succeeded"))
    assert arm.client().get(FOG, API) == fog("Succeeded")
    request = arm.fake.requests[0]
    assert request.url == "https://management.azure.com%s?api-version=%s" % (FOG, API)
    assert request.headers["Authorization"] == "Bearer fake-arm-token"
    assert request.headers["User-Agent"].startswith(USER_AGENT + " ")
    assert arm.credential.scopes == [("https://management.azure.com/.default",)]


def test_the_user_agent_carries_the_collection_version_of_galaxy_yml():
    with open(GALAXY) as handle:
        assert USER_AGENT == "arcdata.sqlmi/%s" % yaml.safe_load(handle)["version"]


def test_a_missing_resource_reads_as_none(arm):
    arm.fake.arm_error("GET", FOG, 404, "ResourceNotFound", "The Resource 'fog-1' was not found.")
    assert arm.client().get(FOG, API) is None


@pytest.mark.parametrize("code, option", [("ResourceGroupNotFound", "resource_group"),
                                          ("SubscriptionNotFound", "subscription_id")])
def test_a_missing_resource_group_or_subscription_is_a_failure_naming_the_option(arm, code, option):
    arm.fake.arm_error("GET", FOG, 404, code, "Resource group 'rg-dr' could not be found.")
    with pytest.raises(ApiFailure) as caught:
        arm.client().get(FOG, API)
    assert caught.value.message == "site dr (Azure): GET %s failed: HTTP 404 %s: Resource group 'rg-dr' could " \
                                   "not be found.; check %s" % (FOG, code, option)
    assert (caught.value.details["status"], caught.value.details["reason"]) == (404, code)


def test_429_is_retried_after_its_retry_after(arm):
    arm.fake.arm_error("GET", FOG, 429, "TooManyRequests", "throttled", headers={"Retry-After": "7"})
    arm.fake.answer("GET", FOG, 200, fog("Succeeded"))
    assert arm.client().get(FOG, API)["properties"]["provisioningState"] == "Succeeded"
    assert arm.fake.sent() == [("GET", FOG), ("GET", FOG)]
    assert arm.transport.pauses == [7]


def test_a_503_that_persists_fails_after_the_retries_with_arms_message(arm):
    arm.fake.arm_error("GET", FOG, 503, "ServiceUnavailable", "try later")
    with pytest.raises(ApiFailure) as caught:
        arm.client().get(FOG, API)
    assert len(arm.fake.requests) == 7  # the first attempt and azure-core's 6 retries
    assert caught.value.details["status"] == 503 and "try later" in caught.value.message


def test_403_authorization_failed_points_to_the_azure_custom_role(arm):
    message = ("The client 'app-1' with object id 'o-1' does not have authorization to perform action "
               "'Microsoft.AzureArcData/sqlManagedInstances/failoverGroups/write' over scope '%s'" % FOG)
    arm.fake.arm_error("PUT", FOG, 403, "AuthorizationFailed", message)
    with pytest.raises(ApiFailure) as caught:
        arm.client().put(FOG, API, {"properties": {}})
    assert caught.value.message == "site dr (Azure): PUT %s failed: HTTP 403 AuthorizationFailed: the Azure " \
                                   "credentials lack permission: %s; the collection's Azure custom role, which " \
                                   "grants what it needs, is %s in the arcdata.sqlmi collection" % (
                                       FOG, message, AZURE_ROLE_FILE)
    assert caught.value.details["object"] == FOG and len(arm.fake.requests) == 1  # a 403 is never retried


def test_401_names_the_credential_source(arm):
    arm.fake.arm_error("GET", FOG, 401, "InvalidAuthenticationToken", "The access token is invalid.")
    with pytest.raises(ApiFailure) as caught:
        arm.client().get(FOG, API)
    assert "refused the token of service principal app-1 (from the environment): The access token is invalid." in \
        caught.value.message


def test_a_credential_that_cannot_get_a_token_is_named_without_its_secret(arm):
    error = ClientAuthenticationError("AADSTS7000215: Invalid client secret provided: '%s'" % arm.secret)
    with pytest.raises(ApiFailure) as caught:
        arm.client(credential=arm.failing_credential(error)).get(FOG, API)
    assert caught.value.details["reason"] == "CredentialFailed" and not arm.fake.requests
    assert "no token for service principal app-1 (from the environment): AADSTS7000215" in caught.value.message
    assert arm.secret not in str(caught.value) and arm.secret not in repr(caught.value.details)


def test_an_arm_message_quoting_the_secret_is_censored(arm):
    arm.fake.arm_error("PUT", FOG, 400, "InvalidRequestContent", "bad value '%s'" % arm.secret)
    with pytest.raises(ApiFailure) as caught:
        arm.client().put(FOG, API, {"properties": {}})
    assert arm.secret not in str(caught.value) and arm.secret not in repr(caught.value.details)
    assert "bad value '********'" in caught.value.message


def test_an_unserved_api_version_points_to_the_option(arm):
    arm.fake.arm_error("GET", FOG, 400, "NoRegisteredProviderFound", "No registered resource provider found for "
                       "API version '2099-01-01'. The supported api-versions are '2024-01-01'.")
    with pytest.raises(ApiFailure, match="set arm_api_version to one the message lists"):
        arm.client().get(FOG, "2099-01-01")


def test_an_unreachable_resource_manager_is_reported_as_such_after_the_retries(arm):
    arm.fake.answer("GET", FOG, error=requests.exceptions.ConnectionError("Connection refused"))
    with pytest.raises(ApiFailure) as caught:
        arm.client().get(FOG, API)
    assert len(arm.fake.requests) == 5
    assert caught.value.details["reason"] == "Unreachable"
    assert "Resource Manager is unreachable (Connection refused)" in caught.value.message


def test_list_follows_next_link(arm):
    next_link = "https://management.azure.com%s/failoverGroups?api-version=%s&$skiptoken=2" % (MI, API)
    arm.fake.answer("GET", MI + "/failoverGroups", 200, {"value": [fog("Succeeded")], "nextLink": next_link})
    arm.fake.answer("GET", MI + "/failoverGroups", 200, {"value": [fog("Succeeded", "secondary")]})
    found = arm.client().list(MI + "/failoverGroups", API)
    assert [item["properties"]["spec"]["role"] for item in found] == ["primary", "secondary"]
    assert arm.fake.requests[1].url == next_link


# -- long-running operations --------------------------------------------------------------------------------------
def test_a_long_running_put_follows_azure_async_operation_and_returns_the_final_resource(arm):
    arm.fake.answer("PUT", FOG, 201, fog("Accepted"), ASYNC_HEADER)
    arm.fake.answer("GET", OPERATION, 200, {"status": "InProgress"}, {"Retry-After": "2"})
    arm.fake.answer("GET", OPERATION, 200, {"status": "Succeeded"})
    arm.fake.answer("GET", FOG, 200, fog("Succeeded", "secondary"))
    result = arm.client().put(FOG, API, {"properties": {"spec": {"role": "secondary"}}})
    assert result == fog("Succeeded", "secondary")
    assert arm.fake.sent() == [("PUT", FOG), ("GET", OPERATION), ("GET", OPERATION), ("GET", FOG)]
    assert json.loads(arm.fake.requests[0].body) == {"properties": {"spec": {"role": "secondary"}}}
    assert arm.transport.pauses == [2]


def test_a_failed_operation_is_a_failure_with_arms_code_and_message(arm):
    arm.fake.answer("PUT", FOG, 201, fog("Accepted"), ASYNC_HEADER)
    arm.fake.answer("GET", OPERATION, 200, {"status": "Failed", "error": {
        "code": "FailoverGroupUpdateFailed", "message": "the partner instance is not reachable"}})
    with pytest.raises(ApiFailure) as caught:
        arm.client().put(FOG, API, {"properties": {}})
    assert caught.value.details["reason"] == "FailoverGroupUpdateFailed"
    assert caught.value.message.endswith("the operation ended Failed: the partner instance is not reachable")
    assert ("GET", FOG) not in arm.fake.sent()


def test_a_put_that_succeeds_at_once_needs_no_polling(arm):
    arm.fake.answer("PUT", FOG, 200, fog("Succeeded"))
    assert arm.client().put(FOG, API, {"properties": {}}) == fog("Succeeded")
    assert arm.fake.sent() == [("PUT", FOG)]


def test_a_put_without_async_header_polls_the_provisioning_state(arm):
    arm.fake.answer("PUT", FOG, 201, fog("Accepted"))
    arm.fake.answer("GET", FOG, 200, fog("Accepted"))
    arm.fake.answer("GET", FOG, 200, fog("Succeeded"))
    assert arm.client().put(FOG, API, {"properties": {}}) == fog("Succeeded")
    assert arm.fake.sent() == [("PUT", FOG), ("GET", FOG), ("GET", FOG)]


def test_an_operation_that_does_not_end_in_time_is_a_wait_timeout(arm):
    arm.transport.pause = 0.01  # the poller's thread polls, pausing a little, until the timeout
    arm.fake.answer("PUT", FOG, 201, fog("Accepted"), ASYNC_HEADER)
    arm.fake.answer("GET", OPERATION, 200, {"status": "InProgress"})
    with pytest.raises(WaitTimeout) as caught:
        arm.client().put(FOG, API, {"properties": {}}, timeout=0.2)
    assert caught.value.details["object"] == FOG and caught.value.details["seen"] == "InProgress"
    assert "timed out after 0.2 s waiting for PUT %s to finish" % FOG in caught.value.message
    # end the poller's thread: the fake now refuses connections, which ends the polling with an error
    arm.fake.answer("GET", OPERATION, error=requests.exceptions.ConnectionError("gone"))
    arm.fake.routes[("GET", OPERATION)].pop(0)
    for thread in threading.enumerate():
        if thread.name.startswith("LROPoller"):
            thread.join(5)


def test_a_long_running_delete_waits_for_the_operation(arm):
    arm.fake.answer("DELETE", FOG, 202, None, ASYNC_HEADER)
    arm.fake.answer("GET", OPERATION, 200, {"status": "InProgress"})
    arm.fake.answer("GET", OPERATION, 200, {"status": "Succeeded"})
    arm.client().delete(FOG, API)
    assert arm.fake.sent() == [("DELETE", FOG), ("GET", OPERATION), ("GET", OPERATION)]


@pytest.mark.parametrize("status", [204, 404])
def test_deleting_what_is_not_there_is_no_error(arm, status):
    if status == 404:
        arm.fake.arm_error("DELETE", FOG, 404, "ResourceNotFound", "not found")
    else:
        arm.fake.answer("DELETE", FOG, 204)
    arm.client().delete(FOG, API)
    assert arm.fake.sent() == [("DELETE", FOG)]


def test_the_first_subscription_is_used_when_the_credentials_name_none(arm):
    arm.fake.answer("GET", "/subscriptions", 200, {"value": [{"subscriptionId": "first"}, {"subscriptionId": "2nd"}]})
    client = arm.client(subscription_id=None)
    assert (client.subscription_id, client.subscription_id) == ("first", "first")
    assert len(arm.fake.requests) == 1


def test_no_subscription_at_all_names_the_option(arm):
    arm.fake.answer("GET", "/subscriptions", 200, {"value": []})
    with pytest.raises(Exception) as caught:
        arm.client(subscription_id=None).subscription_id
    assert caught.value.details["option"] == "subscription_id"


def test_a_tags_patch_sends_the_whole_tags_object_and_returns_the_resource(arm):
    arm.fake.answer("PATCH", MI, 200, {"id": MI, "tags": {"owner": "dba", "arcdata-sqlmi-dr-lock": "{}"}})
    found = arm.client().patch(MI, API, {"tags": {"owner": "dba", "arcdata-sqlmi-dr-lock": "{}"}})
    assert found["tags"]["arcdata-sqlmi-dr-lock"] == "{}"
    assert arm.fake.sent() == [("PATCH", MI)]
    assert json.loads(arm.fake.requests[0].body) == {"tags": {"owner": "dba", "arcdata-sqlmi-dr-lock": "{}"}}


def test_resource_managers_clock_is_its_latest_date_header(arm):
    client = arm.client()
    assert client.server_now() is None
    arm.fake.answer("GET", MI, 200, {"id": MI}, headers={"Date": "Thu, 26 Nov 2026 03:12:00 GMT"})
    client.get(MI, API)
    seen = client.server_now()
    assert (seen.year, seen.month, seen.day, seen.hour, seen.minute, seen.second) == (2026, 11, 26, 3, 12, 0)
    assert seen.utcoffset().total_seconds() == 0
