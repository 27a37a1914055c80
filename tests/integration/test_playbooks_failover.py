"""The failover playbooks (issue 5) on a sandbox of this module's own (the tests cut the link and kill a site):
the refusals that must come before any write (a forced failover without confirmation, a planned failover over a
cut link, a rejoin of two primaries without a handover record), and the whole drill by playbooks: planned
failover, failback, forced failover with the primary site killed, dr_status seeing two primaries, dr_rejoin, and
dr_status writing its reports."""
import json

import pytest

from tests.sandbox.conftest import run_cli

from .conftest import ARC_GROUP, HOSTS, Ansible, own_sandbox
from .dr_playbooks import (PlaybookPairs, audit_marks, collection_writes_since, connected, dag_object,
                           failed_messages, handover_events, roles, wait_for_dag)

DR_SETUP = "arcdata.sqlmi.dr_setup"
NO_WRITES = {"primary": [], "secondary": []}
HANDOVER = "arcdata.sqlmi/handover"
SET_STATS = "Return the handover for AWX workflows (set_stats)"
SUMMARY = "Summarise the pair"


@pytest.fixture(scope="module")
def drill_sites(tmp_path_factory):
    """Both sites with controllers and fast timings, for this module only."""
    with own_sandbox(tmp_path_factory, "sandbox-playbooks-failover") as sites:
        yield sites


@pytest.fixture(scope="module")
def refusal_pair(drill_sites, tmp_path_factory):
    """One pair set up by dr_setup, shared by the refusal tests (the last one leaves it with two primaries)."""
    workdir = tmp_path_factory.mktemp("refusals")
    made = PlaybookPairs(drill_sites, workdir)
    pair = made.new("refuse")
    inventory = made.inventory(pair)
    run = Ansible(drill_sites, workdir).run(DR_SETUP, inventory=inventory)
    assert run.rc == 0, run
    yield pair, inventory
    made.remove_all()


@pytest.fixture
def drill_ansible(drill_sites, tmp_path):
    return Ansible(drill_sites, tmp_path)


def _handover(obj):
    return json.loads(obj["metadata"]["annotations"][HANDOVER])


def _split_brain_reported(obj):
    status = obj.get("status") or {}
    return status.get("role") == "Primary" and status.get("healthState") not in (None, "OK")


def test_failover_forced_without_confirmation_fails_before_any_write(drill_ansible, drill_sites, refusal_pair):
    pair, inventory = refusal_pair
    marks = audit_marks(drill_sites)
    run = drill_ansible.run("arcdata.sqlmi.failover_forced", inventory=inventory)
    assert run.rc != 0, run
    message = failed_messages(run)
    assert "refused, nothing was changed" in message and "dr_failover_confirm" in message, message
    assert pair.dag_name in message, message
    # a wrong confirmation is no confirmation
    wrong = drill_ansible.run("arcdata.sqlmi.failover_forced", inventory=inventory,
                              extra_vars={"dr_failover_confirm": "yes"})
    assert wrong.rc != 0, wrong
    assert collection_writes_since(drill_sites, marks) == NO_WRITES
    assert roles(drill_sites, pair) == {"primary": "Primary", "secondary": "Secondary"}


def test_failover_planned_refuses_over_a_cut_link_before_any_write(drill_ansible, drill_sites, refusal_pair):
    pair, inventory = refusal_pair
    run_cli(drill_sites.runtime_dir, "partition")
    try:
        wait_for_dag(drill_sites, pair, "primary", lambda obj: not connected(obj))
        marks = audit_marks(drill_sites)
        run = drill_ansible.run("arcdata.sqlmi.failover_planned", inventory=inventory)
        assert run.rc != 0, run
        assert collection_writes_since(drill_sites, marks) == NO_WRITES
    finally:
        run_cli(drill_sites.runtime_dir, "heal")
    message = failed_messages(run)
    assert "refused, nothing was changed" in message, message
    assert "not connected" in message and pair.dags["primary"] in message, message
    assert roles(drill_sites, pair) == {"primary": "Primary", "secondary": "Secondary"}
    wait_for_dag(drill_sites, pair, "primary", connected)


