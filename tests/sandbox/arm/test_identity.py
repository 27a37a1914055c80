"""The sandbox tenant as azure-identity sees it: a token for the operator, AADSTS7000215 for a wrong secret,
the cloud metadata document, and ARM's 401 for a missing or expired token."""
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from tests.sandbox.controller.conftest import wait_for


def test_operator_gets_a_token_that_arm_accepts(azure, operator):
    token = azure.credential("operator").get_token(azure.scope)
    assert token.expires_on > time.time()
    response = operator.send("GET", f"/subscriptions/{azure.subscription}", "2022-12-01", token=token.token)
    assert response.status_code == 200
    assert response.json()["subscriptionId"] == azure.subscription
    assert azure.audit()[-1]["principal"] == "operator"


def test_wrong_secret_is_refused_with_aadsts7000215(azure):
    wrong = "not-the-secret-" + "x" * 20
    with pytest.raises(ClientAuthenticationError) as raised:
        azure.credential("operator", secret=wrong).get_token(azure.scope)
    assert "AADSTS7000215" in str(raised.value)
    assert wrong not in str(raised.value) and azure.principals["operator"]["secret"] not in str(raised.value)
    assert azure.audit()[-1]["status"] == 401


def test_metadata_points_a_client_at_the_sandbox(azure):
    with RequestsTransport(connection_verify=azure.ca_bundle) as transport:
        current = transport.send(HttpRequest("GET", azure.status["metadata_url"]))
        legacy = transport.send(HttpRequest("GET", f"{azure.url}/metadata/endpoints?api-version=2015-01-01"))
    assert azure.status["metadata_url"] == f"{azure.url}/metadata/endpoints?api-version=2019-05-01"
    (cloud,) = current.json()
    assert cloud["resourceManager"] == f"{azure.url}/"
    assert cloud["authentication"]["loginEndpoint"] == f"{azure.url}/"
    assert f"{azure.url}/" in cloud["authentication"]["audiences"]
    assert legacy.json()["authentication"]["loginEndpoint"] == f"{azure.url}/"


def test_missing_token_is_401(azure, operator):
    response = operator.send("GET", f"/subscriptions/{azure.subscription}", "2022-12-01", token="")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_token_that_expires_mid_run_gets_401(azure, operator):
    """The operator-short principal's tokens last seconds: one that worked stops working."""
    token = azure.credential("operator-short").get_token(azure.scope)
    path = f"/subscriptions/{azure.subscription}/resourceGroups/{azure.resource_group('primary')}"
    assert operator.send("GET", path, "2022-12-01", token=token.token).status_code == 200
    expired = wait_for(lambda: (response := operator.send("GET", path, "2022-12-01", token=token.token))
                       .status_code == 401 and response, timeout=30, interval=0.5, what="the short token to expire")
    assert expired.json()["error"]["code"] == "ExpiredAuthenticationToken"
    assert "is earlier than current UTC time" in expired.json()["error"]["message"]
    assert "invalid_token" in expired.headers["WWW-Authenticate"]
