"""The status subresource split, metadata.generation, and the "no change, no write" rule."""
import pytest
from kubernetes import client

from .client_support import JSON_PATCH, SQLMI, api_error, collect_events, event_summary
from .conftest import sqlmi_body

G, V, P = SQLMI


@pytest.fixture
def api(primary):
    return client.CustomObjectsApi(primary.api_client())


@pytest.fixture
def instance(primary, api, unique_name):
    """A fresh SqlManagedInstance with a status written through /status."""
    ns, name = primary.namespace, unique_name("status")
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    created["status"] = {"state": "Creating", "observedGeneration": 1}
    return api.replace_namespaced_custom_object_status(G, V, ns, P, name, created)


def _get(api, obj):
    return api.get_namespaced_custom_object(G, V, obj["metadata"]["namespace"], P, obj["metadata"]["name"])


def test_create_ignores_status(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("nostatus")
    body = sqlmi_body(name, ns)
    body["status"] = {"state": "Ready", "role": "Primary"}
    created = api.create_namespaced_custom_object(G, V, ns, P, body)
    assert "status" not in created
    assert "status" not in api.get_namespaced_custom_object(G, V, ns, P, name)


def test_write_to_main_resource_ignores_status(api, instance):
    body = dict(instance, status={"state": "Ready", "role": "Primary"})
    body["spec"] = {**instance["spec"], "replicas": 2}
    replaced = api.replace_namespaced_custom_object(G, V, body["metadata"]["namespace"], P,
                                                    body["metadata"]["name"], body)
    assert replaced["spec"]["replicas"] == 2
    assert replaced["status"] == instance["status"]
    patched = api.patch_namespaced_custom_object(G, V, body["metadata"]["namespace"], P, body["metadata"]["name"],
                                                 {"status": {"state": "Failed"}})
    assert patched["status"] == instance["status"]
    assert patched["metadata"]["resourceVersion"] == replaced["metadata"]["resourceVersion"]  # nothing changed
    assert _get(api, instance)["status"] == instance["status"]


def test_write_to_status_ignores_spec_and_metadata(api, instance):
    ns, name = instance["metadata"]["namespace"], instance["metadata"]["name"]
    body = dict(instance, status={"state": "Ready", "observedGeneration": 1})
    body["spec"] = {**instance["spec"], "replicas": 3}
    body["metadata"] = {**instance["metadata"], "labels": {"sneaky": "yes"}, "annotations": {"a": "b"}}
    updated = api.replace_namespaced_custom_object_status(G, V, ns, P, name, body)
    assert updated["status"] == {"state": "Ready", "observedGeneration": 1}
    assert updated["spec"] == instance["spec"]
    assert "labels" not in updated["metadata"] and "annotations" not in updated["metadata"]

    patched = api.patch_namespaced_custom_object_status(G, V, ns, P, name,
                                                        {"spec": {"replicas": 2}, "status": {"state": "Updating"}})
    assert patched["status"] == {"state": "Updating", "observedGeneration": 1}  # merged into the stored status
    assert patched["spec"] == instance["spec"]
    assert _get(api, instance) == patched


def test_json_patch_to_status(api, instance):
    ns, name = instance["metadata"]["namespace"], instance["metadata"]["name"]
    patched = api.patch_namespaced_custom_object_status(
        G, V, ns, P, name, [{"op": "replace", "path": "/status/state", "value": "Ready"},
                            {"op": "replace", "path": "/spec/replicas", "value": 3}], _content_type=JSON_PATCH)
    assert patched["status"]["state"] == "Ready"
    assert patched["spec"]["replicas"] == 1


def test_status_of_a_missing_object_is_404(primary, api, unique_name):
    error, status = api_error(api.get_namespaced_custom_object_status, G, V, primary.namespace, P,
                              unique_name("nostatus"))
    assert error.status == 404 and status["reason"] == "NotFound"


def test_generation_counts_spec_changes_only(api, instance):
    ns, name = instance["metadata"]["namespace"], instance["metadata"]["name"]
    assert instance["metadata"]["generation"] == 1
    main, status = api.patch_namespaced_custom_object, api.patch_namespaced_custom_object_status
    steps = [("status", status, {"status": {"state": "Ready"}}),
             ("labels", main, {"metadata": {"labels": {"x": "1"}}}),
             ("annotations", main, {"metadata": {"annotations": {"y": "2"}}}),
             ("spec", main, {"spec": {"replicas": 2}}),
             ("spec again", main, {"spec": {"dev": True}})]
    seen, last_rv = {}, int(instance["metadata"]["resourceVersion"])
    for label, patch, body in steps:
        obj = patch(G, V, ns, P, name, body)
        rv = int(obj["metadata"]["resourceVersion"])
        assert rv > last_rv, f"{label}: the write was not stored"
        last_rv = rv
        seen[label] = obj["metadata"]["generation"]
    assert seen == {"status": 1, "labels": 1, "annotations": 1, "spec": 2, "spec again": 3}


def test_a_write_that_changes_nothing_stores_nothing(primary, api, instance):
    ns, name = instance["metadata"]["namespace"], instance["metadata"]["name"]
    rv = instance["metadata"]["resourceVersion"]
    same = [
        api.replace_namespaced_custom_object(G, V, ns, P, name, instance),
        api.patch_namespaced_custom_object(G, V, ns, P, name, {"spec": {"replicas": 1}}),
        api.patch_namespaced_custom_object(G, V, ns, P, name, {"metadata": {}}),
        api.patch_namespaced_custom_object_status(G, V, ns, P, name, {"status": {"state": "Creating"}}),
        api.replace_namespaced_custom_object_status(G, V, ns, P, name, instance),
    ]
    assert [o["metadata"]["resourceVersion"] for o in same] == [rv] * len(same)
    assert all(o == instance for o in same)
    assert _get(api, instance) == instance

    # no watch event either: watching from before the no-ops, the first event is the next real change
    marker = api.patch_namespaced_custom_object(G, V, ns, P, name, {"metadata": {"labels": {"marker": "1"}}})
    events = collect_events(api.list_namespaced_custom_object, G, V, ns, P, resource_version=rv,
                            field_selector=f"metadata.name={name}", stop=lambda e: len(e) >= 1)
    assert event_summary(events)[:1] == [("MODIFIED", name, marker["metadata"]["resourceVersion"])]
