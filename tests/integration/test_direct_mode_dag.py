"""arc_dag, arc_dag_info and arc_site_info in direct connection mode, on a sandbox of their own started with
--mode direct: the seed's order (instances, certificates, the primary's side, then the secondary's) through Azure
Resource Manager with the inventory's Azure variables, as a user's playbook does it; the Azure audit log tells which
writes the modules made, and each site's Kubernetes audit that no FailoverGroup was written there by the collection.

The tests of this file run in order on one pair: set-up, idempotence, check mode, planned failover, forced failover
with the primary's site killed, deletion of both sides; the bad inputs use names of their own."""
import json
import uuid

import pytest

from sandbox.arm.files import azure_files

from .conftest import MODULE_DEFAULTS, collection_requests, own_sandbox, write_requests
from .test_direct_mode_sqlmi import DirectAnsible

PARTNER = "{{ 'secondary' if inventory_hostname == 'primary' else 'primary' }}"


@pytest.fixture(scope="module")
def direct_sites(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "direct-dag", "--mode", "direct") as sites:
        yield sites


@pytest.fixture(scope="module")
def ansible(direct_sites, tmp_path_factory):
    return DirectAnsible(direct_sites, tmp_path_factory.mktemp("direct-dag-ansible"))


@pytest.fixture(scope="module")
def cert_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("direct-dag-certs")


@pytest.fixture(scope="module")
def pair(ansible, cert_dir):
    """Both instances through arc_sqlmi (the DR one with disaster_recovery_site), their certificates through
    arc_mirroring_cert, then arc_dag on the primary site and on the secondary site, default options."""
    tag = uuid.uuid4().hex[:6]
    names = {"primary": "dgprimary-%s" % tag, "secondary": "dgsecondary-%s" % tag}
    facts = {"names": names, "fog": "fog-%s" % tag, "dag_name": "dag-%s" % tag,
             "password": "Pw-%s!Zq" % uuid.uuid4().hex[:16], "cert_dir": str(cert_dir)}
    tasks = [instance_task(), cert_task(),
             dict(dag_task(), name="primary side", when="inventory_hostname == 'primary'"),
             dict(dag_task(), name="secondary side", when="inventory_hostname == 'secondary'"),
             info_task(wait=True, wait_condition="connected", wait_timeout=60)]
    run, writes = ansible.writes_during(ansible.play(tasks, hosts="primary:secondary", vars=facts))
    facts.update(run=run, writes=writes)
    return facts


def play_vars(pair):
    return dict((key, pair[key]) for key in ("names", "fog", "dag_name", "password", "cert_dir"))


def instance_task():
    return {"name": "instance", "arcdata.sqlmi.arc_sqlmi": {
        "name": "{{ names[inventory_hostname] }}", "tier": "bc", "replicas": 3,
        "disaster_recovery_site": "{{ inventory_hostname == 'secondary' }}", "admin_username": "dbadmin",
        "admin_password": "{{ password }}", "wait_timeout": 60}}


def cert_task():
    return {"name": "cert", "register": "mirroring", "arcdata.sqlmi.arc_mirroring_cert": {
        "name": "{{ names[inventory_hostname] }}", "dest": "{{ cert_dir }}/{{ names[inventory_hostname] }}.pem"}}


def dag_task(**extra):
    """The seed's `dag create` through Resource Manager: the partner instance in its own resource group, its URL
    from its arc_mirroring_cert result and its certificate from the file that wrote."""
    args = {"name": "{{ fog }}", "dag_name": "{{ dag_name }}", "local_instance": "{{ names[inventory_hostname] }}",
            "remote_instance": "{{ names[partner] }}",
            "partner_resource_group": "{{ hostvars[partner].arc_azure_resource_group }}",
            "remote_mirroring_url": "{{ hostvars[partner].mirroring.mirroring_url }}",
            "remote_mirroring_cert_file": "{{ cert_dir }}/{{ names[partner] }}.pem",
            "role": "{{ 'primary' if inventory_hostname == 'primary' else 'secondary' }}", "wait_timeout": 60}
    args.update(extra)
    return {"name": "dag", "arcdata.sqlmi.arc_dag": args, "vars": {"partner": PARTNER}}


def info_task(**extra):
    args = {"name": "{{ fog }}", "local_instance": "{{ names[inventory_hostname] }}"}
    args.update(extra)
    return {"name": "info", "arcdata.sqlmi.arc_dag_info": args}


def role_task(role, **extra):
    """A role change on one side: only the failover group's name and instance, and the role."""
    args = {"name": "{{ fog }}", "local_instance": "{{ names[inventory_hostname] }}", "role": role,
            "wait_timeout": 60}
    args.update(extra)
    return {"name": "role", "arcdata.sqlmi.arc_dag": args}


