"""The DR scenarios on controllers that behave as the public samples show, not as this emulator first did: the
2022 FailoverGroup dumps (status only state/results/role/lastUpdateTime, Succeeded once applied, opaque results,
no observedGeneration), the 2025 az model (replicas and healthState, status.message, a transient Failed/Unknown
while connected, no observedGeneration), and a pair whose two sites run one each. On each: dr_setup and its re-run
(nothing written), a planned failover in check mode (dry runs only), failover_planned, failback, failover_forced
with the primary site killed, dr_rejoin once it is back, dr_status, dr_teardown. No wait may run to its timeout:
each playbook must end well within RUN_BOUND.

What the test checks on a site is what its operator sees: status.role (every profile writes it) and, for the link,
the instance's own view (`python -m sandbox sql ... stats`, what SQL Server's DMVs tell a DBA), since some
controllers report no link at all.
"""
import json

import pytest

from tests.sandbox.conftest import run_cli

from .conftest import HOSTS, Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs, audit_marks, collection_writes_since, failed_messages, roles

BEHAVIOURS = ["observed-2022", "cli-2025", "primary=observed-2022,secondary=cli-2025"]
NO_WRITES = {"primary": [], "secondary": []}
# every playbook here ends in well under this on the sandbox; a wait that ran to its timeout (600 s by default)
# would not
RUN_BOUND = 240


@pytest.fixture(scope="module", params=BEHAVIOURS, ids=["2022", "2025", "mixed"])
def profiled_sites(request, tmp_path_factory):
    with own_sandbox(tmp_path_factory, "sandbox-profile", "--behaviour", request.param) as sites:
        yield sites


def canonical_roles(sites, pair):
    return dict((site, str(role).capitalize() if role else None) for site, role in roles(sites, pair).items())


def engine_stats(sites, pair, site):
    """The instance's own view (role, link), as a DBA would read it from SQL Server."""
    result = run_cli(sites.runtime_dir, "sql", "--site", site, "--instance", pair.instances[site], "stats")
    return json.loads(result.stdout)


def linked(sites, pair):
    return all(engine_stats(sites, pair, site)["link"]["connected"] for site in HOSTS)


def run_bounded(ansible, playbook, inventory, **extra_vars):
    run = ansible.run(playbook, inventory=inventory, extra_vars=extra_vars or None, timeout=RUN_BOUND)
    assert run.rc == 0, f"{playbook}: {failed_messages(run)}\n{run!r}"
    return run


@pytest.mark.timeout(900)
def test_the_dr_scenarios_on_controllers_as_the_samples_show_them(profiled_sites, tmp_path):
    sites = profiled_sites
    ansible = Ansible(sites, tmp_path)
    made = PlaybookPairs(sites, tmp_path)
    pair = made.new("prof")
    inventory = made.inventory(pair)
    try:
        run_bounded(ansible, "arcdata.sqlmi.dr_setup", inventory)
        assert canonical_roles(sites, pair) == {"primary": "Primary", "secondary": "Secondary"}

        marks = audit_marks(sites)
        run_bounded(ansible, "arcdata.sqlmi.dr_setup", inventory)
        assert collection_writes_since(sites, marks) == NO_WRITES, "the re-run of dr_setup wrote"

        marks = audit_marks(sites)
        check = ansible.run("arcdata.sqlmi.failover_planned", inventory=inventory, check=True, timeout=RUN_BOUND)
        assert check.rc == 0, failed_messages(check)
        assert collection_writes_since(sites, marks) == NO_WRITES, "check mode wrote"

        run_bounded(ansible, "arcdata.sqlmi.failover_planned", inventory)
        assert canonical_roles(sites, pair) == {"primary": "Secondary", "secondary": "Primary"}
        run_bounded(ansible, "arcdata.sqlmi.failback", inventory)
        assert canonical_roles(sites, pair) == {"primary": "Primary", "secondary": "Secondary"}

        sites.kill("primary")
        try:
            run_bounded(ansible, "arcdata.sqlmi.failover_forced", inventory, dr_failover_confirm=pair.dag_name)
        finally:
            sites.start("primary")
        run_bounded(ansible, "arcdata.sqlmi.dr_rejoin", inventory)
        assert canonical_roles(sites, pair) == {"primary": "Secondary", "secondary": "Primary"}
        assert linked(sites, pair), "the rejoined pair is not linked"

        run_bounded(ansible, "arcdata.sqlmi.dr_status", inventory, dr_status_report_dir=str(tmp_path / "reports"))
        run_bounded(ansible, "arcdata.sqlmi.dr_teardown", inventory, dr_teardown_confirm=pair.dag_name,
                    dr_teardown_instances=True)
    finally:
        made.remove_all()
