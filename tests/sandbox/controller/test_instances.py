"""SqlManagedInstance reconcile as a user observes it through the Kubernetes API: the way to Ready,
the published status, the mirroring certificate, the external Service, spec changes, validation
errors and their correction, deletion, and a site restart."""
import base64
import datetime
import json
import re
import socket
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from kubernetes.client.rest import ApiException

from .conftest import GROUP, PASSWORD, SQLMI, Instance, wait_for, watch_until

ENDPOINT_PRIMARY = re.compile(r"^(\d+\.\d+\.\d+\.\d+),(\d+)$")
ENDPOINT_MIRRORING = re.compile(r"^(\d+\.\d+\.\d+\.\d+):(\d+)$")


def new_instance(site, prefix="mi"):
    return Instance(site, f"{prefix}-{uuid.uuid4().hex[:8]}")


def delete_quietly(instances):
    for instance in instances:
        try:
            delete_instance(instance)
        except ApiException as exc:
            if exc.status != 404:
                raise


@pytest.fixture
def fresh(arc):
    """Makes instances on the shared sandbox and deletes them after the test (their endpoints stop)."""
    made = []

    def make(side, prefix="mi"):
        made.append(new_instance(arc.site(side), prefix))
        return made[-1]
    yield make
    delete_quietly(made)


def watch_instance(instance, resource_version, predicate, what, timeout=20):
    return watch_until(instance.api, SQLMI[0], SQLMI[1], instance.site.namespace, instance.name, resource_version,
                       predicate, timeout, what)


def ready_at(generation):
    return lambda obj: (obj.get("status") or {}).get("state") == "Ready" and (
        obj["status"].get("observedGeneration") == generation)


def states(objects):
    return [(o.get("status") or {}).get("state") for o in objects]


def patch_spec(instance, spec):
    return instance.api.patch_namespaced_custom_object(GROUP, SQLMI[1], instance.site.namespace, SQLMI[0],
                                                       instance.name, {"spec": spec})


def delete_instance(instance):
    instance.api.delete_namespaced_custom_object(GROUP, SQLMI[1], instance.site.namespace, SQLMI[0], instance.name)


def service_of(instance):
    return instance.site.core().read_namespaced_service(f"{instance.name}-external-svc", instance.site.namespace)


def refuses(address):
    """True when nothing accepts a TCP connection at ("ip", port)."""
    try:
        with socket.create_connection(address, timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def parse_certificate(pem):
    return x509.load_pem_x509_certificate(pem.replace("\r\n", "\n").encode())


def cluster_ca(site):
    """The site's Cluster Certificate Authority, as the controller keeps it in the site's state."""
    return x509.load_pem_x509_certificate((site.files.controller_state / "cluster-ca.crt").read_bytes())


@pytest.fixture(scope="module")
def ready_instances(arc):
    """One Ready instance on each site (BusinessCritical, 3 replicas), shared by the read-only tests."""
    instances = {side: new_instance(arc.site(side), "ready") for side in ("primary", "secondary")}
    for instance in instances.values():
        instance.create()
    for instance in instances.values():
        instance.wait_ready()
    yield instances
    delete_quietly(instances.values())


# -- the way to Ready and what Ready publishes -------------------------------------------------------
def test_a_new_instance_goes_through_creating_to_ready_and_publishes_its_status(fresh):
    instance = fresh("primary")
    created = instance.create()
    seen = watch_instance(instance, created["metadata"]["resourceVersion"],
                          ready_at(created["metadata"]["generation"]), "Ready")
    assert "Creating" in states(seen)[:-1], states(seen)
    obj = seen[-1]
    status = obj["status"]
    assert status["observedGeneration"] == obj["metadata"]["generation"] == 1
    updated = datetime.datetime.fromisoformat(status["lastUpdateTime"].replace("Z", "+00:00"))
    assert abs((datetime.datetime.now(datetime.timezone.utc) - updated).total_seconds()) < 60
    assert (status["roles"]["sql"]["replicas"], status["roles"]["sql"]["readyReplicas"]) == (3, 3)
    assert ENDPOINT_PRIMARY.match(status["endpoints"]["primary"]), status["endpoints"]
    assert ENDPOINT_MIRRORING.match(status["endpoints"]["mirroring"]), status["endpoints"]
    assert status["endpoints"]["primary"].split(",")[0] == status["endpoints"]["mirroring"].split(":")[0]
    assert status["endpoints"]["primary"] != status["endpoints"]["mirroring"].replace(":", ",")
    assert "BEGIN CERTIFICATE" in status["highAvailability"]["mirroringCertificate"]
    assert status["highAvailability"]["healthState"]
    assert status["runningVersion"]
    with instance.sql() as sql:
        lsn = sql.write("greeting", "hello")
        assert sql.read("greeting") == (lsn, "hello")


def test_the_mirroring_certificate_is_the_one_arc_issues(ready_instances):
    instance = ready_instances["primary"]
    pem = instance.certificate
    assert "\r\n" in pem, "the PEM body uses \\r\\n line breaks (test_mirroring_certificate_format.py: the layout)"
    assert re.findall(r"-----BEGIN ([A-Z ]+)-----", pem) == ["CERTIFICATE"]
    assert len(x509.load_pem_x509_certificates(pem.replace("\r\n", "\n").encode())) == 1
    cert = parse_certificate(pem)
    assert isinstance(cert.public_key(), rsa.RSAPublicKey) and cert.public_key().key_size == 2048
    assert cert.signature_hash_algorithm.name == "sha256"
    assert cert.subject.rfc4514_string() == "CN=dbm"
    assert cert.issuer.rfc4514_string() == "CN=Cluster Certificate Authority"
    namespace = instance.site.namespace
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == sorted([
        f"{instance.name}-svc", f"{instance.name}-svc.{namespace}.svc",
        f"{instance.name}-svc.{namespace}.svc.cluster.local"])
    usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usages) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    now = datetime.datetime.now(datetime.timezone.utc)
    assert cert.not_valid_before_utc <= now < cert.not_valid_after_utc
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert datetime.timedelta(days=5 * 365 - 2) <= lifetime <= datetime.timedelta(days=5 * 366 + 2), lifetime


