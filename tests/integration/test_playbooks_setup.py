"""The dr_setup playbook (issue 5) on fresh pairs of the shared sandbox, run as `ansible-playbook
arcdata.sqlmi.dr_setup` with an inventory in the collection's model: it sets a pair up (the DR instance with the
DR licence, both DAG sides Succeeded and connected), a second run changes and writes nothing, check mode predicts
and stores nothing, and a preflight mismatch stops it before the DAG exists. A rotated certificate, repaired by running
it again, is in test_certificates_over_time.py."""
import pytest

from .conftest import HOSTS
from .dr_playbooks import (PlaybookPairs, audit_marks, collection_since, collection_writes_since, connected,
                           dag_object, failed_messages, instance_object, workflow_artifacts)

DR_SETUP = "arcdata.sqlmi.dr_setup"
DR_TEARDOWN = "arcdata.sqlmi.dr_teardown"
CREATE_INSTANCE = "Create or update this site's instance and wait until it is Ready for its generation"
ROLES = {"primary": "Primary", "secondary": "Secondary"}


@pytest.fixture
def pairs(arc_sites, tmp_path):
    made = PlaybookPairs(arc_sites, tmp_path)
    yield made
    made.remove_all()


def _assert_set_up(sites, pair):
    """Both DAG sides as stored: the pair's DAG name, Succeeded for the generation they carry, connected, with the
    roles of the setup; the DR instance has the DR licence, the primary's does not."""
    for site in HOSTS:
        obj = dag_object(sites, pair, site)
        assert obj is not None, f"no DAG resource {pair.dags[site]} on {site}"
        status = obj["status"]
        assert (status.get("role"), status.get("state")) == (ROLES[site], "Succeeded"), status
        assert status.get("observedGeneration") == obj["metadata"]["generation"], status
        assert connected(obj), status
        assert obj["spec"]["sharedName"] == pair.dag_name
    assert instance_object(sites, pair, "secondary")["spec"]["licenseType"] == "DisasterRecovery"
    assert instance_object(sites, pair, "primary")["spec"].get("licenseType") != "DisasterRecovery"


def test_dr_setup_sets_up_a_pair_then_changes_and_writes_nothing(ansible, arc_sites, pairs):
    pair = pairs.new()
    inventory = pairs.inventory(pair)
    first = ansible.run(DR_SETUP, inventory=inventory)
    assert first.rc == 0, first
    _assert_set_up(arc_sites, pair)
    assert {t["host"] for t in first.results(CREATE_INSTANCE) if t["result"].get("changed")} == set(HOSTS)
    # what an AWX workflow sees: each site's DAG side, pinning the partner's certificate
    sides = workflow_artifacts(first)["dr_setup"][pair.group]
    assert {site: (sides[site]["role"], sides[site]["state"], sides[site]["connected"]) for site in HOSTS} == \
        {site: (ROLES[site], "Succeeded", True) for site in HOSTS}, sides
    assert {site: sides[site]["dag_resource"] for site in HOSTS} == pair.dags
    assert all(len(sides[site]["partner_certificate_sha256"]) >= 64 for site in HOSTS), sides

    marks = audit_marks(arc_sites)
    second = ansible.run(DR_SETUP, inventory=inventory)
    assert second.rc == 0, second
    assert [(t["host"], t["task"]) for t in second.changed()] == []
    assert collection_writes_since(arc_sites, marks) == {"primary": [], "secondary": []}
    assert all(collection_since(arc_sites, marks).values()), "the second run did not even read the sites"
    _assert_set_up(arc_sites, pair)
    # a pair set up as asked is read once per site (one module run each, the first check's) and left alone, and
    # says so; AWX still gets the same artifact
    module_runs = sorted((t["host"], t["action"]) for t in second.tasks
                         if t["action"].startswith("arcdata.sqlmi.") and t["outcome"] != "skipped")
    assert module_runs == [(site, "arcdata.sqlmi.arc_site_info") for site in HOSTS], module_runs
    assert f"DR pair {pair.group}: already set up as asked" in second.stdout, second
    assert workflow_artifacts(second)["dr_setup"][pair.group] == sides

    # a new requested spec is something to do: the run goes through the roles and updates both instances
    pair.spec["memory_limit"] = "8Gi"
    third = ansible.run(DR_SETUP, inventory=pairs.inventory(pair))
    assert third.rc == 0, third
    assert {t["host"] for t in third.results(CREATE_INSTANCE) if t["result"].get("changed")} == set(HOSTS), third
    for site in HOSTS:
        limits = instance_object(arc_sites, pair, site)["spec"]["scheduling"]["default"]["resources"]["limits"]
        assert limits["memory"] == "8Gi", limits
    _assert_set_up(arc_sites, pair)

    # dr_teardown refuses without its confirmation, then removes the DAG resources and the instances
    marks = audit_marks(arc_sites)
    refused = ansible.run(DR_TEARDOWN, inventory=inventory, extra_vars={"dr_teardown_instances": True})
    assert refused.rc != 0, refused
    assert "dr_teardown_confirm" in failed_messages(refused) and pair.dag_name in failed_messages(refused)
    assert collection_writes_since(arc_sites, marks) == {"primary": [], "secondary": []}
    removed = ansible.run(DR_TEARDOWN, inventory=inventory,
                          extra_vars={"dr_teardown_confirm": pair.dag_name, "dr_teardown_instances": True})
    assert removed.rc == 0, removed
    assert workflow_artifacts(removed)["dr_teardown"][pair.group] == {
        site: {"dag_resource": pair.dags[site], "dag_removed": True, "instance": pair.instances[site],
               "instance_removed": True} for site in HOSTS}
    for site in HOSTS:
        assert dag_object(arc_sites, pair, site) is None
        assert instance_object(arc_sites, pair, site) is None


def test_dr_setup_in_check_mode_predicts_the_instances_and_stores_nothing(ansible, arc_sites, pairs):
    pair = pairs.new()
    marks = audit_marks(arc_sites)
    run = ansible.run(DR_SETUP, inventory=pairs.inventory(pair), check=True)
    assert run.rc == 0, run
    for site in HOSTS:
        assert run.result(CREATE_INSTANCE, site)["changed"] is True
        assert instance_object(arc_sites, pair, site) is None
        assert dag_object(arc_sites, pair, site) is None
    assert collection_writes_since(arc_sites, marks) == {"primary": [], "secondary": []}
    for requests in collection_since(arc_sites, marks).values():  # the creation was sent, as a dry run
        dry_runs = [r["verb"] for r in requests if r.get("dry_run") and r["resource"] == "sqlmanagedinstances"]
        assert dry_runs == ["create"], requests


def test_a_preflight_mismatch_stops_dr_setup_before_the_dag(ansible, arc_sites, pairs):
    pair = pairs.new()
    # the DR site's instance is given more memory than the primary's (a host var overrides the pair's spec)
    pair.host_vars["secondary"]["arc_instance_spec"] = dict(pair.spec, memory_limit="8Gi")
    marks = audit_marks(arc_sites)
    run = ansible.run(DR_SETUP, inventory=pairs.inventory(pair))
    assert run.rc != 0, run
    message = failed_messages(run)
    assert "memory limit differs" in message, message
    for expected in ("site primary", pair.instances["primary"], "site secondary", pair.instances["secondary"],
                     pair.spec["memory_limit"], "8Gi"):
        assert expected in message, (expected, message)
    for site in HOSTS:
        assert dag_object(arc_sites, pair, site) is None
        dag_writes = [r for r in collection_writes_since(arc_sites, marks)[site]
                      if r["resource"].startswith(("failovergroups", "dags"))]
        assert dag_writes == []
