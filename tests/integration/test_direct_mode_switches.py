"""The DR playbooks in direct connection mode on the other reading of what Azure does where the sources disagree
(sandbox/arm/behaviour.py): the service fills nothing of a failover group from the partner instance
(fill_partner_certificate=false: the CR gets exactly the spec the request holds), and deleting one side's failover
group deletes the partner side's too (delete_cascades=true). The collection must not depend on either reading:
dr_setup converges to a connected pair, a planned failover loses no acknowledged write, and dr_teardown leaves
nothing of the pair on either site, whichever side's delete took both."""
import pytest

from tests.sandbox.conftest import run_cli

from .conftest import ARC_GROUP, HOSTS, Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs, failed_messages, instance_object

# a variant of the direct-mode drill (the other reading of Resource Manager): make test-extended runs it
pytestmark = pytest.mark.extended
RUN_BOUND = 240
SWITCHES = "fill_partner_certificate=false,delete_cascades=true"


@pytest.fixture(scope="module")
def direct_sites(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "direct-switches", "--mode", "direct", "--arm-behaviour", SWITCHES) as sites:
        yield sites


def failover_groups_of(sites, pair, site):
    """The FailoverGroup custom resources on `site` that belong to this pair's instance there (their names are
    UUIDs: found by spec.sourceMI)."""
    handle = sites.site(site)
    listed = handle.custom().list_namespaced_custom_object(ARC_GROUP, "v2", handle.namespace, "failovergroups")
    return [item for item in listed["items"] if (item.get("spec") or {}).get("sourceMI") == pair.instances[site]]


def sql(sites, pair, site, *args):
    return run_cli(sites.runtime_dir, "sql", "--site", site, "--instance", pair.instances[site], *args).stdout


@pytest.mark.timeout(900)
def test_the_drill_on_the_other_reading_of_resource_manager(direct_sites, tmp_path):
    ansible = Ansible(direct_sites, tmp_path)
    made = PlaybookPairs(direct_sites, tmp_path)
    pair = made.new("sw")
    pair.pair_vars["arc_switch_licence"] = True  # the former DR site serves clients once primary
    inventory = made.inventory(pair)

    def run(playbook, **extra_vars):
        done = ansible.run(playbook, inventory=inventory, extra_vars=extra_vars or None, timeout=RUN_BOUND)
        assert done.rc == 0, f"{playbook}: {failed_messages(done)}"
        return done

    run("arcdata.sqlmi.dr_setup")
    for site in HOSTS:  # the certificate the service did not fill was sent by the collection
        groups = failover_groups_of(direct_sites, pair, site)
        assert len(groups) == 1, groups
        assert "BEGIN CERTIFICATE" in groups[0]["spec"].get("partnerMirroringCert", ""), groups[0]["spec"]
        assert (groups[0].get("status") or {}).get("role", "").lower() == ("primary" if site == "primary"
                                                                           else "secondary")

    acknowledged = {f"switch-{number}": str(number) for number in range(5)}
    for key, value in acknowledged.items():
        sql(direct_sites, pair, "primary", "write", key, value)
    run("arcdata.sqlmi.failover_planned")
    for key, value in acknowledged.items():
        assert value in sql(direct_sites, pair, "secondary", "read", key), key

    run("arcdata.sqlmi.dr_teardown", dr_teardown_confirm=pair.dag_name, dr_teardown_instances=True)
    for site in HOSTS:
        assert failover_groups_of(direct_sites, pair, site) == [], site
        assert instance_object(direct_sites, pair, site) is None, site
