"""Bad requests get the status code and `Status` body a real kube-apiserver gives, and change nothing.

Sent as raw HTTPS, because the client libraries refuse to send most of these. After each one the
test reads the object back (or lists) and checks the audit log recorded the request with that code.
"""
import copy
import json

import pytest
import requests

from .conftest import ARC_GROUP, sqlmi_body

MI_VERSION = "v13"


class Raw:
    """Plain HTTPS to a site's API with its bearer token and CA."""

    def __init__(self, site):
        self.site = site
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {site.token}"

    def request(self, method, path, **kwargs):
        # verify per request: a session's `verify` loses against REQUESTS_CA_BUNDLE in the environment
        return self.session.request(method, self.site.api_url + path, verify=str(self.site.files.ca_cert),
                                    timeout=30, **kwargs)


@pytest.fixture
def raw(primary):
    return Raw(primary)


@pytest.fixture
def instances(primary):
    return f"/apis/{ARC_GROUP}/{MI_VERSION}/namespaces/{primary.namespace}/sqlmanagedinstances"


@pytest.fixture
def existing(raw, instances, unique_name):
    """A stored SqlManagedInstance, as the server returned it."""
    response = raw.request("POST", instances, json=sqlmi_body(unique_name("mi"), raw.site.namespace))
    assert response.status_code == 201, response.text
    return response.json()


def assert_status(response, code, reason):
    assert response.status_code == code, response.text
    body = response.json()
    assert (body["kind"], body["status"], body["code"], body["reason"]) == ("Status", "Failure", code, reason)
    assert body["message"]
    return body


def assert_audited(site, mark, verb, path, code):
    matching = [e for e in site.audit_since(mark) if e["verb"] == verb and e["path"] == path]
    assert [e["code"] for e in matching] == [code], site.audit_since(mark)


def assert_not_stored(raw, instances, name):
    assert raw.request("GET", f"{instances}/{name}").status_code == 404
    assert name not in [item["metadata"]["name"] for item in raw.request("GET", instances).json()["items"]]


def assert_unchanged(raw, instances, before):
    after = raw.request("GET", f"{instances}/{before['metadata']['name']}").json()
    assert after == before


def test_malformed_json_is_bad_request(primary, raw, instances, unique_name):
    name = unique_name("mi")
    mark = primary.audit_mark()
    truncated = json.dumps(sqlmi_body(name, primary.namespace))[:-7]

    response = raw.request("POST", instances, data=truncated, headers={"Content-Type": "application/json"})

    assert_status(response, 400, "BadRequest")
    assert_audited(primary, mark, "create", instances, 400)
    assert_not_stored(raw, instances, name)


def test_unsupported_content_type(primary, raw, instances, unique_name):
    name = unique_name("mi")
    mark = primary.audit_mark()

    response = raw.request("POST", instances, data=json.dumps(sqlmi_body(name, primary.namespace)),
                           headers={"Content-Type": "text/plain"})

    assert_status(response, 415, "UnsupportedMediaType")
    assert_audited(primary, mark, "create", instances, 415)
    assert_not_stored(raw, instances, name)


def test_custom_resource_name_must_be_a_dns_subdomain(primary, raw, instances):
    mark = primary.audit_mark()

    response = raw.request("POST", instances, json=sqlmi_body("Bad_Name", primary.namespace))

    body = assert_status(response, 422, "Invalid")
    assert body["details"]["name"] == "Bad_Name" and body["details"]["kind"] == "SqlManagedInstance"
    assert "metadata.name" in [cause["field"] for cause in body["details"]["causes"]]
    assert_audited(primary, mark, "create", instances, 422)
    assert_not_stored(raw, instances, "Bad_Name")


