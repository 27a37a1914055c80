"""A rotated mirroring certificate: the partner that still pins the old one is refused, the pair
reports why, and pinning the new certificate reconnects it without recreating anything; and a
rotation with a short validity, the sandbox's way to show a certificate near its end."""
import datetime
import uuid

from cryptography import x509

from tests.sandbox.conftest import run_cli

from .conftest import GROUP, SQLMI, Instance, Pair, wait_for


def test_a_rotated_certificate_breaks_the_link_until_the_partner_pins_the_new_one(arc):
    pair = Pair(arc).setup()
    dr = pair.instances["secondary"]
    old_certificate = dr.certificate
    run_cli(arc.runtime_dir, "rotate-cert", "--site", "secondary", "--instance", dr.name)
    new_certificate = wait_for(lambda: dr.certificate != old_certificate and dr.certificate,
                               what="a new certificate in the DR instance's status")
    assert "BEGIN CERTIFICATE" in new_certificate and dr.status()["state"] == "Ready"

    def refused():
        status = pair.dags["primary"].status()
        return status.get("healthState") != "OK" and "certificate" in (status.get("results") or "") and status
    status = wait_for(refused, what="the primary side to report the certificate problem")
    assert status["replicas"][1]["connectedState"] == "DISCONNECTED"

    pair.dags["primary"].patch(partnerMirroringCert=new_certificate)  # what re-running dr_setup does
    pair.wait_connected()


def _published(instance):
    return x509.load_pem_x509_certificate(instance.certificate.encode())


def _days_left(cert):
    return (cert.not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)) / datetime.timedelta(days=1)


def test_rotate_cert_valid_days_issues_a_short_lived_certificate_and_a_plain_rotation_restores_five_years(arc):
    instance = Instance(arc.site("secondary"), f"sqlshort-{uuid.uuid4().hex[:6]}")
    instance.create("DisasterRecovery")
    instance.wait_ready()
    try:
        original = _published(instance)
        assert _days_left(original) > 5 * 365 - 1

        result = run_cli(arc.runtime_dir, "rotate-cert", "--site", "secondary", "--instance", instance.name,
                         "--valid-days", "3")
        assert "valid 3 days" in result.stdout, result.stdout
        short = wait_for(lambda: (cert := _published(instance)) != original and cert,
                         what="the short-lived certificate in the instance's status")
        assert 2.9 < _days_left(short) <= 3, short.not_valid_after_utc
        # still the site's Cluster CA issuing Arc's certificate, only its life is shorter
        assert short.issuer == original.issuer and short.subject == original.subject
        assert short.public_key().public_numbers() != original.public_key().public_numbers()

        run_cli(arc.runtime_dir, "rotate-cert", "--site", "secondary", "--instance", instance.name)
        renewed = wait_for(lambda: (cert := _published(instance)) != short and cert,
                           what="the renewed certificate in the instance's status")
        assert _days_left(renewed) > 5 * 365 - 1, renewed.not_valid_after_utc
    finally:
        site = instance.site
        instance.api.delete_namespaced_custom_object(GROUP, SQLMI[1], site.namespace, SQLMI[0], instance.name)
        site.core().delete_namespaced_secret(f"{instance.name}-login-secret", site.namespace)


def test_rotate_cert_refuses_a_validity_below_one_day(arc):
    refused = run_cli(arc.runtime_dir, "rotate-cert", "--site", "secondary", "--instance", "any",
                      "--valid-days", "0", check=False)
    assert refused.returncode != 0
    assert "--valid-days must be at least 1, got 0" in refused.stderr + refused.stdout
