# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A partner certificate Arc issued to another instance than remote_instance is refused before any write: Arc's
mirroring certificates name their instance in DNS names (<instance>-svc, <instance>-svc.<ns>.svc, ...)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.arcdata.sqlmi.plugins.module_utils import certificates, dag_spec

KEY = ec.generate_private_key(ec.SECP256R1())


def arc_certificate(instance=None, namespace="arc"):
    """A mirroring certificate as an Arc data controller issues it (CN=dbm, the instance's -svc DNS names), or
    one without DNS names when `instance` is None."""
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dbm")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(KEY.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=30)))
    if instance:
        names = ["%s-svc" % instance, "%s-svc.%s.svc" % (instance, namespace),
                 "%s-svc.%s.svc.cluster.local" % (instance, namespace)]
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    return builder.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def params(cert, **overrides):
    values = {"name": "dagprimary", "dag_name": "dagtest", "local_instance": "sqlprimary",
              "remote_instance": "sqlsecondary", "remote_mirroring_url": "tcp://10.20.5.20:5022",
              "remote_mirroring_cert": cert, "role": "primary", "sync_mode": None}
    values.update(overrides)
    return values


@pytest.mark.parametrize("instance", ["sqlsecondary", "my-svc", "a"])
def test_instance_names_come_from_the_svc_dns_names(instance):
    cert = certificates.parse_certificate(arc_certificate(instance))
    assert certificates.instance_names(cert) == [instance]


def test_a_certificate_without_dns_names_names_no_instance():
    assert certificates.instance_names(certificates.parse_certificate(arc_certificate())) == []


def test_the_partners_own_certificate_passes():
    assert dag_spec.problems(params(arc_certificate("sqlsecondary")), True, "FailoverGroup") == []


def test_a_certificate_naming_no_instance_is_not_judged():
    assert dag_spec.problems(params(arc_certificate()), True, "FailoverGroup") == []


def test_this_sites_own_certificate_is_refused_as_a_swap():
    found = dag_spec.problems(params(arc_certificate("sqlprimary")), True, "FailoverGroup")
    assert found == ["remote_mirroring_cert is the mirroring certificate of local_instance 'sqlprimary', this site's "
                     "own (DNS name 'sqlprimary-svc'): give the certificate of remote_instance 'sqlsecondary', "
                     "which the partner site publishes"]


def test_a_third_instances_certificate_is_refused_naming_both():
    found = dag_spec.problems(params(arc_certificate("sqlother"), remote_mirroring_cert_file="/tmp/x.pem"), False,
                              "Dag")
    assert len(found) == 1
    assert found[0].startswith("remote_mirroring_cert_file '/tmp/x.pem' is the mirroring certificate of instance "
                               "'sqlother' (DNS name 'sqlother-svc'), not of remote_instance 'sqlsecondary'")


def test_no_judgement_without_a_certificate_or_a_remote_instance():
    assert dag_spec.certificate_owner_problem(params(None)) is None
    assert dag_spec.certificate_owner_problem(params(arc_certificate("x"), remote_instance=None)) is None
    assert dag_spec.certificate_owner_problem(params("not a certificate")) is None
