# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR lock against an in-memory Lease store with resourceVersion checks and a settable clock."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import dr_lock
from ansible_collections.arcdata.sqlmi.plugins.module_utils.leases import LostRace

START = datetime.datetime(2026, 11, 26, 3, 0, 0, tzinfo=datetime.timezone.utc)


class Clock(object):
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


class Caller(object):
    site = "context arc-primary (https://127.10.0.1:6443)"


class FakeLeases(object):
    """One namespace's Leases: a create of an existing name and a replace at a stale resourceVersion lose."""

    namespace = "arc"

    def __init__(self):
        self.caller = Caller()
        self.stored = {}
        self.version = 0
        self.before_write = None  # a hook: another writer acting between our read and our write
        self.writes = []

    def describe(self, name):
        return "Lease arc/%s" % name

    def get(self, name):
        return copy.deepcopy(self.stored.get(name))

    def _store(self, body):
        self.version += 1
        body = copy.deepcopy(body)
        body["metadata"]["resourceVersion"] = str(self.version)
        self.stored[body["metadata"]["name"]] = body
        return copy.deepcopy(body)

    def _intercept(self):
        hook, self.before_write = self.before_write, None
        if hook:
            hook()

    def create(self, body, dry_run=False):
        self._intercept()
        self.writes.append(("create", body["spec"]["holderIdentity"]))
        if body["metadata"]["name"] in self.stored:
            raise LostRace()
        return body if dry_run else self._store(body)

    def replace(self, body, dry_run=False):
        self._intercept()
        self.writes.append(("update", body["spec"]["holderIdentity"]))
        current = self.stored.get(body["metadata"]["name"])
        if current is None or current["metadata"]["resourceVersion"] != body["metadata"].get("resourceVersion"):
            raise LostRace()
        return body if dry_run else self._store(body)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def leases():
    return FakeLeases()


def lock(leases, clock, holder, duration=60):
    return dr_lock.DrLock(leases, "arcdata-sqlmi-dr-dagtest", holder, duration, "planned failover of pair1",
                          clock=clock)


def test_a_free_lock_is_created_and_held(leases, clock):
    lease, previous = lock(leases, clock, "alice, run 1").acquire()
    assert previous is None
    state = dr_lock.describe(lease, clock())
    assert (state["holder"], state["duration_seconds"], state["expired"]) == ("alice, run 1", 60, False)
    assert state["purpose"] == "planned failover of pair1"
    assert state["acquired_at"] == "2026-11-26T03:00:00.000000Z"


def test_a_held_lock_fails_at_once_naming_holder_purpose_and_times(leases, clock):
    lock(leases, clock, "alice, AWX job 42, run 1").acquire()
    clock.advance(10)
    with pytest.raises(dr_lock.LockHeld) as raised:
        lock(leases, clock, "bob, run 2").acquire()
    message = raised.value.message
    assert "the DR lock (Lease arc/arcdata-sqlmi-dr-dagtest) is held by 'alice, AWX job 42, run 1'" in message
    assert "for planned failover of pair1 since 2026-11-26T03:00:00.000000Z" in message
    assert "renewed 10 s ago, expires in 50 s" in message
    assert Caller.site in message
    assert leases.writes == [("create", "alice, AWX job 42, run 1")], "nothing written by the second operator"


def test_the_same_holder_renews_without_a_transition(leases, clock):
    taker = lock(leases, clock, "alice, run 1")
    taker.acquire()
    clock.advance(30)
    lease, previous = taker.acquire()
    assert previous["holder"] == "alice, run 1"
    assert lease["spec"]["leaseTransitions"] == 0
    assert lease["spec"]["acquireTime"] == "2026-11-26T03:00:00.000000Z"
    assert lease["spec"]["renewTime"] == "2026-11-26T03:00:30.000000Z"


def test_an_expired_lock_is_taken_over_and_the_takeover_returned(leases, clock):
    lock(leases, clock, "carol, run 3").acquire()
    clock.advance(61)
    lease, previous = lock(leases, clock, "dave, run 4").acquire()
    assert previous["holder"] == "carol, run 3" and previous["expired"]
    assert previous["expires_at"] == "2026-11-26T03:01:00.000000Z"
    assert lease["spec"]["holderIdentity"] == "dave, run 4" and lease["spec"]["leaseTransitions"] == 1


