"""Create, get, list, patch, replace and delete of custom objects through CustomObjectsApi, and the errors
(409 AlreadyExists, 409 Conflict, 404 NotFound, 415 UnsupportedMediaType) a client gets back."""
import pytest
from kubernetes import client

from .client_support import (FOG, GROUP, JSON_PATCH, MERGE_PATCH, SQLMI, STRATEGIC_MERGE_PATCH, RequestRecorder,
                             api_error, assert_status, secret)
from .conftest import fog_body, sqlmi_body

KINDS = [pytest.param(SQLMI, "SqlManagedInstance", sqlmi_body, id="sqlmanagedinstance"),
         pytest.param(FOG, "FailoverGroup", fog_body, id="failovergroup")]


@pytest.fixture
def api(primary):
    return client.CustomObjectsApi(primary.api_client())


@pytest.mark.parametrize("resource,kind,body", KINDS)
def test_create_get_list_delete(primary, api, unique_name, resource, kind, body):
    group, version, plural = resource
    ns = primary.namespace
    name = unique_name("crud")
    created, code, dummy = api.create_namespaced_custom_object_with_http_info(group, version, ns, plural,
                                                                              body(name, ns))
    assert code == 201
    assert created["apiVersion"] == f"{group}/{version}" and created["kind"] == kind
    meta = created["metadata"]
    assert meta["name"] == name and meta["namespace"] == ns
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert meta["generation"] == 1
    assert int(meta["resourceVersion"]) > 0

    fetched = api.get_namespaced_custom_object(group, version, ns, plural, name)
    assert fetched == created

    listed = api.list_namespaced_custom_object(group, version, ns, plural)
    assert listed["kind"] == f"{kind}List" and listed["apiVersion"] == f"{group}/{version}"
    assert int(listed["metadata"]["resourceVersion"]) >= int(meta["resourceVersion"])
    mine = [i for i in listed["items"] if i["metadata"]["name"] == name]
    assert mine == [created]

    deleted = api.delete_namespaced_custom_object(group, version, ns, plural, name)
    # an object deleted at once is answered with a Status (custom resources do not return the object)
    assert deleted["kind"] == "Status" and deleted["status"] == "Success"
    assert deleted["details"] == {"name": name, "group": group, "kind": plural, "uid": meta["uid"]}
    error, status = api_error(api.get_namespaced_custom_object, group, version, ns, plural, name)
    assert error.status == 404


def test_merge_patch_merges_maps_and_null_removes(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("merge")
    api_client = api.api_client
    created = api.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns, dev=True))
    recorder = RequestRecorder(api_client)
    patched = api.patch_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name,
                                                 {"spec": {"replicas": 2, "dev": None},
                                                  "metadata": {"labels": {"team": "dr"}}})
    assert recorder.last_content_type == MERGE_PATCH  # a dict body goes as a JSON merge patch
    assert patched["spec"]["replicas"] == 2
    assert "dev" not in patched["spec"]
    assert patched["spec"]["tier"] == created["spec"]["tier"]  # untouched fields stay
    assert patched["spec"]["security"] == created["spec"]["security"]
    assert patched["metadata"]["labels"] == {"team": "dr"}
    assert int(patched["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    assert api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name) == patched


def test_json_patch_applies_operations_in_order(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("jsonpatch")
    api.create_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog_body(name, ns, partnerSyncMode="async"))
    recorder = RequestRecorder(api.api_client)
    operations = [{"op": "test", "path": "/spec/role", "value": "primary"},
                  {"op": "replace", "path": "/spec/role", "value": "secondary"},
                  {"op": "add", "path": "/metadata/labels", "value": {"pair": "p1"}},
                  {"op": "remove", "path": "/spec/partnerSyncMode"}]
    patched = api.patch_namespaced_custom_object(*FOG[:2], ns, FOG[2], name, operations, _content_type=JSON_PATCH)
    assert recorder.last_content_type == JSON_PATCH
    assert patched["spec"]["role"] == "secondary"
    assert patched["metadata"]["labels"] == {"pair": "p1"}
    assert "partnerSyncMode" not in patched["spec"]
    assert patched["metadata"]["generation"] == 2


def test_failed_json_patch_test_operation_is_422_and_stores_nothing(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("jsontest")
    created = api.create_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog_body(name, ns))
    operations = [{"op": "test", "path": "/spec/role", "value": "secondary"},
                  {"op": "replace", "path": "/spec/partnerMI", "value": "other"}]
    error, status = api_error(api.patch_namespaced_custom_object, *FOG[:2], ns, FOG[2], name, operations,
                              _content_type=JSON_PATCH)
    assert error.status == 422
    assert status.get("code") == 422 and status.get("kind") == "Status"
    assert api.get_namespaced_custom_object(*FOG[:2], ns, FOG[2], name) == created


def test_a_list_body_without_content_type_goes_as_merge_patch_and_is_refused(primary, api, unique_name):
    """What this client version (kubernetes 3x, OpenAPI generator 7) sends: CustomObjectsApi's PATCH default
    content type is merge patch whatever the body; a JSON patch needs _content_type=application/json-patch+json."""
    ns, name = primary.namespace, unique_name("listpatch")
    created = api.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    recorder = RequestRecorder(api.api_client)
    error, status = api_error(api.patch_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], name,
                              [{"op": "replace", "path": "/spec/replicas", "value": 3}])
    assert recorder.last_content_type == MERGE_PATCH
    assert 400 <= error.status < 500 and status.get("kind") == "Status"
    assert api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name) == created


