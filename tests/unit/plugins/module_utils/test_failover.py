# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two-site failover run (failover.py) against fake sites: what it writes where, in which order, what it
records and reports, for a success, a refusal, a held lock, a failed switch, a lost site. No server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json
import time

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import dr_lock, failover, failover_lock, failover_site, \
    handover
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure, ArcError
from ansible_collections.arcdata.sqlmi.plugins.module_utils.failover_plan import Refusal
from ansible_collections.arcdata.sqlmi.plugins.module_utils.leases import LostRace

ROLE_OF = {"primary": "Primary", "secondary": "Secondary", "force-secondary": "Secondary",
           "force-primary-allow-data-loss": "Primary"}


class Journal(object):
    """Every write of the run on every site, in order: (site, what, detail)."""

    def __init__(self):
        self.entries = []

    def __call__(self, *entry):
        self.entries.append(entry)

    def of(self, what):
        return [e for e in self.entries if e[1] == what]


class FakeCaller(object):
    def __init__(self, site):
        self.site = site
        self.policy = None


class FakeLeases(object):
    namespace = "arc"

    def __init__(self, site, journal, held_by=None):
        self.site, self.journal = site, journal
        self.caller = FakeCaller(site.label)
        self.lease = None
        self.holder_alive = bool(held_by)  # a live holder renews between two reads of the watch
        if held_by:
            self.lease = {"metadata": {"name": "lock", "resourceVersion": "1"},
                          "spec": {"holderIdentity": held_by, "leaseDurationSeconds": 600,
                                   "renewTime": "2099-01-01T00:00:00.000000Z",
                                   "acquireTime": "2099-01-01T00:00:00.000000Z"}}

    def describe(self, name):
        return "Lease arc/%s" % name

    def get(self, name):
        found = copy.deepcopy(self.lease)
        if self.holder_alive and self.lease is not None:
            self.lease["metadata"]["resourceVersion"] = str(int(self.lease["metadata"]["resourceVersion"]) + 1)
        return found

    def create(self, body, dry_run=False):
        if self.lease is not None:
            raise LostRace()
        self.journal(self.site.name, "lock", body["spec"]["holderIdentity"])
        if not dry_run:
            self.lease = copy.deepcopy(body)
        return body

    def replace(self, body, dry_run=False):
        self.journal(self.site.name, "lock", body["spec"]["holderIdentity"])
        if not dry_run:
            self.lease = copy.deepcopy(body)
        return body


class FakeEvents(object):
    def __init__(self, site, journal):
        self.site, self.journal = site, journal

    def record(self, involved, reason, message, event_type="Normal", dry_run=False):
        self.journal(self.site.name, "event", message)


class FakeDags(object):
    def __init__(self, site, journal):
        self.site, self.journal = site, journal
        self.caller = FakeCaller(site.label)

    def describe(self, name=None):
        return "failovergroups.sql arc/%s" % name

    def get(self, name):
        return copy.deepcopy(self.site.obj)

    def patch(self, name, patch, dry_run=False, recompute=None):
        annotation = patch.get("metadata", {}).get("annotations", {}).get(handover.ANNOTATION)
        self.journal(self.site.name, "record", json.loads(annotation)["outcome"])
        if not dry_run:
            self.site.obj["metadata"].setdefault("annotations", {}).update(patch["metadata"]["annotations"])
        return copy.deepcopy(self.site.obj)


class FakeSite(object):
    """One site: its DAG object (None: none), whether it answers, what its controller does with a role change."""

    def __init__(self, name, role, journal, answers=True, held_by=None, fails_switch=False, home_role=None):
        self.name, self.label, self.namespace = name, "site %s (context %s)" % (name, name), "arc"
        self.journal, self.answers, self.fails_switch, self.home_role = journal, answers, fails_switch, home_role
        self.obj = None if role is None else {
            "metadata": {"name": "dag-" + name, "generation": 1, "annotations": {}},
            "spec": {"sharedName": "payroll-dag", "sourceMI": "sql-" + name, "partnerMI": "sql-other",
                     "role": role.lower()},
            "status": {"role": role, "state": "Succeeded", "healthState": "OK",
                       "replicas": [{"connectedState": "CONNECTED"}, {"connectedState": "CONNECTED"}]}}
        self.leases_ = FakeLeases(self, journal, held_by)
        self.caller = FakeCaller(self.label)
        self.partner = None

    def leases(self):
        return self.leases_

    def data_controller(self):
        return None  # (the transport choice: no data controller says direct mode)

    def events(self):
        return FakeEvents(self, self.journal)


