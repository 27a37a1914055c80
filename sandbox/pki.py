"""Each site's own certificate authority and API serving certificate, made at first start."""
import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .layout import write_private

# 5 years, like the certificates of a real Arc data controller
VALIDITY = datetime.timedelta(days=5 * 365)


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def certificate_builder(subject, issuer, public_key, validity=VALIDITY):
    """Valid from five minutes ago (clocks differ) for exactly `validity`: a real Arc mirroring certificate
    spans 1825 days to the second."""
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + validity))


def common_name(value):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value)])


def create_ca(site_name):
    key = new_key()
    name = common_name(f"arc-sandbox-{site_name}-ca")
    cert = (certificate_builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def create_server_cert(ca_cert, ca_key, address):
    """The site API server's serving certificate: the in-cluster names of the API and its loopback address."""
    return create_service_cert(ca_cert, ca_key, "kube-apiserver", address, dns_names=(
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"))


def ensure_site_pki(files, site):
    """Create the CA and serving certificate once; later starts reuse them (kubeconfigs stay valid)."""
    if files.ca_cert.exists() and files.server_cert.exists():
        return
    ca_cert, ca_key = create_ca(site.name)
    server_cert, server_key = create_server_cert(ca_cert, ca_key, site.address)
    write_private(files.ca_key, key_pem(ca_key))
    write_private(files.server_key, key_pem(server_key))
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))


def create_service_cert(ca_cert, ca_key, service_name, address, dns_names=("localhost",)):
    """A serving certificate for one of the sandbox's other HTTPS services (the emulated Azure endpoints),
    valid for its loopback address and `dns_names`."""
    key = new_key()
    names = [x509.DNSName(n) for n in dns_names] + [x509.IPAddress(ipaddress.ip_address(address))]
    cert = (certificate_builder(common_name(service_name), ca_cert.subject, key.public_key())
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


def ensure_service_pki(files, service_name, address):
    """Like `ensure_site_pki` for a service that is not a site: `files` has ca_cert, ca_key, server_cert and
    server_key; the CA is the service's own (clients get its path as their CA bundle)."""
    if files.ca_cert.exists() and files.server_cert.exists():
        return
    ca_cert, ca_key = create_ca(service_name)
    server_cert, server_key = create_service_cert(ca_cert, ca_key, service_name, address)
    write_private(files.ca_key, key_pem(ca_key))
    write_private(files.server_key, key_pem(server_key))
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
