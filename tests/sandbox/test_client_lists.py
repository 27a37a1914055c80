"""Lists: typed items (apiVersion/kind per custom resource item), list metadata, limit and continue paging."""
import uuid

import pytest
from kubernetes import client

from .client_support import FOG, SQLMI, api_error, secret
from .conftest import fog_body, sqlmi_body

G, V, P = SQLMI


@pytest.fixture(scope="module")
def five(sandbox):
    """Five SqlManagedInstances sharing one run label."""
    site = sandbox.site("primary")
    api = client.CustomObjectsApi(site.api_client())
    tag = uuid.uuid4().hex[:8]
    names = []
    for index in range(5):
        body = sqlmi_body(f"page-{index}-{tag}", site.namespace)
        body["metadata"]["labels"] = {"run": tag}
        names.append(api.create_namespaced_custom_object(G, V, site.namespace, P, body)["metadata"]["name"])
    return site, api, tag, names


def test_custom_resource_list_items_carry_api_version_and_kind(five):
    site, api, tag, names = five
    listed = api.list_namespaced_custom_object(G, V, site.namespace, P, label_selector=f"run={tag}")
    assert listed["apiVersion"] == f"{G}/{V}" and listed["kind"] == "SqlManagedInstanceList"
    assert sorted(i["metadata"]["name"] for i in listed["items"]) == sorted(names)
    assert all(i["apiVersion"] == f"{G}/{V}" and i["kind"] == "SqlManagedInstance" for i in listed["items"])
    newest = max(int(i["metadata"]["resourceVersion"]) for i in listed["items"])
    assert int(listed["metadata"]["resourceVersion"]) >= newest
    assert "continue" not in listed["metadata"] or not listed["metadata"]["continue"]


def test_items_follow_the_requested_version(primary, unique_name):
    api = client.CustomObjectsApi(primary.api_client())
    ns, name = primary.namespace, unique_name("fogver")
    api.create_namespaced_custom_object(*FOG[:2], ns, FOG[2], fog_body(name, ns))
    listed = api.list_namespaced_custom_object(FOG[0], "v1", ns, FOG[2], field_selector=f"metadata.name={name}")
    assert listed["apiVersion"] == f"{FOG[0]}/v1" and listed["kind"] == "FailoverGroupList"
    assert [(i["apiVersion"], i["kind"]) for i in listed["items"]] == [(f"{FOG[0]}/v1", "FailoverGroup")]


def test_limit_and_continue_page_through_everything_once(five):
    site, api, tag, names = five
    pages, token = [], None
    while True:
        page = api.list_namespaced_custom_object(G, V, site.namespace, P, label_selector=f"run={tag}", limit=2,
                                                 **({"_continue": token} if token else {}))
        pages.append(page)
        token = page["metadata"].get("continue")
        if not token:
            break
        assert len(pages) < 10, "paging does not end"
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert [p["metadata"].get("remainingItemCount") for p in pages[:2]] == [3, 1]
    seen = [i["metadata"]["name"] for p in pages for i in p["items"]]
    assert sorted(seen) == sorted(names) and len(set(seen)) == 5
    assert seen == sorted(seen)  # keys in order, as etcd returns them
    assert all(i["kind"] == "SqlManagedInstance" for p in pages for i in p["items"])


def test_limit_larger_than_the_list_has_no_continue(five):
    site, api, tag, names = five
    page = api.list_namespaced_custom_object(G, V, site.namespace, P, label_selector=f"run={tag}", limit=50)
    assert len(page["items"]) == 5
    assert not page["metadata"].get("continue")


def test_an_invalid_continue_token_is_400(five):
    site, api, tag, dummy = five
    error, status = api_error(api.list_namespaced_custom_object, G, V, site.namespace, P, label_selector=f"run={tag}",
                              limit=2, _continue="not-a-token")
    assert error.status == 400
    assert status.get("kind") == "Status"


def test_builtin_list_paging(primary, unique_name):
    core = primary.core()
    tag = unique_name("secpage")
    for index in range(3):
        core.create_namespaced_secret(primary.namespace, secret(f"{tag}-{index}", labels={"run": tag}))
    first = core.list_namespaced_secret(primary.namespace, label_selector=f"run={tag}", limit=2)
    assert [s.metadata.name for s in first.items] == [f"{tag}-0", f"{tag}-1"]
    assert first.metadata._continue
    rest = core.list_namespaced_secret(primary.namespace, label_selector=f"run={tag}", limit=2,
                                       _continue=first.metadata._continue)
    assert [s.metadata.name for s in rest.items] == [f"{tag}-2"]
    assert not rest.metadata._continue
    assert rest.items[0].data["username"]  # stringData was stored as base64 data