def test_each_site_has_its_own_cluster_certificate_authority(ready_instances):
    certs = {side: parse_certificate(i.certificate) for side, i in ready_instances.items()}
    cas = {side: cluster_ca(i.site) for side, i in ready_instances.items()}
    assert cas["primary"].subject.rfc4514_string() == "CN=Cluster Certificate Authority"
    assert cas["primary"].public_key() != cas["secondary"].public_key()
    for side, other in (("primary", "secondary"), ("secondary", "primary")):
        certs[side].verify_directly_issued_by(cas[side])
        with pytest.raises(Exception):
            certs[side].verify_directly_issued_by(cas[other])
    assert certs["primary"].public_key() != certs["secondary"].public_key()


def every_object(site):
    """(resource, object) for every object of every namespaced, listable resource in the site's namespace,
    read through the API."""
    api = site.api_client()

    def get(path):
        response = api.call_api(*api.param_serialize("GET", path, header_params={"Accept": "application/json"},
                                                     auth_settings=["BearerToken"]))
        response.read()
        assert response.status == 200, (path, response.status, response.data)
        return json.loads(response.data)
    prefixes = ["/api/v1"] + [f"/apis/{version['groupVersion']}" for group in get("/apis")["groups"]
                              for version in group["versions"]]
    found = []
    for prefix in prefixes:
        for resource in get(prefix)["resources"]:
            if resource["namespaced"] and "list" in resource["verbs"] and "/" not in resource["name"]:
                listing = get(f"{prefix}/namespaces/{site.namespace}/{resource['name']}")
                found += [(resource["name"], obj) for obj in listing["items"]]
    return found


def test_no_private_key_is_published_in_any_object(ready_instances):
    for instance in ready_instances.values():
        objects = every_object(instance.site)
        resources = {resource for resource, dummy in objects}
        assert {"sqlmanagedinstances", "secrets", "services", "events"} <= resources, resources
        for resource, obj in objects:
            text = json.dumps(obj)
            if resource == "secrets":
                text += "".join(base64.b64decode(v).decode(errors="replace") for v in (obj.get("data") or {}).values())
            assert "PRIVATE KEY" not in text, f"{resource} {obj['metadata']['name']} holds a private key"


def test_the_external_service_exposes_both_endpoints_and_belongs_to_the_instance(ready_instances):
    instance = ready_instances["secondary"]
    obj = instance.get()
    service = service_of(instance)
    ports = {p.name: p.port for p in service.spec.ports}
    endpoints = obj["status"]["endpoints"]
    assert set(ports) == {"port-mssql-tds", "port-mssql-mirroring"}
    assert ports["port-mssql-tds"] == int(endpoints["primary"].rsplit(",", 1)[1])
    assert ports["port-mssql-mirroring"] == int(endpoints["mirroring"].rsplit(":", 1)[1])
    owners = [(o.kind, o.name, o.uid) for o in service.metadata.owner_references or []]
    assert owners == [("SqlManagedInstance", instance.name, obj["metadata"]["uid"])]


