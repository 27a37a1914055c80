"""The mirroring certificate as real clusters publish it (emulator-audit.md "New evidence"): CN=dbm issued by
"Cluster Certificate Authority" for 1825 days, its extended key usage critical and no BasicConstraints;
in status.highAvailability.mirroringCertificate, base64 lines of 76 characters, "\\n" after the BEGIN line,
"\\r\\n" between body lines and "\\n" around the END line. Such a certificate still authenticates the
mirroring link, and survives a rotation in the same layout."""
import base64
import datetime
import re
import ssl
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.sandbox.conftest import run_cli

from .conftest import Instance, wait_for

LAYOUT = re.compile(r"\A-----BEGIN CERTIFICATE-----\n((?:[A-Za-z0-9+/]{76}\r\n)*[A-Za-z0-9+/=]{1,76})"
                    r"\n-----END CERTIFICATE-----\n\Z")


@pytest.fixture(scope="module")
def instance(arc):
    made = Instance(arc.site("primary"), f"certfmt-{uuid.uuid4().hex[:6]}")
    made.create(tier="GeneralPurpose", replicas=1)
    made.wait_ready()
    return made


def layout_body(pem):
    match = LAYOUT.match(pem)
    assert match, f"not the real layout: {pem[:40]!r} ... {pem[-40:]!r}"
    return match.group(1)


def test_the_published_pem_has_the_layout_of_a_real_status(instance):
    pem = instance.certificate
    lines = layout_body(pem).split("\r\n")
    assert len(lines) > 1 and all(len(line) == 76 for line in lines[:-1]) and len(lines[-1]) <= 76
    # the body is the certificate's DER, nothing else
    cert = x509.load_pem_x509_certificate(pem.encode())
    assert base64.b64decode("".join(lines)) == cert.public_bytes(serialization.Encoding.DER)


def test_the_certificate_has_the_extensions_and_validity_of_a_real_one(instance):
    cert = x509.load_pem_x509_certificate(instance.certificate.encode())
    assert cert.subject.rfc4514_string() == "CN=dbm"
    assert cert.issuer.rfc4514_string() == "CN=Cluster Certificate Authority"
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == datetime.timedelta(days=1825)
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and set(usage.value) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.BasicConstraints)


def test_tls_takes_the_published_pem_as_it_is(instance):
    """What the link does with a partnerMirroringCert copied verbatim from the status."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=instance.certificate)
    assert context.cert_store_stats()["x509"] == 1


def test_a_pair_connects_over_tls_with_such_certificates(pair):
    """The `pair` fixture copied each side's published PEM, unchanged, into the other's DAG resource."""
    for side, dag in pair.dags.items():
        assert dag.spec()["partnerMirroringCert"] == pair.instances[pair.other(side)].certificate
        assert all(r["connectedState"] == "CONNECTED" for r in dag.status()["replicas"])


def test_a_rotated_certificate_keeps_the_layout(arc, instance):
    before = instance.certificate
    run_cli(arc.runtime_dir, "rotate-cert", "--site", "primary", "--instance", instance.name)
    after = wait_for(lambda: (pem := instance.certificate) != before and pem, what="the rotated certificate")
    layout_body(after)
    cert = x509.load_pem_x509_certificate(after.encode())
    assert cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).critical
