"""Label selectors (=, ==, !=, in, notin, exists, !key) and field selectors on list, as the client sends them."""
import uuid

import pytest
from kubernetes import client

from .client_support import SQLMI, api_error, assert_status, secret
from .conftest import sqlmi_body

G, V, P = SQLMI


@pytest.fixture(scope="module")
def labelled(sandbox):
    """Three instances labelled env=prod (tier=gold), env=dev and env=test, tagged with one run label."""
    site = sandbox.site("primary")
    api = client.CustomObjectsApi(site.api_client())
    tag = uuid.uuid4().hex[:8]
    names = {}
    for env in ("prod", "dev", "test"):
        name = f"sel-{env}-{tag}"
        body = sqlmi_body(name, site.namespace)
        body["metadata"]["labels"] = {"run": tag, "env": env, **({"tier": "gold"} if env == "prod" else {})}
        api.create_namespaced_custom_object(G, V, site.namespace, P, body)
        names[env] = name
    return site, api, tag, names


@pytest.mark.parametrize("selector,expected", [
    ("env=prod", {"prod"}),
    ("env==dev", {"dev"}),
    ("env!=prod", {"dev", "test"}),
    ("env in (dev,test)", {"dev", "test"}),
    ("env in (prod, staging)", {"prod"}),
    ("env notin (dev)", {"prod", "test"}),
    ("tier", {"prod"}),
    ("!tier", {"dev", "test"}),
    ("env,!tier,env notin (test)", {"dev"}),
    ("env=staging", set()),
])
def test_label_selector(labelled, selector, expected):
    site, api, tag, names = labelled
    items = api.list_namespaced_custom_object(G, V, site.namespace, P, label_selector=f"run={tag},{selector}")["items"]
    assert {i["metadata"]["name"] for i in items} == {names[e] for e in expected}


def test_field_selector_on_name(labelled):
    site, api, tag, names = labelled
    items = api.list_namespaced_custom_object(G, V, site.namespace, P,
                                              field_selector=f"metadata.name={names['dev']}")["items"]
    assert [i["metadata"]["name"] for i in items] == [names["dev"]]
    items = api.list_namespaced_custom_object(G, V, site.namespace, P, label_selector=f"run={tag}",
                                              field_selector=f"metadata.name!={names['dev']}")["items"]
    assert {i["metadata"]["name"] for i in items} == {names["prod"], names["test"]}


def test_field_selector_on_namespace(labelled):
    site, api, tag, names = labelled
    everywhere = api.list_cluster_custom_object(G, V, P, label_selector=f"run={tag}")["items"]
    assert {i["metadata"]["name"] for i in everywhere} == set(names.values())
    here = api.list_cluster_custom_object(G, V, P, label_selector=f"run={tag}",
                                          field_selector=f"metadata.namespace={site.namespace}")["items"]
    assert {i["metadata"]["name"] for i in here} == set(names.values())
    elsewhere = api.list_cluster_custom_object(G, V, P, label_selector=f"run={tag}",
                                               field_selector="metadata.namespace=default")["items"]
    assert elsewhere == []


def test_unsupported_field_selector_is_400(labelled):
    site, api, dummy, dummy = labelled
    error, status = api_error(api.list_namespaced_custom_object, G, V, site.namespace, P,
                              field_selector="spec.replicas=1")
    assert error.status == 400
    assert_status(status, 400, "BadRequest")
    assert "spec.replicas" in status["message"]


def test_unsupported_field_selector_on_watch_is_400(labelled):
    site, api, dummy, dummy = labelled
    error, dummy = api_error(api.list_namespaced_custom_object, G, V, site.namespace, P, watch=True,
                             field_selector="status.state=Ready", timeout_seconds=1)
    assert error.status == 400


def test_malformed_label_selector_is_400(labelled):
    site, api, dummy, dummy = labelled
    error, status = api_error(api.list_namespaced_custom_object, G, V, site.namespace, P,
                              label_selector="env in (dev")
    assert error.status == 400
    assert_status(status, 400, "BadRequest")


def test_selectors_on_builtins(primary, unique_name):
    core = primary.core()
    tag = unique_name("secsel")
    core.create_namespaced_secret(primary.namespace, secret(f"{tag}-a", labels={"run": tag, "app": "a"}))
    core.create_namespaced_secret(primary.namespace, secret(f"{tag}-b", labels={"run": tag, "app": "b"}))
    listed = core.list_namespaced_secret(primary.namespace, label_selector=f"run={tag},app notin (a)")
    assert [s.metadata.name for s in listed.items] == [f"{tag}-b"]
    # secrets support a field selector on their type
    typed = core.list_namespaced_secret(primary.namespace, label_selector=f"run={tag}", field_selector="type=Opaque")
    assert {s.metadata.name for s in typed.items} == {f"{tag}-a", f"{tag}-b"}
    error, status = api_error(core.list_namespaced_secret, primary.namespace, field_selector="data.username=x")
    assert error.status == 400
