"""The seed document's walk-through (DESIGN.md 3.1, issue 4 item 1) as one playbook over both sites: the primary
instance (bc, 3 replicas) and the DR instance, both mirroring certificates to files, the DAG on both sites with the
seed's parameters. It ends with both sides Succeeded, Primary and Secondary; run again, it changes nothing and
writes nothing."""
from pathlib import Path

from .conftest import (ARC_GROUP, HOSTS, PARTNER, STEP_CERT, STEP_DAG, STEP_INSTANCE, collection_requests,
                       dag_summary, discovery_requests, module_tasks, seed_walkthrough, write_requests)


def test_seed_walkthrough_converges_and_a_second_run_writes_nothing(ansible, arc_sites, new_dr_pair, tmp_path):
    pair = new_dr_pair()
    playbook = seed_walkthrough(ansible, pair, tmp_path / "sqlcerts")

    first = ansible.run(playbook)
    assert first.rc == 0, first
    for host in HOSTS:
        for step in (STEP_INSTANCE, STEP_CERT, STEP_DAG):
            assert first.result(step, host)["changed"] is True, (step, host)

    # the instances as the seed creates them
    for host in HOSTS:
        instance = first.result(STEP_INSTANCE, host)
        assert instance["state"] == "Ready"
        stored = arc_sites.site(host).custom().get_namespaced_custom_object(
            ARC_GROUP, instance["api_version"], arc_sites.site(host).namespace, "sqlmanagedinstances",
            pair.instances[host])
        assert stored["spec"]["tier"] == "BusinessCritical" and stored["spec"]["replicas"] == 3
        expected_licence = "DisasterRecovery" if host == "secondary" else "LicenseIncluded"
        assert stored["spec"]["licenseType"] == expected_licence
        assert instance["mirroring_url"] == "tcp://" + stored["status"]["endpoints"]["mirroring"]

    # the certificates went to files, and each DAG side pins its partner's certificate and endpoint
    for host in HOSTS:
        cert = first.result(STEP_CERT, host)
        assert Path(cert["dest"]).read_text() == cert["certificate"]
        assert cert["certificate"].startswith("-----BEGIN CERTIFICATE-----\n") and "\r" not in cert["certificate"]
        assert cert["mirroring_url"] == first.result(STEP_INSTANCE, host)["mirroring_url"]
        partner_cert = first.result(STEP_CERT, PARTNER[host])
        dag = dag_summary(first, host)
        assert dag["dag_name"] == pair.dag_name
        assert (dag["local_instance"], dag["remote_instance"]) == (pair.instances[host], pair.instances[PARTNER[host]])
        assert dag["remote_mirroring_url"] == partner_cert["mirroring_url"]
        assert dag["partner_certificate"]["fingerprint_sha256"] == partner_cert["fingerprint_sha256"]

    # both sides Succeeded, connected, Primary / Secondary; arc_dag's own answer agrees with arc_dag_info
    for host, role in (("primary", "Primary"), ("secondary", "Secondary")):
        dag = dag_summary(first, host)
        assert (dag["role"], dag["state"], dag["health"], dag["connected"]) == (role, "Succeeded", "OK", True), dag
        created = first.result(STEP_DAG, host)
        assert (created["role"], created["state"], created["api_kind"]) == (role, "Succeeded", "FailoverGroup")
        assert created["previous_role"] is None and "failover" not in created

    marks = {host: arc_sites.site(host).audit_mark() for host in HOSTS}
    second = ansible.run(playbook)
    assert second.rc == 0, second
    assert [(t["host"], t["task"]) for t in second.changed()] == []
    assert len(second.tasks) == len(first.tasks)
    for host in HOSTS:
        requests = collection_requests(arc_sites.site(host).audit_since(marks[host]))
        assert requests, f"no request of the collection reached {host}"
        assert write_requests(requests) == [], f"the second run wrote to {host}"
        assert [e for e in requests if e["verb"] in ("create", "patch", "update", "delete")] == [], \
            "not even a dry run is needed when nothing changes"
        assert len(discovery_requests(requests)) <= len(module_tasks(second, host)), \
            [e["path"] for e in discovery_requests(requests)]
        assert dag_summary(second, host)["role"] == dag_summary(first, host)["role"]
