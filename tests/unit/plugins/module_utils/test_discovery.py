# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random

import pytest
from kubernetes import client
from kubernetes.client.rest import RESTResponse
from urllib3.response import HTTPResponse

from ansible_collections.arcdata.sqlmi.plugins.module_utils import resources
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure, ArcError
from ansible_collections.arcdata.sqlmi.plugins.module_utils.resources import (
    DAG, DATA_CONTROLLER, FAILOVER_GROUP, SQL_MANAGED_INSTANCE, Discovery, NotServed)
from ansible_collections.arcdata.sqlmi.plugins.module_utils.retry import RetryPolicy
from ansible_collections.arcdata.sqlmi.plugins.module_utils.service import ApiCaller

SITE = "context site-a (https://127.0.0.1:16443)"


def _resource(plural, kind):
    return {"resource": plural, "responseKind": {"group": "", "version": "", "kind": kind}, "scope": "Namespaced",
            "verbs": ["get", "list", "watch", "create", "patch", "delete"]}


# what a current Arc site answers to GET /apis with aggregated discovery: versions in preference order, and the
# preferred version (v13) serves SqlManagedInstance only
AGGREGATED = {
    "kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {},
    "items": [
        {"metadata": {"name": "apps"}, "versions": [{"version": "v1", "resources": [
            _resource("deployments", "Deployment")]}]},
        {"metadata": {"name": "sql.arcdata.microsoft.com"}, "versions": [
            {"version": "v13", "resources": [_resource("sqlmanagedinstances", "SqlManagedInstance")]},
            {"version": "v2", "resources": [_resource("sqlmanagedinstances", "SqlManagedInstance"),
                                            _resource("failovergroups", "FailoverGroup")]},
            {"version": "v1", "resources": [_resource("sqlmanagedinstances", "SqlManagedInstance"),
                                            _resource("failovergroups", "FailoverGroup")]},
            {"version": "v1beta1", "freshness": "Stale"},
        ]},
        {"metadata": {"name": "arcdata.microsoft.com"}, "versions": [
            {"version": "v5", "resources": [_resource("datacontrollers", "DataController")]}]},
    ],
}


class LegacyApiClient(object):
    """A kubernetes < 35 client: call_api(path, method, ...) answering from a dict of paths."""

    def __init__(self, answers):
        self.answers = answers
        self.requests = []

    def call_api(self, path, method, header_params=None, **kwargs):
        self.requests.append((method, path, header_params.get("Accept")))

        class Response(object):
            data = json.dumps(self.answers[path])
        return Response()


class CurrentApiClient(object):
    """A kubernetes >= 35 client: param_serialize, then call_api(method, url) returning a RESTResponse."""

    def __init__(self, answers):
        self.answers = answers
        self.requests = []

    def param_serialize(self, method, resource_path, header_params=None, auth_settings=None):
        return method, "https://site-a" + resource_path, dict(header_params or {}), None, []

    def call_api(self, method, url, header_params=None, **kwargs):
        path = url[len("https://site-a"):]
        self.requests.append((method, path, header_params.get("Accept")))
        return RESTResponse(HTTPResponse(body=json.dumps(self.answers[path]).encode("utf-8"), status=200,
                                         reason="OK", preload_content=True))


CLIENTS = [LegacyApiClient, CurrentApiClient]


def test_versions_from_aggregated():
    groups = resources._versions_from_aggregated(AGGREGATED)
    assert groups["sql.arcdata.microsoft.com"] == [
        ("v13", {"sqlmanagedinstances"}), ("v2", {"sqlmanagedinstances", "failovergroups"}),
        ("v1", {"sqlmanagedinstances", "failovergroups"}), ("v1beta1", set())]
    assert groups["arcdata.microsoft.com"] == [("v5", {"datacontrollers"})]
    assert groups["apps"] == [("v1", {"deployments"})]


def test_versions_from_an_empty_aggregated_list():
    assert resources._versions_from_aggregated({"kind": "APIGroupDiscoveryList"}) == {}
    assert resources._versions_from_aggregated({"items": [{"metadata": {"name": "g"}}]}) == {"g": []}


@pytest.mark.parametrize("api_client_class", CLIENTS)
def test_version_is_the_first_that_serves_the_kind(api_client_class):
    api = api_client_class({"/apis": AGGREGATED})
    discovery = Discovery(api, SITE)
    assert discovery.version(SQL_MANAGED_INSTANCE) == "v13"
    assert discovery.version(FAILOVER_GROUP) == "v2"  # v13 does not serve failovergroups
    assert discovery.version(DATA_CONTROLLER) == "v5"
    assert discovery.serves(FAILOVER_GROUP)
    assert not discovery.serves(DAG)
    assert discovery.requests == 1
    assert len(api.requests) == 1
    method, path, accept = api.requests[0]
    assert (method, path) == ("GET", "/apis")
    assert accept.startswith(resources.AGGREGATED)


@pytest.mark.parametrize("api_client_class", CLIENTS)
def test_pinned_version_costs_no_request(api_client_class):
    api = api_client_class({})
    discovery = Discovery(api, SITE)
    assert discovery.version(FAILOVER_GROUP, pinned="v1") == "v1"
    assert discovery.version(DAG, pinned="v1beta2") == "v1beta2"
    assert discovery.requests == 0
    assert api.requests == []


@pytest.mark.parametrize("api_client_class", CLIENTS)
def test_not_served_names_the_kind_and_the_site(api_client_class):
    discovery = Discovery(api_client_class({"/apis": AGGREGATED}), SITE)
    with pytest.raises(NotServed) as raised:
        discovery.version(DAG)
    message = str(raised.value)
    assert message.startswith(SITE + " does not serve dags.sql.arcdata.microsoft.com (Dag)")
    assert "is the Arc data controller installed" in message
    assert isinstance(raised.value, ArcError)  # reported as a failure of the task, without a traceback