def test_namespace_name_must_be_a_dns_label(primary, raw):
    mark = primary.audit_mark()

    response = raw.request("POST", "/api/v1/namespaces",
                           json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Bad"}})

    body = assert_status(response, 422, "Invalid")
    assert [cause["field"] for cause in body["details"]["causes"]] == ["metadata.name"]
    assert_audited(primary, mark, "create", "/api/v1/namespaces", 422)
    assert raw.request("GET", "/api/v1/namespaces/Bad").status_code == 404
    listed = raw.request("GET", "/api/v1/namespaces").json()["items"]
    assert "Bad" not in [ns["metadata"]["name"] for ns in listed]


def test_namespace_in_body_must_match_the_url(primary, raw, instances, unique_name):
    name = unique_name("mi")
    mark = primary.audit_mark()

    response = raw.request("POST", instances, json=sqlmi_body(name, "default"))

    assert_status(response, 400, "BadRequest")
    assert_audited(primary, mark, "create", instances, 400)
    assert_not_stored(raw, instances, name)
    assert raw.request("GET", instances.replace(f"/namespaces/{primary.namespace}/", "/namespaces/default/")
                       + f"/{name}").status_code == 404


def test_api_version_in_body_must_match_the_url(primary, raw, instances, unique_name):
    name = unique_name("mi")
    mark = primary.audit_mark()

    response = raw.request("POST", instances, json=sqlmi_body(name, primary.namespace, version="v12"))

    body = assert_status(response, 400, "BadRequest")
    assert f"{ARC_GROUP}/v12" in body["message"]
    assert_audited(primary, mark, "create", instances, 400)
    assert_not_stored(raw, instances, name)


def test_kind_in_body_must_match_the_url(primary, raw, instances, unique_name):
    # kube-apiserver's create handler only compares group/version (400 above); a custom resource's
    # kind is checked by its validator (customResourceValidator.ValidateTypeMeta): 422 on field "kind"
    name = unique_name("mi")
    body = sqlmi_body(name, primary.namespace)
    body["kind"] = "FailoverGroup"
    mark = primary.audit_mark()

    response = raw.request("POST", instances, json=body)

    status = assert_status(response, 422, "Invalid")
    assert "kind" in [cause["field"] for cause in status["details"]["causes"]]
    assert_audited(primary, mark, "create", instances, 422)
    assert_not_stored(raw, instances, name)


def test_update_name_must_match_the_url(primary, raw, instances, existing):
    name = existing["metadata"]["name"]
    renamed = copy.deepcopy(existing)
    renamed["metadata"]["name"] = f"{name}-other"
    renamed["spec"]["replicas"] = 2
    mark = primary.audit_mark()

    response = raw.request("PUT", f"{instances}/{name}", json=renamed)

    assert_status(response, 400, "BadRequest")
    assert_audited(primary, mark, "update", f"{instances}/{name}", 400)
    assert_unchanged(raw, instances, existing)
    assert_not_stored(raw, instances, f"{name}-other")


def test_custom_resource_update_requires_a_resource_version(primary, raw, instances, existing):
    name = existing["metadata"]["name"]
    unconditional = copy.deepcopy(existing)
    del unconditional["metadata"]["resourceVersion"]
    unconditional["spec"]["replicas"] = 2
    mark = primary.audit_mark()

    response = raw.request("PUT", f"{instances}/{name}", json=unconditional)

    body = assert_status(response, 422, "Invalid")
    assert [cause["field"] for cause in body["details"]["causes"]] == ["metadata.resourceVersion"]
    assert_audited(primary, mark, "update", f"{instances}/{name}", 422)
    assert_unchanged(raw, instances, existing)


@pytest.mark.parametrize("selector", ["a in (b", "!!", "a==b==c", "tier notin gp"])
def test_bad_label_selector(primary, raw, instances, selector):
    mark = primary.audit_mark()

    response = raw.request("GET", instances, params={"labelSelector": selector})

    assert_status(response, 400, "BadRequest")
    assert_audited(primary, mark, "list", instances, 400)


def test_unknown_dry_run_value_is_refused(primary, raw, instances, unique_name):
    # kube-apiserver validates the query options before the body: ValidateCreateOptions answers
    # 422 Invalid (`CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ...`)
    name = unique_name("mi")
    mark = primary.audit_mark()

    response = raw.request("POST", instances, params={"dryRun": "Wrong"}, json=sqlmi_body(name, primary.namespace))

    body = assert_status(response, 422, "Invalid")
    assert body["details"]["kind"] == "CreateOptions" and body["details"]["group"] == "meta.k8s.io"
    assert [cause["field"] for cause in body["details"]["causes"]] == ["dryRun"]
    assert_audited(primary, mark, "create", instances, 422)
    assert_not_stored(raw, instances, name)
