"""A rotated mirroring certificate: the partner that still pins the old one is refused, the pair
reports why, and pinning the new certificate reconnects it without recreating anything."""
from tests.sandbox.conftest import run_cli

from .conftest import Pair, wait_for


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
