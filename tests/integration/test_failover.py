"""Failovers with arc_dag (DESIGN.md 3.3, issue 4 item 4): a planned failover returns only once this site's
status.role is Secondary for the new generation, the partner is Primary at that moment, failback works the same
way, a repeated request changes nothing, and role=primary on an existing resource is refused before any write.
A forced failover on the DR site works while the primary site is down; when the old primary returns it reports
Primary and unhealthy (split brain) until force-secondary rejoins it."""
import datetime
import time

from tests.sandbox.conftest import run_cli

from .conftest import (HOSTS, PARTNER, collection_requests, dag_summary, seed_walkthrough, wait_for_object,
                       write_requests)
from .dr_playbooks import connected, wait_for_dag

FAILOVER = "Change the role of this site's DAG resource"
PARTNER_INFO = "Read the partner's DAG resource"
INFO = "Read this site's DAG resource"


def _dr_pair(ansible, new_dr_pair, tmp_path):
    pair = new_dr_pair()
    run = ansible.run(seed_walkthrough(ansible, pair, tmp_path / "sqlcerts"))
    assert run.rc == 0, run
    return pair


def _role_change(ansible, pair, host, role, check=False, **extra):
    """arc_dag role=`role` on `host`, then, in the next play and without any wait, arc_dag_info on the partner."""
    return ansible.run(
        ansible.play([{"name": FAILOVER, "arcdata.sqlmi.arc_dag": dict(name=pair.dags[host], role=role, **extra)}],
                     hosts=host)
        + ansible.play([{"name": PARTNER_INFO, "arcdata.sqlmi.arc_dag_info": {"name": pair.dags[PARTNER[host]]}}],
                       hosts=PARTNER[host]), check=check)


def _info(ansible, pair, hosts="primary:secondary"):
    run = ansible.run(ansible.play([{"name": INFO, "arcdata.sqlmi.arc_dag_info": {
        "name": "{{ dr_dag_resources[inventory_hostname] }}"}}], hosts=hosts, vars={"dr_dag_resources": pair.dags}))
    assert run.rc == 0, run
    return run


def _marks(arc_sites):
    return {host: arc_sites.site(host).audit_mark() for host in HOSTS}


def _writes(arc_sites, marks, host):
    return write_requests(collection_requests(arc_sites.site(host).audit_since(marks[host])))


def _stored(arc_sites, pair, host):
    site = arc_sites.site(host)
    return site.custom().get_namespaced_custom_object("sql.arcdata.microsoft.com", "v2", site.namespace,
                                                      "failovergroups", pair.dags[host])


def _assert_switched(run, pair, host, arc_sites, before):
    """`host` went from Primary to Secondary in this run, for a generation the controller observed, and its
    partner reported Primary right after."""
    result = run.result(FAILOVER, host)
    assert result["changed"] is True
    assert (result["role"], result["previous_role"], result["state"]) == ("Secondary", "Primary", "Succeeded")
    resource = result["resource"]
    assert resource["metadata"]["generation"] == before["metadata"]["generation"] + 1
    assert resource["status"]["observedGeneration"] == resource["metadata"]["generation"]
    assert resource["status"]["role"] == "Secondary"
    failover = result["failover"]
    assert (failover["action"], failover["from_role"], failover["to_role"]) == \
        ("planned failover", "Primary", "Secondary")
    started, finished = (datetime.datetime.strptime(failover[k], "%Y-%m-%dT%H:%M:%S.%fZ")
                         for k in ("started", "finished"))
    assert 0 <= failover["duration_seconds"] <= 30
    assert abs((finished - started).total_seconds() - failover["duration_seconds"]) < 1
    partner = dag_summary(run, PARTNER[host], PARTNER_INFO)
    assert (partner["role"], partner["state"]) == ("Primary", "Succeeded"), partner
    assert _stored(arc_sites, pair, host)["spec"]["role"] == "secondary"


def test_planned_failover_failback_idempotence_and_role_primary(ansible, arc_sites, new_dr_pair, tmp_path):
    pair = _dr_pair(ansible, new_dr_pair, tmp_path)

    # check mode predicts the failover and carries out nothing
    marks = _marks(arc_sites)
    predicted = _role_change(ansible, pair, "primary", "secondary", check=True)
    assert predicted.rc == 0, predicted
    assert predicted.result(FAILOVER, "primary")["changed"] is True
    assert "failover" not in predicted.result(FAILOVER, "primary")
    assert all(e["dry_run"] for e in collection_requests(arc_sites.site("primary").audit_since(marks["primary"]))
               if e["verb"] == "patch")
    assert _writes(arc_sites, marks, "primary") == [] and _writes(arc_sites, marks, "secondary") == []
    assert dag_summary(predicted, "secondary", PARTNER_INFO)["role"] == "Secondary"

    # planned failover on the primary
    before = _stored(arc_sites, pair, "primary")
    marks = _marks(arc_sites)
    failover = _role_change(ansible, pair, "primary", "secondary")
    assert failover.rc == 0, failover
    _assert_switched(failover, pair, "primary", arc_sites, before)
    assert [e["verb"] for e in _writes(arc_sites, marks, "primary")] == ["patch"]
    assert _writes(arc_sites, marks, "secondary") == []

    # failback the same way, on the site that is Primary now
    before = _stored(arc_sites, pair, "secondary")
    failback = _role_change(ansible, pair, "secondary", "secondary")
    assert failback.rc == 0, failback
    _assert_switched(failback, pair, "secondary", arc_sites, before)

    # asking again for secondary on the now-Secondary site changes nothing, writes nothing, waits for nothing
    marks = _marks(arc_sites)
    again = _role_change(ansible, pair, "secondary", "secondary")
    assert again.rc == 0, again
    result = again.result(FAILOVER, "secondary")
    assert result["changed"] is False and "failover" not in result
    assert (result["role"], result["previous_role"]) == ("Secondary", "Secondary")
    assert _writes(arc_sites, marks, "secondary") == [] and _writes(arc_sites, marks, "primary") == []

    # role=primary on an existing resource: refused before any write, saying what to do instead
    marks = _marks(arc_sites)
    refused = _role_change(ansible, pair, "secondary", "primary")
    assert refused.rc != 0
    assert [(t["host"], t["task"]) for t in refused.failed()] == [("secondary", FAILOVER)]
    message = refused.result(FAILOVER, "secondary")["msg"]
    assert "role=primary" in message and pair.dags["secondary"] in message
    assert "role=secondary on the partner" in message and "force-primary-allow-data-loss" in message
    assert _writes(arc_sites, marks, "secondary") == [] and _writes(arc_sites, marks, "primary") == []
    roles = {host: dag_summary(_info(ansible, pair), host, INFO)["role"] for host in HOSTS}
    assert roles == {"primary": "Primary", "secondary": "Secondary"}


