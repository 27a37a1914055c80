"""Long waits that end: every wait of the playbooks has a bounded default, and a site that dies
just before a wait starts ends that wait at once, naming the site, the object and the cause, instead of letting it
run for its timeout; a wait that runs out of time on a live site names the object, the field, the value expected,
the value last seen and the time waited. After each fault the site is started again and a re-run converges.

dr_setup's waits are the modules' own (arc_sqlmi's, and arc_dag_info with wait: true): a site that dies during
such a wait, rather than before it, is test_info_module_waits.py's.

The faults are injected by the fault_trigger callback as the wait's task starts. The pair is one pair of this
module's own sandbox, set up by the first test and carried from test to test (pytest runs a file's tests in order):
each test starts from a pair with exactly one primary and both sides connected. The failover's waits are proven
on the failover module in test_bounded_waits_failover.py.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox.layout import REPO_ROOT
from tests.sandbox.conftest import run_cli

from .conftest import HOSTS, Ansible, own_sandbox
from .dr_playbooks import PlaybookPairs, connected, dag_object, roles, wait_for_dag

ROLES = REPO_ROOT / "roles"
# A run that meets a dead site must end long before this. The old waits ran for their whole timeout against a
# dead site (the default dr_failover_wait_timeout of 600 checks took about half an hour), so a run that had to
# sit out any of them would hit this bound, and the test says which wait hung.
RUN_BOUND = 400
DR_SETUP = "arcdata.sqlmi.dr_setup"
# the tasks that wait, by the name the play output shows
INSTANCE_READY = "Create or update this site's instance and wait until it is Ready for its generation"
DAG_CONNECTED = "Wait until this site's side of the DAG is Succeeded and connected"


# -- the defaults, as documented -----------------------------------------------------------------------------------
def _wait_timeouts():
    """(role, variable, default) of every *_wait_timeout default of the collection's roles."""
    found = []
    for defaults in sorted(ROLES.glob("*/defaults/main.yml")):
        role = defaults.parent.parent.name
        for name, value in (yaml.safe_load(defaults.read_text()) or {}).items():
            if name.endswith("_timeout"):
                found.append((role, name, value))
    return found


def test_every_wait_timeout_of_the_roles_is_bounded_and_documented():
    timeouts = _wait_timeouts()
    assert {name for unused, name, unused in timeouts} >= {"dr_site_wait_timeout", "dr_dag_wait_timeout",
                                                           "dr_failover_wait_timeout"}, timeouts
    for role, name, default in timeouts:
        assert isinstance(default, int) and 0 < default <= 3600, (role, name, default)
        spec = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
        option = spec["argument_specs"]["main"]["options"][name]
        assert (option["type"], option["default"]) == ("int", default), (role, name, option)
        readme_rows = [line for line in (ROLES / role / "README.md").read_text().splitlines()
                       if line.startswith(f"| `{name}` |")]
        assert readme_rows and str(default) in readme_rows[0], (role, name, readme_rows)


# -- the sandbox and the pair --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wait_sites(tmp_path_factory):
    """Both sites with controllers and fast timings, for this module only: its tests kill sites."""
    with own_sandbox(tmp_path_factory, "sandbox-bounded-waits") as sites:
        yield sites


@pytest.fixture(scope="module")
def wait_pair(wait_sites, tmp_path_factory):
    """One DR pair's names and inventory (set up by the first test); its objects are removed at the end."""
    workdir = tmp_path_factory.mktemp("bounded-waits")
    made = PlaybookPairs(wait_sites, workdir)
    pair = made.new("wait")
    yield pair, made.inventory(pair), workdir
    for site in HOSTS:
        run_cli(wait_sites.runtime_dir, "start", "--site", site, check=False)
    made.remove_all()


