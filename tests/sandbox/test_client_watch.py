"""Watches through kubernetes.watch.Watch and at the raw level: order, resume, selection, 410 Gone, bookmarks."""
import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from .client_support import FOG, SQLMI, collect_events, event_summary, raw_watch_lines
from .conftest import fog_body, sqlmi_body

G, V, P = SQLMI


@pytest.fixture
def api(primary):
    return client.CustomObjectsApi(primary.api_client())


def _current_rv(api, ns):
    return api.list_namespaced_custom_object(G, V, ns, P, limit=1)["metadata"]["resourceVersion"]


def test_watch_delivers_added_modified_deleted_in_order_from_a_resource_version(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("watch")
    since = _current_rv(api, ns)
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    modified = api.patch_namespaced_custom_object(G, V, ns, P, name, {"spec": {"replicas": 2}})
    status = api.patch_namespaced_custom_object_status(G, V, ns, P, name, {"status": {"state": "Ready"}})
    api.delete_namespaced_custom_object(G, V, ns, P, name)

    events = collect_events(api.list_namespaced_custom_object, G, V, ns, P, resource_version=since,
                            field_selector=f"metadata.name={name}", stop=lambda e: e[-1]["type"] == "DELETED")
    summary = event_summary(events)
    assert [(t, n) for t, n, dummy in summary] == [("ADDED", name), ("MODIFIED", name), ("MODIFIED", name),
                                                   ("DELETED", name)]
    versions = [int(rv) for dummy, dummy, rv in summary]
    assert versions == sorted(versions) and len(set(versions)) == 4
    assert versions[:3] == [int(o["metadata"]["resourceVersion"]) for o in (created, modified, status)]
    assert int(since) < versions[0]
    assert events[1]["raw_object"]["spec"]["replicas"] == 2
    assert events[2]["raw_object"]["status"] == {"state": "Ready"}
    assert events[0]["raw_object"]["kind"] == "SqlManagedInstance"
    assert events[0]["raw_object"]["apiVersion"] == f"{G}/{V}"


def test_watch_resumes_after_a_resource_version_it_saw(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("resume")
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    modified = api.patch_namespaced_custom_object(G, V, ns, P, name, {"spec": {"replicas": 2}})
    events = collect_events(api.list_namespaced_custom_object, G, V, ns, P,
                            resource_version=created["metadata"]["resourceVersion"],
                            field_selector=f"metadata.name={name}", stop=lambda e: len(e) >= 1)
    assert event_summary(events) == [("MODIFIED", name, modified["metadata"]["resourceVersion"])]


def test_watch_without_resource_version_starts_with_the_current_state(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("initial")
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    events = collect_events(api.list_namespaced_custom_object, G, V, ns, P, field_selector=f"metadata.name={name}",
                            stop=lambda e: len(e) >= 1)
    assert event_summary(events) == [("ADDED", name, created["metadata"]["resourceVersion"])]


def test_watch_sees_only_its_kind_and_selection(primary, api, unique_name):
    ns, tag = primary.namespace, unique_name("sel")
    since = _current_rv(api, ns)
    api.create_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog_body(f"{tag}-fog", ns))
    other = sqlmi_body(f"{tag}-other", ns)
    other["metadata"]["labels"] = {"run": tag, "watched": "no"}
    api.create_namespaced_custom_object(G, V, ns, P, other)
    mine = sqlmi_body(f"{tag}-mine", ns)
    mine["metadata"]["labels"] = {"run": tag, "watched": "yes"}
    api.create_namespaced_custom_object(G, V, ns, P, mine)
    # an object that stops matching the selector is DELETED for this watcher; one that starts matching is ADDED
    api.patch_namespaced_custom_object(G, V, ns, P, f"{tag}-mine", {"metadata": {"labels": {"watched": "no"}}})
    api.patch_namespaced_custom_object(G, V, ns, P, f"{tag}-other", {"metadata": {"labels": {"watched": "yes"}}})

    events = collect_events(api.list_namespaced_custom_object, G, V, ns, P, resource_version=since,
                            label_selector=f"run={tag},watched=yes", stop=lambda e: len(e) >= 3)
    assert [(t, n) for t, n, dummy in event_summary(events)] == [("ADDED", f"{tag}-mine"), ("DELETED", f"{tag}-mine"),
                                                                 ("ADDED", f"{tag}-other")]
    assert events[1]["raw_object"]["metadata"]["labels"]["watched"] == "no"  # the object as it is now


def test_watch_of_all_namespaces(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("cluster")
    since = _current_rv(api, ns)
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    events = collect_events(api.list_cluster_custom_object, G, V, P, resource_version=since,
                            field_selector=f"metadata.name={name}", stop=lambda e: len(e) >= 1)
    assert event_summary(events) == [("ADDED", name, created["metadata"]["resourceVersion"])]
    assert events[0]["raw_object"]["metadata"]["namespace"] == ns


def test_watch_from_a_too_old_resource_version_gets_410_error_event(primary, api):
    status, lines = raw_watch_lines(api.api_client, f"/apis/{G}/{V}/namespaces/{primary.namespace}/{P}",
                                    {"resourceVersion": "1", "timeoutSeconds": "5"})
    assert status == 200  # the watch itself is accepted; the expiry comes as an event
    assert len(lines) == 1
    event = lines[0]
    assert event["type"] == "ERROR"
    assert event["object"]["kind"] == "Status" and event["object"]["status"] == "Failure"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"
    assert "too old resource version: 1" in event["object"]["message"]


def test_kubernetes_watch_raises_410_for_a_too_old_resource_version(primary, api):
    with pytest.raises(ApiException) as caught:
        collect_events(api.list_namespaced_custom_object, G, V, primary.namespace, P, resource_version="1")
    assert caught.value.status == 410
    assert "Expired" in caught.value.reason


def test_bookmarks_when_asked(primary, api, unique_name):
    """kube-apiserver sends a bookmark about 2 s before a watch's timeout (and every minute): 3 s leaves room."""
    ns, name = primary.namespace, unique_name("bookmark")
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    rv = created["metadata"]["resourceVersion"]
    watcher = watch.Watch()
    events = []
    for event in watcher.stream(api.list_namespaced_custom_object, G, V, ns, P, resource_version=rv,
                                allow_watch_bookmarks=True, timeout_seconds=3, field_selector=f"metadata.name={name}"):
        events.append(event)
        if event["type"] == "BOOKMARK":
            break
    assert [e["type"] for e in events] == ["BOOKMARK"]
    bookmark = events[0]["raw_object"]
    assert bookmark["kind"] == "SqlManagedInstance" and bookmark["apiVersion"] == f"{G}/{V}"
    assert int(bookmark["metadata"]["resourceVersion"]) >= int(rv)
    assert watcher.resource_version == bookmark["metadata"]["resourceVersion"]  # the client resumes from it


def test_no_bookmarks_unless_asked(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("nobookmark")
    created = api.create_namespaced_custom_object(G, V, ns, P, sqlmi_body(name, ns))
    status, lines = raw_watch_lines(api.api_client, f"/apis/{G}/{V}/namespaces/{ns}/{P}",
                                    {"resourceVersion": created["metadata"]["resourceVersion"], "timeoutSeconds": "1",
                                     "fieldSelector": f"metadata.name={name}"})
    assert status == 200
    assert lines == []