def roles_now(ansible, pair, **info):
    run = ansible.run(ansible.play([info_task(**info)], hosts="primary:secondary", vars=play_vars(pair)))
    assert run.rc == 0, run
    return dict((host, run.result("info", host)["dags"][0]) for host in ("primary", "secondary"))


def test_the_seed_order_through_resource_manager_converges(pair, direct_sites):
    run = pair["run"]
    assert run.rc == 0, run
    primary, secondary = run.result("primary side", "primary"), run.result("secondary side", "secondary")
    for result, host in ((primary, "primary"), (secondary, "secondary")):
        assert result["changed"] and result["connection_mode"] == "direct"
        assert result["provisioning_state"] == "Succeeded"
        assert result["resource_id"].endswith("/sqlManagedInstances/%s/failoverGroups/%s" % (
            pair["names"][host], pair["fog"]))
        # the custom resource behind it has a generated name, not the ARM name
        assert result["resource"]["metadata"]["crName"] != pair["fog"]
    dags = dict((host, run.result("info", host)["dags"][0]) for host in ("primary", "secondary"))
    assert (dags["primary"]["role"], dags["secondary"]["role"]) == ("Primary", "Secondary")
    for host, summary in dags.items():
        assert summary["state"] == "Succeeded" and summary["linked"] is not False
        assert summary["dag_name"] == pair["dag_name"] and summary["handover"] is None
        assert summary["remote_instance"] == pair["names"]["secondary" if host == "primary" else "primary"]
    fog_writes = [e for e in pair["writes"] if "/failoverGroups/" in e["path"]]
    assert sorted(e["method"] for e in fog_writes) == ["PUT", "PUT"]


def test_no_failover_group_is_written_through_the_kubernetes_api(pair, direct_sites):
    for host in ("primary", "secondary"):
        site = direct_sites.site(host)
        written = [e for e in collection_requests(write_requests(site.audit())) if "failovergroups" in e["path"]]
        assert written == []


def test_a_second_run_writes_nothing(ansible, pair):
    tasks = [cert_task(), dict(dag_task(), name="again")]
    run, writes = ansible.writes_during(ansible.play(tasks, hosts="primary:secondary", vars=play_vars(pair)))
    assert run.rc == 0, run
    assert not [t for t in run.changed() if t["task"] == "again"]
    assert writes == []


def test_site_info_reads_the_instance_and_its_failover_group(ansible, pair):
    task = {"name": "site", "arcdata.sqlmi.arc_site_info": {"instance": "{{ names[inventory_hostname] }}",
                                                            "dag_resource": "{{ fog }}"}}
    run = ansible.run(ansible.play([task], hosts="primary:secondary", vars=play_vars(pair)))
    assert run.rc == 0, run
    for host, role in (("primary", "Primary"), ("secondary", "Secondary")):
        result = run.result("site", host)
        assert result["data_controller"] == {"usable": True, "problem": None}
        assert result["instance"]["name"] == pair["names"][host]
        assert result["dag"]["role"] == role and result["api_kind"] == "FailoverGroup"


def test_check_mode_sends_nothing_and_shows_the_put(ansible, pair):
    run, writes = ansible.writes_during(ansible.play([role_task("secondary")], vars=play_vars(pair)), check=True,
                                        diff=True)
    assert run.rc == 0, run
    result = run.result("role", "primary")
    assert result["changed"]
    request = result["arm_request"]
    assert request["method"] == "PUT" and request["sent"] is False
    assert request["body"]["properties"]["spec"]["role"] == "secondary"
    assert request["body"]["properties"]["partnerManagedInstanceId"].endswith(pair["names"]["secondary"])
    assert writes == []
    assert roles_now(ansible, pair)["primary"]["role"] == "Primary"


def test_primary_on_update_is_refused_before_any_write(ansible, pair):
    run, writes = ansible.writes_during(ansible.play([role_task("primary")], hosts="secondary",
                                                     vars=play_vars(pair)))
    assert run.rc != 0
    message = run.result("role", "secondary")["msg"]
    assert "role=primary cannot be set on an existing resource" in message, message
    assert writes == []


def test_a_planned_failover_returns_once_the_partner_is_primary(ansible, pair):
    run, writes = ansible.writes_during(ansible.play([role_task("secondary")], vars=play_vars(pair)))
    assert run.rc == 0, run
    result = run.result("role", "primary")
    assert result["role"] == "Secondary" and result["previous_role"] == "Primary"
    assert result["failover"]["action"] == "planned failover"
    assert [(e["method"], "/failoverGroups/" in e["path"]) for e in writes] == [("PUT", True)]
    roles = roles_now(ansible, pair, wait=True, wait_condition="synchronized", wait_timeout=60)
    assert (roles["primary"]["role"], roles["secondary"]["role"]) == ("Secondary", "Primary")