class FakeSide(object):
    """Stands in for DagSide: a role change is carried out at once, the partner taking the other role."""

    def __init__(self, site, name, api_kind, api_version, check_mode=False, wait=True, wait_timeout=600, warn=None,
                 diff=False, heartbeat=None, withdraw_abandoned=False):
        if not site.answers:
            raise ApiFailure("%s: get API discovery failed: the API is unreachable (Connection refused)" % site.label,
                             site=site.label)
        self.site, self.name, self.layout = site, name, "FailoverGroup"
        self.dags = FakeDags(site, site.journal)
        self.check_mode, self.wait_timeout, self.heartbeat = check_mode, wait_timeout, heartbeat
        self.result = {}

    def read(self):
        return copy.deepcopy(self.site.obj)

    def present(self, wanted, cert_file=None, existing=None):
        self.site.journal(self.site.name, "role", wanted["role"])
        if self.site.fails_switch:
            what = self.dags.describe(self.name)
            raise ArcError("%s: patch %s failed: HTTP 503 ServiceUnavailable" % (self.site.label, what),
                           site=self.site.label)
        if not self.check_mode:
            self.site.obj["status"]["role"] = ROLE_OF[wanted["role"]]
            if wanted["role"] in ("secondary", "force-secondary") and self.site.partner and \
                    self.site.partner.answers:
                self.site.partner.obj["status"]["role"] = "Primary"
        self.result = {"changed": True, "resource": copy.deepcopy(self.site.obj),
                       "failover": {"duration_seconds": 0.04}}
        return self.result

    def wait_until(self, condition, obj=None):
        """Met at once, or as a watch would: checked again each time the heartbeat beats, until it times out."""
        for unused in range(200):
            if not self.site.answers:
                raise ArcError("%s: gave up waiting, the site's API stopped answering" % self.site.label)
            obj = copy.deepcopy(self.site.obj)
            if condition.check(obj)[0]:
                return obj
            if self.heartbeat is not None:
                self.heartbeat.beat_if_due()
            time.sleep(0.01)
        raise ArcError("%s: timed out waiting for %s" % (self.site.label, condition.description))


class WatchClock(object):
    """The monotonic clock and sleep of the lock's watch: a sleep passes at once."""

    def __init__(self):
        self.ticks, self.slept = 0.0, 0.0

    def monotonic(self):
        return self.ticks

    def sleep(self, seconds):
        self.ticks += seconds
        self.slept += seconds


@pytest.fixture
def watch_clock(monkeypatch):
    clock = WatchClock()

    def drlock(*args, **kwargs):
        return dr_lock.DrLock(*args, monotonic=clock.monotonic, sleep=clock.sleep, **kwargs)
    monkeypatch.setattr(failover_lock, "DrLock", drlock)
    return clock


@pytest.fixture
def pair(monkeypatch, watch_clock):
    journal = Journal()
    sites = {}

    def make(ams="Primary", dub="Secondary", ams_site=None, dub_site=None):
        sites["ams"] = FakeSite("ams", ams, journal, home_role="primary", **(ams_site or {}))
        sites["dub"] = FakeSite("dub", dub, journal, home_role="secondary", **(dub_site or {}))
        sites["ams"].partner, sites["dub"].partner = sites["dub"], sites["ams"]
        return sites, journal
    monkeypatch.setattr(failover.Site, "connect", classmethod(lambda cls, params, label=None: sites[label]))
    monkeypatch.setattr(failover_site, "DagSide", FakeSide)
    return make


