# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pair's DR lock as arc_failover uses it (failover_lock.py) on direct-mode sites without a kubeconfig, where the
lock is a tag of each site's instance: a dead run's lock is found on whichever site has it, taken over only after
watching it unchanged, and its unfinished transition inherited; the same code serves the Lease of indirect mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import functools

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import dr_lock, dr_lock_tag, failover_lock
from ansible_collections.arcdata.sqlmi.plugins.module_utils.failover import SiteHandle
from ansible_collections.arcdata.sqlmi.plugins.module_utils.failover_plan import Refusal
from ansible_collections.arcdata.sqlmi.plugins.module_utils.failover_site import DirectPairSite
from ansible_collections.arcdata.sqlmi.plugins.module_utils.instance_tags import InstanceTag
from ansible_collections.arcdata.sqlmi.plugins.module_utils.pair_sites import PairSite

from fake_instance_tags import FakeArcData

INTENT = {"id": "1a2b3c4d5e6f", "mode": "planned", "pair": "payroll", "from_site": "ams", "to_site": "dub",
          "started": "2026-11-26T03:00:00.000000Z", "holder": "carol, run dead", "ended": False}


class WatchClock(object):
    def __init__(self):
        self.ticks, self.slept, self.during_sleep = 0.0, 0.0, None

    def monotonic(self):
        return self.ticks

    def sleep(self, seconds):
        self.ticks += seconds
        self.slept += seconds
        if self.during_sleep:
            self.during_sleep()


class FakeDirectSite(object):
    def __init__(self, arc_data):
        self.arc_data = arc_data


class FakeSide(object):
    def __init__(self, instance):
        self.instance, self.name = instance, "payroll-dag"


@pytest.fixture
def clock(monkeypatch):
    found = WatchClock()
    monkeypatch.setattr(dr_lock_tag, "InstanceTag", functools.partial(InstanceTag, sleep=lambda seconds: None))
    monkeypatch.setattr(failover_lock, "DrLock", functools.partial(dr_lock.DrLock, monotonic=found.monotonic,
                                                                   sleep=found.sleep))
    return found


@pytest.fixture
def handles():
    made = {}
    for name in ("ams", "dub"):
        arc_data = FakeArcData(instances=("sql-" + name,))
        access = DirectPairSite(FakeDirectSite(arc_data), FakeSide("sql-" + name))
        made[name] = SiteHandle(PairSite(name, "sql-" + name, "payroll-dag"), access)
    return made


def params(holder=None):
    return {"pair": "payroll", "dag_name": "payroll-dag", "mode": "planned", "dr_lock_name": None,
            "dr_lock_holder": holder, "dr_lock_duration": 10, "operator": "bob", "job": None}


def dead_run_on(handle, released=False):
    """The tag lock a run killed during INTENT left on this site."""
    leases = handle.access.lock_store("carol, run dead")[0]
    lock = dr_lock.DrLock(leases, "arcdata-sqlmi-dr-payroll-dag", "carol, run dead", 10, "planned failover of payroll",
                          intent=INTENT, clock=leases.now)
    lock.acquire()
    if released:
        lock.release(finished=False)


def test_a_dead_runs_tag_lock_is_found_on_the_site_that_has_it(handles, clock):
    dead_run_on(handles["dub"])
    pending = failover_lock.PairLock(params()).find(handles)
    assert pending.site == "dub" and pending.held and pending.intent["id"] == INTENT["id"]


def test_no_lock_and_ended_intents_are_not_pending(handles, clock):
    assert failover_lock.PairLock(params()).find(handles) is None


def test_the_dead_runs_tag_lock_is_taken_over_after_watching_and_its_transition_inherited(handles, clock):
    dead_run_on(handles["ams"])
    locks = failover_lock.PairLock(params())
    lock = locks.make(handles["ams"], dict(INTENT, id="ffffffffffff", holder=locks.holder))
    taken = locks.take(lock)
    assert clock.slept == 10 + dr_lock.STALE_MARGIN_SECONDS
    assert taken["taken_over"]["holder"] == "carol, run dead"
    assert taken["transition"]["id"] == INTENT["id"], "the unfinished transition stays on the lock"
    assert "took over the DR lock" in failover_lock.takeover_warning("payroll", lock.name, taken["taken_over"])
    locks.release(lock, finished=True)
    pending = failover_lock.PairLock(params()).find(handles)
    assert pending is None, "released, its transition ended"


def test_a_released_tag_lock_with_an_unfinished_transition_is_taken_at_once(handles, clock):
    dead_run_on(handles["ams"], released=True)
    locks = failover_lock.PairLock(params())
    pending = locks.find(handles)
    assert pending.site == "ams" and not pending.held and pending.intent["id"] == INTENT["id"]
    taken = locks.take(locks.make(handles["ams"], pending.intent))
    assert clock.slept == 0 and taken["taken_over"] is None


def test_a_tag_lock_renewed_while_watched_refuses_naming_its_holder(handles, clock):
    dead_run_on(handles["ams"])
    carol = dr_lock.DrLock(handles["ams"].access.lock_store("carol, run dead")[0], "arcdata-sqlmi-dr-payroll-dag",
                           "carol, run dead", 10)
    clock.during_sleep = lambda: carol.renew() if clock.slept == 3 else None
    locks = failover_lock.PairLock(params())
    with pytest.raises(Refusal) as caught:
        locks.take(locks.make(handles["ams"], INTENT))
    assert "held by 'carol, run dead'" in caught.value.message and "nothing was changed" in caught.value.message