def _split_brain_reported(obj):
    status = obj.get("status") or {}
    return status.get("role") == "Primary" and status.get("healthState") not in (None, "OK")


def test_forced_failover_with_the_primary_site_killed_then_rejoin(ansible, arc_sites, new_dr_pair, tmp_path):
    pair = _dr_pair(ansible, new_dr_pair, tmp_path)
    arc_sites.kill("primary")
    try:
        forced = ansible.run(ansible.play([{"name": FAILOVER, "arcdata.sqlmi.arc_dag": {
            "name": pair.dags["secondary"], "role": "force-primary-allow-data-loss"}}], hosts="secondary"))
        assert forced.rc == 0, forced
        result = forced.result(FAILOVER, "secondary")
        assert result["changed"] is True
        assert (result["role"], result["previous_role"]) == ("Primary", "Secondary")
        assert result["failover"]["action"] == "forced failover"
        assert result["failover"]["to_role"] == "Primary"

        # the same request again, the primary site still down: nothing to do, so nothing to wait for
        started = time.monotonic()
        again = ansible.run(ansible.play([{"name": FAILOVER, "arcdata.sqlmi.arc_dag": {
            "name": pair.dags["secondary"], "role": "force-primary-allow-data-loss", "wait_timeout": 60}}],
            hosts="secondary"))
        assert again.rc == 0, again.failed()
        assert again.result(FAILOVER, "secondary")["changed"] is False
        assert time.monotonic() - started < 30, "a request that changes nothing waited for the lost partner"
    finally:
        arc_sites.start("primary")

    # the old primary comes back still Primary, and unhealthy: two primaries
    wait_for_object(arc_sites.site("primary"), "failovergroups", pair.dags["primary"], _split_brain_reported)
    split = _info(ansible, pair)
    old_primary = dag_summary(split, "primary", INFO)
    assert old_primary["role"] == "Primary" and old_primary["health"] != "OK", old_primary
    assert dag_summary(split, "secondary", INFO)["role"] == "Primary"

    # rejoin: force-secondary on the old primary
    rejoin = ansible.run(ansible.play([{"name": FAILOVER, "arcdata.sqlmi.arc_dag": {
        "name": pair.dags["primary"], "role": "force-secondary"}}], hosts="primary"))
    assert rejoin.rc == 0, rejoin
    result = rejoin.result(FAILOVER, "primary")
    assert (result["changed"], result["role"], result["previous_role"]) == (True, "Secondary", "Primary")
    assert result["failover"]["action"] == "forced demotion"
    roles = {host: dag_summary(_info(ansible, pair), host, INFO)["role"] for host in HOSTS}
    assert roles == {"primary": "Secondary", "secondary": "Primary"}


def test_a_planned_failover_abandoned_over_a_cut_link_is_asked_for_again(ansible, arc_sites, new_dr_pair, tmp_path):
    """The link is cut as the switch is asked for: the controller abandons it and spec.role stays 'secondary' on a
    site still Primary. Once healed, the same request withdraws the abandoned one and switches, with a warning."""
    pair = _dr_pair(ansible, new_dr_pair, tmp_path)
    before = _stored(arc_sites, pair, "primary")
    run_cli(arc_sites.runtime_dir, "partition")
    try:
        wait_for_dag(arc_sites, pair, "primary", lambda obj: not connected(obj))
        cut = _role_change(ansible, pair, "primary", "secondary")
    finally:
        run_cli(arc_sites.runtime_dir, "heal")
    assert cut.rc != 0, cut
    message = cut.result(FAILOVER, "primary")["msg"]
    assert "reports Failed: planned failover refused" in message and "not connected" in message, message
    abandoned = _stored(arc_sites, pair, "primary")
    assert (abandoned["spec"]["role"], abandoned["status"]["role"]) == ("secondary", "Primary")

    for host in HOSTS:
        wait_for_dag(arc_sites, pair, host, connected)
    # not withdrawn unless the controller is known to accept `primary` on update: the failure says what to do
    refused = _role_change(ansible, pair, "primary", "secondary")
    assert refused.rc != 0
    assert "withdraw_abandoned_switch=true" in refused.result(FAILOVER, "primary")["msg"], refused
    # this (rich) controller accepts it
    again = _role_change(ansible, pair, "primary", "secondary", withdraw_abandoned_switch=True)
    assert again.rc == 0, again
    warnings = " ".join(again.result(FAILOVER, "primary").get("warnings") or [])
    assert "abandoned" in warnings and "withdrawing it and asking again" in warnings, warnings
    # generation: the abandoned request, the withdrawal, the new request
    before["metadata"]["generation"] += 2
    _assert_switched(again, pair, "primary", arc_sites, before)
