"""status.endpoints as a real instance publishes them (emulator-audit #10): `primary` "ip,1433", `mirroring`
"ip:5022", and a `secondary` (readable secondaries); spec.services.*.port honoured. Each instance listens
on loopback addresses of its own, from its site's range (127.10.x.y, 127.20.x.y), freed when it is
deleted."""
import ipaddress
import socket
import uuid

import pytest
from kubernetes.client.rest import ApiException

from sandbox.sqlclient import SqlClient, SqlError

from .conftest import GROUP, SQLMI, Instance, wait_for

SITE_RANGES = {"primary": ipaddress.ip_network("127.10.0.0/16"), "secondary": ipaddress.ip_network("127.20.0.0/16")}


def address_and_port(endpoint, separator):
    address, port = endpoint.rsplit(separator, 1)
    return address, int(port)


def patch_spec(instance, spec):
    return instance.api.patch_namespaced_custom_object(GROUP, SQLMI[1], instance.site.namespace, SQLMI[0],
                                                       instance.name, {"spec": spec})


def delete(instance):
    try:
        instance.api.delete_namespaced_custom_object(GROUP, SQLMI[1], instance.site.namespace, SQLMI[0],
                                                     instance.name)
    except ApiException as exc:
        if exc.status != 404:
            raise


def refuses(address):
    try:
        with socket.create_connection(address, timeout=2):
            return False
    except ConnectionRefusedError:
        return True


@pytest.fixture
def made(arc):
    """Instances made by the test, deleted after it."""
    instances = []

    def make(side, **spec):
        instance = Instance(arc.site(side), f"ep-{uuid.uuid4().hex[:6]}")
        instance.create(tier="GeneralPurpose", replicas=1, **spec)
        instances.append(instance)
        return instance
    yield make
    for instance in instances:
        delete(instance)


def test_endpoints_use_the_ports_of_a_real_instance_on_an_address_of_the_sites_range(arc, made):
    instances = {side: made(side) for side in SITE_RANGES}
    seen = set()
    for side, instance in instances.items():
        endpoints = instance.wait_ready()["status"]["endpoints"]
        primary, mirroring = address_and_port(endpoints["primary"], ","), address_and_port(endpoints["mirroring"], ":")
        secondary = address_and_port(endpoints["secondary"], ",")
        assert (primary[1], mirroring[1], secondary[1]) == (1433, 5022, 1433), endpoints
        assert primary[0] == mirroring[0] != secondary[0]
        site_address = arc.site(side).api_url.split("//")[1].rsplit(":", 1)[0]
        for address in (primary[0], secondary[0]):
            assert ipaddress.ip_address(address) in SITE_RANGES[side] and address != site_address, endpoints
        seen |= {primary[0], secondary[0]}
        with SqlClient(endpoints["primary"]) as sql:
            lsn = sql.write("hello", side)
        with SqlClient(endpoints["secondary"]) as sql:  # the readable secondary reads, never writes
            assert sql.read("hello") == (lsn, side)
            with pytest.raises(SqlError, match="takes no writes"):
                sql.write("nope", 1)
    assert len(seen) == 4, "every endpoint of every instance has an address of its own"


def test_both_services_publish_their_endpoint(made):
    instance = made("primary")
    obj = instance.wait_ready()
    endpoints, core = obj["status"]["endpoints"], instance.site.core()
    for service_name, endpoint, ports in (
            (f"{instance.name}-external-svc", endpoints["primary"], {"port-mssql-tds": 1433,
                                                                     "port-mssql-mirroring": 5022}),
            (f"{instance.name}-secondary-external-svc", endpoints["secondary"], {"port-mssql-tds": 1433})):
        service = core.read_namespaced_service(service_name, instance.site.namespace)
        assert {p.name: p.port for p in service.spec.ports} == ports
        assert service.status.load_balancer.ingress[0].ip == endpoint.split(",")[0]
        assert [o.uid for o in service.metadata.owner_references] == [obj["metadata"]["uid"]]


def test_spec_service_ports_are_honoured_and_can_change(made):
    instance = made("secondary", services={"primary": {"type": "LoadBalancer", "port": 31433},
                                           "readableSecondaries": {"type": "LoadBalancer", "port": 31434}})
    endpoints = instance.wait_ready()["status"]["endpoints"]
    assert address_and_port(endpoints["primary"], ",")[1] == 31433
    assert address_and_port(endpoints["secondary"], ",")[1] == 31434
    assert address_and_port(endpoints["mirroring"], ":")[1] == 5022
    with SqlClient(endpoints["primary"]) as sql:
        lsn = sql.write("k", "v")

    patch_spec(instance, {"services": {"primary": {"port": 11433}}})
    moved = instance.wait_ready()["status"]["endpoints"]
    assert moved["primary"] == endpoints["primary"].replace(",31433", ",11433")
    assert (moved["mirroring"], moved["secondary"]) == (endpoints["mirroring"], endpoints["secondary"])
    with SqlClient(moved["primary"]) as sql:
        assert sql.read("k") == (lsn, "v")
    assert refuses(address_and_port(endpoints["primary"], ","))
    ports = {p.name: p.port for p in instance.site.core().read_namespaced_service(
        f"{instance.name}-external-svc", instance.site.namespace).spec.ports}
    assert ports == {"port-mssql-tds": 11433, "port-mssql-mirroring": 5022}


def test_a_port_held_on_every_address_is_replaced_by_a_free_one_and_an_event_says_so(made):
    """Fixed ports cannot be had when another process listens on one on all addresses: the instance still
    becomes Ready, on a free port for that endpoint only, and says why."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("0.0.0.0", 0))
        holder.listen()
        held = holder.getsockname()[1]
        instance = made("primary", services={"primary": {"port": held}})
        endpoints = instance.wait_ready()["status"]["endpoints"]
    primary, mirroring = address_and_port(endpoints["primary"], ","), address_and_port(endpoints["mirroring"], ":")
    assert primary[1] != held and mirroring == (primary[0], 5022), endpoints
    with SqlClient(endpoints["primary"]) as sql:
        sql.write("still", "served")
    events = instance.site.core().list_namespaced_event(instance.site.namespace).items
    warnings = [e.message for e in events if e.involved_object.name == instance.name
                and e.reason == "EndpointPortUnavailable"]
    assert any(f"port {held} is taken" in w and f"listens on {primary[1]}" in w for w in warnings), warnings


@pytest.mark.parametrize("port, words", [(0, ["spec.services.primary.port", "0", "1 to 65535"]),
                                         (5022, ["spec.services.primary.port", "5022", "mirroring port"])])
def test_a_tds_port_that_cannot_be_is_an_error(made, port, words):
    instance = made("primary", services={"primary": {"port": port}})

    def error():
        status = instance.status()
        return status.get("state") == "Error" and status
    message = wait_for(error, what=f"instance {instance.name} in Error")["message"]
    assert all(word in message for word in words), message


def test_a_deleted_instance_frees_its_addresses_for_the_next(made):
    first = made("primary")
    endpoints = first.wait_ready()["status"]["endpoints"]
    delete(first)
    wait_for(lambda: refuses(address_and_port(endpoints["primary"], ",")), 10,
             what="the deleted instance's endpoint to close")
    wait_for(lambda: refuses(address_and_port(endpoints["secondary"], ",")), 10,
             what="the deleted instance's secondary endpoint to close")
    second = made("primary")
    again = second.wait_ready()["status"]["endpoints"]
    assert {again["primary"], again["secondary"]} == {endpoints["primary"], endpoints["secondary"]}, (endpoints, again)
