"""The DR drill by playbooks on the oldest ansible-core that meta/runtime.yml declares (2.16), whose templating
differs from 2.19's (no native types: a template renders to text, None as '', and only a list, dict or
True/False is read back), on a sandbox of this module's own (the drill kills a site): dr_setup and its re-run,
dr_status, failover_planned, failback, failover_forced with the primary site killed, the old primary back,
dr_status seeing two primaries, dr_rejoin, dr_status, dr_teardown. It runs build/venv-core216's ansible-playbook
(`make venv-core216`, a prerequisite of `make integration`), the modules with that virtualenv's Python;
test_playbooks_failover.py runs the drill on 2.19."""
import os
import subprocess

import pytest

from sandbox.layout import REPO_ROOT

from .conftest import HOSTS, Ansible, own_sandbox
from .dr_playbooks import (PlaybookPairs, connected, dag_object, failed_messages, instance_object, roles,
                           wait_for_dag, workflow_artifacts)
from .test_playbooks_failover import DR_SETUP, SUMMARY, _assert_handover, _handover, _split_brain_reported

OLDEST = "2.16"
# the virtualenv `make venv-core216` makes (requirements-core216.txt); ARC_OLDEST_ANSIBLE_BIN names another
OLDEST_BIN = os.environ.get("ARC_OLDEST_ANSIBLE_BIN", str(REPO_ROOT / "build" / "venv-core216" / "bin"))


@pytest.fixture(scope="module")
def oldest_bin():
    """The bin directory of the oldest ansible-core, checked to be that version (a missing one is a failure: the
    drill on the oldest declared version is part of make test, never skipped)."""
    playbook = os.path.join(OLDEST_BIN, "ansible-playbook")
    assert os.access(playbook, os.X_OK), f"{playbook} missing: run `make venv-core216`"
    version = subprocess.run([playbook, "--version"], capture_output=True, text=True, check=True).stdout
    assert f"[core {OLDEST}." in version.splitlines()[0], version
    return OLDEST_BIN


@pytest.fixture(scope="module")
def oldest_sites(tmp_path_factory):
    """Both sites with controllers and fast timings, for this module only (the drill kills the primary site)."""
    with own_sandbox(tmp_path_factory, "sandbox-core216") as sites:
        yield sites


@pytest.mark.timeout(900)
def test_the_drill_by_playbooks_on_ansible_core_216(oldest_bin, oldest_sites, tmp_path):
    ansible = Ansible(oldest_sites, tmp_path, ansible_playbook=os.path.join(oldest_bin, "ansible-playbook"))
    made = PlaybookPairs(oldest_sites, tmp_path)
    pair = made.new("old")
    for site in HOSTS:  # the modules run where that ansible-core is installed, as in an execution environment
        pair.host_vars[site]["ansible_python_interpreter"] = os.path.join(oldest_bin, "python")
    try:
        _drill(ansible, oldest_sites, pair, made.inventory(pair), tmp_path / "reports")
    finally:
        made.remove_all()


