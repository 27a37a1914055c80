"""The seed document's era (issue 4 item 5): on sites started with `--profile 2022-01`, which serve the retired
Dag resource (spec.input.*) instead of FailoverGroup, the walk-through and a planned failover work unchanged,
the kind detected automatically."""
import pytest


from .conftest import (ARC_GROUP, HOSTS, PARTNER, STEP_DAG, STEP_DAG_INFO, Ansible, DrPair,
                       collection_requests, dag_summary, discovery_requests, module_tasks, own_sandbox,
                       seed_walkthrough, write_requests)

FAILOVER = "Planned failover of this site's DAG resource"
PARTNER_INFO = "Read the partner's DAG resource"


@pytest.fixture(scope="module")
def sites_2022(tmp_path_factory):
    """Both sites of the 2022-01 profile, with controllers and fast timings, for this module only."""
    with own_sandbox(tmp_path_factory, "sandbox-2022-01", "--profile", "2022-01") as sites:
        yield sites


@pytest.fixture
def ansible_2022(sites_2022, tmp_path):
    return Ansible(sites_2022, tmp_path)


def _stored(sites, pair, host):
    site = sites.site(host)
    return site.custom().get_namespaced_custom_object(ARC_GROUP, "v1beta2", site.namespace, "dags", pair.dags[host])


def _planned_failover(ansible, pair, host):
    return ansible.run(
        ansible.play([{"name": FAILOVER, "arcdata.sqlmi.arc_dag": {"name": pair.dags[host], "role": "secondary"}}],
                     hosts=host)
        + ansible.play([{"name": PARTNER_INFO, "arcdata.sqlmi.arc_dag_info": {"name": pair.dags[PARTNER[host]]}}],
                       hosts=PARTNER[host]))


def test_walkthrough_and_planned_failover_on_the_2022_dag_resource(ansible_2022, sites_2022, tmp_path):
    assert sites_2022.report["profile"] == "2022-01"
    pair = DrPair("legacy")
    playbook = seed_walkthrough(ansible_2022, pair, tmp_path / "sqlcerts")
    first = ansible_2022.run(playbook)
    assert first.rc == 0, first
    for host, role in (("primary", "Primary"), ("secondary", "Secondary")):
        created = first.result(STEP_DAG, host)
        assert (created["changed"], created["api_kind"], created["api_version"]) == (True, "Dag", "v1beta2")
        assert (created["role"], created["state"]) == (role, "Succeeded")
        dag = dag_summary(first, host)
        assert (dag["role"], dag["state"], dag["connected"]) == (role, "Succeeded", True), dag
        assert first.result(STEP_DAG_INFO, host)["api_kind"] == "Dag"
        stored = _stored(sites_2022, pair, host)["spec"]["input"]  # the seed era's field names
        assert (stored["dagName"], stored["localName"], stored["remoteName"]) == \
            (pair.dag_name, pair.instances[host], pair.instances[PARTNER[host]])
        assert stored["role"] == role.lower()

    marks = {host: sites_2022.site(host).audit_mark() for host in HOSTS}
    second = ansible_2022.run(playbook)
    assert second.rc == 0, second
    assert second.changed() == []
    for host in HOSTS:
        requests = collection_requests(sites_2022.site(host).audit_since(marks[host]))
        assert requests and write_requests(requests) == []
        assert len(discovery_requests(requests)) <= len(module_tasks(second, host))

    for host in ("primary", "secondary"):  # the failover, then the failback
        before = _stored(sites_2022, pair, host)
        run = _planned_failover(ansible_2022, pair, host)
        assert run.rc == 0, run
        result = run.result(FAILOVER, host)
        assert (result["changed"], result["api_kind"]) == (True, "Dag")
        assert (result["role"], result["previous_role"], result["state"]) == ("Secondary", "Primary", "Succeeded")
        assert result["failover"]["action"] == "planned failover"
        generation = result["resource"]["metadata"]["generation"]
        assert generation == before["metadata"]["generation"] + 1
        assert result["resource"]["status"]["observedGeneration"] == generation
        partner = dag_summary(run, PARTNER[host], PARTNER_INFO)
        assert (partner["role"], partner["state"]) == ("Primary", "Succeeded"), partner
        assert run.result(PARTNER_INFO, PARTNER[host])["api_kind"] == "Dag"