def params(mode, **extra):
    values = {"mode": mode, "pair": "payroll", "dag_name": "payroll-dag", "confirm": None, "api_kind": "auto",
              "api_version": None, "wait_timeout": 30, "operator": "dba", "job": None, "dr_lock_name": None,
              "dr_lock_holder": "dba, run 1", "dr_lock_duration": 60,
              "sites": [{"name": "ams", "dag_resource": "dag-ams", "instance": "sql-ams", "home_role": "primary"},
                        {"name": "dub", "dag_resource": "dag-dub", "instance": "sql-dub", "home_role": "secondary"}]}
    values.update(extra)
    return values


def run(mode, check_mode=False, warnings=None, **extra):
    return failover.Failover(params(mode, **extra), check_mode=check_mode,
                             warn=(warnings if warnings is not None else []).append).run()


def test_a_planned_failover_locks_switches_records_on_both_sites_and_reports(pair):
    sites, journal = pair()
    result = run("planned")
    assert journal.entries[0] == ("ams", "lock", "dba, run 1")
    assert journal.of("role") == [("ams", "role", "secondary")]
    assert sorted(journal.of("record")) == [("ams", "record", "succeeded"), ("dub", "record", "succeeded")]
    assert journal.entries[-1] == ("ams", "lock", "")  # released last
    assert result["roles"] == {"before": {"ams": "Primary", "dub": "Secondary"},
                               "after": {"ams": "Secondary", "dub": "Primary"}}
    assert (result["from_site"], result["to_site"], result["changed"]) == ("ams", "dub", True)
    assert result["summary"] == "switched in 0.04 s without data loss"
    assert result["record"]["mode"] == "planned" and result["record"]["to_instance"] == "sql-dub"
    assert [s["step"] for s in result["steps"]] == ["read both sites", "read the DR locks", "take the DR lock", "switch",
                                                    "await the primary role", "record the handover",
                                                    "release the DR lock"]


def test_a_refusal_writes_nothing_and_reports_what_was_read(pair):
    sites, journal = pair(dub="Primary")
    with pytest.raises(Refusal) as caught:
        run("planned")
    assert journal.entries == []
    assert "2 sites are primary (split brain)" in caught.value.message
    assert caught.value.details["roles"]["before"] == {"ams": "Primary", "dub": "Primary"}
    assert [s["step"] for s in caught.value.details["steps"]] == ["read both sites", "read the DR locks"]


def test_a_held_lock_refuses_before_any_role_change(pair):
    sites, journal = pair(ams_site={"held_by": "dba bob, run 7"})
    with pytest.raises(Refusal) as caught:
        run("planned")
    assert "is held by 'dba bob, run 7'" in caught.value.message
    assert "nothing was changed" in caught.value.message and journal.entries == []


def test_a_failed_switch_is_recorded_as_failed_and_reported_with_both_steps(pair):
    sites, journal = pair(ams_site={"fails_switch": True})
    with pytest.raises(ArcError) as caught:
        run("planned", wait_timeout=1)
    message = caught.value.message
    assert "planned failover of payroll from ams to dub failed: the handover did not complete: ams setting role " \
           "secondary: FAILED, site ams (context ams): patch" in message, message
    assert "dub taking the primary role: not started" in message, message
    assert sorted(journal.of("record")) == [("ams", "record", "failed"), ("dub", "record", "failed")]
    assert journal.entries[-1] == ("ams", "lock", "")


def test_a_forced_failover_with_the_primary_lost_promotes_the_dr_site_and_says_it_was_not_fenced(pair):
    sites, journal = pair(ams_site={"answers": False})
    result = run("forced", confirm="payroll-dag")
    assert journal.of("role") == [("dub", "role", "force-primary-allow-data-loss")]
    assert journal.of("record") == [("dub", "record", "succeeded")]  # the lost site gets none
    assert result["summary"].startswith("old primary NOT fenced (site ams (context ams): get API discovery failed")
    assert result["roles"]["after"] == {"ams": None, "dub": "Primary"}


