"""A fleet that mixes connection modes pair by pair: one inventory holding a pair on indirect-mode sites (the
Kubernetes API) and a pair on direct-mode sites (Azure Resource Manager), set up, failed over and reported by the
same playbook runs."""
import pytest
import yaml

from .conftest import Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs, failed_messages, roles

RUN_BOUND = 300


@pytest.fixture(scope="module")
def direct_sites(tmp_path_factory):
    with own_sandbox(tmp_path_factory, "mixed-fleet-direct", "--mode", "direct") as sites:
        yield sites


def reported_roles(run, pair):
    """The roles arc_failover reported for `pair` (the dr_failover role's message names the pair)."""
    return [line for line in run.stdout.splitlines() if f"DR pair {pair.group}:" in line and "roles now" in line]


@pytest.mark.timeout(900)
def test_one_inventory_one_run_both_modes(arc_sites, direct_sites, tmp_path):
    indirect_made = PlaybookPairs(arc_sites, tmp_path)
    indirect_pair = indirect_made.new("mxi", fleet=True)
    direct_made = PlaybookPairs(direct_sites, tmp_path)
    direct_pair = direct_made.new("mxd", fleet=True)
    inventory = tmp_path / "mixed-fleet.yml"
    groups = {pair.group: pair.inventory_group() for pair in (indirect_pair, direct_pair)}
    inventory.write_text(yaml.safe_dump({"all": {"children": {"arc_dr_pairs": {"children": groups}}}}))
    ansible = Ansible(arc_sites, tmp_path)
    assert all("arc_connection_mode" not in host for host in groups[indirect_pair.group]["hosts"].values())
    assert all(host["arc_connection_mode"] == "direct" for host in groups[direct_pair.group]["hosts"].values())

    def run(playbook, **extra_vars):
        done = ansible.run(playbook, inventory=inventory, extra_vars=extra_vars or None, timeout=RUN_BOUND)
        assert done.rc == 0, f"{playbook}: {failed_messages(done)}"
        return done

    try:
        run("arcdata.sqlmi.dr_setup")
        assert roles(arc_sites, indirect_pair) == {"primary": "Primary", "secondary": "Secondary"}
        planned = run("arcdata.sqlmi.failover_planned")
        assert roles(arc_sites, indirect_pair) == {"primary": "Secondary", "secondary": "Primary"}
        switched = reported_roles(planned, direct_pair)  # (a fleet's sites are its hosts: <pair tag>-<site>)
        hosts = direct_pair.hosts
        assert switched and f"'{hosts['primary']}': 'Secondary'" in switched[0] and \
            f"'{hosts['secondary']}': 'Primary'" in switched[0], planned.stdout[-3000:]
        run("arcdata.sqlmi.dr_status", dr_status_report_dir=str(tmp_path / "reports"))
        for pair in (indirect_pair, direct_pair):
            report = (tmp_path / "reports" / f"{pair.group}.md").read_text()
            assert f"**Primary:** {pair.hosts['secondary']}" in report, report
        for pair in (indirect_pair, direct_pair):  # dr_teardown is confirmed pair by pair (its DAG name)
            run("arcdata.sqlmi.dr_teardown", dr_teardown_instances=True, dr_teardown_confirm=pair.dag_name,
                arc_pairs=pair.group)
    finally:
        indirect_made.remove_all()  # (the direct-mode sandbox goes with its fixture)