class Waits:
    """Runs the playbooks of one pair, with a site killed as a chosen task starts."""

    def __init__(self, sites, pair, inventory, workdir):
        self.sites, self.pair, self.inventory = sites, pair, inventory
        self.workdir = Path(workdir)
        self.ansible = Ansible(sites, self.workdir)

    def run(self, playbook, extra_vars=None, kill_at=None, kill=None):
        """Run a playbook; with `kill_at` (a task name), the site `kill` dies as that task starts."""
        env, fired = {}, self.workdir / "fault-fired.jsonl"
        fired.unlink(missing_ok=True)
        if kill_at:
            env = {"ARC_FAULT_AT": "^(.* : )?%s$" % re.escape(kill_at), "ARC_FAULT_FIRED": str(fired),
                   "ARC_FAULT_COMMANDS": json.dumps([self._cli("kill", "--site", kill)])}
        try:
            run = self.ansible.run(playbook, inventory=self.inventory, extra_vars=extra_vars, env=env,
                                   timeout=RUN_BOUND)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{playbook} did not end within {RUN_BOUND} s, {kill or 'no'} site killed at {kill_at!r}: "
                        f"a wait went on against a dead or cut-off site")
        if kill_at:
            assert fired.exists(), f"the fault at {kill_at!r} never fired\n{run!r}"
            note = json.loads(fired.read_text().splitlines()[0])
            assert not note.get("errors"), note  # the kill itself failed
        return run

    def _cli(self, *args):
        # the sandbox package is found from the checkout, wherever ansible-playbook runs
        return ["env", f"PYTHONPATH={REPO_ROOT}", sys.executable, "-m", "sandbox", "--runtime-dir",
                str(self.sites.runtime_dir), *args]

    def start(self, site):
        self.sites.start(site)
        wait_for_dag(self.sites, self.pair, site, lambda obj: (obj.get("status") or {}).get("role") is not None,
                     timeout=60)

    def wait_connected(self):
        for site in HOSTS:
            wait_for_dag(self.sites, self.pair, site, connected, timeout=60)

    def primaries(self):
        return sorted(site for site, role in roles(self.sites, self.pair).items() if role == "Primary")

    # -- what the runs must show ------------------------------------------------------------------------------
    def assert_ended_unreachable(self, run, task, site, obj, loop=True):
        """The run failed; `task` on `site` ended on its first read of the dead site, with the module's message
        naming the site (its context), the object and the cause."""
        assert run.rc != 0, run
        found = [t for t in run.results(task, site) if t["outcome"] == "failed"]
        assert len(found) == 1, f"{task!r} did not fail on {site}\n{run!r}"
        result = found[0]["result"]
        message = result["msg"]
        assert self.pair.connection[site]["arc_context"] in message and obj in message, message
        assert result.get("reason") == "Unreachable" and "unreachable" in message, result
        if loop:
            # the loop stopped at once: one read, not one per second until the timeout
            assert result.get("attempts") == 1, result
        assert message in run.stdout, "the play output does not show why the wait ended"
        return message

    def assert_module_timed_out(self, run, task, site, obj, field, expected, seen, timeout):
        """`task`, a module's own wait, on `site` (alive) ended when its time was up, naming the site (its context),
        the object, the field, the expected and last seen values, and how long it waited."""
        found = [t for t in run.results(task, site) if t["outcome"] == "failed"]
        assert len(found) == 1, f"{task!r} did not fail on {site}\n{run!r}"
        result = found[0]["result"]
        message = result["msg"]
        assert message.startswith(f"context {self.pair.connection[site]['arc_context']} "), message
        waited = float(message.split("timed out after ")[1].split(" s")[0])
        assert waited >= timeout and result["elapsed"] >= timeout, message
        for part in (obj, field, expected, f"last seen {seen}"):
            assert part in message, (part, message)
        assert message in run.stdout, "the play output does not say why the wait ended"
        return message

    def assert_timed_out(self, run, task, site, obj, field, expected, seen, timeout_var, timeout):
        """`task` on `site` (alive) ended when its time was up, naming the object, field, expected and last seen
        values, and how long it waited."""
        found = [t for t in run.results(task, site) if t["outcome"] == "failed"]
        assert len(found) == 1, f"{task!r} did not fail on {site}\n{run!r}"
        message = found[0]["result"]["msg"]
        assert message.startswith(f"{site}: timed out after "), message
        waited = float(message.split("timed out after ")[1].split(" s")[0])
        assert waited >= timeout, message
        for part in (obj, field, expected, f"last seen {seen}", f"({timeout_var} {timeout})"):
            assert part in message, (part, message)
        return message


@pytest.fixture
def waits(wait_sites, wait_pair):
    pair, inventory, workdir = wait_pair
    return Waits(wait_sites, pair, inventory, workdir)


@pytest.fixture
def set_up(waits):
    """The pair set up (by the first test, or here when a test runs alone): one primary, both sides connected.
    A site an earlier test left dead (it failed half-way) is started first."""
    status = json.loads(run_cli(waits.sites.runtime_dir, "status", "--json").stdout)
    for site, state in status["sites"].items():
        if not state.get("running", True):
            waits.sites.start(site)
    if any(dag_object(waits.sites, waits.pair, site) is None for site in HOSTS):
        run = waits.run(DR_SETUP)
        assert run.rc == 0, run
    waits.wait_connected()
    assert len(waits.primaries()) == 1, roles(waits.sites, waits.pair)
    return waits


# -- dr_setup: the instance's Ready, the DAG's connection ------------------------------------------------------
@pytest.mark.timeout(1800)
def test_dr_setup_waits_end_when_their_site_dies(waits):
    pair = waits.pair
    run = waits.run(DR_SETUP, kill_at=INSTANCE_READY, kill="primary")
    waits.assert_ended_unreachable(run, INSTANCE_READY, "primary", pair.instances["primary"], loop=False)
    waits.sites.start("primary")

    # the re-run gets past the instances; the primary dies as the DAG's wait starts. The secondary, alive, waits
    # for a partner that cannot answer until its (short) time is up
    run = waits.run(DR_SETUP, kill_at=DAG_CONNECTED, kill="primary", extra_vars={"dr_dag_wait_timeout": 10})
    # (the primary's instance, never written by the killed run, is created and found Ready; the secondary's was)
    assert sorted(t["outcome"] for t in run.results(INSTANCE_READY)) == ["ok", "ok"], run
    assert all(t["result"]["summary"]["ready"] for t in run.results(INSTANCE_READY)), run
    waits.assert_ended_unreachable(run, DAG_CONNECTED, "primary", pair.dags["primary"], loop=False)
    waits.sites.start("primary")

    run = waits.run(DR_SETUP)
    assert run.rc == 0, run
    waits.wait_connected()
    assert waits.primaries() == ["primary"]


def test_dr_setup_dag_wait_times_out_on_live_sites_with_the_link_cut(set_up):
    waits = set_up
    run_cli(waits.sites.runtime_dir, "partition")
    try:
        for site in HOSTS:
            wait_for_dag(waits.sites, waits.pair, site, lambda obj: not connected(obj))
        run = waits.run(DR_SETUP, extra_vars={"dr_dag_wait_timeout": 5})
    finally:
        run_cli(waits.sites.runtime_dir, "heal")
    assert run.rc != 0, run
    for site in HOSTS:
        message = waits.assert_module_timed_out(
            run, DAG_CONNECTED, site, f"failovergroups.sql.arcdata.microsoft.com arc/{waits.pair.dags[site]}",
            "status.replicas[].connectedState", "CONNECTED", "state='Succeeded'", 5)
        assert "connectedState ['DISCONNECTED', 'DISCONNECTED']" in message, message
    waits.wait_connected()
