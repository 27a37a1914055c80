# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover's decisions from what both sites report: every transition and every refusal, without a site."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils.failover_plan import (
    FORCE_PRIMARY, FORCE_SECONDARY, Refusal, plan)
from ansible_collections.arcdata.sqlmi.plugins.module_utils.pair_sites import PairSite

PAIR = "payroll"
DAG = "payroll-dag"


def dag(role, connected=True, health="OK", handover=None, state="Succeeded", name=None):
    return {"name": name or "dag-%s" % str(role).lower(), "role": role, "connected": connected, "health": health,
            "state": state, "status_results": "" if connected else "partner not reachable", "handover": handover,
            "local_instance": "sql-%s" % str(role).lower()}


def site(name, role="Secondary", home_role=None, error=None, **dag_fields):
    if error:
        return PairSite(name, "sql-" + name, "dag-" + name, home_role, error=error)
    return PairSite(name, "sql-" + name, "dag-" + name, home_role,
                    dag=None if role is None else dag(role, name="dag-" + name, **dag_fields))


def healthy_pair():
    return [site("ams", "Primary", "primary"), site("dub", "Secondary", "secondary")]


def record(to_site, outcome="succeeded", time="2026-12-01T03:00:00.000000Z", from_site=None):
    return {"time": time, "mode": "forced", "from_site": from_site, "to_site": to_site, "outcome": outcome}


def refusal(mode, sites, **kwargs):
    with pytest.raises(Refusal) as caught:
        plan(mode, PAIR, sites, **kwargs)
    message = caught.value.message
    assert message.startswith("%s of %s refused, nothing was changed: " % (
        {"planned": "planned failover", "forced": "forced failover"}.get(mode, mode), PAIR)), message
    return message


# -- planned ----------------------------------------------------------------------------------------------------
def test_planned_switches_the_primary_to_secondary_and_locks_on_the_primary():
    transition = plan("planned", PAIR, healthy_pair())
    assert (transition.from_site.name, transition.to_site.name, transition.lock_site.name) == ("ams", "dub", "ams")
    assert [(w.site.name, w.role, w.step) for w in transition.writes] == [("ams", "secondary", "switch")]
    assert transition.nothing_to_do is None


def test_planned_from_the_other_site_when_it_is_primary():
    transition = plan("planned", PAIR, [site("ams", "Secondary"), site("dub", "Primary")])
    assert (transition.from_site.name, transition.to_site.name) == ("dub", "ams")


def test_planned_compares_roles_without_regard_to_case():
    transition = plan("planned", PAIR, [site("ams", "PRIMARY"), site("dub", "secondary")])
    assert transition.from_site.name == "ams"


@pytest.mark.parametrize("sites, expected", [
    ([site("ams", "Primary"), site("dub", error="HTTP 503 ServiceUnavailable")],
     ["site dub (sql-dub): the Kubernetes API could not be read: HTTP 503 ServiceUnavailable"]),
    ([site("ams", "Primary"), site("dub", None)], ["site dub (sql-dub): it has no DAG resource 'dag-dub'"]),
    ([site("ams", "Primary"), site("dub", "Secondary", connected=False)],
     ["DAG resource dag-dub is not connected and healthy (state Succeeded, health OK: partner not reachable)"]),
    ([site("ams", "Primary", health="Error"), site("dub", "Secondary")],
     ["DAG resource dag-ams is not connected and healthy (state Succeeded, health Error"]),
    ([site("ams", "Primary"), site("dub", "Primary")],
     ["2 sites are primary (split brain): site ams (sql-ams) is Primary, site dub (sql-dub) is Primary"]),
    ([site("ams", "Secondary"), site("dub", "Secondary")], ["no site is primary (site ams (sql-ams) is Secondary"]),
])
def test_planned_refuses_an_unhealthy_pair_naming_the_site_and_what_it_reported(sites, expected):
    message = refusal("planned", sites)
    for text in expected:
        assert text in message, message


def test_planned_health_counts_a_lowercase_health_as_ok():
    assert plan("planned", PAIR, [site("ams", "Primary", health="ok"), site("dub", "Secondary")]).writes


# -- failback ---------------------------------------------------------------------------------------------------
def test_failback_does_nothing_when_the_home_site_is_primary():
    transition = plan("failback", PAIR, healthy_pair())
    assert transition.writes == [] and transition.nothing_to_do == "ams is already the primary site, nothing to fail back"


