"""The seed's walk-through in check mode (issue 4 item 2): every creating task predicts its change, the API
validates every write as a dry run, and nothing is stored.

In check mode nothing exists, so the DR site's certificate and mirroring URL are not there to read: the
walk-through's instance tasks are run in check mode as a user runs them (the certificate step then fails, and
says why), and, separately, the DAG tasks are run in check mode between two real instances with their real
certificates."""
import time

from kubernetes.client.rest import ApiException

from .conftest import (ARC_GROUP, HOSTS, PARTNER, STEP_CERT, STEP_DAG, STEP_INSTANCE, collection_requests,
                       dag_task, seed_walkthrough, write_requests)


def _marks(arc_sites):
    return {host: arc_sites.site(host).audit_mark() for host in HOSTS}


def _requests(arc_sites, marks, host):
    return collection_requests(arc_sites.site(host).audit_since(marks[host]))


def _exists(read):
    try:
        read()
    except ApiException as exc:
        assert exc.status == 404, exc
        return False
    return True


def test_walkthrough_in_check_mode_predicts_the_instances_and_stores_nothing(
        ansible, arc_sites, new_dr_pair, tmp_path):
    pair = new_dr_pair("chk")
    marks = _marks(arc_sites)
    run = ansible.run(seed_walkthrough(ansible, pair, tmp_path / "sqlcerts"), check=True, diff=True)

    for host in HOSTS:
        result = run.result(STEP_INSTANCE, host)
        assert result["changed"] is True, result
        # the instance the API accepted in a dry run, not one that is Ready: nothing runs
        assert result["state"] in (None, ""), result["state"]
        spec = result["instance"]["spec"]
        assert (spec["tier"], spec["replicas"]) == ("BusinessCritical", 3)
        assert spec["licenseType"] == ("DisasterRecovery" if host == "secondary" else "LicenseIncluded")
        assert result["diff"]["after"]["spec"]["licenseType"] == spec["licenseType"]
        assert pair.admin_password not in run.stdout

        # step 3 has nothing to read yet: it says so (a warning naming the instance, namespace and site)
        # and returns no certificate, instead of failing the whole check-mode run
        cert = run.result(STEP_CERT, host)
        site = arc_sites.site(host)
        assert cert["certificate"] is None and cert["mirroring_url"] is None, cert
        warning = " ".join(cert.get("warnings") or [])
        assert "does not exist" in warning and f"{site.namespace}/{pair.instances[host]}" in warning, warning
        assert site.context in warning
        # step 4 cannot be predicted without the partner's certificate file: it names what it lacks
        failure = run.result(STEP_DAG, host)
        assert "remote_mirroring_cert_file" in failure["msg"] and "cannot be read" in failure["msg"], failure
    assert sorted((t["host"], t["task"]) for t in run.failed()) == [(host, STEP_DAG) for host in HOSTS]

    for host in HOSTS:
        requests = _requests(arc_sites, marks, host)
        writes = [e for e in requests if e["verb"] in ("create", "patch", "update", "delete")]
        assert sorted(e["resource"] for e in writes) == ["secrets", "sqlmanagedinstances"], writes
        assert all(e["dry_run"] for e in writes) and write_requests(requests) == []
        site = arc_sites.site(host)
        assert not _exists(lambda: site.custom().get_namespaced_custom_object(
            ARC_GROUP, "v13", site.namespace, "sqlmanagedinstances", pair.instances[host]))
        assert not _exists(lambda: site.core().read_namespaced_secret(
            f"{pair.instances[host]}-login-secret", site.namespace))
    assert not list((tmp_path / "sqlcerts").iterdir())


def test_dag_in_check_mode_between_real_instances_predicts_and_stores_nothing(
        ansible, arc_sites, new_dr_pair, tmp_path):
    pair = new_dr_pair("chkdag")
    playbook = seed_walkthrough(ansible, pair, tmp_path / "sqlcerts")
    assert [t["name"] for t in playbook[0]["tasks"][:2]] == [STEP_INSTANCE, STEP_CERT]
    setup = ansible.run([dict(playbook[0], tasks=playbook[0]["tasks"][:2])])  # the instances, for real
    assert setup.rc == 0, setup
    certificates = {host: setup.result(STEP_CERT, host) for host in HOSTS}

    # the partner's known-good certificate passed as PEM text; wait left at its default: check mode must not wait
    task = dag_task(remote_mirroring_url="{{ dr_urls[dr_partner] }}", wait_timeout=60)
    arguments = task["arcdata.sqlmi.arc_dag"]
    del arguments["remote_mirroring_cert_file"]
    arguments["remote_mirroring_cert"] = "{{ dr_certificates[dr_partner] }}"
    play_vars = dict(pair.play_vars(tmp_path / "sqlcerts"),
                     dr_urls={host: certificates[host]["mirroring_url"] for host in HOSTS},
                     dr_certificates={host: certificates[host]["certificate"] for host in HOSTS})
    marks = _marks(arc_sites)
    started = time.monotonic()
    run = ansible.run(ansible.play([task], hosts="primary:secondary", vars=play_vars), check=True, diff=True)
    assert run.rc == 0, run
    assert time.monotonic() - started < 30, "check mode waited for a DAG that cannot connect"

    for host in HOSTS:
        result = run.result(STEP_DAG, host)
        assert result["changed"] is True, result
        assert result["role"] in (None, "") and result["previous_role"] is None and "failover" not in result
        assert result["api_kind"] == "FailoverGroup"
        spec = result["resource"]["spec"]
        assert (spec["sharedName"], spec["sourceMI"], spec["partnerMI"]) == \
            (pair.dag_name, pair.instances[host], pair.instances[PARTNER[host]])
        assert spec["role"] == ("primary" if host == "primary" else "secondary")
        assert spec["partnerMirroringURL"] == certificates[PARTNER[host]]["mirroring_url"]
        # the diff names the partner's certificate by its fingerprint
        after = result["diff"]["after"]
        assert after["partnerMirroringCert"] == "certificate " + certificates[PARTNER[host]]["fingerprint_sha256"]

        requests = _requests(arc_sites, marks, host)
        writes = [e for e in requests if e["verb"] in ("create", "patch", "update", "delete")]
        assert [(e["verb"], e["resource"], e["dry_run"]) for e in writes] == [("create", "failovergroups", True)]
        assert [e for e in requests if e["verb"] == "watch"] == []
        site = arc_sites.site(host)
        assert not _exists(lambda: site.custom().get_namespaced_custom_object(
            ARC_GROUP, "v2", site.namespace, "failovergroups", pair.dags[host]))
