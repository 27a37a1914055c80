"""Discovery as the official kubernetes client reads it: groups, versions, resources, CRDs, the DataController."""
import pytest
from kubernetes import client

from .client_support import GROUP, api_error, assert_status, raw_request

ALL_VERBS = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
SQLMI_VERSIONS = ["v13", "v12", "v11", "v10", "v9", "v8", "v7", "v6", "v5", "v4", "v3", "v2", "v1", "v1beta1"]
FOG_VERSIONS = ["v2", "v1", "v1beta2", "v1beta1"]
DC_VERSIONS = ["v5", "v4", "v3", "v2", "v1", "v1beta1"]

ARC_RESOURCES = [
    # group, preferred version, plural, kind, short name, every served version
    (GROUP, "v13", "sqlmanagedinstances", "SqlManagedInstance", "sqlmi", SQLMI_VERSIONS),
    (GROUP, "v2", "failovergroups", "FailoverGroup", "fog", FOG_VERSIONS),
    ("arcdata.microsoft.com", "v5", "datacontrollers", "DataController", "arcdc", DC_VERSIONS),
]


def _groups(site):
    return {g.name: g for g in client.ApisApi(site.api_client()).get_api_versions().groups}


def test_version_is_a_kubernetes_version(primary):
    info = client.VersionApi(primary.api_client()).get_code()
    assert (info.major, info.minor) == ("1", "32")
    assert info.git_version.startswith("v1.32.")


def test_group_list_prefers_the_highest_priority_version(primary):
    groups = _groups(primary)
    assert {GROUP, "arcdata.microsoft.com", "coordination.k8s.io", "apiextensions.k8s.io"} <= set(groups)
    sql = groups[GROUP]
    assert sql.preferred_version.version == "v13"
    assert sql.preferred_version.group_version == f"{GROUP}/v13"
    # Kubernetes version priority: GA before beta before alpha, higher numbers first (v13 before v2: not by string)
    served = [v.version for v in sql.versions]
    assert served == ["v13", "v12", "v11", "v10", "v9", "v8", "v7", "v6", "v5", "v4", "v3", "v2", "v1", "v1beta2",
                      "v1beta1"]
    assert groups["arcdata.microsoft.com"].preferred_version.version == "v5"
    assert groups["coordination.k8s.io"].preferred_version.group_version == "coordination.k8s.io/v1"
    assert groups["apiextensions.k8s.io"].preferred_version.group_version == "apiextensions.k8s.io/v1"


def test_group_document_matches_the_group_list(primary):
    code, group, dummy = raw_request(primary.api_client(), "GET", f"/apis/{GROUP}")
    assert code == 200
    assert group["kind"] == "APIGroup" and group["name"] == GROUP
    assert group["preferredVersion"] == {"groupVersion": f"{GROUP}/v13", "version": "v13"}
    assert group["versions"][0]["version"] == "v13"


@pytest.mark.parametrize("group,version,plural,kind,short_name,versions", ARC_RESOURCES,
                         ids=[r[2] for r in ARC_RESOURCES])
def test_arc_resource_is_discoverable_with_verbs_and_short_name(primary, group, version, plural, kind, short_name,
                                                                versions):
    resources = client.CustomObjectsApi(primary.api_client()).get_api_resources(group, version)
    assert resources.group_version == f"{group}/{version}"
    by_name = {r.name: r for r in resources.resources}
    main = by_name[plural]
    assert main.kind == kind
    assert main.namespaced is True
    assert main.short_names == [short_name]
    assert main.singular_name == kind.lower()
    assert set(main.verbs) == ALL_VERBS
    status = by_name[f"{plural}/status"]
    assert status.kind == kind
    assert set(status.verbs) == {"get", "patch", "update"}


@pytest.mark.parametrize("group,version,plural,kind,short_name,versions", ARC_RESOURCES,
                         ids=[r[2] for r in ARC_RESOURCES])
def test_arc_resource_is_served_in_each_of_its_own_versions(primary, group, version, plural, kind, short_name,
                                                            versions):
    api = client.CustomObjectsApi(primary.api_client())
    for served in versions:
        names = {r.name for r in api.get_api_resources(group, served).resources}
        assert plural in names, f"{plural} missing from {group}/{served}"


