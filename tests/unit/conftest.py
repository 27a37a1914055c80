# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared fixtures of the unit tests: throwaway certificates and fake Kubernetes API answers.

The collection is imported from the build tree (`make units` puts build/ on PYTHONPATH), so every
test module imports `ansible_collections.arcdata.sqlmi.plugins.module_utils.<name>`. Nothing here
talks to a server: API calls are plain callables raising kubernetes' ApiException.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from kubernetes.client.rest import ApiException

# every certificate's validity is relative to this instant; tests pass it as `now`
NOW = datetime.datetime(2025, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class CertificateFactory(object):
    """RSA 2048 certificates issued by a throwaway CA (or self-signed), with chosen validity windows."""

    def __init__(self):
        self.now = NOW
        self.ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ca_name = _name("Throwaway Test CA")

    def certificate(self, common_name="dr-instance", not_before_days=-1, not_after_days=365, self_signed=False):
        """PEM text (LF line breaks) of a certificate valid from now+not_before_days to now+not_after_days."""
        subject = _name(common_name)
        issuer, signing_key = (subject, self.key) if self_signed else (self.ca_name, self.ca_key)
        builder = (x509.CertificateBuilder()
                   .subject_name(subject)
                   .issuer_name(issuer)
                   .public_key(self.key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(self.now + datetime.timedelta(days=not_before_days))
                   .not_valid_after(self.now + datetime.timedelta(days=not_after_days)))
        certificate = builder.sign(signing_key, hashes.SHA256())
        return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def private_key(self):
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                      serialization.NoEncryption()).decode("ascii")

    def private_key_pkcs8(self):
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()).decode("ascii")


@pytest.fixture(scope="session")
def certs():
    return CertificateFactory()


@pytest.fixture(scope="session")
def valid_pem(certs):
    return certs.certificate("sqlmi-primary", not_before_days=-30, not_after_days=365)


def make_api_exception(status, reason, message=None, status_reason=None, headers=None, body=None):
    """An ApiException as the kubernetes client raises it: HTTP status and reason, a Status body, headers."""
    exc = ApiException(status=status, reason=reason)
    if body is None and (message is not None or status_reason is not None):
        body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                           "reason": status_reason, "code": status})
    exc.body = body
    exc.headers = headers
    return exc


@pytest.fixture
def api_exception():
    return make_api_exception