def _drill(ansible, sites, pair, inventory, reports):
    run = ansible.run(DR_SETUP, inventory=inventory)
    assert run.rc == 0, run
    assert roles(sites, pair) == {"primary": "Primary", "secondary": "Secondary"}
    for site in HOSTS:  # dr_dag waited until both sides connected
        assert connected(dag_object(sites, pair, site)), dag_object(sites, pair, site)
    # what an AWX workflow branches on: each side, with its types (a bool, not the text 'True')
    sides = workflow_artifacts(run)["dr_setup"][pair.group]
    assert {site: (sides[site]["role"], sides[site]["state"], sides[site]["connected"]) for site in HOSTS} == \
        {"primary": ("Primary", "Succeeded", True), "secondary": ("Secondary", "Succeeded", True)}, sides

    # a re-run of a pair set up as asked writes nothing, and returns the same artifact
    run = ansible.run(DR_SETUP, inventory=inventory)
    assert run.rc == 0, run
    assert not [t for t in run.changed() if t["action"].startswith("arcdata.sqlmi.")], run.changed()
    assert workflow_artifacts(run)["dr_setup"][pair.group] == sides

    # a pair without any handover yet: one primary, no record, no problem
    env = {"ARC_DR_REPORT_DIR": str(reports)}
    run = ansible.run("arcdata.sqlmi.dr_status", inventory=inventory, env=env)
    assert run.rc == 0, run
    summary = run.result(SUMMARY, "primary")["ansible_facts"]["dr_status_summary"]
    assert (summary["primaries"], summary["last_handover"], summary["problems"]) == (["primary"], None, []), summary
    markdown = (reports / f"{pair.group}.md").read_text()
    assert "**Last handover:** none recorded" in markdown and "No problems found." in markdown, markdown

    run = ansible.run("arcdata.sqlmi.failover_planned", inventory=inventory)
    assert run.rc == 0, run
    assert roles(sites, pair) == {"primary": "Secondary", "secondary": "Primary"}
    _assert_handover(sites, pair, "planned", "primary", "secondary", run)

    run = ansible.run("arcdata.sqlmi.failback", inventory=inventory)
    assert run.rc == 0, run
    assert roles(sites, pair) == {"primary": "Primary", "secondary": "Secondary"}
    _assert_handover(sites, pair, "failback", "secondary", "primary", run)

    sites.kill("primary")
    try:
        # without the DAG name as confirmation, nothing is done
        run = ansible.run("arcdata.sqlmi.failover_forced", inventory=inventory)
        assert run.rc != 0, run
        assert "refused, nothing was changed" in failed_messages(run), failed_messages(run)
        assert dag_object(sites, pair, "secondary")["status"]["role"] == "Secondary"

        run = ansible.run("arcdata.sqlmi.failover_forced", inventory=inventory,
                          extra_vars={"dr_failover_confirm": pair.dag_name})
        assert run.rc == 0, run
        assert dag_object(sites, pair, "secondary")["status"]["role"] == "Primary"
        # only the DR site answered, so only it carries the record
        _assert_handover(sites, pair, "forced", "primary", "secondary", run, sites_with_record=["secondary"])
        assert "NOT fenced" in _handover(dag_object(sites, pair, "secondary"))["details"]
    finally:
        sites.start("primary")

    # the old primary returns still Primary: dr_status reports both primaries and fails, after writing its report
    wait_for_dag(sites, pair, "primary", _split_brain_reported)
    run = ansible.run("arcdata.sqlmi.dr_status", inventory=inventory, env=env)
    assert run.rc != 0, run
    assert "2 primary sites" in failed_messages(run), failed_messages(run)
    summary = run.result(SUMMARY, "primary")["ansible_facts"]["dr_status_summary"]
    assert sorted(summary["primaries"]) == ["primary", "secondary"], summary
    assert "SPLIT BRAIN" in (reports / f"{pair.group}.md").read_text()

    run = ansible.run("arcdata.sqlmi.dr_rejoin", inventory=inventory)
    assert run.rc == 0, run
    assert roles(sites, pair) == {"primary": "Secondary", "secondary": "Primary"}
    _assert_handover(sites, pair, "rejoin", "primary", "secondary", run)

    run = ansible.run("arcdata.sqlmi.dr_status", inventory=inventory, env=env)
    assert run.rc == 0, run
    summary = run.result(SUMMARY, "primary")["ansible_facts"]["dr_status_summary"]
    assert summary["primaries"] == ["secondary"], summary
    assert summary["last_handover"]["mode"] == "rejoin", summary
    markdown = (reports / f"{pair.group}.md").read_text()
    for expected in (pair.group, pair.dag_name, pair.instances["primary"], pair.instances["secondary"],
                     "Primary", "Secondary", "rejoin from primary to secondary"):
        assert expected in markdown, (expected, markdown)
    assert "split brain" not in markdown.lower(), markdown

    run = ansible.run("arcdata.sqlmi.dr_teardown", inventory=inventory,
                      extra_vars={"dr_teardown_confirm": pair.dag_name, "dr_teardown_instances": True})
    assert run.rc == 0, run
    assert workflow_artifacts(run)["dr_teardown"][pair.group] == {
        site: {"dag_resource": pair.dags[site], "dag_removed": True, "instance": pair.instances[site],
               "instance_removed": True} for site in HOSTS}
    for site in HOSTS:
        assert dag_object(sites, pair, site) is None and instance_object(sites, pair, site) is None
