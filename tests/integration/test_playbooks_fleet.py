"""A fleet (issue 5): an inventory of three DR pairs on the same two sites converges in one dr_setup run, and a run
limited to one pair's group (`--limit`) after a change of that pair only touches that pair's objects alone."""
import pytest

from .conftest import HOSTS
from .dr_playbooks import PlaybookPairs, audit_marks, collection_since, connected, dag_object, instance_object

DR_SETUP = "arcdata.sqlmi.dr_setup"
ROLES = {"primary": "Primary", "secondary": "Secondary"}


@pytest.fixture
def pairs(arc_sites, tmp_path):
    made = PlaybookPairs(arc_sites, tmp_path)
    yield made
    made.remove_all()


def _memory_limit(sites, pair, site):
    return instance_object(sites, pair, site)["spec"]["scheduling"]["default"]["resources"]["limits"]["memory"]


@pytest.mark.timeout(600)
def test_a_fleet_converges_in_one_run_and_limit_touches_one_pair(ansible, arc_sites, pairs):
    fleet = [pairs.new("fleet", fleet=True) for dummy in range(3)]
    # forks for all six sites at once: one run converges the whole fleet in parallel
    first = ansible.run(DR_SETUP, inventory=pairs.inventory(*fleet), env={"ANSIBLE_FORKS": "6"})
    assert first.rc == 0, first
    for pair in fleet:
        for site in HOSTS:
            obj = dag_object(arc_sites, pair, site)
            assert obj is not None, (pair.group, site)
            assert (obj["status"].get("role"), obj["status"].get("state")) == (ROLES[site], "Succeeded"), obj
            assert connected(obj), obj["status"]

    # a change of the middle pair only (more memory on both of its sites), applied with --limit to its group
    changed_pair = fleet[1]
    memory = {pair.group: _memory_limit(arc_sites, pair, "primary") for pair in fleet}
    changed_pair.spec["memory_limit"] = "5Gi"
    marks = audit_marks(arc_sites)
    second = ansible.run(DR_SETUP, inventory=pairs.inventory(*fleet), limit=changed_pair.group)
    assert second.rc == 0, second
    assert {t["host"] for t in second.tasks} == set(changed_pair.hosts.values())
    assert {t["host"] for t in second.changed()} == set(changed_pair.hosts.values())
    for site, requests in collection_since(arc_sites, marks).items():
        named = {r["name"] for r in requests if r["name"]}
        assert named and named <= changed_pair.names(), (site, named - changed_pair.names())
        unnamed = {(r["verb"], r["resource"]) for r in requests if not r["name"] and r["resource"]}
        # discovery, the controller check, and the waits' watches (a watch selects its object with a field selector,
        # so the audit names none; it is recorded when the server closes it, so it may or may not be there yet)
        assert unnamed <= {("list", "datacontrollers"), ("watch", "sqlmanagedinstances"),
                           ("watch", "failovergroups")}, (site, unnamed)
        assert [r["name"] for r in requests if r["verb"] == "patch"] == [changed_pair.instances[site]], requests
    for pair in fleet:
        for site in HOSTS:
            expected = "5Gi" if pair is changed_pair else memory[pair.group]
            assert _memory_limit(arc_sites, pair, site) == expected, (pair.group, site)