def test_a_lock_is_not_expired_one_second_before_its_end(leases, clock):
    lock(leases, clock, "carol, run 3").acquire()
    clock.advance(59)
    with pytest.raises(dr_lock.LockHeld):
        lock(leases, clock, "dave, run 4").acquire()


def test_a_released_lock_is_taken_with_its_previous_holder_empty(leases, clock):
    first = lock(leases, clock, "alice, run 1")
    first.acquire()
    assert first.release()[0] is True
    lease, previous = lock(leases, clock, "bob, run 2").acquire()
    assert previous["holder"] == "" and lease["spec"]["holderIdentity"] == "bob, run 2"


def test_of_two_racing_for_an_expired_lock_exactly_one_wins(leases, clock):
    lock(leases, clock, "carol, run 3").acquire()
    clock.advance(120)
    # between dave's read and dave's write, erin takes it over
    leases.before_write = lambda: lock(leases, clock, "erin, run 5").acquire()
    with pytest.raises(dr_lock.LockHeld) as raised:
        lock(leases, clock, "dave, run 4").acquire()
    assert "held by 'erin, run 5'" in raised.value.message
    assert leases.stored["arcdata-sqlmi-dr-dagtest"]["spec"]["holderIdentity"] == "erin, run 5"


def test_of_two_racing_to_create_exactly_one_wins(leases, clock):
    leases.before_write = lambda: lock(leases, clock, "erin, run 5").acquire()
    with pytest.raises(dr_lock.LockHeld):
        lock(leases, clock, "dave, run 4").acquire()


def test_release_leaves_someone_elses_lock_alone(leases, clock):
    lock(leases, clock, "alice, run 1").acquire()
    released, found = lock(leases, clock, "bob, run 2").release()
    assert released is False and found["spec"]["holderIdentity"] == "alice, run 1"


def test_renew_reports_a_lock_lost_to_someone_else(leases, clock):
    mine = lock(leases, clock, "alice, run 1", duration=5)
    mine.acquire()
    clock.advance(6)
    lock(leases, clock, "bob, run 2").acquire()
    assert mine.renew() == "bob, run 2"
    assert leases.stored["arcdata-sqlmi-dr-dagtest"]["spec"]["holderIdentity"] == "bob, run 2"


def test_renew_moves_renew_time_only(leases, clock):
    mine = lock(leases, clock, "alice, run 1")
    mine.acquire()
    clock.advance(20)
    assert mine.renew() == "alice, run 1"
    spec = leases.stored["arcdata-sqlmi-dr-dagtest"]["spec"]
    assert (spec["acquireTime"], spec["renewTime"]) == ("2026-11-26T03:00:00.000000Z", "2026-11-26T03:00:20.000000Z")


@pytest.mark.parametrize("text, expected", [
    ("2026-11-26T03:00:00.123456Z", "2026-11-26T03:00:00.123456Z"),
    ("2026-11-26T03:00:00Z", "2026-11-26T03:00:00.000000Z"),
    ("2026-11-26T03:00:00.5Z", "2026-11-26T03:00:00.500000Z"),
    ("2026-11-26T05:00:00.000001+02:00", "2026-11-26T03:00:00.000001Z"),
    ("2026-11-26T03:00:00.123456+00:00", "2026-11-26T03:00:00.123456Z"),
])
def test_times_in_any_rfc3339_form(text, expected):
    assert dr_lock.format_time(dr_lock.parse_time(text)) == expected


@pytest.mark.parametrize("text", [None, "", "yesterday", "2026-11-26 03:00:00"])
def test_an_unreadable_renew_time_counts_as_expired(text):
    lease = {"spec": {"holderIdentity": "x", "leaseDurationSeconds": 60, "renewTime": text, "acquireTime": text}}
    assert dr_lock.describe(lease, START)["expired"] is True


def test_a_renewal_without_purpose_keeps_the_holders_purpose(leases, clock):
    lock(leases, clock, "alice, run 1").acquire()
    waiting_module = dr_lock.DrLock(leases, "arcdata-sqlmi-dr-dagtest", "alice, run 1", 60, clock=clock)
    clock.advance(20)
    assert waiting_module.renew() == "alice, run 1"
    stored = leases.stored["arcdata-sqlmi-dr-dagtest"]
    assert stored["metadata"]["annotations"][dr_lock.HOLDER_ANNOTATION] == "planned failover of pair1"
