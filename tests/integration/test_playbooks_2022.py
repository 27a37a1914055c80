"""dr_setup on the seed's era (issue 5): sites started with `--profile 2022-01` serve the retired Dag resource
(spec.input.*) instead of FailoverGroup; the same playbook and inventory set the pair up, the kind detected."""
import pytest


from .conftest import HOSTS, Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs, connected, dag_object, instance_object

DAG_TASKS = ("Create or update the DAG resource on the primary site first",
             "Create or update the DAG resource on the secondary site")
ROLES = {"primary": "Primary", "secondary": "Secondary"}


@pytest.fixture(scope="module")
def sites_2022(tmp_path_factory):
    """Both sites of the 2022-01 profile, with controllers and fast timings, for this module only."""
    with own_sandbox(tmp_path_factory, "sandbox-playbooks-2022-01", "--profile", "2022-01") as sites:
        yield sites


@pytest.fixture
def pairs(sites_2022, tmp_path):
    made = PlaybookPairs(sites_2022, tmp_path)
    yield made
    made.remove_all()


def test_dr_setup_works_unchanged_on_the_2022_dag_resource(sites_2022, pairs, tmp_path):
    assert sites_2022.report["profile"] == "2022-01"
    ansible = Ansible(sites_2022, tmp_path)
    pair = pairs.new("legacy")
    run = ansible.run("arcdata.sqlmi.dr_setup", inventory=pairs.inventory(pair))
    assert run.rc == 0, run
    created = [t["result"] for t in run.tasks if t["task"] in DAG_TASKS and t["outcome"] == "ok"]
    assert [(r["changed"], r["api_kind"]) for r in created] == [(True, "Dag"), (True, "Dag")], created
    for site in HOSTS:
        assert dag_object(pairs.sandbox, pair, site, kind="FailoverGroup") is None
        obj = dag_object(sites_2022, pair, site, kind="Dag")
        assert obj["spec"]["input"]["dagName"] == pair.dag_name  # the seed era's field names
        assert (obj["status"].get("role"), obj["status"].get("state")) == (ROLES[site], "Succeeded"), obj
        assert connected(obj), obj["status"]
    assert instance_object(sites_2022, pair, "secondary")["spec"]["licenseType"] == "DisasterRecovery"