def test_a_version_lists_only_the_resources_that_serve_it(primary):
    api = client.CustomObjectsApi(primary.api_client())
    v13 = {r.name for r in api.get_api_resources(GROUP, "v13").resources}
    assert v13 == {"sqlmanagedinstances", "sqlmanagedinstances/status"}
    v1beta2 = {r.name for r in api.get_api_resources(GROUP, "v1beta2").resources}
    assert v1beta2 == {"failovergroups", "failovergroups/status"}
    v2 = {r.name for r in api.get_api_resources(GROUP, "v2").resources}
    assert {"sqlmanagedinstances", "failovergroups"} <= v2


def test_a_resource_is_not_found_in_a_version_it_does_not_serve(primary):
    api = client.CustomObjectsApi(primary.api_client())
    error, status = api_error(api.list_namespaced_custom_object, GROUP, "v13", primary.namespace, "failovergroups")
    assert error.status == 404
    assert_status(status, 404, "NotFound")
    error, dummy = api_error(api.get_api_resources, GROUP, "v99")
    assert error.status == 404


def test_core_builtins_are_discoverable(primary):
    resources = {r.name: r for r in client.CoreV1Api(primary.api_client()).get_api_resources().resources}
    for name, kind in [("namespaces", "Namespace"), ("secrets", "Secret"), ("services", "Service"),
                       ("events", "Event"), ("configmaps", "ConfigMap")]:
        assert resources[name].kind == kind
        assert {"get", "list", "watch", "create"} <= set(resources[name].verbs)
    assert resources["namespaces"].namespaced is False
    assert all(resources[n].namespaced for n in ("secrets", "services", "events", "configmaps"))


def test_leases_and_crds_are_discoverable_in_their_groups(primary):
    api_client = primary.api_client()
    leases = {r.name: r for r in client.CoordinationV1Api(api_client).get_api_resources().resources}
    assert leases["leases"].kind == "Lease" and leases["leases"].namespaced is True
    crds = {r.name: r for r in client.ApiextensionsV1Api(api_client).get_api_resources().resources}
    crd = crds["customresourcedefinitions"]
    assert crd.kind == "CustomResourceDefinition" and crd.namespaced is False
    assert "crd" in crd.short_names


def test_crds_are_readable_through_apiextensions(primary):
    api = client.ApiextensionsV1Api(primary.api_client())
    names = {c.metadata.name for c in api.list_custom_resource_definition().items}
    assert {f"sqlmanagedinstances.{GROUP}", f"failovergroups.{GROUP}",
            "datacontrollers.arcdata.microsoft.com"} <= names
    crd = api.read_custom_resource_definition(f"sqlmanagedinstances.{GROUP}")
    assert crd.spec.group == GROUP
    assert crd.spec.scope == "Namespaced"
    assert crd.spec.names.kind == "SqlManagedInstance" and crd.spec.names.short_names == ["sqlmi"]
    storage = [v.name for v in crd.spec.versions if v.storage]
    assert storage == ["v13"]
    assert all(v.served for v in crd.spec.versions)
    assert all(v.subresources.status is not None for v in crd.spec.versions)
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions.get("Established") == "True"
    assert crd.status.stored_versions == ["v13"]


@pytest.mark.parametrize("site_name", ["primary", "secondary"])
def test_each_site_has_an_indirect_mode_data_controller(sandbox, site_name):
    site = sandbox.site(site_name)
    api = client.CustomObjectsApi(site.api_client())
    dc = api.get_namespaced_custom_object("arcdata.microsoft.com", "v5", "arc", "datacontrollers", "arc-dc")
    assert dc["kind"] == "DataController"
    assert dc["apiVersion"] == "arcdata.microsoft.com/v5"
    assert dc["metadata"]["namespace"] == "arc"
    assert dc["spec"]["settings"]["azure"]["connectionMode"] == "indirect"
    listed = api.list_namespaced_custom_object("arcdata.microsoft.com", "v5", "arc", "datacontrollers")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["arc-dc"]


def test_an_object_is_served_in_any_version_of_its_resource(primary):
    api = client.CustomObjectsApi(primary.api_client())
    current = api.get_namespaced_custom_object("arcdata.microsoft.com", "v5", "arc", "datacontrollers", "arc-dc")
    older = api.get_namespaced_custom_object("arcdata.microsoft.com", "v1", "arc", "datacontrollers", "arc-dc")
    assert older["apiVersion"] == "arcdata.microsoft.com/v1"
    assert older["metadata"]["uid"] == current["metadata"]["uid"]
    assert older["metadata"]["resourceVersion"] == current["metadata"]["resourceVersion"]
