# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mirroring certificates: normalise, parse, and describe them, carefully.

Arc publishes `status.highAvailability.mirroringCertificate` with CRLF line breaks, and users paste
certificates from files with any line endings; comparisons and fingerprints need one form. Input
that is not exactly one X.509 certificate is refused, and since a private key pasted by mistake is
a secret, no message ever quotes what it was given.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module with missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")


class CertificateError(ValueError):
    """The text is not a usable certificate; the message never contains the text itself."""


def normalise_pem(text):
    """One PEM form for comparing: LF line breaks, no surrounding blank space, one final newline."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    return text + "\n" if text else ""


def parse_certificate(text, what="certificate"):
    """The one X.509 certificate in `text`; CertificateError naming what was found otherwise."""
    pem = normalise_pem(text)
    blocks = PEM_BLOCK.findall(pem)
    if not blocks:
        raise CertificateError("%s is not PEM: expected one '-----BEGIN CERTIFICATE-----' block" % what)
    if any("PRIVATE KEY" in block for block in blocks):
        raise CertificateError("%s contains a PRIVATE KEY block (its content is not shown): give the partner's "
                               "public certificate, never a private key" % what)
    if blocks != ["CERTIFICATE"]:
        raise CertificateError("%s must hold exactly one CERTIFICATE block, found: %s" % (what, ", ".join(blocks)))
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise CertificateError("%s does not parse as an X.509 certificate: %s" % (what, exc))


def _utc(value):
    return value.replace(tzinfo=datetime.timezone.utc) if value.tzinfo is None else value


def _not_before(cert):
    return _utc(getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before)


def _not_after(cert):
    return _utc(getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after)


# Arc's mirroring certificates name their instance in DNS SANs: <instance>-svc, <instance>-svc.<ns>.svc, ...
INSTANCE_SERVICE_SUFFIX = "-svc"


def instance_names(cert):
    """The Arc instances a mirroring certificate was issued to, read from its `<instance>-svc` DNS names;
    empty when it names none (a certificate not issued by an Arc data controller)."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    found = []
    for dns_name in names.get_values_for_type(x509.DNSName):
        label = dns_name.split(".")[0]
        if label.endswith(INSTANCE_SERVICE_SUFFIX) and len(label) > len(INSTANCE_SERVICE_SUFFIX):
            instance = label[:-len(INSTANCE_SERVICE_SUFFIX)]
            if instance not in found:
                found.append(instance)
    return found


def fingerprint_sha256(cert):
    digest = cert.fingerprint(hashes.SHA256())
    return ":".join("%02X" % byte for byte in bytearray(digest))


def describe(cert, now=None):
    """The facts a playbook checks: fingerprint, validity window, days left, subject, issuer."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    not_after = _not_after(cert)
    return {
        "fingerprint_sha256": fingerprint_sha256(cert),
        "not_before": _not_before(cert).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "not_after": not_after.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "days_remaining": int((not_after - now).total_seconds() // 86400),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
    }


def facts(text):
    """describe() of the certificate in `text`, {"error": why} when it is not one, None when empty."""
    if not text:
        return None
    try:
        return describe(parse_certificate(text))
    except CertificateError as exc:
        return {"error": str(exc)}


def validity_problem(cert, min_days_valid=0, what="certificate", now=None):
    """Why the certificate cannot be used now (or for `min_days_valid` more days), or None."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    facts = describe(cert, now)
    if _not_before(cert) > now:
        return "%s is not valid before %s" % (what, facts["not_before"])
    if _not_after(cert) <= now:
        return "%s expired on %s" % (what, facts["not_after"])
    if facts["days_remaining"] < min_days_valid:
        return "%s expires on %s, in %d days, sooner than min_days_valid=%d" % (
            what, facts["not_after"], facts["days_remaining"], min_days_valid)
    return None
