"""arc_sqlmi, arc_sqlmi_info and arc_mirroring_cert in direct connection mode, on a sandbox of their own started
with --mode direct: the modules reach the sites through the sandbox's Azure Resource Manager with the inventory's
Azure variables, as a user's playbook does; the Azure audit log tells which requests they made."""
import json
import uuid

import pytest

from sandbox.arm.files import azure_files

from .conftest import Ansible, own_sandbox

ARM_WRITES = ("PUT", "PATCH", "DELETE", "POST")
# the inventory's direct-mode host vars as the Azure options (no kubeconfig: direct mode needs none)
AZURE_DEFAULTS = {"connection_mode": "direct", "subscription_id": "{{ arc_azure_subscription_id }}",
                  "resource_group": "{{ arc_azure_resource_group }}",
                  "custom_location": "{{ arc_azure_custom_location }}", "client_id": "{{ arc_azure_client_id }}",
                  "secret": "{{ arc_azure_secret }}", "tenant": "{{ arc_azure_tenant }}",
                  "cloud_environment": "{{ arc_azure_cloud_environment }}", "ca_bundle": "{{ arc_azure_ca_bundle }}"}


class DirectAnsible(Ansible):
    """Plays whose module defaults are the Azure options, not the kubeconfig."""

    def play(self, tasks, hosts="primary", name="test play", gather_facts=False, vars=None):  # noqa: A002
        return [{"name": name, "hosts": hosts, "gather_facts": gather_facts,
                 "module_defaults": {"group/arcdata.sqlmi.arc": AZURE_DEFAULTS}, "vars": vars or {}, "tasks": tasks}]

    def audit(self):
        path = azure_files(self.sandbox.runtime_dir).audit_log
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def writes_during(self, *args, **kwargs):
        """(Run, the Resource Manager writes it made that ARM accepted)."""
        before = len(self.audit())
        run = self.run(*args, **kwargs)
        return run, [e for e in self.audit()[before:] if e["method"] in ARM_WRITES and e["status"] < 400
                     and e["path"].lower().startswith("/subscriptions/")]  # not the token requests


@pytest.fixture(scope="module")
def direct_sites(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "direct-sqlmi", "--mode", "direct") as sites:
        yield sites


@pytest.fixture(scope="module")
def ansible(direct_sites, tmp_path_factory):
    return DirectAnsible(direct_sites, tmp_path_factory.mktemp("direct-ansible"))


@pytest.fixture(scope="module")
def pair(ansible):
    """Both instances created through ARM (the DR one with disaster_recovery_site), Ready."""
    tag = uuid.uuid4().hex[:6]
    names = {"primary": "dmprimary-%s" % tag, "secondary": "dmsecondary-%s" % tag}
    password = "Pw-%s!Zq" % uuid.uuid4().hex[:16]
    run, writes = ansible.writes_during(ansible.play([instance_task()], hosts="primary:secondary",
                                                     vars={"names": names, "password": password}))
    return {"names": names, "password": password, "run": run, "writes": writes}


def instance_task(**extra):
    args = {"name": "{{ names[inventory_hostname] }}", "tier": "bc", "replicas": 3,
            "disaster_recovery_site": "{{ inventory_hostname == 'secondary' }}", "admin_username": "dbadmin",
            "admin_password": "{{ password }}", "wait_timeout": 60}
    args.update(extra)
    return {"name": "instance", "arcdata.sqlmi.arc_sqlmi": args}


def play_vars(pair):
    return {"names": pair["names"], "password": pair["password"]}


def test_both_instances_are_created_through_arm_and_ready(pair, direct_sites):
    run = pair["run"]
    assert run.rc == 0, run
    for host in ("primary", "secondary"):
        result = run.result("instance", host)
        assert result["changed"] and result["state"] == "Ready"
        assert result["summary"]["ready"] is True
        assert result["mirroring_url"].startswith("tcp://")
        assert result["resource_id"].endswith("/sqlManagedInstances/%s" % pair["names"][host])
        assert "basicLoginInformation" not in result["instance"]["properties"]
    assert run.result("instance", "secondary")["summary"]["license_type"] == "DisasterRecovery"
    assert run.result("instance", "primary")["summary"]["license_type"] == "LicenseIncluded"
    assert sorted(e["method"] for e in pair["writes"]) == ["PUT", "PUT"]


def test_a_second_run_writes_nothing(ansible, pair):
    run, writes = ansible.writes_during(ansible.play([instance_task()], hosts="primary:secondary",
                                                     vars=play_vars(pair)))
    assert run.rc == 0, run
    assert not run.changed()
    assert writes == []


