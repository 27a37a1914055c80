"""arc_dr_lock and arc_handover in direct connection mode, on a sandbox of their own started with --mode direct,
with the module defaults the roles use (the arc_connection filter over the inventory's variables): without a
kubeconfig the lock and the record are tags of the site's SQL managed instance resource in Azure (written by
PATCH, seen in the Azure audit log); with one, the lock stays a Lease on the Kubernetes side."""
import uuid
from pathlib import Path

import pytest
import yaml

from .test_direct_mode_sqlmi import DirectAnsible
from .conftest import own_sandbox

# the roles' module defaults (roles/*/tasks/main.yml) ...
WITH_KUBECONFIG = "{{ vars | arcdata.sqlmi.arc_connection }}"
# ... and the same without the kubeconfig options: an inventory of direct mode that gives none
WITHOUT_KUBECONFIG = ("{{ vars | arcdata.sqlmi.arc_connection | dict2items "
                      "| rejectattr('key', 'in', ['kubeconfig', 'context', 'namespace']) | items2dict }}")


class RecordsAnsible(DirectAnsible):
    def sandbox_resource_group(self, host="primary"):
        """The site's resource group, as the inventory the sandbox wrote names it."""
        inventory = yaml.safe_load(Path(self.inventory).read_text())
        pair = inventory["all"]["children"]["arc_dr_pairs"]["children"]["sandbox_pair"]
        return pair["hosts"][host]["arc_azure_resource_group"]

    def play(self, tasks, hosts="primary", name="test play", gather_facts=False, vars=None,  # noqa: A002
             defaults=WITHOUT_KUBECONFIG):
        return [{"name": name, "hosts": hosts, "gather_facts": gather_facts,
                 "module_defaults": {"group/arcdata.sqlmi.arc": defaults}, "vars": vars or {}, "tasks": tasks}]


@pytest.fixture(scope="module")
def direct_sites(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "direct-records", "--mode", "direct") as sites:
        yield sites


@pytest.fixture(scope="module")
def ansible(direct_sites, tmp_path_factory):
    return RecordsAnsible(direct_sites, tmp_path_factory.mktemp("records-ansible"))


@pytest.fixture(scope="module")
def instance(ansible):
    """The primary site's instance, created through Resource Manager: the resource that carries the tags."""
    name = "recprimary-%s" % uuid.uuid4().hex[:6]
    task = {"name": "instance", "arcdata.sqlmi.arc_sqlmi": {
        "name": name, "tier": "gp", "replicas": 1, "admin_username": "dbadmin",
        "admin_password": "Pw-%s!Zq" % uuid.uuid4().hex[:16], "wait_timeout": 60}}
    run = ansible.run(ansible.play([task]))
    assert run.rc == 0, run
    return name


def lock_task(name, holder, state="present", **extra):
    args = {"name": "arcdata-sqlmi-dr-dagtest", "holder": holder, "state": state, "instance": "{{ instance }}",
            "purpose": "planned failover of sandbox_pair", "duration": 60}
    args.update(extra)
    return {"name": name, "arcdata.sqlmi.arc_dr_lock": args, "ignore_errors": True}


def failed(run, task):
    return [t["outcome"] for t in run.results(task)] == ["failed"]


def patches(writes):
    return [e["method"] for e in writes]


def test_the_lock_is_a_tag_that_excludes_a_second_holder_until_released(ansible, instance):
    tasks = [lock_task("alice takes", "alice, run 1"), lock_task("bob is refused", "bob, run 2"),
             lock_task("alice releases", "alice, run 1", state="absent"), lock_task("bob takes", "bob, run 2"),
             lock_task("bob releases", "bob, run 2", state="absent")]
    run, writes = ansible.writes_during(ansible.play(tasks, vars={"instance": instance}))
    taken = run.result("alice takes")
    assert taken["changed"] and taken["lock"]["holder"] == "alice, run 1" and not taken["lock"]["expired"]
    assert taken["stored_in"] == ("DR lock arcdata-sqlmi-dr-dagtest (tag arcdata-sqlmi-dr-lock of SQL managed "
                                  "instance %s (resource group %s))" % (instance, ansible.sandbox_resource_group()))
    refused = run.result("bob is refused")
    assert failed(run, "bob is refused")
    assert "is held by 'alice, run 1' for planned failover of sandbox_pair" in refused["msg"]
    assert run.result("alice releases")["changed"]
    assert run.result("bob takes")["lock"]["holder"] == "bob, run 2"
    assert run.result("bob takes")["taken_over"] is None  # a released lock is simply taken
    # alice's take, alice's release, bob's take, bob's release: the refusal wrote nothing
    assert patches(writes) == ["PATCH"] * 4
    assert all(e["path"].endswith("/sqlManagedInstances/%s" % instance) for e in writes)


def test_check_mode_takes_no_lock(ansible, instance):
    run, writes = ansible.writes_during(ansible.play([lock_task("take", "carol, run 3")], vars={"instance": instance}),
                                        check=True)
    assert run.result("take")["changed"] and run.result("take")["lock"]["holder"] == "carol, run 3"
    assert writes == []


def test_without_instance_the_lock_fails_naming_the_option(ansible, instance):
    task = lock_task("take", "dave, run 4")
    del task["arcdata.sqlmi.arc_dr_lock"]["instance"]
    run, writes = ansible.writes_during(ansible.play([task]))
    assert failed(run, "take")
    assert run.result("take")["msg"].startswith("instance is not set: in direct connection mode without a kubeconfig")
    assert writes == []


def handover_task(name, mode, from_site, to_site, details="switched"):
    return {"name": name, "arcdata.sqlmi.arc_handover": {
        "name": "dagtest", "instance": "{{ instance }}", "mode": mode, "from_site": from_site, "to_site": to_site,
        "outcome": "succeeded", "operator": "dba alice", "job": "42", "details": details}}


def test_the_handover_record_is_a_tag_and_the_next_one_replaces_it(ansible, instance):
    tasks = [handover_task("planned", "planned", "primary", "secondary"),
             handover_task("failback", "failback", "secondary", "primary", details="x" * 400)]
    run, writes = ansible.writes_during(ansible.play(tasks, vars={"instance": instance}))
    assert run.rc == 0, run
    planned, failback = run.result("planned"), run.result("failback")
    assert planned["stored_in"] == "tag arcdata-sqlmi-handover of SQL managed instance %s (resource group %s)" % (
        instance, ansible.sandbox_resource_group())
    assert failback["previous"] == planned["record"]  # read back from the tag, whole
    assert failback["record"]["details"] == "x" * 400  # the module returns what it was given; the tag keeps less
    assert patches(writes) == ["PATCH", "PATCH"]


def test_with_a_kubeconfig_the_lock_stays_a_lease_in_direct_mode(ansible, instance):
    tasks = [lock_task("take", "erin, run 5"), lock_task("release", "erin, run 5", state="absent")]
    run, writes = ansible.writes_during(ansible.play(tasks, vars={"instance": instance}, defaults=WITH_KUBECONFIG))
    assert run.rc == 0, run
    assert run.result("take")["stored_in"].startswith("Lease ")
    assert run.result("take")["lock"]["holder"] == "erin, run 5"
    assert writes == []  # nothing written in Azure
