# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

import pytest
from cryptography.hazmat.primitives import hashes, serialization

from ansible_collections.arcdata.sqlmi.plugins.module_utils import certificates

NOW = datetime.datetime(2025, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def _body_lines(pem):
    """The base64 lines of a PEM block (what must never be echoed for a key)."""
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


# -- normalise_pem ------------------------------------------------------------------------------

@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"])
def test_normalise_pem_gives_one_form_for_every_line_break(valid_pem, line_break):
    text = "\n\n  " + valid_pem.replace("\n", line_break) + line_break * 3
    normalised = certificates.normalise_pem(text)
    assert normalised == valid_pem.strip() + "\n"
    assert "\r" not in normalised
    assert normalised.endswith("-----END CERTIFICATE-----\n")


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"])
def test_normalise_pem_is_idempotent(valid_pem, line_break):
    once = certificates.normalise_pem(valid_pem.replace("\n", line_break))
    assert certificates.normalise_pem(once) == once


@pytest.mark.parametrize("empty", [None, "", "  \r\n\n "])
def test_normalise_pem_of_nothing_is_empty(empty):
    assert certificates.normalise_pem(empty) == ""


# -- parse_certificate --------------------------------------------------------------------------

@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"])
def test_parse_certificate_accepts_exactly_one_certificate(valid_pem, line_break):
    cert = certificates.parse_certificate(valid_pem.replace("\n", line_break))
    assert cert.subject.rfc4514_string() == "CN=sqlmi-primary"
    assert cert.issuer.rfc4514_string() == "CN=Throwaway Test CA"


def test_parse_certificate_accepts_a_self_signed_certificate(certs):
    cert = certificates.parse_certificate(certs.certificate("self", self_signed=True))
    assert cert.subject == cert.issuer


@pytest.mark.parametrize("garbage", ["hello world", "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", "{}"])
def test_parse_certificate_refuses_text_that_is_not_pem(garbage):
    with pytest.raises(certificates.CertificateError) as raised:
        certificates.parse_certificate(garbage, what="remote_mirroring_cert")
    message = str(raised.value)
    assert message.startswith("remote_mirroring_cert is not PEM")
    assert garbage not in message


def test_parse_certificate_refuses_a_certificate_block_that_does_not_parse():
    text = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----\n"
    with pytest.raises(certificates.CertificateError) as raised:
        certificates.parse_certificate(text, what="remote_mirroring_cert")
    assert "remote_mirroring_cert does not parse as an X.509 certificate" in str(raised.value)
    assert "bm90IGEgY2VydGlmaWNhdGUgYXQgYWxs" not in str(raised.value)


@pytest.mark.parametrize("form", ["pkcs1", "pkcs8", "certificate and key"])
def test_parse_certificate_refuses_a_private_key_without_echoing_it(certs, valid_pem, form):
    key = certs.private_key() if form == "pkcs1" else certs.private_key_pkcs8()
    text = valid_pem + key if form == "certificate and key" else key
    with pytest.raises(certificates.CertificateError) as raised:
        certificates.parse_certificate(text, what="remote_mirroring_cert")
    message = str(raised.value)
    assert "PRIVATE KEY" in message and "remote_mirroring_cert" in message
    key_lines = _body_lines(key)
    assert len(key_lines) > 10
    for line in key_lines:
        assert line not in message
    # not even a fragment of the key material
    material = "".join(key_lines)
    for start in range(0, len(material) - 16, 16):
        assert material[start:start + 16] not in message


def test_parse_certificate_refuses_two_certificates(certs, valid_pem):
    other = certs.certificate("other")
    with pytest.raises(certificates.CertificateError) as raised:
        certificates.parse_certificate(valid_pem + other)
    assert str(raised.value) == "certificate must hold exactly one CERTIFICATE block, found: CERTIFICATE, CERTIFICATE"


def test_parse_certificate_refuses_a_public_key(certs):
    public = certs.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    with pytest.raises(certificates.CertificateError) as raised:
        certificates.parse_certificate(public)
    assert "found: PUBLIC KEY" in str(raised.value)


# -- describe / facts ---------------------------------------------------------------------------

def test_describe_reports_the_facts_a_playbook_checks(certs):
    pem = certs.certificate("sqlmi-dr", not_before_days=-2, not_after_days=10)
    cert = certificates.parse_certificate(pem)
    facts = certificates.describe(cert, now=NOW)
    expected_fingerprint = ":".join("%02X" % byte for byte in cert.fingerprint(hashes.SHA256()))
    assert facts == {
        "fingerprint_sha256": expected_fingerprint,
        "not_before": "2025-05-30T12:00:00Z",
        "not_after": "2025-06-11T12:00:00Z",
        "days_remaining": 10,
        "subject": "CN=sqlmi-dr",
        "issuer": "CN=Throwaway Test CA",
    }
    assert re.match(r"^([0-9A-F]{2}:){31}[0-9A-F]{2}$", facts["fingerprint_sha256"])


def test_fingerprint_does_not_depend_on_line_breaks(valid_pem):
    lf = certificates.parse_certificate(valid_pem)
    crlf = certificates.parse_certificate(valid_pem.replace("\n", "\r\n"))
    assert certificates.fingerprint_sha256(lf) == certificates.fingerprint_sha256(crlf)


def test_days_remaining_counts_whole_days(certs):
    cert = certificates.parse_certificate(certs.certificate("short", not_before_days=-1, not_after_days=4))
    assert certificates.describe(cert, now=NOW + datetime.timedelta(hours=1))["days_remaining"] == 3
    assert certificates.describe(cert, now=NOW)["days_remaining"] == 4


def test_facts_of_empty_text_is_none():
    assert certificates.facts("") is None
    assert certificates.facts(None) is None


def test_facts_of_a_bad_certificate_is_an_error_not_an_exception(certs):
    found = certificates.facts(certs.private_key())
    assert list(found) == ["error"]
    assert "PRIVATE KEY" in found["error"]
    assert _body_lines(certs.private_key())[1] not in found["error"]


def test_facts_of_a_good_certificate(valid_pem):
    found = certificates.facts(valid_pem.replace("\n", "\r\n"))
    assert found["subject"] == "CN=sqlmi-primary"
    assert found["issuer"] == "CN=Throwaway Test CA"


# -- validity_problem ---------------------------------------------------------------------------

def test_validity_problem_none_for_a_valid_certificate(valid_pem):
    cert = certificates.parse_certificate(valid_pem)
    assert certificates.validity_problem(cert, now=NOW) is None
    assert certificates.validity_problem(cert, min_days_valid=30, now=NOW) is None


def test_validity_problem_not_yet_valid(certs):
    cert = certificates.parse_certificate(certs.certificate("future", not_before_days=2, not_after_days=30))
    problem = certificates.validity_problem(cert, what="remote_mirroring_cert", now=NOW)
    assert problem == "remote_mirroring_cert is not valid before 2025-06-03T12:00:00Z"


def test_validity_problem_expired(certs):
    cert = certificates.parse_certificate(certs.certificate("old", not_before_days=-400, not_after_days=-1))
    problem = certificates.validity_problem(cert, what="remote_mirroring_cert", now=NOW)
    assert problem == "remote_mirroring_cert expired on 2025-05-31T12:00:00Z"


def test_validity_problem_expired_is_reported_even_with_min_days_valid(certs):
    cert = certificates.parse_certificate(certs.certificate("old", not_before_days=-400, not_after_days=-1))
    assert "expired on" in certificates.validity_problem(cert, min_days_valid=30, now=NOW)


def test_validity_problem_below_min_days_valid(certs):
    cert = certificates.parse_certificate(certs.certificate("soon", not_before_days=-355, not_after_days=10))
    problem = certificates.validity_problem(cert, min_days_valid=30, now=NOW)
    assert problem == ("certificate expires on 2025-06-11T12:00:00Z, in 10 days, sooner than min_days_valid=30")
    assert certificates.validity_problem(cert, min_days_valid=10, now=NOW) is None
    assert certificates.validity_problem(cert, min_days_valid=11, now=NOW) is not None
    assert certificates.validity_problem(cert, now=NOW) is None


def test_validity_problem_uses_the_current_time_by_default(certs):
    # expired on 2025-05-31: in the past for the real clock
    cert = certificates.parse_certificate(certs.certificate("old", not_before_days=-400, not_after_days=-1))
    assert "expired on" in certificates.validity_problem(cert)
