"""A site's Arc controller restarted (its pod rescheduled) while the API server and the SQL engines run on: it
resumes from what the API holds (and its own database), finishing a role switch it was driving when it died, and
each stop and start is recorded in the site's audit log."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from sandbox.workload import Workload
from tests.sandbox.conftest import run_cli

from .conftest import Pair, missing_acknowledged, own_sandbox, wait_for, wait_same_logs, write_many

FORCED = "force-primary-allow-data-loss"
# the partner catches up at 50 records per second: a planned failover after a burst of writes waits seconds for it
SLOW_SEEDING = ("--ready-delay", "0.2", "--seeding-rate", "50")


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    with own_sandbox(tmp_path_factory, *SLOW_SEEDING) as handle:
        yield handle


def controller(sandbox, action, site, *extra):
    return run_cli(sandbox.runtime_dir, "controller", action, "--site", site, *extra).stdout


def controller_notes(site, mark):
    return [e["fault"]["controller"] for e in site.audit_since(mark)
            if e["verb"] == "fault" and "controller" in e["fault"]]


def events(site, reason):
    return [e for e in site.core().list_namespaced_event(site.namespace).items if e.reason == reason]


def test_a_restart_leaves_the_engines_serving_and_is_audited(slow):
    pair = Pair(slow).setup()
    site = pair.sites["primary"]
    mark = site.audit_mark()
    workload = Workload(pair.instances["primary"].status()["endpoints"]["primary"], rate=50, prefix="r").start()
    try:
        wait_for(lambda: len(workload.acknowledged) >= 10, what="the workload to be acknowledged")

        controller(slow, "restart", "primary", "--after", "1")

        wait_for(lambda: controller_notes(site, mark) == ["stopped", "started"], what="the controller back")
        acknowledged = len(workload.acknowledged)
        wait_for(lambda: len(workload.acknowledged) > acknowledged + 10, what="more writes after the restart")
    finally:
        workload.stop()
    assert not workload.errors and not workload.refused, (workload.errors[:3], workload.refused[:3])
    # the controller that started again drives the next change
    written = pair.dags["primary"].set_role("secondary")
    assert pair.dags["primary"].wait_reported(written, timeout=40, state="Succeeded")["role"] == "Secondary"
    wait_for(lambda: pair.dags["secondary"].spec()["role"] == FORCED, what="the partner's role rewritten")
    assert not missing_acknowledged(wait_same_logs(pair, timeout=40), workload.acknowledged)


def test_a_planned_failover_the_controller_died_in_is_carried_out_once_it_is_back(slow):
    pair = Pair(slow).setup()
    site = pair.sites["primary"]
    write_many(pair.instances["primary"], 400, "burst")  # the partner needs ~8 s to harden these
    mark = site.audit_mark()

    pair.dags["primary"].set_role("secondary")
    wait_for(lambda: pair.instances["primary"].stats()["writes_blocked"], what="the failover to wait for the partner")
    controller(slow, "stop", "primary")

    # it died mid-switch: nothing was switched, the instance takes writes again, the status still says Updating
    wait_for(lambda: not pair.instances["primary"].stats()["writes_blocked"], what="writes unblocked")
    assert pair.instances["primary"].stats()["role"] == "PRIMARY"
    assert pair.dags["primary"].status()["state"] == "Updating"
    with pair.instances["primary"].sql() as sql:
        during = sql.write("while-the-controller-was-down", 1)
    controller(slow, "start", "primary")

    status = pair.dags["primary"].wait_settled(timeout=60, state="Succeeded")
    assert status["role"] == "Secondary"
    wait_for(lambda: pair.dags["secondary"].spec()["role"] == FORCED, what="the partner's role rewritten")
    assert pair.dags["secondary"].wait_settled(timeout=20, state="Succeeded")["role"] == "Primary"
    records = wait_same_logs(pair, timeout=40)
    assert during in [r["lsn"] for r in records]
    assert len(events(site, "PlannedFailoverResumed")) == 1
    assert controller_notes(site, mark) == ["stopped", "started"]


def test_a_handover_made_while_the_partner_controller_is_down_waits_for_it(slow):
    pair = Pair(slow).setup()
    wait_same_logs(pair)
    controller(slow, "stop", "secondary")
    try:
        pair.dags["primary"].set_role("secondary")
        # the old primary demoted itself and asked; nobody on the other site can carry the promotion out
        wait_for(lambda: pair.instances["primary"].stats()["role"] == "SECONDARY", what="the demotion")
        assert pair.instances["secondary"].stats()["role"] == "SECONDARY"
    finally:
        controller(slow, "start", "secondary")

    wait_for(lambda: pair.instances["secondary"].stats()["role"] == "PRIMARY", what="the promotion")
    assert pair.dags["primary"].wait_settled(timeout=40, state="Succeeded")["role"] == "Secondary"
    wait_for(lambda: pair.dags["secondary"].spec()["role"] == FORCED, what="the partner's role rewritten")


def test_kill_takes_the_engines_down_until_the_site_starts(slow):
    pair = Pair(slow).setup()

    assert "killed" in controller(slow, "kill", "secondary")

    slow.refresh()
    components = slow.report["sites"]["secondary"]["components"]
    assert components["apiserver"]["running"] and not components["controller"]["running"]
    refused = run_cli(slow.runtime_dir, "controller", "restart", "--site", "secondary", check=False)
    assert refused.returncode == 1 and "not running" in refused.stderr
    slow.start("secondary")
    pair.wait_connected(timeout=40)
