"""The site's "Cluster Certificate Authority" and the mirroring certificate of each instance.

As observed on real Arc clusters (emulator-audit.md, "New evidence"): issuer CN=Cluster Certificate
Authority, subject CN=dbm, RSA-2048, sha256, the `<mi>-svc` SANs, valid 1825 days; the extended key
usage (server and client auth) marked critical and no BasicConstraints extension. Private keys stay
in the controller's own state directory; only the certificate is published (in the instance's
status), laid out as in a real CR dump (see `status_pem`).
"""
import base64
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from ..layout import write_private
from ..pki import VALIDITY, certificate_builder, common_name, key_pem, new_key

CA_NAME = "Cluster Certificate Authority"


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


class ClusterCA:
    def __init__(self, state_dir):
        self.cert_path = state_dir / "cluster-ca.crt"
        self.key_path = state_dir / "cluster-ca.key"
        if not self.cert_path.exists():
            self._create()
        self.cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        self._key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)

    def _create(self):
        key = new_key()
        name = common_name(CA_NAME)
        cert = (certificate_builder(name, name, key.public_key())
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        write_private(self.key_path, key_pem(key))
        self.cert_path.write_bytes(_pem(cert))

    def issue_mirroring_certificate(self, instance, namespace, cert_path, key_path, renew=False, valid_days=None):
        """Issue the instance's mirroring certificate once (or again, with a new key, when `renew`);
        returns its PEM bytes. `valid_days` shortens its life from Arc's 5 years, so that tests can
        see a certificate near its end without waiting years."""
        if cert_path.exists() and key_path.exists() and not renew:
            return cert_path.read_bytes()
        key = new_key()
        sans = [x509.DNSName(n) for n in (f"{instance}-svc", f"{instance}-svc.{namespace}.svc",
                                          f"{instance}-svc.{namespace}.svc.cluster.local")]
        validity = datetime.timedelta(days=valid_days) if valid_days else VALIDITY
        cert = (certificate_builder(common_name("dbm"), self.cert.subject, key.public_key(), validity)
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=False,
                                             crl_sign=False, content_commitment=False, data_encipherment=False,
                                             key_agreement=False, encipher_only=False, decipher_only=False),
                               critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]), critical=True)
                .sign(self._key, hashes.SHA256()))
        write_private(key_path, key_pem(key))
        cert_path.write_bytes(_pem(cert))
        return cert_path.read_bytes()


# the PEM layout of a real status: base64 lines of 76 characters (MIME's width, not PEM's 64), "\n" after
# the BEGIN line, "\r\n" between body lines, "\n" before and after the END line
STATUS_PEM_WIDTH = 76


def status_pem(pem_bytes):
    """The certificate as real clusters publish it in status.highAvailability.mirroringCertificate."""
    der = x509.load_pem_x509_certificate(pem_bytes).public_bytes(serialization.Encoding.DER)
    body = base64.b64encode(der).decode()
    lines = [body[i:i + STATUS_PEM_WIDTH] for i in range(0, len(body), STATUS_PEM_WIDTH)]
    return "-----BEGIN CERTIFICATE-----\n" + "\r\n".join(lines) + "\n-----END CERTIFICATE-----\n"
