"""status.highAvailability of a Ready instance, per controller behaviour: a real Ready instance was seen
with healthState Error and replicas [] (emulator-audit #11, the observed-2022 profile); the rich profile
reports Healthy and the contained AG's replicas. A mixed pair runs one of each."""
import uuid

import pytest

from tests.sandbox.conftest import SandboxHandle, run_cli

from .conftest import TIMINGS, Instance


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """The primary site's controller as observed in 2022, the secondary's rich."""
    runtime_dir = tmp_path_factory.mktemp("arc-ha-detail")
    run_cli(runtime_dir, "up", "--api-port", "0", *TIMINGS, "--behaviour", "primary=observed-2022,secondary=rich")
    try:
        yield SandboxHandle(runtime_dir)
    finally:
        run_cli(runtime_dir, "down", check=False)


def ready_instance(site, **spec):
    instance = Instance(site, f"ha-{uuid.uuid4().hex[:6]}")
    instance.create(**spec)
    return instance.wait_ready()


def test_a_ready_instance_without_ha_detail_reports_error_and_no_replicas(mixed):
    obj = ready_instance(mixed.site("primary"))
    status = obj["status"]
    assert status["state"] == "Ready" and status["observedGeneration"] == obj["metadata"]["generation"]
    ha = status["highAvailability"]
    assert ha["healthState"] == "Error" and ha["replicas"] == []
    assert "BEGIN CERTIFICATE" in ha["mirroringCertificate"]  # the certificate is published all the same
    assert status["roles"]["sql"] == {"replicas": 3, "readyReplicas": 3}


def test_a_ready_instance_with_ha_detail_reports_healthy_replicas(mixed):
    obj = ready_instance(mixed.site("secondary"), readableSecondaries=1)
    ha = obj["status"]["highAvailability"]
    assert ha["healthState"] == "Healthy" and "message" not in ha
    assert [(r["replicaName"], r["role"], r["synchronizationState"], r["secondaryRoleAllowConnections"])
            for r in ha["replicas"]] == [
        (f"{obj['metadata']['name']}-0", "PRIMARY", "HEALTHY", "ALL"),
        (f"{obj['metadata']['name']}-1", "SECONDARY", "HEALTHY", "ALL"),
        (f"{obj['metadata']['name']}-2", "SECONDARY", "HEALTHY", "NO")]


def test_each_site_reports_its_behaviour(mixed):
    sites = mixed.report["sites"]
    assert {name: site.get("behaviour") for name, site in sites.items()} == {
        "primary": "observed-2022", "secondary": "rich"}
