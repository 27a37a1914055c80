# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is left of an interrupted transition, from its intent and what both sites report: every roll-forward and
every refusal, without a site. Whatever the state, the roll-forward never asks for a second switch and never
writes a role that moves the primary role back."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import resume, transition_intent
from ansible_collections.arcdata.sqlmi.plugins.module_utils.failover_plan import FORCE_PRIMARY, FORCE_SECONDARY, \
    Refusal
from ansible_collections.arcdata.sqlmi.plugins.module_utils.pair_sites import PairSite

ID = "1a2b3c4d5e6f"


def intent(mode, from_site="ams", to_site="dub"):
    return {"id": ID, "mode": mode, "pair": "payroll", "from_site": from_site, "to_site": to_site,
            "started": "2026-12-08T03:00:00.000000Z", "holder": "dba carol, run dead", "ended": False}


def site(name, role, spec_role=None, connected=True, record=None, error=None):
    if error:
        return PairSite(name, "sql-" + name, "dag-" + name, error=error)
    return PairSite(name, "sql-" + name, "dag-" + name, dag={
        "name": "dag-" + name, "role": role, "spec_role": spec_role or role.lower(), "connected": connected,
        "health": "OK" if connected else "Error", "state": "Succeeded", "status_results": "", "handover": record,
        "local_instance": "sql-" + name})


def record(transition=ID, to_site="dub"):
    return {"time": "2026-12-08T03:00:05.000000Z", "mode": "planned", "from_site": "ams", "to_site": to_site,
            "outcome": "succeeded", "transition": transition, "details": "switched in 1.2 s without data loss"}


def writes(left):
    return [(w.site.name, w.role, w.step) for w in (left.transition.writes if left.transition else [])]


# -- planned (and failback, the same switch) ---------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["planned", "failback"])
def test_planned_killed_after_the_lock_asks_for_the_switch_as_a_new_run_would(mode):
    left = resume.decide(intent(mode), [site("ams", "Primary"), site("dub", "Secondary")])
    assert writes(left) == [("ams", "secondary", "switch")]
    assert left.transition.to_site.name == "dub" and left.record_on == ["ams", "dub"] and left.record is None


def test_planned_killed_after_the_switch_was_asked_for_writes_it_again_which_finds_it_asked():
    left = resume.decide(intent("planned"), [site("ams", "Primary", spec_role="secondary"), site("dub", "Secondary")])
    assert writes(left) == [("ams", "secondary", "switch")]  # the same spec: DagSide patches nothing, awaits
    assert "asked for" in left.state


def test_planned_killed_after_the_old_primary_was_demoted_awaits_the_new_primary_and_never_toggles_back():
    left = resume.decide(intent("planned"), [site("ams", "Secondary"), site("dub", "Secondary")])
    assert writes(left) == [] and left.transition.to_site.name == "dub"
    assert not left.roles_done


def test_planned_killed_after_both_roles_changed_records_only():
    left = resume.decide(intent("planned"), [site("ams", "Secondary"), site("dub", "Primary")])
    assert left.roles_done and left.record_on == ["ams", "dub"] and left.record is None


def test_planned_killed_after_the_record_on_one_site_copies_that_record_to_the_other():
    left = resume.decide(intent("planned"), [site("ams", "Secondary", record=record()),
                                             site("dub", "Primary", record=record("other", "ams"))])
    assert left.roles_done and left.record_on == ["dub"] and left.record == record()


def test_planned_killed_before_releasing_the_lock_is_finished():
    left = resume.decide(intent("planned"), [site("ams", "Secondary", record=record()),
                                             site("dub", "Primary", record=record())])
    assert left.finished


def test_planned_with_two_primaries_refuses_and_points_to_rejoin():
    with pytest.raises(Refusal) as caught:
        resume.decide(intent("planned"), [site("ams", "Primary"), site("dub", "Primary")])
    assert "both sites are primary: run dr_rejoin" in caught.value.message
    assert "planned failover of payroll from ams to dub (transition %s" % ID in caught.value.message


def test_planned_not_yet_asked_for_refuses_a_disconnected_pair():
    with pytest.raises(Refusal) as caught:
        resume.decide(intent("planned"), [site("ams", "Primary", connected=False), site("dub", "Secondary")])
    assert "the switch was not asked for yet, and it cannot be now" in caught.value.message


def test_planned_whose_new_primary_does_not_answer_refuses_naming_it():
    with pytest.raises(Refusal) as caught:
        resume.decide(intent("planned"), [site("ams", "Secondary"), site("dub", None, error="connection refused")])
    assert "site dub (sql-dub), which takes the primary role, does not answer (connection refused)" in \
        caught.value.message