def test_not_served_when_the_group_is_missing():
    discovery = Discovery(LegacyApiClient({"/apis": {"kind": "APIGroupDiscoveryList", "items": []}}), SITE)
    with pytest.raises(NotServed) as raised:
        discovery.version(SQL_MANAGED_INSTANCE)
    assert "sqlmanagedinstances.sql.arcdata.microsoft.com (SqlManagedInstance)" in str(raised.value)
    assert not discovery.serves(FAILOVER_GROUP)
    assert discovery.requests == 1


# a server without aggregated discovery answers with the plain APIGroupList, then one request per version
PLAIN = {
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}]},
        {"name": "sql.arcdata.microsoft.com", "versions": [
            {"groupVersion": "sql.arcdata.microsoft.com/v1beta2", "version": "v1beta2"},
            {"groupVersion": "sql.arcdata.microsoft.com/v1beta1", "version": "v1beta1"},
            {"groupVersion": "sql.arcdata.microsoft.com/v5", "version": "v5"}],
         "preferredVersion": {"groupVersion": "sql.arcdata.microsoft.com/v5", "version": "v5"}},
    ]},
    "/apis/sql.arcdata.microsoft.com/v1beta1": {"resources": [{"name": "sqlmanagedinstances"}, {"name": "dags"}]},
    "/apis/sql.arcdata.microsoft.com/v1beta2": {"resources": [{"name": "dags"}, {"name": "dags/status"}]},
    "/apis/sql.arcdata.microsoft.com/v5": {"resources": [{"name": "sqlmanagedinstances"}]},
}


@pytest.mark.parametrize("api_client_class", CLIENTS)
def test_plain_discovery_prefers_the_preferred_version(api_client_class):
    api = api_client_class(PLAIN)
    discovery = Discovery(api, SITE)
    assert discovery.version(SQL_MANAGED_INSTANCE) == "v5"
    assert discovery.version(DAG) == "v1beta2"
    assert not discovery.serves(FAILOVER_GROUP)
    assert discovery.requests == 4  # /apis and the Arc group's three versions, never apps/v1
    assert [path for dummy, path, dummy2 in api.requests] == [
        "/apis", "/apis/sql.arcdata.microsoft.com/v1beta2", "/apis/sql.arcdata.microsoft.com/v1beta1",
        "/apis/sql.arcdata.microsoft.com/v5"]


def _refusing_api_client(status_code, reason, status_reason, message, answers=None):
    """A real kubernetes ApiClient whose transport answers GET /apis with an HTTP error (then `answers`)."""
    api = client.ApiClient(client.Configuration(host="https://127.0.0.1:16443"))
    replies = [(status_code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": status_reason,
                              "code": status_code, "message": message}, reason)]
    replies += [(200, answer, "OK") for answer in answers or []]

    def request(method, url, headers=None, body=None, post_params=None, _request_timeout=None):
        code, document, text = replies.pop(0) if len(replies) > 1 else replies[0]
        return RESTResponse(HTTPResponse(body=json.dumps(document).encode("utf-8"), status=code, reason=text,
                                         preload_content=True))
    api.rest_client.request = request
    return api


FORBIDDEN = "forbidden: User \"system:anonymous\" cannot get path \"/apis\""


def test_discovery_refused_by_the_api_is_not_reported_as_a_missing_kind():
    """kubernetes >= 35: ApiClient.call_api returns the response whatever its status. A 403 on GET /apis (RBAC)
    must not turn into 'does not serve ...: is the Arc data controller installed?'."""
    discovery = Discovery(_refusing_api_client(403, "Forbidden", "Forbidden", FORBIDDEN), SITE)
    with pytest.raises(Exception) as raised:
        discovery.version(FAILOVER_GROUP)
    assert not isinstance(raised.value, NotServed), str(raised.value)
    assert "403" in str(raised.value)


def test_discovery_through_the_caller_reports_like_every_request():
    caller = ApiCaller(SITE, policy=RetryPolicy(rng=random.Random(9)), sleep=lambda seconds: None)
    discovery = Discovery(_refusing_api_client(403, "Forbidden", "Forbidden", FORBIDDEN), SITE, caller=caller)
    with pytest.raises(ApiFailure) as raised:
        discovery.version(FAILOVER_GROUP)
    assert raised.value.message.startswith("%s: get API discovery /apis failed: HTTP 403 Forbidden: the credentials "
                                           "used for this site lack permission: %s; " % (SITE, FORBIDDEN))
    assert caller.attempts == []


def test_discovery_through_the_caller_is_retried():
    sleeps = []
    caller = ApiCaller(SITE, policy=RetryPolicy(rng=random.Random(9)), sleep=sleeps.append)
    api = _refusing_api_client(503, "Service Unavailable", "ServiceUnavailable", "etcd is slow", [AGGREGATED])
    discovery = Discovery(api, SITE, caller=caller)
    assert discovery.version(FAILOVER_GROUP) == "v2"
    assert discovery.requests == 1
    assert caller.attempts == [("get", "API discovery /apis", 503)]
    assert len(sleeps) == 1


def test_kinds():
    assert FAILOVER_GROUP.qualified == "failovergroups.sql.arcdata.microsoft.com"
    assert resources.DAG_KINDS == {"FailoverGroup": FAILOVER_GROUP, "Dag": DAG}
    assert DATA_CONTROLLER.group == "arcdata.microsoft.com"
