"""Certificates over time (issue 6, item 6), on one DR pair that dr_setup set up, through the playbooks a user runs:
a rotated certificate is detected by dr_status (report and summary) and repaired by running dr_setup again; a
certificate expiring within 30 days is a warning in dr_setup's output and in the status report, and dr_setup still
completes; one expiring within the minimum (dr_certificates_min_days, the playbook's one minimum) stops dr_setup with
the site, instance, expiry date and days left before anything is written to either site. Real Arc certificates last
5 years: `rotate-cert --valid-days N` is the sandbox's way to give an instance one near its end.

The tests share the pair and run in order (each rotates a certificate of it); rotating one instance's certificate
touches nothing else, so they use the session's sandbox."""
import datetime
import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.sandbox.conftest import run_cli

from .conftest import Ansible, wait_for_object
from .dr_playbooks import (PlaybookPairs, audit_marks, collection_writes_since, connected, dag_object,
                           failed_messages, instance_object, wait_for_dag)

DR_SETUP = "arcdata.sqlmi.dr_setup"
DR_STATUS = "arcdata.sqlmi.dr_status"
SUMMARY = "Summarise the pair"
SET_STATS = "Return the summary for AWX workflows (set_stats)"
UPDATE_PRIMARY_DAG = "Create or update the DAG resource on the primary site first"
UPDATE_SECONDARY_DAG = "Create or update the DAG resource on the secondary site"
NO_WRITES = {"primary": [], "secondary": []}
PARTNER = {"primary": "secondary", "secondary": "primary"}
# a few playbook runs each (the first test also sets the pair up), on a machine that other test runs share
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def cert_pair(arc_sites, tmp_path_factory):
    """One pair set up by dr_setup, shared by the tests of this module, and its inventory."""
    workdir = tmp_path_factory.mktemp("certificates-over-time")
    made = PlaybookPairs(arc_sites, workdir)
    pair = made.new("cert")
    inventory = made.inventory(pair)
    setup = Ansible(arc_sites, workdir).run(DR_SETUP, inventory=inventory)
    assert setup.rc == 0, setup
    yield pair, inventory
    made.remove_all()


def _certificate(pem):
    return x509.load_pem_x509_certificate(pem.replace("\r\n", "\n").encode())


def _current(sites, pair, site):
    """The mirroring certificate the site's instance presents now (from its status)."""
    return _certificate(instance_object(sites, pair, site)["status"]["highAvailability"]["mirroringCertificate"])


def _pinned(sites, pair, site):
    """The partner certificate the site's DAG resource pins."""
    return _certificate(dag_object(sites, pair, site)["spec"]["partnerMirroringCert"])


