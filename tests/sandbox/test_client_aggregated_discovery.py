"""Aggregated discovery (apidiscovery.k8s.io/v2): the whole API surface in one request, as
Kubernetes 1.30+ serves it when the client asks for it; plain discovery otherwise."""
from .client_support import raw_request

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def _aggregated(site, path):
    status, document, headers = raw_request(site.api_client(), "GET", path,
                                            headers={"Accept": AGGREGATED + ",application/json"})
    assert status == 200
    assert headers["Content-Type"] == AGGREGATED
    assert (document["kind"], document["apiVersion"]) == ("APIGroupDiscoveryList", "apidiscovery.k8s.io/v2")
    return document


def _resources(group_entry):
    return {(v["version"], r["resource"]): r for v in group_entry["versions"] for r in v["resources"]}


def test_one_request_tells_which_versions_serve_each_arc_kind(primary):
    document = _aggregated(primary, "/apis")
    arc = next(item for item in document["items"] if item["metadata"]["name"] == "sql.arcdata.microsoft.com")
    versions = [v["version"] for v in arc["versions"]]
    assert versions[0] == "v13" and versions[-2:] == ["v1beta2", "v1beta1"]  # preferred first
    resources = _resources(arc)
    assert {v for v, r in resources if r == "failovergroups"} == {"v2", "v1", "v1beta2", "v1beta1"}
    assert ("v13", "failovergroups") not in resources  # the group's preferred version does not serve them
    fog = resources[("v2", "failovergroups")]
    assert fog["shortNames"] == ["fog"] and fog["scope"] == "Namespaced" and "watch" in fog["verbs"]
    assert fog["responseKind"] == {"group": "sql.arcdata.microsoft.com", "version": "v2", "kind": "FailoverGroup"}
    assert [s["subresource"] for s in fog["subresources"]] == ["status"]
    assert resources[("v13", "sqlmanagedinstances")]["shortNames"] == ["sqlmi"]


def test_the_core_group_is_aggregated_at_api(primary):
    document = _aggregated(primary, "/api")
    assert [item["metadata"]["name"] for item in document["items"]] == [""]
    resources = _resources(document["items"][0])
    assert resources[("v1", "secrets")]["scope"] == "Namespaced"
    assert resources[("v1", "namespaces")]["scope"] == "Cluster"


def test_plain_discovery_is_served_when_aggregated_is_not_asked_for(primary):
    status, document, dummy = raw_request(primary.api_client(), "GET", "/apis", headers={"Accept": "application/json"})
    assert status == 200 and document["kind"] == "APIGroupList"
