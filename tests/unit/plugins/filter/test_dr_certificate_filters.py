# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the DR filters say about mirroring certificates over time: one expiring soon or already expired
(`certificates`), a DAG side pinning a partner certificate that was rotated since (`pinned`), and the certificate
facts of a site's status line (dr_site_summary)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.filter import dr

OLD = "AA:" * 31 + "AA"
NEW = "BB:" * 31 + "BB"


def cert(days, fingerprint=NEW, not_after="2030-01-01T00:00:00Z"):
    return {"fingerprint_sha256": fingerprint, "not_after": not_after, "days_remaining": days}


def site(name, instance_cert=None, pinned=None, partner=None):
    """A site report: its instance `sql<name>` with `instance_cert`, and a DAG resource pinning `pinned` for
    partner instance `sql<partner>` (no DAG resource when `partner` is None)."""
    dag = None
    if partner:
        dag = {"name": "dag" + name, "remote_instance": "sql" + partner,
               "partner_certificate": {"fingerprint_sha256": pinned} if pinned else None}
    return {"site": name, "instance_name": "sql" + name, "reachable": True,
            "instance": {"name": "sql" + name, "certificate": instance_cert}, "dag": dag}


def pair(primary_cert, secondary_cert, primary_pins, secondary_pins):
    return [site("primary", primary_cert, primary_pins, "secondary"),
            site("secondary", secondary_cert, secondary_pins, "primary")]


@pytest.mark.parametrize("days, expected", [
    (30, []),
    (29, ["site primary (sqlprimary): its mirroring certificate expires on 2030-01-01T00:00:00Z, in 29 days "
          "(fewer than 30)"]),
    (0, ["site primary (sqlprimary): its mirroring certificate expires on 2030-01-01T00:00:00Z, in 0 days "
         "(fewer than 30)"]),
])
def test_a_certificate_expiring_within_the_minimum(days, expected):
    assert dr.dr_site_problems([site("primary", cert(days))], checks=["certificates"], min_cert_days=30) == expected


def test_a_minimum_given_as_text_counts_as_its_number():
    # ansible-core 2.16 renders a role variable templated on its own as text: "{{ dr_certificates_min_days }}" is "7"
    sites = [site("primary", cert(6)), site("secondary", cert(7))]
    assert dr.dr_site_problems(sites, checks=["certificates"], min_cert_days="7") == \
        dr.dr_site_problems(sites, checks=["certificates"], min_cert_days=7) == \
        ["site primary (sqlprimary): its mirroring certificate expires on 2030-01-01T00:00:00Z, in 6 days "
         "(fewer than 7)"]


def test_an_expired_certificate_is_reported_in_the_same_words_whatever_the_minimum():
    sites = [site("primary", cert(-2, not_after="2024-05-01T00:00:00Z"))]
    expired = ["site primary (sqlprimary): its mirroring certificate expired on 2024-05-01T00:00:00Z: every new "
               "mirroring connection is refused"]
    # dr_status takes the warnings (minimum 30) less the problems (minimum 0): an expired one is only a problem
    assert dr.dr_site_problems(sites, checks=["certificates"]) == expired
    assert dr.dr_site_problems(sites, checks=["certificates"], min_cert_days=30) == expired


def test_a_side_pinning_a_rotated_partner_certificate():
    found = dr.dr_site_problems(pair(cert(900, OLD), cert(900, NEW), primary_pins=OLD, secondary_pins=OLD),
                                checks=["pinned"])
    assert found == ["site primary (sqlprimary): DAG resource dagprimary pins a certificate of partner instance "
                     "sqlsecondary (SHA-256 %s) that is not the one it presents now (%s): the partner's certificate "
                     "was rotated; run dr_setup to pin the new one" % (OLD, NEW)]


@pytest.mark.parametrize("sites", [
    pair(cert(900, OLD), cert(900, NEW), primary_pins=NEW, secondary_pins=OLD),  # both current
    pair(cert(900, OLD), None, primary_pins=OLD, secondary_pins=OLD),  # the partner's certificate is unknown
    pair(cert(900, OLD), cert(900, NEW), primary_pins=None, secondary_pins=OLD),  # nothing pinned
    [site("primary", cert(900, OLD)), site("secondary", cert(900, NEW))],  # no DAG resources yet
])
def test_nothing_pinned_or_nothing_known_is_no_rotation(sites):
    assert dr.dr_site_problems(sites, checks=["pinned"]) == []


def test_the_pinned_check_is_not_run_unless_asked():
    sites = pair(cert(900, OLD), cert(900, NEW), primary_pins=OLD, secondary_pins=OLD)
    assert dr.dr_site_problems(sites, checks=["certificates"]) == []


def test_a_site_summary_carries_its_certificate_expiry_and_what_it_pins():
    sites = pair(cert(19, OLD, "2030-01-20T00:00:00Z"), cert(900, NEW), primary_pins=OLD, secondary_pins=OLD)
    instances = [s["instance"] for s in sites]
    line = dr.dr_site_summary(sites[0], instances)
    assert {key: line[key] for key in ("certificate_not_after", "certificate_days_remaining",
                                       "certificate_fingerprint_sha256", "pinned_partner_certificate_sha256",
                                       "pinned_partner_certificate_current")} == {
        "certificate_not_after": "2030-01-20T00:00:00Z", "certificate_days_remaining": 19,
        "certificate_fingerprint_sha256": OLD, "pinned_partner_certificate_sha256": OLD,
        "pinned_partner_certificate_current": False}
    assert dr.dr_site_summary(sites[1], instances)["pinned_partner_certificate_current"] is True


def test_a_site_without_an_instance_has_no_certificate_facts():
    line = dr.dr_site_summary({"site": "primary", "instance": None, "dag": None}, [None])
    assert (line["certificate_not_after"], line["certificate_days_remaining"],
            line["pinned_partner_certificate_current"]) == (None, None, None)
