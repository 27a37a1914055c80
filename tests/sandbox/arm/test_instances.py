"""Instances over ARM: a PUT becomes a Ready CR on the custom location's site and k8sRaw shows it;
lists, tags, delete; 409 while Accepted; 400 for an api-version not served; 403 for the reader; an instance
made through the Kubernetes API is projected; the data controller says direct."""
import pytest
from azure.core.exceptions import HttpResponseError
from kubernetes.client.rest import ApiException

from tests.sandbox.controller.conftest import GROUP, SQLMI, Instance, wait_for

from .arm_support import INSTANCE_VERSION, instance_body, instance_path


def ready_in_arm(operator, path):
    def ready():
        resource = operator.send("GET", path, INSTANCE_VERSION).json()
        return (resource["properties"].get("k8sRaw", {}).get("status", {}).get("state") == "Ready") and resource
    return wait_for(ready, timeout=30, what=f"{path} to show k8sRaw.status.state Ready")


def cr_of(site, name):
    try:
        return site.custom().get_namespaced_custom_object(GROUP, SQLMI[1], site.namespace, SQLMI[0], name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def test_put_makes_a_ready_cr_and_k8sraw_shows_it(direct, azure, operator, name):
    path = instance_path(azure, "primary", name)
    poller = operator.begin("PUT", path, INSTANCE_VERSION, instance_body(azure, "primary", "DisasterRecovery"))
    assert poller.result()["properties"]["provisioningState"] == "Succeeded"
    site = direct.site("primary")
    cr = Instance(site, name).wait_ready()
    assert cr["spec"]["tier"] == "BusinessCritical" and cr["spec"]["licenseType"] == "DisasterRecovery"
    assert cr["spec"]["replicas"] == 3
    resource = ready_in_arm(operator, path)
    assert resource["sku"]["tier"] == "BusinessCritical"
    assert resource["properties"]["licenseType"] == "DisasterRecovery"
    assert resource["properties"]["k8sRaw"]["status"]["highAvailability"]["mirroringCertificate"]
    assert "password" not in str(resource)
    puts = [e for e in azure.audit() if e["method"] == "PUT" and e["path"].endswith(name)]
    assert [(e["principal"], e["status"]) for e in puts] == [("operator", 201)]


def test_lists_by_resource_group_and_subscription(azure, operator, name):
    path = instance_path(azure, "secondary", name)
    operator.begin("PUT", path, INSTANCE_VERSION, instance_body(azure, "secondary")).result()
    group = path.rsplit("/providers/", 1)[0]
    by_group = operator.send("GET", f"{group}/providers/Microsoft.AzureArcData/sqlManagedInstances",
                             INSTANCE_VERSION).json()["value"]
    by_subscription = operator.send("GET", f"/subscriptions/{azure.subscription}/providers/Microsoft.AzureArcData/"
                                    "sqlManagedInstances", INSTANCE_VERSION).json()["value"]
    assert path in [r["id"] for r in by_group] and path in [r["id"] for r in by_subscription]
    primary_group = f"/subscriptions/{azure.subscription}/resourceGroups/{azure.resource_group('primary')}"
    assert path not in [r["id"] for r in operator.send(
        "GET", f"{primary_group}/providers/Microsoft.AzureArcData/sqlManagedInstances", INSTANCE_VERSION).json()["value"]]


def test_patch_changes_tags_only(azure, operator, name):
    path = instance_path(azure, "primary", name)
    operator.begin("PUT", path, INSTANCE_VERSION, instance_body(azure, "primary")).result()
    assert operator.send("PATCH", path, INSTANCE_VERSION, {"tags": {"dr": "pair1"}}).json()["tags"] == {"dr": "pair1"}
    refused = operator.send("PATCH", path, INSTANCE_VERSION, {"properties": {"licenseType": "BasePrice"}})
    assert refused.status_code == 400


def test_delete_removes_the_cr(direct, azure, operator, name):
    path = instance_path(azure, "primary", name)
    operator.begin("PUT", path, INSTANCE_VERSION, instance_body(azure, "primary")).result()
    assert cr_of(direct.site("primary"), name) is not None
    operator.begin("DELETE", path, INSTANCE_VERSION).result()
    assert cr_of(direct.site("primary"), name) is None
    gone = operator.send("GET", path, INSTANCE_VERSION)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ResourceNotFound"


def test_put_while_accepted_is_409(direct, azure, operator, name):
    """The site's API answers the bridge slowly (a fault rule on its user agent): the first PUT stays Accepted."""
    ops = direct.site("primary").ops()
    ops.set_faults([{"verb": "create", "resource": "sqlmanagedinstances", "latency_ms": 3000,
                     "user_agent": "arc-arm-bridge/"}])
    try:
        path = instance_path(azure, "primary", name)
        first = operator.begin("PUT", path, INSTANCE_VERSION, instance_body(azure, "primary"))
        second = operator.send("PUT", path, INSTANCE_VERSION, instance_body(azure, "primary"))
        assert second.status_code == 409
        assert "Accepted" in second.json()["error"]["message"]
        assert first.result()["properties"]["provisioningState"] == "Succeeded"
    finally:
        ops.clear_faults()


@pytest.mark.parametrize("version", ["2099-01-01", "2019-01-01-preview"])
def test_api_version_not_served_is_400(azure, operator, version):
    response = operator.send("GET", instance_path(azure, "primary", "any"), version)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert "2024-01-01" in response.json()["error"]["message"]


def test_reader_reads_but_cannot_write(azure, operator, reader, name):
    path = instance_path(azure, "primary", name)
    operator.begin("PUT", path, INSTANCE_VERSION, instance_body(azure, "primary")).result()
    assert reader.send("GET", path, INSTANCE_VERSION).status_code == 200
    with pytest.raises(HttpResponseError) as raised:
        reader.begin("PUT", path, INSTANCE_VERSION, instance_body(azure, "primary"))
    assert raised.value.status_code == 403
    refused = reader.send("DELETE", path, INSTANCE_VERSION)
    error = refused.json()["error"]
    assert refused.status_code == 403 and error["code"] == "AuthorizationFailed"
    assert "'Microsoft.AzureArcData/sqlManagedInstances/delete'" in error["message"]
    assert azure.principals["reader"]["client_id"] in error["message"] and f"'{path}'" in error["message"]


def test_unknown_resource_group_and_subscription(azure, operator):
    group = operator.send("GET", f"/subscriptions/{azure.subscription}/resourceGroups/nowhere/providers/"
                          "Microsoft.AzureArcData/sqlManagedInstances/x", INSTANCE_VERSION)
    assert group.status_code == 404 and group.json()["error"]["code"] == "ResourceGroupNotFound"
    subscription = operator.send("GET", "/subscriptions/00000000-0000-0000-0000-000000000001/providers/"
                                 "Microsoft.AzureArcData/sqlManagedInstances", INSTANCE_VERSION)
    assert subscription.status_code == 404 and subscription.json()["error"]["code"] == "SubscriptionNotFound"


def test_instance_made_with_kubernetes_is_projected(direct, azure, operator, name):
    """The resource sync rule: an instance created through the Kubernetes API gets its ARM resource."""
    instance = Instance(direct.site("secondary"), name)
    instance.create("LicenseIncluded")
    instance.wait_ready()
    resource = ready_in_arm(operator, instance_path(azure, "secondary", name))
    assert resource["extendedLocation"]["name"] == azure.custom_location_id("secondary")


def test_custom_location_and_data_controller(direct, azure, operator, reader):
    location = operator.send("GET", azure.custom_location_id("primary"), "2021-08-15").json()
    assert location["properties"]["namespace"] == direct.site("primary").namespace
    group = f"/subscriptions/{azure.subscription}/resourceGroups/{azure.resource_group('primary')}"
    # (a reader: the collection's custom role has no need of the data controller, so the operator lacks it)
    controller = reader.send("GET", f"{group}/providers/Microsoft.AzureArcData/dataControllers/arc-dc",
                             INSTANCE_VERSION).json()
    assert controller["properties"]["k8sRaw"]["spec"]["settings"]["azure"]["connectionMode"] == "direct"
