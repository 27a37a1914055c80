"""dr_setup does not read again what it has just read (fleet scale: each read is a module run, the bulk of a
fleet's time). dr_site takes from the first check whether its instance exists; the check before the DAG takes the
instance as dr_site's wait found it Ready and the DAG resource as the first check read it. In check mode nothing is
waited for, so the check before the DAG reads both sites itself. A pair already set up is read once per site."""
import pytest

from .dr_playbooks import PlaybookPairs

DR_SETUP = "arcdata.sqlmi.dr_setup"
# dr_preflight's read, run by the first check and again by the check before the DAG: the instance, the DAG resource
# and the data controller in one module run (arc_site_info), skipped when the play knows both already
SITE_STATE_READ = "Read this site's instance, DAG resource and data controller"
SITE_READ = "Read this site's instance"  # dr_site's own


@pytest.fixture
def pairs(arc_sites, tmp_path):
    made = PlaybookPairs(arc_sites, tmp_path)
    yield made
    made.remove_all()


def _outcomes(run, task, host):
    return [t["outcome"] for t in run.results(task, host)]


@pytest.mark.timeout(600)
def test_dr_setup_reads_each_site_once_before_the_dag(ansible, pairs):
    pair = pairs.new("rd")
    # check mode on a new pair waits for nothing: the check before the DAG reads both sites itself
    checked = ansible.run(DR_SETUP, inventory=pairs.inventory(pair), check=True)
    assert checked.rc == 0, checked
    for host in pair.hosts.values():
        assert _outcomes(checked, SITE_STATE_READ, host) == ["ok", "ok"], (host, checked)

    run = ansible.run(DR_SETUP, inventory=pairs.inventory(pair))
    assert run.rc == 0, run
    for host in pair.hosts.values():
        assert _outcomes(run, SITE_READ, host) == ["skipped"], run
        assert _outcomes(run, SITE_STATE_READ, host) == ["ok", "skipped"], (host, run)

    # once set up, a run (check mode or not) reads each site once and goes no further
    for again in (ansible.run(DR_SETUP, inventory=pairs.inventory(pair)),
                  ansible.run(DR_SETUP, inventory=pairs.inventory(pair), check=True)):
        assert again.rc == 0, again
        for host in pair.hosts.values():
            assert _outcomes(again, SITE_STATE_READ, host) == ["ok"], (host, again)
            # dr_site, dr_certificates and dr_dag are not even included: no other module task
            module_runs = [t["task"] for t in again.results(host=host)
                           if t["action"].startswith("arcdata.sqlmi.") and t["outcome"] != "skipped"]
            assert module_runs == [SITE_STATE_READ], (host, again)