def test_dr_rejoin_refuses_to_guess_without_a_handover_record(drill_ansible, drill_sites, refusal_pair):
    pair, inventory = refusal_pair
    secondary = drill_sites.site("secondary")
    # two primaries and no record: the DR side forced to primary behind the playbooks' back, over a cut link
    run_cli(drill_sites.runtime_dir, "partition")
    try:
        wait_for_dag(drill_sites, pair, "secondary", lambda obj: not connected(obj))
        secondary.custom().patch_namespaced_custom_object(ARC_GROUP, "v2", secondary.namespace, "failovergroups",
                                                          pair.dags["secondary"],
                                                          {"spec": {"role": "force-primary-allow-data-loss"}})
        wait_for_dag(drill_sites, pair, "secondary", lambda obj: obj["status"].get("role") == "Primary")
    finally:
        run_cli(drill_sites.runtime_dir, "heal")
    wait_for_dag(drill_sites, pair, "primary", _split_brain_reported)
    assert all(HANDOVER not in (dag_object(drill_sites, pair, site)["metadata"].get("annotations") or {})
               for site in HOSTS)

    _assert_rejoin_refused(drill_ansible, drill_sites, pair, inventory, "latest record: none")

    # the record of a failover that failed names the site it meant to promote: no better than no record
    failed_record = {"name": "Record a failed planned failover", "arcdata.sqlmi.arc_handover": {
        "name": "{{ arc_dag_resource }}", "mode": "planned", "from_site": "primary", "to_site": "secondary",
        "outcome": "failed"}}
    record = drill_ansible.run(drill_ansible.play([failed_record], hosts="primary:secondary"), inventory=inventory)
    assert record.rc == 0, record
    _assert_rejoin_refused(drill_ansible, drill_sites, pair, inventory, "'outcome': 'failed'")

    # nor does a forced failover pick a side: it only ever promotes a site that answers and is not primary
    marks = audit_marks(drill_sites)
    forced = drill_ansible.run("arcdata.sqlmi.failover_forced", inventory=inventory,
                               extra_vars={"dr_failover_confirm": pair.dag_name})
    assert forced.rc != 0, forced
    message = failed_messages(forced)
    assert "refused, nothing was changed" in message and "run dr_rejoin" in message, message
    assert collection_writes_since(drill_sites, marks) == NO_WRITES
    assert roles(drill_sites, pair) == {"primary": "Primary", "secondary": "Primary"}


def _assert_rejoin_refused(ansible, sites, pair, inventory, latest):
    marks = audit_marks(sites)
    run = ansible.run("arcdata.sqlmi.dr_rejoin", inventory=inventory)
    assert run.rc != 0, run
    message = failed_messages(run)
    assert "both sites are primary" in message and "no successful handover record" in message, message
    assert latest in message and "nothing was changed" in message, message
    assert collection_writes_since(sites, marks) == NO_WRITES
    assert roles(sites, pair) == {"primary": "Primary", "secondary": "Primary"}


def _assert_handover(sites, pair, mode, from_site, to_site, run, sites_with_record=HOSTS):
    """The run's handover record: the annotation on the DAG resources, an Event, and the set_stats data."""
    for site in sites_with_record:
        record = _handover(dag_object(sites, pair, site))
        assert (record["mode"], record["from_site"], record["to_site"], record["outcome"]) == \
            (mode, from_site, to_site, "succeeded"), record
        assert any(f"{mode} handover {from_site} -> {to_site}" in e.message for e in handover_events(sites, pair, site))
    stats = [t["result"]["ansible_stats"] for t in run.results(SET_STATS) if t["outcome"] == "ok"]
    assert len(stats) == 1, run
    returned = stats[0]["data"]["dr_handover"][pair.group]
    assert (returned["mode"], returned["from_site"], returned["to_site"], returned["outcome"]) == \
        (mode, from_site, to_site, "succeeded"), returned


@pytest.mark.timeout(600)
def test_the_drill_by_playbooks(drill_ansible, drill_sites, tmp_path):
    made = PlaybookPairs(drill_sites, tmp_path)
    try:
        _drill(drill_ansible, drill_sites, made.new("drill"), made, tmp_path / "reports")
    finally:
        made.remove_all()


def _drill(ansible, sites, pair, made, reports):
    inventory = made.inventory(pair)
    run = ansible.run(DR_SETUP, inventory=inventory)
    assert run.rc == 0, run

    # a first attempt meets an API outage on the primary site (every write to its DAG resource answered 503): the
    # pair's failover fails naming the pair and the step, no site records a success, and the pair stays as it was
    run_cli(sites.runtime_dir, "fault", "--site", "primary", "--verb", "patch", "--resource", "failovergroups",
            "--code", "503", "--retry-after", "0")
    try:
        run = ansible.run("arcdata.sqlmi.failover_planned", inventory=inventory)
    finally:
        run_cli(sites.runtime_dir, "fault", "--site", "primary", "--clear")
    assert run.rc != 0, run
    assert len(run.failed()) == 1, failed_messages(run)
    assert "planned failover of %s from primary to secondary failed: the handover did not complete: primary " \
        "setting role secondary: FAILED" % pair.group in failed_messages(run)
    record = _handover(dag_object(sites, pair, "secondary"))
    assert (record["mode"], record["outcome"]) == ("planned", "failed"), record
    assert not any("(succeeded)" in e.message for e in handover_events(sites, pair, "secondary"))
    assert roles(sites, pair) == {"primary": "Primary", "secondary": "Secondary"}

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
    env = {"ARC_DR_REPORT_DIR": str(reports)}
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
    html = (reports / f"{pair.group}.html").read_text()
    for report in (markdown, html):
        for expected in (pair.group, pair.dag_name, pair.instances["primary"], pair.instances["secondary"],
                         "Primary", "Secondary", "rejoin from primary to secondary"):
            assert expected in report, (expected, report)
        assert "split brain" not in report.lower(), report
    assert "Last handover" in markdown and "Last handover" in html
