"""The built-in kinds the collection and Arc touch, through their typed APIs: Lease, Event, Service, ConfigMap,
Secret, Namespace."""
import base64

from kubernetes import client

from .client_support import api_error, assert_status, secret


def test_lease_optimistic_concurrency(primary, unique_name):
    """Leader election's pattern: read, replace with the resourceVersion read; a stale replace is 409."""
    api = client.CoordinationV1Api(primary.api_client())
    name, ns = unique_name("lease"), primary.namespace
    lease = api.create_namespaced_lease(ns, client.V1Lease(metadata=client.V1ObjectMeta(name=name),
                                                           spec=client.V1LeaseSpec(holder_identity="a",
                                                                                   lease_duration_seconds=15)))
    assert lease.api_version == "coordination.k8s.io/v1" and lease.kind == "Lease"
    lease.spec.holder_identity = "b"
    taken = api.replace_namespaced_lease(name, ns, lease)
    assert taken.spec.holder_identity == "b"
    assert int(taken.metadata.resource_version) > int(lease.metadata.resource_version)
    lease.spec.holder_identity = "c"  # still carries the old resourceVersion
    error, status = api_error(api.replace_namespaced_lease, name, ns, lease)
    assert error.status == 409
    assert_status(status, 409, "Conflict")
    assert api.read_namespaced_lease(name, ns).spec.holder_identity == "b"


def test_events_are_selected_by_involved_object(primary, unique_name):
    core = primary.core()
    ns, target = primary.namespace, unique_name("target")
    for index, obj in enumerate([target, unique_name("other")]):
        core.create_namespaced_event(ns, client.CoreV1Event(
            metadata=client.V1ObjectMeta(name=f"{obj}.{index}"), reason="Testing", message=f"about {obj}",
            type="Normal", involved_object=client.V1ObjectReference(kind="SqlManagedInstance", name=obj,
                                                                    namespace=ns)))
    events = core.list_namespaced_event(ns, field_selector=f"involvedObject.name={target}").items
    assert [(e.involved_object.name, e.reason, e.message) for e in events] == [(target, "Testing", f"about {target}")]


def test_service_gets_a_cluster_ip_that_an_update_keeps(primary, unique_name):
    core = primary.core()
    ns, name = primary.namespace, unique_name("svc")
    created = core.create_namespaced_service(ns, client.V1Service(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1ServiceSpec(type="NodePort", ports=[client.V1ServicePort(port=1433, name="sql")])))
    assert created.spec.cluster_ip and created.spec.ports[0].node_port
    assert created.spec.ports[0].target_port in (1433, "1433")
    patched = core.patch_namespaced_service(name, ns, {"metadata": {"labels": {"a": "b"}}})
    assert patched.spec.cluster_ip == created.spec.cluster_ip
    assert patched.spec.ports[0].node_port == created.spec.ports[0].node_port


def test_secret_string_data_is_stored_as_base64_data(primary, unique_name):
    core = primary.core()
    created = core.create_namespaced_secret(primary.namespace, secret(unique_name("sec")))
    assert created.type == "Opaque"
    assert created.string_data is None
    assert base64.b64decode(created.data["username"]) == b"sa"


def test_configmap_round_trip_and_typed_delete_status(primary, unique_name):
    core = primary.core()
    ns, name = primary.namespace, unique_name("cm")
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name),
                                                             data={"k": "v"}))
    assert core.read_namespaced_config_map(name, ns).data == {"k": "v"}
    status = core.api_client.sanitize_for_serialization(core.delete_namespaced_config_map(name, ns))
    assert status["kind"] == "Status" and status["status"] == "Success"
    assert status["details"]["name"] == name and status["details"]["kind"] == "configmaps"
    error, body = api_error(core.read_namespaced_config_map, name, ns)
    assert error.status == 404
    assert body["message"] == f'configmaps "{name}" not found'


def test_namespaces_are_cluster_scoped(primary):
    core = primary.core()
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {"default", primary.namespace} <= names
    arc = core.read_namespace(primary.namespace)
    assert arc.status.phase == "Active"
    assert arc.metadata.labels["kubernetes.io/metadata.name"] == primary.namespace
