# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException, RESTResponse
from urllib3.response import HTTPResponse

from ansible_collections.arcdata.sqlmi.plugins.module_utils import rest

HOST = "https://site-a:6443"
GROUP, VERSION, PLURAL = "sql.arcdata.microsoft.com", "v2", "failovergroups"
BASE = HOST + "/apis/sql.arcdata.microsoft.com/v2/namespaces/arc/failovergroups"


class RecordingRest(object):
    """Stands in for the ApiClient's urllib3 layer: records what would be sent, answers with `answer`."""

    def __init__(self, answer=None, status=200):
        self.answer, self.status = answer if answer is not None else {"kind": "FailoverGroup"}, status
        self.sent = []

    def request(self, method, url, headers=None, body=None, post_params=None, _request_timeout=None):
        self.sent.append({"method": method, "url": url, "headers": headers, "body": body,
                          "timeout": _request_timeout})
        return RESTResponse(HTTPResponse(body=json.dumps(self.answer).encode("utf-8"), status=self.status,
                                         reason="Reason", preload_content=False))


def current_client(answer=None, status=200):
    """A real ApiClient of the installed kubernetes library, with its transport recorded."""
    configuration = client.Configuration(host=HOST, api_key={"authorization": "Bearer t0ken"})
    api_client = client.ApiClient(configuration)
    api_client.rest_client = RecordingRest(answer, status)
    return api_client


@pytest.fixture
def api_client():
    if not hasattr(client.ApiClient, "param_serialize"):
        pytest.skip("kubernetes < 35: covered by the legacy client test")
    return current_client()


def test_custom_object_reads_and_writes(api_client):
    objects = rest.CustomObjects(api_client)
    assert objects.get_namespaced_custom_object(GROUP, VERSION, "arc", PLURAL, "dagprimary") == {
        "kind": "FailoverGroup"}
    objects.patch_namespaced_custom_object(GROUP, VERSION, "arc", PLURAL, "dagprimary", {"spec": {"role": "secondary"}},
                                           _content_type="application/merge-patch+json", dry_run="All",
                                           _request_timeout=(10, 60))
    objects.create_namespaced_custom_object(GROUP, VERSION, "arc", PLURAL, {"metadata": {"name": "d"}})
    objects.delete_namespaced_custom_object(GROUP, VERSION, "arc", PLURAL, "dagprimary")
    get, patch, create, delete = api_client.rest_client.sent
    assert (get["method"], get["url"], get["headers"]["Accept"]) == ("GET", BASE + "/dagprimary", "application/json")
    assert get["headers"]["authorization"] == "Bearer t0ken"
    assert (patch["method"], patch["url"]) == ("PATCH", BASE + "/dagprimary?dryRun=All")
    assert patch["headers"]["Content-Type"] == "application/merge-patch+json"
    assert patch["body"] == {"spec": {"role": "secondary"}} and patch["timeout"] == (10, 60)
    assert (create["method"], create["url"], create["headers"]["Content-Type"]) == ("POST", BASE, "application/json")
    assert (delete["method"], delete["url"], delete["body"]) == ("DELETE", BASE + "/dagprimary", None)


def test_a_watch_gets_the_open_response(api_client):
    response = rest.CustomObjects(api_client).list_namespaced_custom_object(
        GROUP, VERSION, "arc", PLURAL, watch=True, field_selector="metadata.name=dagprimary", resource_version="42",
        timeout_seconds=30, _preload_content=False)
    assert isinstance(response, HTTPResponse)
    sent = api_client.rest_client.sent[0]
    assert sent["url"] == BASE + "?fieldSelector=metadata.name%3Ddagprimary&resourceVersion=42&timeoutSeconds=30" \
                                 "&watch=true"


def test_secrets_and_events(api_client):
    core = rest.CoreObjects(api_client)
    core.read_namespaced_secret("sql-login", "arc")
    core.patch_namespaced_secret("sql-login", "arc", {"data": {}}, _content_type="application/merge-patch+json")
    core.create_namespaced_event("arc", {"reason": "Handover"}, dry_run="All")
    urls = [(s["method"], s["url"]) for s in api_client.rest_client.sent]
    assert urls == [("GET", HOST + "/api/v1/namespaces/arc/secrets/sql-login"),
                    ("PATCH", HOST + "/api/v1/namespaces/arc/secrets/sql-login"),
                    ("POST", HOST + "/api/v1/namespaces/arc/events?dryRun=All")]


def test_names_are_quoted(api_client):
    rest.CoreObjects(api_client).read_namespaced_secret("../../nodes/x", "arc")
    assert api_client.rest_client.sent[0]["url"] == HOST + "/api/v1/namespaces/arc/secrets/..%2F..%2Fnodes%2Fx"


def test_an_error_answer_raises_api_exception():
    if not hasattr(client.ApiClient, "param_serialize"):
        pytest.skip("kubernetes < 35: its own transport raises")
    status = {"kind": "Status", "reason": "NotFound", "message": "not found", "code": 404}
    with pytest.raises(ApiException) as raised:
        objects = rest.CustomObjects(current_client(status, 404))
        objects.get_namespaced_custom_object(GROUP, VERSION, "arc", PLURAL, "gone")
    assert raised.value.status == 404 and json.loads(raised.value.body)["reason"] == "NotFound"


def test_an_unknown_argument_is_an_error(api_client):
    with pytest.raises(TypeError, match="pretty"):
        rest.CustomObjects(api_client).get_namespaced_custom_object(GROUP, VERSION, "arc", PLURAL, "d", pretty="true")


class LegacyApiClient(object):
    """kubernetes < 35: call_api(path, method, ...) raises on an error answer itself."""

    def __init__(self):
        self.calls = []

    def call_api(self, path, method, **kwargs):
        self.calls.append((path, method, kwargs))

        class Response(object):
            data = b'{"kind": "FailoverGroup"}'
        return Response()


def test_legacy_client():
    legacy = LegacyApiClient()
    objects = rest.CustomObjects(legacy)
    assert objects.patch_namespaced_custom_object(GROUP, VERSION, "arc", PLURAL, "d", {"spec": {}}, dry_run="All",
                                                  _content_type="application/merge-patch+json") == {
        "kind": "FailoverGroup"}
    path, method, kwargs = legacy.calls[0]
    assert (path, method) == ("/apis/sql.arcdata.microsoft.com/v2/namespaces/arc/failovergroups/d", "PATCH")
    assert kwargs["query_params"] == [("dryRun", "All")] and kwargs["body"] == {"spec": {}}
    assert kwargs["header_params"]["Content-Type"] == "application/merge-patch+json"
    assert kwargs["auth_settings"] == ["BearerToken"]
