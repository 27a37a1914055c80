"""Issue 4, "What must be true" item 7: bad input fails before any write.

Each case is one ansible-playbook run of one task on the primary site. It must fail with a message
naming the option, the value (except for certificate text, which is never echoed) and what is
allowed, and neither site's audit log may show a single write request of the collection during
the run, not even a dry run. Secrets given by mistake (a private key, a weak password) must not
appear anywhere in the output, even at -vvv.
"""
import datetime
import re
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import collection_requests, unique

GROUP = "sql.arcdata.microsoft.com"
SITES = ("primary", "secondary")
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
PASSWORD = "BadInput-Passw0rd!"
WEAK_PASSWORD = "weakpass77"
PARTNER_URL = "tcp://127.20.0.1:5022"


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _certificate(key, days_from, days_to):
    """A self-signed certificate valid from `days_from` to `days_to` days from now (negative: in the past)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dbm-partner")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=days_from))
            .not_valid_after(now + datetime.timedelta(days=days_to)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


KEY = _key()
VALID_CERT = _certificate(KEY, -1, 365)
EXPIRED_CERT = _certificate(KEY, -30, -1)
PRIVATE_KEY = KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
PRIVATE_KEY_LINES = [line for line in PRIVATE_KEY.splitlines() if "-----" not in line]


@pytest.fixture(scope="module")
def existing(arc_sites):
    """On the primary site: a GeneralPurpose instance (LicenseIncluded) and a DAG resource created with role
    secondary, made straight through the API (they only need to exist)."""
    site = arc_sites.site("primary")
    names = {"mi": unique("badmi"), "dag": unique("baddag")}
    custom, core = site.custom(), site.core()
    try:
        core.create_namespaced_secret(site.namespace, {
            "metadata": {"name": names["mi"] + "-login-secret"}, "type": "Opaque",
            "stringData": {"username": "dbadmin", "password": PASSWORD}})
        custom.create_namespaced_custom_object(GROUP, "v13", site.namespace, "sqlmanagedinstances", {
            "apiVersion": GROUP + "/v13", "kind": "SqlManagedInstance", "metadata": {"name": names["mi"]},
            "spec": {"tier": "GeneralPurpose", "replicas": 1, "licenseType": "LicenseIncluded",
                     "security": {"adminLoginSecret": names["mi"] + "-login-secret"}}})
        custom.create_namespaced_custom_object(GROUP, "v2", site.namespace, "failovergroups", {
            "apiVersion": GROUP + "/v2", "kind": "FailoverGroup", "metadata": {"name": names["dag"]},
            "spec": {"sharedName": names["dag"], "sourceMI": names["mi"], "partnerMI": "badpartner",
                     "partnerMirroringURL": PARTNER_URL, "partnerMirroringCert": VALID_CERT,
                     "partnerSyncMode": "async", "role": "secondary"}})
        yield names
    finally:
        for plural, version, name in (("failovergroups", "v2", names["dag"]),
                                      ("sqlmanagedinstances", "v13", names["mi"])):
            try:
                custom.delete_namespaced_custom_object(GROUP, version, site.namespace, plural, name)
            except Exception:  # pylint: disable=broad-except
                pass
        try:
            core.delete_namespaced_secret(names["mi"] + "-login-secret", site.namespace)
        except Exception:  # pylint: disable=broad-except
            pass


def instance(**args):
    """arc_sqlmi arguments of a valid creation, overridden by `args`."""
    values = {"name": "@new", "tier": "gp", "admin_username": "dbadmin", "admin_password": PASSWORD}
    values.update(args)
    return "arcdata.sqlmi.arc_sqlmi", values


def dag(**args):
    """arc_dag arguments of a valid creation on the existing instance, overridden by `args` (None: left out)."""
    values = {"name": "@new", "dag_name": "@new", "local_instance": "@mi", "remote_instance": "badpartner",
              "remote_mirroring_url": PARTNER_URL, "remote_mirroring_cert": VALID_CERT, "role": "primary",
              "wait": False}
    values.update(args)
    return "arcdata.sqlmi.arc_dag", dict((k, v) for k, v in values.items() if v is not None)


# (id, (module, arguments), fragments the message must contain (case-insensitive), secrets it must not)
CASES = [
    ("name-uppercase", instance(name="SqlPrimary"), ["name", "'SqlPrimary'", "lowercase letters"], []),
    ("name-too-long", instance(name="s" * 61), ["name", "'%s'" % ("s" * 61), "at most 60 characters"], []),
    ("gp-with-3-replicas", instance(tier="gp", replicas=3), ["replicas=3", "GeneralPurpose", "exactly 1 replica"],
     []),
    ("bc-with-1-replica", instance(tier="bc", replicas=1), ["replicas=1", "BusinessCritical", "use 2 or 3"], []),
    ("unknown-tier", instance(tier="hyperscale"), ["tier", "hyperscale", "gp, bc, GeneralPurpose, BusinessCritical"],
     []),
    ("readable-secondaries-out-of-range", instance(tier="bc", replicas=3, readable_secondaries=3),
     ["readable_secondaries=3", "between 0 and replicas - 1 (2)"], []),
    ("memory-request-below-2Gi", instance(memory_request="1Gi"), ["memory_request='1Gi'", "at least 2Gi"], []),
    ("weak-admin-password", instance(admin_password=WEAK_PASSWORD),
     ["admin_password", "at least 8 characters from 3 of"], [WEAK_PASSWORD]),
    ("tier-change", instance(name="@mi", tier="bc", replicas=3),
     ["tier cannot change", "GeneralPurpose", "BusinessCritical (bc)"], []),
    ("licence-change", instance(name="@mi", license_type="BasePrice"),
     ["license_type cannot change", "LicenseIncluded", "BasePrice"], []),
    ("licence-change-by-dr-flag", instance(name="@mi", disaster_recovery_site=True),
     ["license_type cannot change", "LicenseIncluded", "disaster_recovery_site=true"], []),
    ("missing-kubeconfig", instance(kubeconfig="/nonexistent/arc.kubeconfig"),
     ["kubeconfig", "'/nonexistent/arc.kubeconfig'", "does not exist or is not a file"], []),
    ("unknown-context", instance(context="arc-nowhere"),
     ["kubeconfig context 'arc-nowhere'", "its contexts are 'arc-primary'"], []),
    ("namespace-without-data-controller", instance(namespace="default"),
     ["namespace", "'default'", "no Arc data controller", "namespace of the site's data controller"], []),
    ("unknown-role", dag(role="leader"),
     ["role", "leader", "primary, secondary, force-primary-allow-data-loss, force-secondary"], []),
    ("role-primary-on-existing-dag", dag(name="@dag", role="primary", remote_mirroring_cert=None),
     ["role=primary", "existing resource", "role=secondary on the partner", "force-primary-allow-data-loss"], []),
    ("certificate-not-pem", dag(remote_mirroring_cert="MIIB this is not a certificate"),
     ["remote_mirroring_cert", "not PEM", "BEGIN CERTIFICATE"], []),
    ("certificate-is-a-private-key", dag(remote_mirroring_cert=PRIVATE_KEY),
     ["remote_mirroring_cert", "PRIVATE KEY", "public certificate"], PRIVATE_KEY_LINES),
    ("certificate-expired", dag(remote_mirroring_cert=EXPIRED_CERT), ["remote_mirroring_cert", "expired on"], []),
    ("mirroring-url-without-scheme", dag(remote_mirroring_url="127.20.0.1:5022"),
     ["remote_mirroring_url='127.20.0.1:5022'", "tcp://<host>:<port>"], []),
    ("mirroring-url-without-port", dag(remote_mirroring_url="tcp://127.20.0.1"),
     ["remote_mirroring_url='tcp://127.20.0.1'", "tcp://<host>:<port>"], []),
    ("create-without-certificate", dag(remote_mirroring_cert=None),
     ["remote_mirroring_cert or remote_mirroring_cert_file is required", "PEM"], []),
    ("same-local-and-remote-instance", dag(remote_instance="@mi"),
     ["local_instance and remote_instance are both", "different names"], []),
]


def _resolve(value, names):
    """The case's arguments with @new (a fresh name), @mi and @dag (the existing objects) filled in."""
    if isinstance(value, dict):
        return dict((k, _resolve(v, names)) for k, v in value.items())
    if value == "@new":
        return names["new"]
    if value in ("@mi", "@dag"):
        return names[value[1:]]
    return value


