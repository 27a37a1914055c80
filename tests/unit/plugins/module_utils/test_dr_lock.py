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
    """This machine's wall clock (settable, for skew) and its monotonic clock; sleep() moves both and runs
    `during_sleep` (another holder acting while the lock is watched)."""

    def __init__(self):
        self.now = START
        self.ticks = 1000.0
        self.slept = 0.0
        self.during_sleep = None

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)
        self.ticks += seconds

    def monotonic(self):
        return self.ticks

    def sleep(self, seconds):
        self.slept += seconds
        self.advance(seconds)
        if self.during_sleep:
            self.during_sleep()


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


def lock(leases, clock, holder, duration=60, **extra):
    return dr_lock.DrLock(leases, "arcdata-sqlmi-dr-dagtest", holder, duration, "planned failover of pair1",
                          clock=clock, monotonic=clock.monotonic, sleep=clock.sleep, **extra)


def test_a_free_lock_is_created_and_held(leases, clock):
    lease, previous = lock(leases, clock, "alice, run 1").acquire()
    assert previous is None
    state = dr_lock.describe(lease, clock())
    assert (state["holder"], state["duration_seconds"], state["expired"]) == ("alice, run 1", 60, False)
    assert state["purpose"] == "planned failover of pair1"
    assert state["acquired_at"] == "2026-11-26T03:00:00.000000Z"


def test_a_live_holder_makes_the_second_run_fail_naming_it_once_it_renews(leases, clock):
    alice = lock(leases, clock, "alice, AWX job 42, run 1")
    alice.acquire()
    clock.advance(10)
    renewals = []

    def alice_renews_every_20_s():
        if clock.slept >= 20 * (len(renewals) + 1):
            renewals.append(alice.renew())
    clock.during_sleep = alice_renews_every_20_s
    with pytest.raises(dr_lock.LockHeld) as raised:
        lock(leases, clock, "bob, run 2").acquire()
    message = raised.value.message
    assert "the DR lock (Lease arc/arcdata-sqlmi-dr-dagtest) is held by 'alice, AWX job 42, run 1'" in message
    assert "for planned failover of pair1 since 2026-11-26T03:00:00.000000Z" in message
    assert "it changed while this run watched it: its holder is alive" in message
    assert Caller.site in message
    assert 20 <= clock.slept < 22, "failed at the first renewal, not later"
    assert [w for w in leases.writes if w[1] == "bob, run 2"] == [], "nothing written by the second operator"


def test_without_watching_a_held_lock_is_refused_at_once(leases, clock):
    lock(leases, clock, "alice, run 1").acquire()
    clock.advance(3600)  # long expired by this machine's clock: not a reason to take it
    with pytest.raises(dr_lock.LockHeld) as raised:
        lock(leases, clock, "bob, run 2", watch=False).acquire()
    assert "held by 'alice, run 1'" in raised.value.message and clock.slept == 0


def test_the_same_holder_renews_without_a_transition(leases, clock):
    taker = lock(leases, clock, "alice, run 1")
    taker.acquire()
    clock.advance(30)
    lease, previous = taker.acquire()
    assert previous["holder"] == "alice, run 1"
    assert lease["spec"]["leaseTransitions"] == 0
    assert lease["spec"]["acquireTime"] == "2026-11-26T03:00:00.000000Z"
    assert lease["spec"]["renewTime"] == "2026-11-26T03:00:30.000000Z"
    assert clock.slept == 0


def test_a_lock_unchanged_for_its_duration_is_taken_over_and_the_takeover_recorded(leases, clock):
    lock(leases, clock, "carol, run 3").acquire()
    lease, previous = lock(leases, clock, "dave, run 4").acquire()
    assert previous["holder"] == "carol, run 3"
    assert previous["observed_unchanged_seconds"] == 60 + dr_lock.STALE_MARGIN_SECONDS
    assert clock.slept == 60 + dr_lock.STALE_MARGIN_SECONDS
    assert lease["spec"]["holderIdentity"] == "dave, run 4" and lease["spec"]["leaseTransitions"] == 1
    takeover = dr_lock.describe(lease, clock())["taken_over"]
    assert takeover["holder"] == "carol, run 3" and takeover["purpose"] == "planned failover of pair1"
    assert takeover["observed_unchanged_seconds"] == 62 and takeover["by"] == "dave, run 4"


@pytest.mark.parametrize("holder_clock_offset", [-600, -86400, 600, 86400])
def test_the_holders_renew_time_neither_shortens_nor_lengthens_the_watch(leases, clock, holder_clock_offset):
    """A holder whose clock is ten minutes or a day off this machine's (either way): its lock is taken over after
    exactly its duration and the margin of watching, never before."""
    clock.advance(holder_clock_offset)
    lock(leases, clock, "carol, run 3").acquire()
    clock.advance(-holder_clock_offset)
    lease, previous = lock(leases, clock, "dave, run 4").acquire()
    assert clock.slept == 60 + dr_lock.STALE_MARGIN_SECONDS
    assert lease["spec"]["holderIdentity"] == "dave, run 4"