def test_a_forced_failover_fences_an_answering_primary_first(pair):
    sites, journal = pair()
    result = run("forced", confirm="payroll-dag")
    assert journal.of("role") == [("ams", "role", "force-secondary"), ("dub", "role", "force-primary-allow-data-loss")]
    assert result["summary"] == "old primary fenced with force-secondary"


def test_a_forced_failover_without_confirmation_writes_nothing(pair):
    sites, journal = pair(ams_site={"answers": False})
    with pytest.raises(Refusal):
        run("forced", confirm="payroll")
    assert journal.entries == []


def test_check_mode_sends_every_write_as_a_dry_run_and_changes_no_role(pair):
    sites, journal = pair()
    result = run("planned", check_mode=True)
    assert result["changed"] and result["summary"] == "check mode: nothing was changed"
    assert sites["ams"].obj["status"]["role"] == "Primary" and sites["ams"].leases_.lease is None
    assert journal.of("role") == [("ams", "role", "secondary")]


def test_a_failback_of_a_pair_already_home_changes_nothing(pair):
    sites, journal = pair()
    result = run("failback")
    assert not result["changed"] and journal.entries == []
    assert result["summary"] == "ams is already the primary site, nothing to fail back"


def test_a_lock_left_by_a_dead_run_is_taken_over_with_a_warning(pair):
    sites, journal = pair()
    sites["ams"].leases_.lease = {"metadata": {"name": "lock", "resourceVersion": "1"},
                                  "spec": {"holderIdentity": "dba carol, run dead", "leaseDurationSeconds": 60,
                                           "renewTime": "2020-01-01T00:00:00.000000Z",
                                           "acquireTime": "2020-01-01T00:00:00.000000Z"}}
    warnings = []
    result = run("planned", warnings=warnings)
    assert result["lock"]["taken_over"]["holder"] == "dba carol, run dead"
    assert any("took over the DR lock of payroll" in w and "dba carol, run dead" in w for w in warnings), warnings


# -- a run that was killed, finished by the next one -------------------------------------------------------------
class FakeEventsWithHistory(FakeEvents):
    def about(self, name, reason):
        return [{"message": e[2]} for e in self.journal.entries if e[0] == self.site.name and e[1] == "event"]


def dead_runs_lock(site, mode, from_site="ams", to_site="dub", released=False, holder="dba carol, run dead"):
    """The Lease a run killed during `mode` left on `site` (its intent unfinished); returns the intent."""
    intent = {"id": "1a2b3c4d5e6f", "mode": mode, "pair": "payroll", "from_site": from_site, "to_site": to_site,
              "started": "2026-12-08T03:00:00.000000Z", "holder": holder, "operator": "carol", "job": "7",
              "ended": False}
    site.leases_.lease = {
        "metadata": {"name": "lock", "resourceVersion": "1", "annotations": {
            dr_lock.HOLDER_ANNOTATION: "%s of payroll" % mode,
            dr_lock.TRANSITION_ANNOTATION: json.dumps(intent)}},
        "spec": {"holderIdentity": "" if released else holder, "leaseDurationSeconds": 10,
                 "renewTime": "2030-01-01T00:00:00.000000Z", "acquireTime": "2030-01-01T00:00:00.000000Z"}}
    return intent


def set_roles(sites, **roles):
    for name, role in roles.items():
        sites[name].obj["status"]["role"] = role
        sites[name].obj["spec"]["role"] = role.lower()


def put_record(site, transition_id, to_site="dub"):
    record = handover.build(mode="planned", from_site="ams", to_site=to_site, outcome="succeeded",
                            details="switched in 1 s without data loss", transition=transition_id)
    site.obj["metadata"]["annotations"][handover.ANNOTATION] = json.dumps(record)
    site.journal(site.name, "event", handover.summary(record))
    return record


def stored_intent(site):
    return json.loads(site.leases_.lease["metadata"]["annotations"][dr_lock.TRANSITION_ANNOTATION])


@pytest.fixture
def resumable(pair, monkeypatch):
    monkeypatch.setattr(FakeSite, "events", lambda self: FakeEventsWithHistory(self, self.journal))
    return pair