def collection_writes(site, mark):
    """Every write the collection sent to the site since `mark`, dry runs included."""
    return [(e["verb"], e["resource"], e["name"], e["code"]) for e in collection_requests(site.audit_since(mark))
            if e["verb"] in WRITE_VERBS]


def assert_fails_before_any_write(ansible, arc_sites, task, fragments, secrets=(), verbosity=0):
    marks = {host: arc_sites.site(host).audit_mark() for host in SITES}
    started = time.monotonic()
    run = ansible.run(ansible.play([dict(task, name="bad input")]), verbosity=verbosity)
    assert run.rc != 0, run
    result = run.result("bad input", "primary")
    assert [t["outcome"] for t in run.results("bad input")] == ["failed"], result
    message = result["msg"]
    missing = [f for f in fragments if f.lower() not in message.lower()]
    assert not missing, "the message lacks %s:\n%s" % (missing, message)
    output = run.stdout + run.stderr
    for secret in secrets:
        assert secret not in output, "a secret was echoed: %r in the output:\n%s" % (secret, output[-3000:])
    for host in SITES:
        assert collection_writes(arc_sites.site(host), marks[host]) == [], "%s: writes before failing" % host
    return run, message, time.monotonic() - started


@pytest.mark.parametrize("module_args, fragments, secrets", [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_bad_input_fails_before_any_write(ansible, arc_sites, existing, module_args, fragments, secrets):
    module, args = module_args
    names = dict(existing, new=unique("badnew"))
    task = {module: _resolve(args, names)}
    # at -vvv Ansible shows each module's invocation: a secret given by mistake must be hidden there too
    assert_fails_before_any_write(ansible, arc_sites, task, fragments, secrets, verbosity=3 if secrets else 0)


def test_data_controller_in_direct_mode_is_refused_before_any_write(ansible, arc_sites, existing):
    site = arc_sites.site("primary")
    custom = site.custom()
    controller = custom.get_namespaced_custom_object("arcdata.microsoft.com", "v5", site.namespace, "datacontrollers",
                                                     "arc-dc")
    mode = controller["spec"]["settings"]["azure"]["connectionMode"]

    def set_mode(value):
        custom.patch_namespaced_custom_object("arcdata.microsoft.com", "v5", site.namespace, "datacontrollers",
                                              "arc-dc", {"spec": {"settings": {"azure": {"connectionMode": value}}}})
    try:
        set_mode("direct")
        for module, args in (instance(), dag()):
            task = {module: _resolve(args, dict(existing, new=unique("baddirect")))}
            dummy, message, dummy = assert_fails_before_any_write(
                ansible, arc_sites, task, ["direct connection mode", "'arc-dc'", "indirect connection mode"])
            assert re.search(r"namespace '%s'" % site.namespace, message), message
    finally:
        set_mode(mode)
    assert custom.get_namespaced_custom_object("arcdata.microsoft.com", "v5", site.namespace, "datacontrollers",
                                               "arc-dc")["spec"]["settings"]["azure"]["connectionMode"] == mode