def test_a_lock_is_not_taken_over_one_second_before_the_watch_ends(leases, clock):
    lock(leases, clock, "carol, run 3").acquire()
    carol = lock(leases, clock, "carol, run 3")

    def carol_renews_late():
        if clock.slept == 60 + dr_lock.STALE_MARGIN_SECONDS - 1:
            carol.renew()
    clock.during_sleep = carol_renews_late
    with pytest.raises(dr_lock.LockHeld):
        lock(leases, clock, "dave, run 4").acquire()


def test_a_lock_released_while_watched_is_not_taken(leases, clock):
    carol = lock(leases, clock, "carol, run 3")
    carol.acquire()
    clock.during_sleep = lambda: carol.release() if clock.slept == 5 else None
    with pytest.raises(dr_lock.LockHeld) as raised:
        lock(leases, clock, "dave, run 4").acquire()
    assert "held by 'carol, run 3'" in raised.value.message
    assert "its holder released it while this run watched it" in raised.value.message
    assert leases.stored["arcdata-sqlmi-dr-dagtest"]["spec"]["holderIdentity"] == ""


def test_a_released_lock_is_taken_with_its_previous_holder_empty(leases, clock):
    first = lock(leases, clock, "alice, run 1")
    first.acquire()
    assert first.release()[0] is True
    lease, previous = lock(leases, clock, "bob, run 2").acquire()
    assert previous["holder"] == "" and lease["spec"]["holderIdentity"] == "bob, run 2"
    assert clock.slept == 0


def another_holder_writes(leases, holder):
    """A write of the Lease by another run (its holder now `holder`), at the resourceVersion it has."""
    current = leases.get("arcdata-sqlmi-dr-dagtest")
    leases.replace(dict(current, spec=dict(current["spec"], holderIdentity=holder)))


def test_of_two_racing_for_a_stale_lock_exactly_one_wins(leases, clock):
    lock(leases, clock, "carol, run 3").acquire()

    def erin_takes_it_between_daves_last_read_and_his_write():
        if clock.slept >= 60 + dr_lock.STALE_MARGIN_SECONDS:
            leases.before_write = lambda: another_holder_writes(leases, "erin, run 5")
    clock.during_sleep = erin_takes_it_between_daves_last_read_and_his_write
    with pytest.raises(dr_lock.LockHeld) as raised:
        lock(leases, clock, "dave, run 4").acquire()
    assert "held by 'erin, run 5'" in raised.value.message
    assert leases.stored["arcdata-sqlmi-dr-dagtest"]["spec"]["holderIdentity"] == "erin, run 5"


def test_of_two_racing_to_create_exactly_one_wins(leases, clock):
    leases.before_write = lambda: lock(leases, clock, "erin, run 5").acquire()
    erin_renews = lock(leases, clock, "erin, run 5")
    clock.during_sleep = erin_renews.renew
    with pytest.raises(dr_lock.LockHeld):
        lock(leases, clock, "dave, run 4").acquire()


INTENT = {"id": "1a2b3c4d5e6f", "mode": "planned", "pair": "pair1", "from_site": "ams", "to_site": "dub",
          "started": "2026-11-26T03:00:00.000000Z", "holder": "carol, run 3", "ended": False}


def test_the_lock_carries_the_intent_and_a_finished_release_marks_it_ended(leases, clock):
    carol = lock(leases, clock, "carol, run 3", intent=INTENT)
    lease, unused = carol.acquire()
    assert dr_lock.describe(lease, clock())["transition"] == INTENT
    carol.release(finished=True)
    stored = leases.stored["arcdata-sqlmi-dr-dagtest"]
    assert dr_lock.describe(stored, clock())["transition"] == dict(INTENT, ended=True)
    lease, unused = lock(leases, clock, "dave, run 4", intent=dict(INTENT, id="ffff")).acquire()
    assert dr_lock.describe(lease, clock())["transition"]["id"] == "ffff", "an ended intent is replaced"


@pytest.mark.parametrize("released", [False, True])
def test_an_unfinished_intent_stays_on_the_lock_for_the_next_holder(leases, clock, released):
    carol = lock(leases, clock, "carol, run 3", intent=INTENT)
    carol.acquire()
    if released:
        carol.release(finished=False)
    lease, unused = lock(leases, clock, "dave, run 4", intent=dict(INTENT, id="ffff")).acquire()
    assert dr_lock.describe(lease, clock())["transition"]["id"] == INTENT["id"]
    assert clock.slept == (0 if released else 62)


def test_release_leaves_someone_elses_lock_alone(leases, clock):
    lock(leases, clock, "alice, run 1").acquire()
    released, found = lock(leases, clock, "bob, run 2").release()
    assert released is False and found["spec"]["holderIdentity"] == "alice, run 1"


def test_renew_reports_a_lock_lost_to_someone_else(leases, clock):
    mine = lock(leases, clock, "alice, run 1", duration=5)
    mine.acquire()
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