def test_a_planned_failover_killed_after_the_switch_is_recorded_once_by_the_next_run(resumable, watch_clock):
    sites, journal = resumable()
    intent = dead_runs_lock(sites["ams"], "planned")
    set_roles(sites, ams="Secondary", dub="Primary")
    found = put_record(sites["ams"], intent["id"])
    del journal.entries[:]
    warnings = []
    result = run("planned", warnings=warnings)
    assert journal.of("role") == [], "no second switch"
    assert journal.of("record") == [("dub", "record", "succeeded")], "copied to the site that lacked it"
    assert result["record"]["transition"] == intent["id"] and result["record"]["time"] == found["time"]
    assert "took the DR lock over from 'dba carol, run dead'" in result["record"]["lock_takeover"]
    assert watch_clock.slept >= 10 + dr_lock.STALE_MARGIN_SECONDS
    assert result["resumed"]["roles_done"] and result["resumed"]["record_on"] == ["dub"]
    assert result["lock"]["taken_over"]["observed_unchanged_seconds"] >= 12
    assert any(w.startswith("finishing the interrupted planned failover of payroll from ams to dub (transition "
                            "1a2b3c4d5e6f") for w in warnings), warnings
    assert stored_intent(sites["ams"]) == dict(intent, ended=True)
    assert sites["ams"].leases_.lease["spec"]["holderIdentity"] == ""
    assert (result["from_site"], result["to_site"]) == ("ams", "dub")


def test_a_planned_failover_killed_after_the_lock_switches_once_with_the_same_transition(resumable):
    sites, journal = resumable()
    intent = dead_runs_lock(sites["ams"], "planned")
    result = run("planned")
    assert journal.of("role") == [("ams", "role", "secondary")]
    assert sorted(journal.of("record")) == [("ams", "record", "succeeded"), ("dub", "record", "succeeded")]
    assert result["record"]["transition"] == intent["id"]
    assert result["roles"]["after"] == {"ams": "Secondary", "dub": "Primary"}


def test_a_released_lock_whose_transition_did_not_end_is_finished_without_waiting(resumable, watch_clock):
    sites, journal = resumable()
    intent = dead_runs_lock(sites["ams"], "planned", released=True)
    set_roles(sites, ams="Secondary", dub="Primary")
    put_record(sites["ams"], intent["id"])
    result = run("planned")
    assert watch_clock.slept == 0 and result["lock"]["taken_over"] is None
    assert journal.of("record") == [("dub", "record", "succeeded")]


def test_the_lock_is_found_on_the_old_primarys_site_after_the_primary_moved(resumable):
    sites, journal = resumable()
    intent = dead_runs_lock(sites["ams"], "planned")
    set_roles(sites, ams="Secondary", dub="Primary")
    result = run("planned")
    assert result["lock"]["site"] == sites["ams"].label
    assert sites["dub"].leases_.lease is None, "no second lock on the new primary's site"
    assert result["record"]["transition"] == intent["id"] and journal.of("role") == []


def test_a_forced_failover_killed_after_the_fence_promotes_the_dr_site(resumable):
    sites, journal = resumable()
    dead_runs_lock(sites["ams"], "forced")
    set_roles(sites, ams="Secondary")
    result = run("forced", confirm="payroll-dag")
    assert journal.of("role") == [("dub", "role", "force-primary-allow-data-loss")]
    assert result["roles"]["after"] == {"ams": "Secondary", "dub": "Primary"}


def test_the_same_holder_running_again_finishes_at_once(resumable, watch_clock):
    sites, journal = resumable()
    dead_runs_lock(sites["ams"], "planned", holder="dba, run 1")
    set_roles(sites, ams="Secondary", dub="Primary")
    result = run("planned")
    assert watch_clock.slept == 0 and result["lock"]["taken_over"] is None
    assert journal.of("role") == []