def test_strategic_merge_patch_on_a_custom_resource_is_415(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("smp")
    created = api.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    error, status = api_error(api.patch_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], name,
                              {"spec": {"replicas": 3}}, _content_type=STRATEGIC_MERGE_PATCH)
    assert error.status == 415
    assert_status(status, 415, "UnsupportedMediaType")
    assert STRATEGIC_MERGE_PATCH in status["message"]
    assert MERGE_PATCH in status["message"] and JSON_PATCH in status["message"]
    assert api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name) == created


def test_strategic_merge_patch_on_a_builtin_is_accepted(primary, unique_name):
    core = primary.core()
    name = unique_name("smp-secret")
    core.create_namespaced_secret(primary.namespace, secret(name, labels={"a": "1"}))
    recorder = RequestRecorder(core.api_client)
    patched = core.patch_namespaced_secret(name, primary.namespace, {"metadata": {"labels": {"b": "2"}}})
    assert recorder.last_content_type == STRATEGIC_MERGE_PATCH  # CoreV1Api's default for a dict body
    assert patched.metadata.labels == {"a": "1", "b": "2"}


def test_duplicate_create_is_409_already_exists(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("dup")
    created = api.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    error, status = api_error(api.create_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2],
                              sqlmi_body(name, ns, replicas=3))
    assert error.status == 409
    assert_status(status, 409, "AlreadyExists")
    assert status["message"] == f'sqlmanagedinstances.{GROUP} "{name}" already exists'
    assert status["details"] == {"name": name, "group": GROUP, "kind": "sqlmanagedinstances"}
    assert api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name) == created


def test_replace_with_a_stale_resource_version_is_409_conflict(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("stale")
    stale = api.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    current = api.patch_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name, {"spec": {"replicas": 2}})
    stale["spec"]["replicas"] = 3
    error, status = api_error(api.replace_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], name, stale)
    assert error.status == 409
    assert_status(status, 409, "Conflict")
    assert status["message"] == (f'Operation cannot be fulfilled on sqlmanagedinstances.{GROUP} "{name}": the object '
                                 "has been modified; please apply your changes to the latest version and try again")
    assert status["details"]["name"] == name
    assert api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name) == current

    # the same body with the current resourceVersion goes through
    stale["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    replaced = api.replace_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name, stale)
    assert replaced["spec"]["replicas"] == 3
    assert int(replaced["metadata"]["resourceVersion"]) > int(current["metadata"]["resourceVersion"])


def test_patch_carrying_a_stale_resource_version_is_409_conflict(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("stalepatch")
    created = api.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    current = api.patch_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name, {"spec": {"replicas": 2}})
    error, status = api_error(api.patch_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], name,
                              {"metadata": {"resourceVersion": created["metadata"]["resourceVersion"]},
                               "spec": {"replicas": 3}})
    assert error.status == 409
    assert_status(status, 409, "Conflict")
    assert api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name) == current


def test_replace_without_a_resource_version_is_refused(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("norv")
    created = api.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    body = sqlmi_body(name, ns, replicas=3)
    error, status = api_error(api.replace_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], name, body)
    assert error.status == 422
    assert_status(status, 422, "Invalid")
    assert [c["field"] for c in status["details"]["causes"]] == ["metadata.resourceVersion"]
    assert api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name) == created


@pytest.mark.parametrize("verb", ["get", "patch", "replace", "delete"])
def test_missing_object_is_404_with_a_status_naming_it(primary, api, unique_name, verb):
    ns, name = primary.namespace, unique_name("missing")
    calls = {
        "get": lambda: api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name),
        "patch": lambda: api.patch_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name, {"spec": {"dev": True}}),
        "replace": lambda: api.replace_namespaced_custom_object(
            *SQLMI[:2], ns, SQLMI[2], name,
            {**sqlmi_body(name, ns), "metadata": {"name": name, "namespace": ns, "resourceVersion": "1"}}),
        "delete": lambda: api.delete_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name),
    }
    error, status = api_error(calls[verb])
    assert error.status == 404
    assert_status(status, 404, "NotFound")
    assert status["message"] == f'sqlmanagedinstances.{GROUP} "{name}" not found'
    assert status["details"] == {"name": name, "group": GROUP, "kind": "sqlmanagedinstances"}


def test_create_in_a_missing_namespace_is_404(api, unique_name):
    ns, name = unique_name("nons"), unique_name("orphan")
    error, status = api_error(api.create_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    assert error.status == 404
    assert_status(status, 404, "NotFound")
    assert status["message"] == f'namespaces "{ns}" not found'


def test_objects_are_per_site(primary, secondary, unique_name):
    name = unique_name("site")
    client.CustomObjectsApi(primary.api_client()).create_namespaced_custom_object(
        *SQLMI[:2], primary.namespace, SQLMI[2], sqlmi_body(name, primary.namespace))
    other = client.CustomObjectsApi(secondary.api_client())
    error, dummy = api_error(other.get_namespaced_custom_object, *SQLMI[:2], secondary.namespace, SQLMI[2], name)
    assert error.status == 404
