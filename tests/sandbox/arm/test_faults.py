"""Faults of the sandbox's Azure: ARM throttling (429 with Retry-After) and 5xx, a long-running operation that
stays InProgress, and access tokens that stop working mid-run (401 ExpiredAuthenticationToken); each recorded in
the Azure audit log."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import time

import pytest

from tests.sandbox.conftest import run_cli
from tests.sandbox.controller.conftest import Instance

from .arm_support import INSTANCE_VERSION, instance_body, instance_path
from .test_instances import cr_of


@pytest.fixture
def arm_ops(direct):
    from sandbox.arm.deployment import DirectMode  # the test process has the Azure side's libraries
    ops = DirectMode(direct.runtime_dir).ops()
    ops.clear_faults()
    yield ops
    ops.clear_faults()
    ops.set_token_lifetime(None)


def group_path(azure, site="primary"):
    return f"/subscriptions/{azure.subscription}/resourceGroups/{azure.resource_group(site)}"


def since(azure, mark):
    return azure.audit()[mark:]


def test_throttling_answers_429_with_retry_after_as_arm_does(azure, operator, arm_ops):
    arm_ops.set_faults([{"method": "GET", "resource_type": "resourceGroups", "code": 429, "retry_after": 5,
                         "count": 1}])
    mark = len(azure.audit())
    token = azure.credential().get_token(azure.scope).token

    throttled = operator.send("GET", group_path(azure), "2022-12-01", token=token)
    served = operator.send("GET", group_path(azure), "2022-12-01", token=token)

    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "5"
    assert throttled.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert "try again after '5' seconds" in throttled.json()["error"]["message"]
    assert served.status_code == 200
    faulted = [e for e in since(azure, mark) if e.get("fault")]
    assert [(e["method"], e["status"], e["fault"]["code"]) for e in faulted] == [("GET", 429, 429)]


@pytest.mark.parametrize("code, error", [(500, "InternalServerError"), (503, "ServiceUnavailable"),
                                         (504, "GatewayTimeout")])
def test_server_errors_take_arms_shape(azure, operator, arm_ops, code, error):
    arm_ops.set_faults([{"resource_type": "resourceGroups", "code": code, "count": 1}])
    token = azure.credential().get_token(azure.scope).token

    answer = operator.send("GET", group_path(azure), "2022-12-01", token=token)

    assert answer.status_code == code and answer.json()["error"]["code"] == error


def test_a_rate_of_5xx_spares_some_requests(azure, operator, arm_ops):
    arm_ops.set_faults([{"resource_type": "resourceGroups", "code": 502, "rate": 0.5}])
    token = azure.credential().get_token(azure.scope).token

    codes = [operator.send("GET", group_path(azure), "2022-12-01", token=token).status_code
             for unused in range(40)]

    assert set(codes) == {200, 502}  # P(all 40 alike) = 2 * 0.5**40


def test_a_held_operation_stays_in_progress_until_the_rule_is_cleared(direct, azure, operator, arm_ops, name):
    arm_ops.set_faults([{"method": "PUT", "resource_type": "sqlManagedInstances", "lro": "hold", "count": 1}])
    mark = len(azure.audit())
    path = instance_path(azure, "primary", name)

    poller = operator.begin("PUT", path, INSTANCE_VERSION, instance_body(azure, "primary"))
    time.sleep(1.5)  # several polls: still nothing done

    assert not poller.done()
    assert operator.send("GET", path, INSTANCE_VERSION).json()["properties"]["provisioningState"] == "Accepted"
    assert cr_of(direct.site("primary"), name) is None  # the resource provider has not projected it
    arm_ops.clear_faults()
    assert poller.result(timeout=60)["properties"]["provisioningState"] == "Succeeded"
    Instance(direct.site("primary"), name).wait_ready()
    entries = since(azure, mark)
    [put] = [e for e in entries if e["method"] == "PUT" and e["path"].endswith(name)]
    assert put["fault"]["lro"] == "hold"
    assert [e["fault"]["lro"] for e in entries if e["method"] == "FAULT" and "lro" in e["fault"]] == ["released"]


def test_a_hold_with_seconds_ends_by_itself(azure, operator, arm_ops, name):
    arm_ops.set_faults([{"method": "PUT", "resource_type": "sqlManagedInstances", "lro": "hold", "hold_seconds": 1}])
    path = instance_path(azure, "secondary", name)

    poller = operator.begin("PUT", path, INSTANCE_VERSION, instance_body(azure, "secondary"))

    assert poller.result(timeout=60)["properties"]["provisioningState"] == "Succeeded"


def test_revoked_tokens_get_401_expired_and_a_new_token_works(azure, operator, arm_ops):
    # (one principal's: the session's clients hold tokens of the others, and azure-core does not get a new token
    # on a 401 ExpiredAuthenticationToken)
    old = azure.credential("operator-short").get_token(azure.scope).token
    kept = azure.credential("operator").get_token(azure.scope).token
    assert operator.send("GET", group_path(azure), "2022-12-01", token=old).status_code == 200
    mark = len(azure.audit())

    arm_ops.revoke_tokens("operator-short")

    refused = operator.send("GET", group_path(azure), "2022-12-01", token=old)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in refused.json()["error"]["message"]
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    assert operator.send("GET", group_path(azure), "2022-12-01", token=kept).status_code == 200
    fresh = azure.credential("operator-short").get_token(azure.scope).token  # azure-identity asks again
    assert operator.send("GET", group_path(azure), "2022-12-01", token=fresh).status_code == 200
    assert [e["fault"] for e in since(azure, mark) if e["method"] == "FAULT"] == [
        {"tokens": "revoked", "principal": "operator-short"}]


def test_short_lived_tokens_on_demand_expire_mid_run(direct, azure, operator, arm_ops):
    added = run_cli(direct.runtime_dir, "arm-tokens", "--lifetime", "2")
    assert json.loads(added.stdout) == {"lifetime_seconds": 2}
    token = azure.credential().get_token(azure.scope)
    assert token.expires_on - time.time() <= 3
    assert operator.send("GET", group_path(azure), "2022-12-01", token=token.token).status_code == 200
    time.sleep(3)

    expired = operator.send("GET", group_path(azure), "2022-12-01", token=token.token)

    assert expired.status_code == 401 and expired.json()["error"]["code"] == "ExpiredAuthenticationToken"


def test_cli_adds_and_clears_arm_rules(direct, arm_ops):
    added = run_cli(direct.runtime_dir, "arm-fault", "--method", "put", "--resource-type", "failoverGroups",
                    "--hold-lro", "--hold-seconds", "30")

    assert json.loads(added.stdout) == [{"method": "put", "resource_type": "failoverGroups", "lro": "hold",
                                         "hold_seconds": 30.0}]
    refused = run_cli(direct.runtime_dir, "arm-fault", "--code", "418", check=False)
    assert refused.returncode == 1 and "code must be one of" in refused.stderr
    assert json.loads(run_cli(direct.runtime_dir, "arm-fault", "--clear").stdout) == []
