"""Structural schema validation (422 Invalid with causes), pruning of unknown fields and fieldValidation."""
import pytest
from kubernetes import client

from .client_support import FOG, GROUP, SQLMI, api_error, assert_status
from .conftest import fog_body, sqlmi_body


@pytest.fixture
def api(primary):
    return client.CustomObjectsApi(primary.api_client())


def _warnings(headers):
    return [value for key, value in headers.items() if key.lower() == "warning"]


def test_schema_invalid_create_is_422_naming_the_field_and_stores_nothing(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("invalid")
    error, status = api_error(api.create_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2],
                              sqlmi_body(name, ns, replicas="three"))
    assert error.status == 422
    assert_status(status, 422, "Invalid")
    assert status["message"].startswith(f'SqlManagedInstance.{GROUP} "{name}" is invalid: spec.replicas')
    details = status["details"]
    assert (details["name"], details["group"], details["kind"]) == (name, GROUP, "SqlManagedInstance")
    assert [c["field"] for c in details["causes"]] == ["spec.replicas"]
    assert details["causes"][0]["reason"] == "FieldValueTypeInvalid"
    assert "integer" in details["causes"][0]["message"]
    error, dummy = api_error(api.get_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], name)
    assert error.status == 404


def test_every_invalid_field_is_a_cause(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("invalid2")
    body = sqlmi_body(name, ns, replicas="three", dev="yes",
                      scheduling={"default": {"resources": {"limits": {"cpu": 2}}}})
    error, status = api_error(api.create_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], body)
    assert error.status == 422
    fields = sorted(c["field"] for c in status["details"]["causes"])
    assert fields == ["spec.dev", "spec.replicas", "spec.scheduling.default.resources.limits.cpu"]


def test_schema_invalid_update_is_422_and_keeps_the_stored_object(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("invalidupd")
    created = api.create_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog_body(name, ns))
    error, status = api_error(api.patch_namespaced_custom_object, *FOG[:2], ns, FOG[2], name,
                              {"spec": {"role": 1}})
    assert error.status == 422
    assert [c["field"] for c in status["details"]["causes"]] == ["spec.role"]
    body = dict(created, spec={**created["spec"], "partnerMI": ["not", "a", "string"]})
    error, status = api_error(api.replace_namespaced_custom_object, *FOG[:2], ns, FOG[2], name, body)
    assert error.status == 422
    assert [c["field"] for c in status["details"]["causes"]] == ["spec.partnerMI"]
    assert api.get_namespaced_custom_object(*FOG[:2], ns, FOG[2], name) == created


def test_invalid_name_is_422_on_metadata_name(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("Upper")  # upper case: not a DNS-1123 subdomain
    error, status = api_error(api.create_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns))
    assert error.status == 422
    assert_status(status, 422, "Invalid")
    assert [c["field"] for c in status["details"]["causes"]] == ["metadata.name"]


def test_unknown_spec_fields_are_pruned_with_a_warning(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("prune")
    created, code, headers = api.create_namespaced_custom_object_with_http_info(
        *SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns, isDisasterRecovery=True))
    assert code == 201
    assert "isDisasterRecovery" not in created["spec"]
    assert created["spec"]["replicas"] == 1  # the declared fields are kept
    assert any("spec.isDisasterRecovery" in w for w in _warnings(headers))  # fieldValidation defaults to Warn
    stored = api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name)
    assert "isDisasterRecovery" not in stored["spec"]

    patched = api.patch_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name,
                                                 {"spec": {"isDisasterRecovery": True}})
    assert "isDisasterRecovery" not in patched["spec"]
    assert patched["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]  # pruned to a no-op


def test_field_validation_ignore_prunes_silently(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("ignore")
    created, dummy, headers = api.create_namespaced_custom_object_with_http_info(
        *SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns, isDisasterRecovery=True), field_validation="Ignore")
    assert "isDisasterRecovery" not in created["spec"]
    assert _warnings(headers) == []


def test_field_validation_strict_refuses_unknown_fields_with_400(primary, api, unique_name):
    ns, name = primary.namespace, unique_name("strict")
    error, status = api_error(api.create_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2],
                              sqlmi_body(name, ns, isDisasterRecovery=True), field_validation="Strict")
    assert error.status == 400
    assert_status(status, 400, "BadRequest")
    assert 'unknown field "spec.isDisasterRecovery"' in status["message"]
    error, dummy = api_error(api.get_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], name)
    assert error.status == 404

    created = api.create_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], sqlmi_body(name, ns),
                                                  field_validation="Strict")
    error, status = api_error(api.patch_namespaced_custom_object, *SQLMI[:2], ns, SQLMI[2], name,
                              {"spec": {"replicas": 2, "isDisasterRecovery": True}}, field_validation="Strict")
    assert error.status == 400
    assert 'unknown field "spec.isDisasterRecovery"' in status["message"]
    assert api.get_namespaced_custom_object(*SQLMI[:2], ns, SQLMI[2], name) == created