def test_check_mode_sends_no_write_and_says_what_it_would_send(ansible, pair):
    run, writes = ansible.writes_during(ansible.play([instance_task(license_type="BasePrice",
                                                                    disaster_recovery_site=False)],
                                                     vars=play_vars(pair)), check=True, diff=True)
    assert run.rc == 0, run
    result = run.result("instance", "primary")
    assert result["changed"]
    request = result["arm_request"]
    assert request["method"] == "PUT" and request["sent"] is False
    assert request["body"]["properties"]["licenseType"] == "BasePrice"
    assert writes == []


def test_a_licence_change_is_one_put(ansible, pair):
    run, writes = ansible.writes_during(ansible.play([instance_task(license_type="BasePrice",
                                                                    disaster_recovery_site=False)],
                                                     vars=play_vars(pair)))
    assert run.rc == 0, run
    assert run.result("instance", "primary")["summary"]["license_type"] == "BasePrice"
    assert [e["method"] for e in writes] == ["PUT"]


def test_the_mirroring_certificate_and_the_list_come_from_arm(ansible, pair, tmp_path):
    dest = str(tmp_path / "{{ inventory_hostname }}.pem")
    tasks = [{"name": "cert", "arcdata.sqlmi.arc_mirroring_cert": {"name": "{{ names[inventory_hostname] }}", "dest": dest}},
             {"name": "info", "arcdata.sqlmi.arc_sqlmi_info": {}}]
    run = ansible.run(ansible.play(tasks, hosts="primary:secondary", vars=play_vars(pair)))
    assert run.rc == 0, run
    for host in ("primary", "secondary"):
        cert = run.result("cert", host)
        assert cert["certificate"].startswith("-----BEGIN CERTIFICATE-----")
        assert (tmp_path / ("%s.pem" % host)).read_text() == cert["certificate"]
        assert cert["mirroring_url"].startswith("tcp://")
        listed = [i["name"] for i in run.result("info", host)["instances"]]
        assert pair["names"][host] in listed


BAD_INPUTS = [
    ({"subscription_id": "00000000-0000-0000-0000-000000000000"},
     ["subscription_id", "00000000-0000-0000-0000-000000000000", "az account list"]),
    ({"resource_group": "no-such-group"}, ["resource_group", "'no-such-group'", "az group list"]),
    ({"custom_location": "no-such-location"}, ["custom_location", "'no-such-location'", "az customlocation list"]),
    ({"client_id": "", "secret": "", "tenant": "", "subscription_id": "", "auth_source": "env"},
     ["auth_source=env", "AZURE_CLIENT_ID"]),
    ({"arm_api_version": "2019-01-01"}, ["2019-01-01", "arm_api_version"]),
]


@pytest.mark.parametrize("options,phrases", BAD_INPUTS, ids=["subscription", "resource-group", "custom-location",
                                                             "credentials", "api-version"])
def test_bad_input_fails_before_any_write(ansible, options, phrases):
    task = instance_task(name="dmbad-%s" % uuid.uuid4().hex[:6], **options)
    run, writes = ansible.writes_during(ansible.play([task], vars={"names": {}, "password": "Pw-Bad-12345!"}),
                                        env={"AZURE_SUBSCRIPTION_ID": "", "AZURE_CLIENT_ID": ""})
    assert run.rc != 0
    message = run.result("instance", "primary")["msg"]
    for phrase in phrases:
        assert phrase in message, message
    assert writes == []


def test_a_principal_without_rights_gets_the_action_and_the_role(ansible, direct_sites):
    principals = json.loads(azure_files(direct_sites.runtime_dir).principals.read_text())
    reader = principals["reader"]
    task = instance_task(name="dmreader-%s" % uuid.uuid4().hex[:6], client_id=reader["client_id"],
                         secret=reader["secret"])
    run, writes = ansible.writes_during(ansible.play([task], vars={"names": {}, "password": "Pw-Bad-12345!"}))
    assert run.rc != 0
    message = run.result("instance", "primary")["msg"]
    assert "Microsoft.AzureArcData/sqlManagedInstances/write" in message, message
    assert "extensions/azure/arcdata-sqlmi-role.json" in message
    assert writes == []


def test_verbose_diff_output_shows_no_client_secret_or_password(ansible, pair, direct_sites):
    principals = json.loads(azure_files(direct_sites.runtime_dir).principals.read_text())
    secret = principals["operator"]["secret"]
    run = ansible.run(ansible.play([instance_task(license_type="LicenseIncluded", disaster_recovery_site=False)],
                                   vars=play_vars(pair)), diff=True, verbosity=3)
    assert run.rc == 0, run
    output = run.stdout + run.stderr + json.dumps(run.tasks)
    assert secret not in output
    assert pair["password"] not in output