# -- spec changes ----------------------------------------------------------------------------------
def test_a_spec_change_leaves_ready_and_comes_back_with_the_new_generation(ready_instances):
    instance = ready_instances["primary"]
    before = instance.wait_ready()
    patched = patch_spec(instance, {"dev": not (before["spec"].get("dev") or False)})
    generation = patched["metadata"]["generation"]
    assert generation == before["metadata"]["generation"] + 1
    seen = watch_instance(instance, patched["metadata"]["resourceVersion"], ready_at(generation),
                          f"Ready at generation {generation}")
    assert any(state != "Ready" for state in states(seen)[:-1]), states(seen)
    after = seen[-1]["status"]
    assert after["observedGeneration"] == generation
    assert after["endpoints"] == before["status"]["endpoints"]
    assert after["highAvailability"]["mirroringCertificate"] == before["status"]["highAvailability"][
        "mirroringCertificate"]


# -- validation --------------------------------------------------------------------------------------
def _secret(name, **values):
    return {"metadata": {"name": name}, "type": "Opaque",
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}}


GOOD_RESOURCES = {"requests": {"cpu": "2", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
# rule -> (spec overrides, bad admin Secret data or None, words the message must hold, words it must not
# hold, the spec patch that fixes it); "{secret}" stands for the bad Secret's name
RULES = {
    "bad-tier": ({"tier": "Premium", "replicas": 1}, None,
                 ["spec.tier", "Premium", "GeneralPurpose", "BusinessCritical"], [], {"tier": "GeneralPurpose"}),
    "gp-with-3-replicas": ({"tier": "GeneralPurpose", "replicas": 3}, None,
                           ["spec.replicas", "3", "GeneralPurpose", "1"], [], {"replicas": 1}),
    "bc-with-1-replica": ({"tier": "BusinessCritical", "replicas": 1}, None,
                          ["spec.replicas", "1", "BusinessCritical", "2 or 3"], [], {"replicas": 2}),
    "unknown-license-type": ({"licenseType": "Free"}, None,
                             ["spec.licenseType", "Free", "LicenseIncluded", "BasePrice", "DisasterRecovery"], [],
                             {"licenseType": "BasePrice"}),
    "missing-admin-secret": ({"security": {"adminLoginSecret": "{secret}"}}, None,
                             ["spec.security.adminLoginSecret", "{secret}", "does not exist"], [], None),
    "secret-without-password": ({"security": {"adminLoginSecret": "{secret}"}}, {"username": "dbadmin"},
                                ["{secret}", "password"], [], None),
    "username-sa": ({"security": {"adminLoginSecret": "{secret}"}}, {"username": "sa", "password": PASSWORD},
                    ["{secret}", "username", "'sa'"], [PASSWORD], None),
    "weak-password": ({"security": {"adminLoginSecret": "{secret}"}}, {"username": "dbadmin", "password": "weakpass"},
                      ["{secret}", "password", "8 characters", "3 of"], ["weakpass"], None),
    "password-contains-username": ({"security": {"adminLoginSecret": "{secret}"}},
                                   {"username": "dbadmin", "password": "Xdbadmin!2024"},
                                   ["{secret}", "password", "username"], ["Xdbadmin!2024"], None),
    "memory-request-below-2gi": ({"scheduling": {"default": {"resources": {
        "requests": {"cpu": "2", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}}}}, None,
        ["requests.memory", "1Gi", "2Gi"], [],
        {"scheduling": {"default": {"resources": {"requests": {"memory": "2Gi"}}}}}),
    "cpu-request-above-limit": ({"scheduling": {"default": {"resources": {
        "requests": {"cpu": "4", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}}}}, None,
        ["cpu", "request", "'4'", "limit", "'2'"], [],
        {"scheduling": {"default": {"resources": {"requests": {"cpu": "2"}}}}}),
}


def wait_error(instance):
    def error():
        obj = instance.get()
        status = obj.get("status") or {}
        return status.get("state") == "Error" and status.get("observedGeneration") == obj["metadata"][
            "generation"] and obj
    return wait_for(error, what=f"instance {instance.name} to be in Error")


@pytest.mark.parametrize("rule", sorted(RULES))
def test_an_invalid_spec_is_an_error_naming_the_cause_and_fixing_it_makes_the_instance_ready(fresh, rule):
    spec, secret_data, expected, forbidden, fix = RULES[rule]
    instance = fresh("secondary", "bad")
    secret = f"{instance.name}-admin"
    if secret_data is not None:
        instance.site.core().create_namespaced_secret(instance.site.namespace, _secret(secret, **secret_data))
    spec = json.loads(json.dumps(spec).replace("{secret}", secret))
    instance.create(**spec)
    obj = wait_error(instance)
    message = obj["status"]["message"]
    for word in expected:
        assert word.replace("{secret}", secret) in message, f"{word!r} missing from {message!r}"
    for word in forbidden:
        assert word not in message, f"{message!r} echoes {word!r}"
    assert "endpoints" not in obj["status"]
    # the fix: the spec as it should have been (for the Secret rules, a valid Secret)
    fixed = patch_spec(instance, fix or {"security": {"adminLoginSecret": f"{instance.name}-login-secret"}})
    ready = instance.wait_ready()
    assert ready["status"]["observedGeneration"] == fixed["metadata"]["generation"]
    assert not ready["status"].get("message")


def test_repairing_the_admin_secret_makes_the_instance_ready_without_a_spec_change(fresh):
    instance = fresh("primary", "repair")
    secret = f"{instance.name}-admin"
    core = instance.site.core()
    core.create_namespaced_secret(instance.site.namespace, _secret(secret, username="dbadmin", password="weakpass"))
    created = instance.create(security={"adminLoginSecret": secret})
    assert "password" in wait_error(instance)["status"]["message"]
    core.replace_namespaced_secret(secret, instance.site.namespace,
                                   _secret(secret, username="dbadmin", password=PASSWORD))
    ready = instance.wait_ready()
    assert ready["metadata"]["generation"] == created["metadata"]["generation"]  # no spec change was needed


def test_the_tier_cannot_change_after_creation(fresh):
    instance = fresh("primary", "tier")
    instance.create(tier="GeneralPurpose", replicas=1)
    before = instance.wait_ready()
    patch_spec(instance, {"tier": "BusinessCritical", "replicas": 3})
    message = wait_error(instance)["status"]["message"]
    for word in ("spec.tier", "GeneralPurpose", "BusinessCritical", "creation"):
        assert word in message, f"{word!r} missing from {message!r}"
    patch_spec(instance, {"tier": "gp", "replicas": 1})  # the short form of the tier it was created with
    after = instance.wait_ready()
    assert after["status"]["endpoints"] == before["status"]["endpoints"]


# -- deletion and restart ------------------------------------------------------------------------------
def test_deleting_an_instance_stops_its_endpoints_and_collects_its_service(fresh):
    instance = fresh("primary", "gone")
    instance.create(tier="GeneralPurpose", replicas=1)
    endpoints = instance.wait_ready()["status"]["endpoints"]
    client = tuple(endpoints["primary"].rsplit(",", 1))
    mirroring = tuple(endpoints["mirroring"].rsplit(":", 1))
    client, mirroring = (client[0], int(client[1])), (mirroring[0], int(mirroring[1]))
    assert not refuses(client) and not refuses(mirroring)
    assert service_of(instance).metadata.name == f"{instance.name}-external-svc"
    delete_instance(instance)
    wait_for(lambda: refuses(client) and refuses(mirroring), 10,
             what=f"the endpoints {endpoints} of the deleted instance to refuse connections")

    def service_gone():
        try:
            service_of(instance)
        except ApiException as exc:
            return exc.status == 404
        return False
    wait_for(service_gone, 10, what=f"Service {instance.name}-external-svc to be garbage-collected")


def test_a_ready_instance_stays_ready_across_a_site_restart(arc, fresh):
    instance = fresh("primary", "restart")
    instance.create(tier="GeneralPurpose", replicas=1)
    before = instance.wait_ready()
    with instance.sql() as sql:
        lsn = sql.write("survivor", "still here")
    arc.kill("primary")
    arc.start("primary")

    def answers():
        try:
            with instance.sql() as sql:
                return sql.read("survivor")
        except OSError:
            return None
    assert wait_for(answers, 20, what=f"instance {instance.name} to answer again") == (lsn, "still here")
    after = instance.get()
    assert after["status"]["state"] == "Ready"
    assert after["status"]["observedGeneration"] == after["metadata"]["generation"]
    assert after["status"]["endpoints"] == before["status"]["endpoints"]
    assert after["status"]["highAvailability"]["mirroringCertificate"] == before["status"]["highAvailability"][
        "mirroringCertificate"]
    # it never left Ready: the status was not rewritten at all
    assert after["status"]["lastUpdateTime"] == before["status"]["lastUpdateTime"]