def test_a_forced_failover_with_the_primary_site_killed(ansible, pair, direct_sites):
    """After the planned failover the secondary site is the primary: it is lost, and the other side is forced."""
    direct_sites.kill("secondary")
    try:
        run = ansible.run(ansible.play([role_task("force-primary-allow-data-loss")], vars=play_vars(pair)))
    finally:
        direct_sites.start("secondary")
    assert run.rc == 0, run
    result = run.result("role", "primary")
    assert result["role"] == "Primary" and result["failover"]["action"] == "forced failover"


def test_deleting_both_sides(ansible, pair):
    task = {"name": "delete", "arcdata.sqlmi.arc_dag": {
        "name": "{{ fog }}", "local_instance": "{{ names[inventory_hostname] }}", "state": "absent",
        "remote_instance": "{{ names.secondary }}", "delete_partner_side": True,
        "partner_resource_group": "{{ hostvars.secondary.arc_azure_resource_group }}"}}
    checked, check_writes = ansible.writes_during(ansible.play([task], vars=play_vars(pair)), check=True)
    assert checked.rc == 0, checked
    assert checked.result("delete", "primary")["arm_request"]["method"] == "DELETE"
    assert check_writes == []
    run, writes = ansible.writes_during(ansible.play([task], vars=play_vars(pair)))
    assert run.rc == 0, run
    result = run.result("delete", "primary")
    assert result["changed"] and result["partner_side"]["deleted"] is True
    assert sorted(e["method"] for e in writes) == ["DELETE", "DELETE"]
    listed = ansible.run(ansible.play([info_task(name=None)], hosts="primary:secondary", vars=play_vars(pair)))
    assert listed.rc == 0, listed
    assert [listed.result("info", host)["dags"] for host in ("primary", "secondary")] == [[], []]
    again, more = ansible.writes_during(ansible.play([task], vars=play_vars(pair)))
    assert again.rc == 0 and not again.result("delete", "primary")["changed"] and more == []


def test_a_missing_partner_instance_fails_before_any_write(ansible, pair):
    task = dict(dag_task(name="fog-bad-%s" % uuid.uuid4().hex[:6], remote_instance="no-such-instance",
                         remote_mirroring_url=None, remote_mirroring_cert_file=None), name="bad")
    run, writes = ansible.writes_during(ansible.play([task], vars=play_vars(pair)))
    assert run.rc != 0
    message = run.result("bad", "primary")["msg"]
    assert "remote_instance 'no-such-instance' does not exist" in message and "partner_resource_group" in message
    assert writes == []


def test_indirect_mode_on_a_direct_mode_site_is_refused_with_the_arm_way(ansible, pair, direct_sites):
    play = [{"name": "indirect", "hosts": "primary", "gather_facts": False, "module_defaults": MODULE_DEFAULTS,
             "vars": play_vars(pair), "tasks": [dict(dag_task(name="fog-k8s-%s" % uuid.uuid4().hex[:6],
                                                              connection_mode="indirect", partner_resource_group=None,
                                                              remote_mirroring_url="tcp://10.0.0.1:5022"),
                                                     name="k8s")]}]
    site = direct_sites.site("primary")
    mark = site.audit_mark()
    run = ansible.run(play)
    assert run.rc != 0
    message = run.result("k8s", "primary")["msg"]
    for phrase in ("direct connection mode", "connection_mode: direct", "az sql instance-failover-group-arc create"):
        assert phrase in message, message
    assert collection_requests(write_requests(site.audit_since(mark))) == []


def test_a_reader_gets_the_403_naming_the_action(ansible, pair, direct_sites):
    reader = json.loads(azure_files(direct_sites.runtime_dir).principals.read_text())["reader"]
    task = dict(dag_task(name="fog-reader-%s" % uuid.uuid4().hex[:6], client_id=reader["client_id"],
                         secret=reader["secret"], remote_mirroring_url=None, remote_mirroring_cert_file=None),
                name="reader")
    run, writes = ansible.writes_during(ansible.play([task], vars=play_vars(pair)))
    assert run.rc != 0
    message = run.result("reader", "primary")["msg"]
    assert "Microsoft.AzureArcData/sqlManagedInstances/failoverGroups/write" in message, message
    assert "extensions/azure/arcdata-sqlmi-role.json" in message
    assert writes == []
