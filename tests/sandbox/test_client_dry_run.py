"""dryRun=All on create, replace, patch and delete: the answer shows the outcome, nothing is stored or watched."""
import pytest
from kubernetes import client

from .client_support import SQLMI, api_error, collect_events, event_summary, owner_reference, secret
from .conftest import sqlmi_body

G, V, P = SQLMI


@pytest.fixture
def api(primary):
    return client.CustomObjectsApi(primary.api_client())


def _first_event_is(api, ns, name, since, marker):
    """Watching from `since`, the first event for `name` is the real write `marker` (so a dry run sent none)."""
    events = collect_events(api.list_namespaced_custom_object, G, V, ns, P, resource_version=since,
                            field_selector=f"metadata.name={name}", stop=lambda e: len(e) >= 1)
    assert event_summary(events)[:1] == [(marker[0], name, marker[1])]


def test_dry_run_create_stores_nothing(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("drycreate")
    since = api.list_namespaced_custom_object(G, V, ns, P)["metadata"]["resourceVersion"]
    answer, code, dummy = api.create_namespaced_custom_object_with_http_info(G, V, ns, P, sqlmi_body(name, ns),
                                                                             dry_run="All")
    assert code == 201
    assert answer["metadata"]["name"] == name and answer["metadata"]["generation"] == 1
    assert answer["spec"]["replicas"] == 1
    error, dummy = api_error(api.get_namespaced_custom_object, G, V, ns, P, name)
    assert error.status == 404
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    assert created["metadata"]["uid"] != answer["metadata"]["uid"]
    _first_event_is(api, ns, name, since, ("ADDED", created["metadata"]["resourceVersion"]))


def test_dry_run_patch_and_replace_store_nothing(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("drypatch")
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    rv = created["metadata"]["resourceVersion"]
    answer = api.patch_namespaced_custom_object(G, V, ns, P, name, {"spec": {"replicas": 3}}, dry_run="All")
    assert answer["spec"]["replicas"] == 3  # the answer is what the write would have stored
    assert answer["metadata"]["generation"] == 2
    body = dict(created, spec={**created["spec"], "replicas": 2})
    answer = api.replace_namespaced_custom_object(G, V, ns, P, name, body, dry_run="All")
    assert answer["spec"]["replicas"] == 2
    assert api.get_namespaced_custom_object(G, V, ns, P, name) == created

    marker = api.patch_namespaced_custom_object(G, V, ns, P, name, {"metadata": {"labels": {"marker": "1"}}})
    _first_event_is(api, ns, name, rv, ("MODIFIED", marker["metadata"]["resourceVersion"]))


def test_dry_run_invalid_patch_is_still_validated(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("dryinvalid")
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    error, status = api_error(api.patch_namespaced_custom_object, G, V, ns, P, name, {"spec": {"replicas": "x"}},
                              dry_run="All")
    assert error.status == 422
    assert [c["field"] for c in status["details"]["causes"]] == ["spec.replicas"]
    assert api.get_namespaced_custom_object(G, V, ns, P, name) == created


@pytest.mark.parametrize("how", ["query", "body"])
def test_dry_run_delete_stores_nothing(primary, api, unique_name, how):
    ns, name = primary.namespace, unique_name("drydelete")
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    rv = created["metadata"]["resourceVersion"]
    if how == "query":
        answer = api.delete_namespaced_custom_object(G, V, ns, P, name, dry_run="All")
    else:
        answer = api.delete_namespaced_custom_object(G, V, ns, P, name, body=client.V1DeleteOptions(dry_run=["All"]))
    assert answer["kind"] == "Status" and answer["status"] == "Success"
    assert answer["details"]["uid"] == created["metadata"]["uid"]
    assert api.get_namespaced_custom_object(G, V, ns, P, name) == created

    deleted = api.delete_namespaced_custom_object(G, V, ns, P, name)
    events = collect_events(api.list_namespaced_custom_object, G, V, ns, P, resource_version=rv,
                            field_selector=f"metadata.name={name}", stop=lambda e: len(e) >= 1)
    assert [e["type"] for e in events[:1]] == ["DELETED"]
    assert deleted["details"]["uid"] == created["metadata"]["uid"]


def test_dry_run_does_not_touch_dependents(primary, api, unique_name):
    ns = primary.namespace
    owner = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(unique_name("dryowner"), ns))
    core = primary.core()
    dependent = core.create_namespaced_secret(ns, secret(unique_name("drydep"), owners=[owner_reference(owner)]))
    api.delete_namespaced_custom_object(G, V, ns, P, owner["metadata"]["name"], dry_run="All")
    kept = core.read_namespaced_secret(dependent.metadata.name, ns)
    assert kept.metadata.resource_version == dependent.metadata.resource_version
    assert kept.metadata.owner_references[0].uid == owner["metadata"]["uid"]