def test_a_live_holder_of_an_unfinished_transition_makes_the_run_fail_naming_it(resumable):
    sites, journal = resumable()
    dead_runs_lock(sites["ams"], "planned")
    sites["ams"].leases_.holder_alive = True
    with pytest.raises(Refusal) as caught:
        run("planned")
    assert "is held by 'dba carol, run dead'" in caught.value.message and "its holder is alive" in \
        caught.value.message
    assert journal.of("role") == [] and journal.of("record") == []


def test_an_interrupted_transition_of_another_mode_is_finished_then_the_mode_asked_for_runs(resumable):
    sites, journal = resumable()
    dead_runs_lock(sites["ams"], "forced")
    set_roles(sites, ams="Primary", dub="Primary")  # promoted, then the old primary came back
    result = run("rejoin")
    assert journal.of("role") == [("ams", "role", "force-secondary")], "the rejoin keeps the forced failover's site"
    assert result["record"]["mode"] == "rejoin" and result["to_site"] == "dub"


def test_a_resumed_transition_that_cannot_be_finished_keeps_its_intent_for_the_next_run(resumable):
    sites, journal = resumable()
    intent = dead_runs_lock(sites["ams"], "planned")
    set_roles(sites, ams="Primary", dub="Primary")
    with pytest.raises(Refusal) as caught:
        run("planned")
    assert "both sites are primary: run dr_rejoin" in caught.value.message
    assert stored_intent(sites["ams"]) == intent and sites["ams"].leases_.lease["spec"]["holderIdentity"] == ""


def test_a_failed_switch_that_was_recorded_ends_its_transition_and_the_next_run_starts_a_new_one(resumable):
    sites, journal = resumable(ams_site={"fails_switch": True})
    with pytest.raises(ArcError):
        run("planned", wait_timeout=1)
    failed = stored_intent(sites["ams"])
    assert failed["ended"] is True
    sites["ams"].fails_switch = False
    result = run("planned")
    assert "resumed" not in result and result["record"]["transition"] != failed["id"]
    assert result["record"]["outcome"] == "succeeded"


def test_keep_lock_holds_the_lock_through_the_callers_next_step_and_the_same_holder_releases_it(resumable):
    sites, journal = resumable()
    first = run("planned", keep_lock=True)
    assert first["lock"]["kept"] is True
    assert sites["ams"].leases_.lease["spec"]["holderIdentity"] == "dba, run 1"
    assert stored_intent(sites["ams"])["ended"] is False
    del journal.entries[:]
    warnings = []
    second = run("planned", warnings=warnings)
    assert journal.of("role") == [] and journal.of("record") == [], "nothing but the lock"
    assert warnings == [] and second["record"]["transition"] == first["record"]["transition"]
    assert sites["ams"].leases_.lease["spec"]["holderIdentity"] == ""
    assert stored_intent(sites["ams"])["ended"] is True


def test_a_run_killed_after_keep_lock_is_finished_by_another_operator_without_a_second_switch(resumable, watch_clock):
    sites, journal = resumable()
    first = run("planned", keep_lock=True)
    del journal.entries[:]
    result = run("planned", dr_lock_holder="bob, run 2", keep_lock=True)
    assert journal.of("role") == [] and result["resumed"]["roles_done"]
    assert result["record"]["transition"] == first["record"]["transition"]
    assert result["lock"]["kept"] is True, "kept again for this run's own licence step"


def test_a_failed_transition_whose_record_one_site_missed_is_copied_there_then_a_new_transition_runs(resumable):
    sites, journal = resumable()
    intent = dead_runs_lock(sites["ams"], "planned", released=True)
    failed = put_record(sites["dub"], intent["id"])
    failed["outcome"] = "failed"
    sites["dub"].obj["metadata"]["annotations"][handover.ANNOTATION] = json.dumps(failed)
    result = run("planned")
    assert journal.of("role") == [("ams", "role", "secondary")], "a new switch, not a roll-forward"
    records = journal.of("record")
    assert records[0] == ("ams", "record", "failed"), "the failed record copied first"
    assert result["record"]["transition"] != intent["id"] and result["record"]["outcome"] == "succeeded"
