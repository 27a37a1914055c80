"""Helpers for the conformance tests that use the official `kubernetes` Python client (test_client_*.py).

Everything here goes through the client's own ApiClient (its configuration, TLS and bearer token), so a
test sees exactly what a client of a real cluster would see.
"""
import json
import time

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

GROUP = "sql.arcdata.microsoft.com"
SQLMI = (GROUP, "v13", "sqlmanagedinstances")
FOG = (GROUP, "v2", "failovergroups")
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"


def api_error(call, *args, **kwargs):
    """Call `call`, which must fail with an ApiException; returns (exception, decoded Status body)."""
    with pytest.raises(ApiException) as caught:
        call(*args, **kwargs)
    body = caught.value.body
    try:
        status = json.loads(body) if body else {}
    except ValueError:
        status = {"undecodable": body}
    return caught.value, status


def assert_status(status, code, reason):
    """A `Status` failure body as kube-apiserver renders it."""
    assert status.get("kind") == "Status", status
    assert status.get("apiVersion") == "v1", status
    assert status.get("status") == "Failure", status
    assert status.get("code") == code, status
    assert status.get("reason") == reason, status


def raw_request(api_client, method, path, query=None, body=None, headers=None):
    """One request through the client's transport (auth, TLS); returns (HTTP status, decoded body, headers)."""
    header_params = {"Accept": "application/json"}
    header_params.update(headers or {})
    dummy, url, header_params, body, dummy = api_client.param_serialize(
        method=method, resource_path=path, query_params=list((query or {}).items()), header_params=header_params,
        body=body, auth_settings=["BearerToken"])
    response = api_client.call_api(method, url, header_params=header_params, body=body)
    response.read()
    data = response.data.decode() if response.data else ""
    try:
        decoded = json.loads(data) if data else None
    except ValueError:
        decoded = data
    return response.status, decoded, response.getheaders()


def raw_watch_lines(api_client, path, query):
    """A watch read to its end (the server's timeoutSeconds): every event line, decoded."""
    dummy, url, header_params, dummy, dummy = api_client.param_serialize(
        method="GET", resource_path=path, query_params=list({**query, "watch": "true"}.items()),
        header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
    response = api_client.call_api("GET", url, header_params=header_params, _request_timeout=30)
    status = response.status
    try:
        lines = [json.loads(line) for line in response.response.read().decode().splitlines() if line.strip()]
    finally:
        response.response.release_conn()
    return status, lines


class RequestRecorder:
    """Records the method, URL and Content-Type of every request an ApiClient sends."""

    def __init__(self, api_client):
        self.requests = []
        pool = api_client.rest_client.pool_manager
        original = pool.request

        def request(method, url, *args, **kwargs):
            self.requests.append((method, url, (kwargs.get("headers") or {}).get("Content-Type")))
            return original(method, url, *args, **kwargs)
        pool.request = request

    @property
    def last_content_type(self):
        return self.requests[-1][2]


def collect_events(list_call, *args, stop=None, timeout_seconds=5, **kwargs):
    """Events of a watch (kubernetes.watch.Watch) until `stop(events)` holds or the server's timeout ends it."""
    events = []
    watcher = watch.Watch()
    for event in watcher.stream(list_call, *args, timeout_seconds=timeout_seconds, **kwargs):
        events.append(event)
        if stop is not None and stop(events):
            watcher.stop()
            break
    return events


def event_summary(events):
    return [(e["type"], e["raw_object"]["metadata"].get("name"), e["raw_object"]["metadata"].get("resourceVersion"))
            for e in events]


def wait_until(predicate, timeout=5.0, interval=0.05, message="condition"):
    """Poll `predicate` until it returns a truthy value (garbage collection is asynchronous on a real cluster)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def exists(read, *args):
    try:
        read(*args)
        return True
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise


def owner_reference(obj):
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"]}


def secret(name, owners=(), labels=None):
    metadata = client.V1ObjectMeta(name=name, labels=labels, owner_references=[
        client.V1OwnerReference(api_version=o["apiVersion"], kind=o["kind"], name=o["name"], uid=o["uid"])
        for o in owners] or None)
    return client.V1Secret(metadata=metadata, string_data={"username": "sa"})