def test_failback_switches_back_to_the_home_site():
    sites = [site("ams", "Secondary", "primary"), site("dub", "Primary", "secondary")]
    transition = plan("failback", PAIR, sites)
    assert (transition.from_site.name, transition.to_site.name) == ("dub", "ams")
    assert [(w.site.name, w.role) for w in transition.writes] == [("dub", "secondary")]


def test_failback_refuses_what_a_planned_failover_refuses():
    sites = [site("ams", "Secondary", "primary"), site("dub", "Primary", "secondary", connected=False)]
    assert "not connected and healthy" in refusal("failback", sites)


def test_failback_needs_the_home_primary():
    sites = [site("ams", "Secondary", "secondary"), site("dub", "Primary", "secondary")]
    assert "exactly one site must have home role primary" in refusal("failback", sites)


# -- forced -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("confirm, shown", [(None, "confirm is not set"), ("", "confirm is not set"),
                                            ("payroll", "confirm is 'payroll'")])
def test_forced_refuses_without_the_dag_name_as_confirmation(confirm, shown):
    message = refusal("forced", [site("ams", error="unreachable"), site("dub", "Secondary")], confirm=confirm,
                      dag_name=DAG)
    assert shown in message and "set it to the DAG name %r" % DAG in message, message
    assert "loses the transactions the DR site has not received" in message


def test_forced_with_the_primary_lost_promotes_without_fencing():
    transition = plan("forced", PAIR, [site("ams", error="Connection refused"), site("dub", "Secondary")],
                      confirm=DAG, dag_name=DAG)
    assert (transition.from_site.name, transition.to_site.name, transition.lock_site.name) == ("ams", "dub", "dub")
    assert [(w.site.name, w.role, w.sync_mode, w.step) for w in transition.writes] == [
        ("dub", FORCE_PRIMARY, "async", "promote")]
    assert transition.fence_error == "Connection refused"


def test_forced_with_the_primary_answering_fences_it_first():
    transition = plan("forced", PAIR, healthy_pair(), confirm=DAG, dag_name=DAG)
    assert [(w.site.name, w.role, w.step) for w in transition.writes] == [
        ("ams", FORCE_SECONDARY, "fence"), ("dub", FORCE_PRIMARY, "promote")]
    assert transition.lock_site.name == "ams" and transition.fence_error is None


def test_forced_never_promotes_a_primary_two_primaries_are_for_rejoin():
    message = refusal("forced", [site("ams", "Primary"), site("dub", "Primary")], confirm=DAG, dag_name=DAG)
    assert "no site that answers is a secondary to promote" in message and "run dr_rejoin" in message, message


def test_forced_refuses_when_no_site_that_answers_can_be_promoted():
    message = refusal("forced", [site("ams", error="down"), site("dub", error="down")], confirm=DAG, dag_name=DAG)
    assert "answering: none; primary: none" in message, message


def test_forced_refuses_a_site_without_dag_resource():
    message = refusal("forced", [site("ams", error="down"), site("dub", None)], confirm=DAG, dag_name=DAG)
    assert "site dub (sql-dub) has no DAG resource 'dag-dub'" in message, message


# -- rejoin -----------------------------------------------------------------------------------------------------
def test_rejoin_does_nothing_with_one_primary():
    transition = plan("rejoin", PAIR, healthy_pair())
    assert transition.writes == [] and transition.nothing_to_do == "1 primary site(s), nothing to rejoin"


def test_rejoin_keeps_the_primary_the_latest_successful_record_names():
    older = record("ams", time="2026-11-01T00:00:00.000000Z")
    newer = record("dub", time="2026-12-01T00:00:00.000000Z", from_site="ams")
    sites = [site("ams", "Primary", handover=older, connected=False), site("dub", "Primary", handover=newer)]
    transition = plan("rejoin", PAIR, sites)
    assert (transition.from_site.name, transition.to_site.name, transition.lock_site.name) == ("ams", "dub", "dub")
    assert [(w.site.name, w.role, w.step) for w in transition.writes] == [("ams", FORCE_SECONDARY, "demote")]


@pytest.mark.parametrize("handover, latest", [
    (None, "latest record: none"),
    (record("dub", outcome="failed"), "'outcome': 'failed'"),
    (record("elsewhere"), "'to_site': 'elsewhere'"),
])
def test_rejoin_refuses_to_guess_without_a_successful_record_naming_a_primary(handover, latest):
    message = refusal("rejoin", [site("ams", "Primary", handover=handover), site("dub", "Primary")])
    assert "both sites are primary and no successful handover record names the one to keep" in message
    assert latest in message, message


def test_an_unknown_mode_is_a_programming_error():
    with pytest.raises(ValueError):
        plan("sideways", PAIR, healthy_pair())