def test_planned_done_while_the_old_primary_does_not_answer_records_on_the_new_one():
    left = resume.decide(intent("planned"), [site("ams", None, error="connection refused"), site("dub", "Primary")])
    assert left.roles_done and left.record_on == ["dub"]


# -- forced --------------------------------------------------------------------------------------------------------
def test_forced_killed_before_the_fence_fences_and_promotes_the_dr_site():
    left = resume.decide(intent("forced"), [site("ams", "Primary"), site("dub", "Secondary")])
    assert writes(left) == [("ams", FORCE_SECONDARY, "fence"), ("dub", FORCE_PRIMARY, "promote")]


def test_forced_killed_after_the_fence_promotes_the_dr_site_not_the_fenced_one():
    left = resume.decide(intent("forced"), [site("ams", "Secondary", spec_role="force-secondary"),
                                            site("dub", "Secondary")])
    assert writes(left) == [("dub", FORCE_PRIMARY, "promote")]


def test_forced_killed_after_the_promotion_records_only_and_leaves_a_returning_primary_to_rejoin():
    left = resume.decide(intent("forced"), [site("ams", "Primary"), site("dub", "Primary")])
    assert left.roles_done and left.record_on == ["ams", "dub"]


def test_forced_with_the_old_primary_lost_promotes_without_fence():
    left = resume.decide(intent("forced"), [site("ams", None, error="unreachable"), site("dub", "Secondary")])
    assert writes(left) == [("dub", FORCE_PRIMARY, "promote")] and left.record_on == ["dub"]


def test_forced_whose_dr_site_does_not_answer_refuses():
    with pytest.raises(Refusal):
        resume.decide(intent("forced"), [site("ams", "Secondary"), site("dub", None, error="unreachable")])


# -- rejoin --------------------------------------------------------------------------------------------------------
def test_rejoin_killed_before_the_demotion_demotes():
    left = resume.decide(intent("rejoin"), [site("ams", "Primary"), site("dub", "Primary")])
    assert writes(left) == [("ams", FORCE_SECONDARY, "demote")]


def test_rejoin_killed_after_the_demotion_awaits_the_link():
    left = resume.decide(intent("rejoin"), [site("ams", "Secondary", connected=False), site("dub", "Primary")])
    assert writes(left) == [] and not left.roles_done


def test_rejoin_killed_once_connected_records_only():
    left = resume.decide(intent("rejoin"), [site("ams", "Secondary"), site("dub", "Primary")])
    assert left.roles_done and left.record_on == ["ams", "dub"]


def test_rejoin_whose_kept_site_is_not_primary_refuses():
    with pytest.raises(Refusal):
        resume.decide(intent("rejoin"), [site("ams", "Secondary"), site("dub", "Secondary")])


# -- what every decision holds to ---------------------------------------------------------------------------------
ROLES = ["Primary", "Secondary"]


@pytest.mark.parametrize("mode", ["planned", "failback", "forced", "rejoin"])
@pytest.mark.parametrize("ams", ROLES)
@pytest.mark.parametrize("dub", ROLES)
def test_no_decision_moves_the_primary_role_back_to_where_the_transition_took_it_from(mode, ams, dub):
    try:
        left = resume.decide(intent(mode), [site("ams", ams), site("dub", dub)])
    except Refusal:
        return
    for name, role, unused in writes(left):
        assert not (name == "dub" and role in ("secondary", FORCE_SECONDARY)), "the new primary demoted"
        assert not (name == "ams" and role == FORCE_PRIMARY), "the old primary promoted"
    assert [w for w in writes(left) if w[2] == "switch"] in ([], [("ams", "secondary", "switch")])


def test_an_intent_of_sites_not_in_the_pair_refuses():
    with pytest.raises(Refusal) as caught:
        resume.decide(intent("planned", "lon", "dub"), [site("ams", "Primary"), site("dub", "Secondary")])
    assert "names sites lon and dub" in caught.value.message


def test_intents_unfinished_and_described():
    fresh = transition_intent.new("planned", "payroll", "ams", "dub", "dba, run 1", "2026-12-08T03:00:00.000000Z",
                                  "dba", "42")
    assert transition_intent.unfinished(fresh) and len(fresh["id"]) == 12
    assert not transition_intent.unfinished(dict(fresh, ended=True)) and not transition_intent.unfinished(None)
    assert transition_intent.describe(fresh).startswith("planned failover of payroll from ams to dub (transition ")


def test_a_transition_recorded_as_failed_has_ended_its_record_is_copied_and_nothing_rolled_forward():
    failed = dict(record(), outcome="failed", details="the handover did not complete")
    left = resume.decide(intent("planned"), [site("ams", "Primary"), site("dub", "Secondary", record=failed)])
    assert left.failed and left.roles_done and left.record == failed and left.record_on == ["ams"]