def _fingerprint(cert):
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _expiry(cert):
    """The expiry date and whole days left, as the collection states them."""
    not_after = cert.not_valid_after_utc
    days = int((not_after - datetime.datetime.now(datetime.timezone.utc)).total_seconds() // 86400)
    return not_after.strftime("%Y-%m-%dT%H:%M:%SZ"), days


def _rotate(sites, pair, site, *valid_days):
    """Rotate the site's mirroring certificate with the sandbox command; returns the new one once published."""
    old = _current(sites, pair, site)
    run_cli(sites.runtime_dir, "rotate-cert", "--site", site, "--instance", pair.instances[site], *valid_days)
    wait_for_object(sites.site(site), "sqlmanagedinstances", pair.instances[site],
                    lambda obj: _certificate(obj["status"]["highAvailability"]["mirroringCertificate"]) != old,
                    version="v13")
    return _current(sites, pair, site)


def _status(ansible, inventory, reports):
    """Run dr_status; returns (summary fact, set_stats data of the pair, Markdown report, HTML report)."""
    run = ansible.run(DR_STATUS, inventory=inventory, env={"ARC_DR_REPORT_DIR": str(reports)})
    summary = run.result(SUMMARY, "primary")["ansible_facts"]["dr_status_summary"]
    stats = run.result(SET_STATS, "primary")["ansible_stats"]["data"]["dr_status"][summary["pair"]]
    return run, summary, stats, (reports / f"{summary['pair']}.md").read_text(), \
        (reports / f"{summary['pair']}.html").read_text()


def _certificate_row(markdown, site):
    """The site's line of the report's certificate table (the one with an expiry date column)."""
    header = markdown.index("| site | instance | expires (UTC)")
    rows = [line for line in markdown[header:].splitlines() if line.startswith(f"| {site} |")]
    assert rows, markdown
    return rows[0]


def _assert_pins_current_certificates(sites, pair):
    """Both DAG sides connected again, each pinning the certificate its partner presents now."""
    for site in ("primary", "secondary"):
        wait_for_dag(sites, pair, site, connected)
        assert _fingerprint(_pinned(sites, pair, site)) == _fingerprint(_current(sites, pair, PARTNER[site])), site


def test_a_rotated_certificate_is_detected_by_dr_status_and_repaired_by_dr_setup(
        ansible, arc_sites, cert_pair, tmp_path):
    pair, inventory = cert_pair
    old = _pinned(arc_sites, pair, "primary")
    new = _rotate(arc_sites, pair, "secondary")
    assert _fingerprint(new) != _fingerprint(old)
    wait_for_dag(arc_sites, pair, "primary", lambda obj: not connected(obj))  # it still pins the old certificate

    run, summary, stats, markdown, html = _status(ansible, inventory, tmp_path / "reports")
    assert run.rc == 0, run  # one primary: a rotated certificate is reported, not a reason to fail
    by_site = {s["site"]: s for s in stats["sites"]}
    assert by_site["primary"]["pinned_partner_certificate_current"] is False, stats
    assert by_site["primary"]["pinned_partner_certificate_sha256"] == _fingerprint(old), stats
    assert by_site["secondary"]["certificate_fingerprint_sha256"] == _fingerprint(new), stats
    assert by_site["secondary"]["pinned_partner_certificate_current"] is True, stats
    rotated = [p for p in stats["problems"] if "rotated" in p]
    assert len(rotated) == 1, stats["problems"]
    for expected in ("site primary", pair.dags["primary"], pair.instances["secondary"], _fingerprint(old),
                     _fingerprint(new), "run dr_setup"):
        assert expected in rotated[0], (expected, rotated[0])
    assert stats == summary
    assert "NO (the partner rotated its certificate)" in _certificate_row(markdown, "primary"), markdown
    assert rotated[0] in markdown and "NO (the partner rotated its certificate)" in html

    repair = ansible.run(DR_SETUP, inventory=inventory)
    assert repair.rc == 0, repair
    assert repair.result(UPDATE_PRIMARY_DAG, "primary")["changed"] is True
    assert repair.result(UPDATE_SECONDARY_DAG, "secondary")["changed"] is False  # its partner did not change
    _assert_pins_current_certificates(arc_sites, pair)


def test_a_certificate_expiring_within_30_days_warns_and_dr_setup_completes(
        ansible, arc_sites, cert_pair, tmp_path):
    pair, inventory = cert_pair
    short = _rotate(arc_sites, pair, "primary", "--valid-days", "20")
    not_after, days = _expiry(short)
    assert days == 19  # 20 days from issue, less the seconds since

    setup = ansible.run(DR_SETUP, inventory=inventory)
    assert setup.rc == 0, setup
    output = setup.stdout + setup.stderr
    warnings = [line for line in re.split(r"\n(?=\S)", output) if "[WARNING]" in line and not_after in line]
    assert len(warnings) == 1, output[-4000:]
    for expected in (pair.instances["primary"], f"in {days} days", "warn_days_valid=30"):
        assert expected in warnings[0], (expected, warnings[0])
    assert setup.result(UPDATE_SECONDARY_DAG, "secondary")["changed"] is True  # it pins the short-lived one now
    _assert_pins_current_certificates(arc_sites, pair)

    run, summary, stats, markdown, html = _status(ansible, inventory, tmp_path / "reports")
    assert run.rc == 0, run
    assert stats["problems"] == [], stats  # the rotation of the first test is repaired as well
    assert len(stats["warnings"]) == 1, stats["warnings"]
    for expected in ("site primary", pair.instances["primary"], not_after, f"in {days} days"):
        assert expected in stats["warnings"][0], (expected, stats["warnings"])
    primary = next(s for s in stats["sites"] if s["site"] == "primary")
    assert (primary["certificate_not_after"], primary["certificate_days_remaining"]) == (not_after, days), primary
    row = _certificate_row(markdown, "primary")
    assert not_after in row and f"| {days} WARNING |" in row, row
    assert "WARNING" not in _certificate_row(markdown, "secondary"), markdown
    assert stats["warnings"][0] in markdown and not_after in html and f"{days} WARNING" in html
    assert any(stats["warnings"][0] in line for line in run.stdout.splitlines()), run.stdout[-3000:]


def test_a_certificate_expiring_within_the_minimum_stops_dr_setup_before_any_write(
        ansible, arc_sites, cert_pair, tmp_path):
    pair, inventory = cert_pair
    short = _rotate(arc_sites, pair, "secondary", "--valid-days", "3")
    not_after, days = _expiry(short)
    wait_for_dag(arc_sites, pair, "primary", lambda obj: not connected(obj))
    marks = audit_marks(arc_sites)

    refused = ansible.run(DR_SETUP, inventory=inventory, extra_vars={"dr_certificates_min_days": 7})
    assert refused.rc != 0, refused
    message = failed_messages(refused)
    for expected in ("site secondary", pair.instances["secondary"], not_after, f"in {days} days"):
        assert expected in message, (expected, message)
    assert {t["host"] for t in refused.failed()} == {"primary", "secondary"}, refused.failed()
    assert collection_writes_since(arc_sites, marks) == NO_WRITES
    assert _fingerprint(_pinned(arc_sites, pair, "primary")) != _fingerprint(short)

    # the role on its own (as molecule and a user's own playbook run it): both sites stop, naming the short one
    role = ansible.run(ansible.play([{"ansible.builtin.include_role": {"name": "arcdata.sqlmi.dr_certificates"}}],
                                    hosts=pair.group), inventory=inventory, extra_vars={"dr_certificates_min_days": 7})
    assert role.rc != 0, role
    assert {t["host"] for t in role.failed()} == {"primary", "secondary"}, role.failed()
    for failure in role.failed():
        text = failure["result"]["msg"]
        for expected in (f"site secondary (instance {pair.instances['secondary']})", not_after, f"in {days} days",
                         "dr_certificates_min_days=7", "nothing is written"):
            assert expected in text, (expected, text)
    assert collection_writes_since(arc_sites, marks) == NO_WRITES

    # a user who accepts the short certificate lowers the one minimum the playbook has, and dr_setup pins it
    accepted = ansible.run(DR_SETUP, inventory=inventory, extra_vars={"dr_certificates_min_days": days})
    assert accepted.rc == 0, accepted
    _assert_pins_current_certificates(arc_sites, pair)

    run, summary, stats, markdown, html = _status(ansible, inventory, tmp_path / "reports")
    row = _certificate_row(markdown, "secondary")
    assert not_after in row and f"| {days} WARNING |" in row, row
    assert any(pair.instances["secondary"] in w and not_after in w for w in stats["warnings"]), stats["warnings"]
    assert stats["problems"] == [], stats["problems"]
