# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR lock as the Azure tag arcdata-sqlmi-dr-lock of the site's instance (direct mode without a kubeconfig):
DrLock's rules over a fake resource group whose PATCH replaces the tags and whose clock is Resource Manager's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils import dr_lock_tag
from ansible_collections.arcdata.sqlmi.plugins.module_utils.dr_lock import DrLock, LockHeld, describe
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import InvalidInput
from ansible_collections.arcdata.sqlmi.plugins.module_utils.instance_tags import InstanceTag

from fake_instance_tags import FakeArcData

NAME = "arcdata-sqlmi-dr-dagtest"
TAG = "arcdata-sqlmi-dr-lock"


def no_pause(seconds):
    return None


class WatchClock(object):
    """This machine's monotonic clock while a lock is watched; a sleep passes at once and runs `during_sleep`."""

    def __init__(self):
        self.ticks, self.slept, self.during_sleep = 0.0, 0.0, None

    def monotonic(self):
        return self.ticks

    def sleep(self, seconds):
        self.ticks += seconds
        self.slept += seconds
        if self.during_sleep:
            self.during_sleep()


def lock(arc_data, holder, duration=60, purpose="planned failover of sandbox_pair", dry_run=False,
         instance="sqlprimary", watch=None, intent=None):
    """A DrLock over the tag; `watch`: a WatchClock to watch a held lock with (None: a held lock is refused)."""
    tag = InstanceTag(arc_data, instance, TAG, sleep=no_pause)
    leases = dr_lock_tag.TagLeases(arc_data, instance, holder, tag=tag)
    timing = {"monotonic": watch.monotonic, "sleep": watch.sleep} if watch else {}
    return DrLock(leases, NAME, holder, duration, purpose, dry_run=dry_run, clock=leases.now, watch=bool(watch),
                  intent=intent, **timing)


def stored(arc_data):
    return json.loads(arc_data.tags()[TAG])


@pytest.fixture
def arc_data():
    return FakeArcData(tags={"owner": "dba team"})


def test_a_free_instance_is_locked_by_one_tag_beside_its_other_tags(arc_data):
    lease, previous = lock(arc_data, "alice, run 1").acquire()
    assert previous is None
    assert arc_data.tags()["owner"] == "dba team"
    assert stored(arc_data) == {"h": "alice, run 1", "p": "planned failover of sandbox_pair", "d": 60,
                                "a": 1795662000, "r": 1795662000, "t": 0}
    assert describe(lease, arc_data.client.now)["holder"] == "alice, run 1"


def test_a_held_lock_refuses_another_holder_naming_the_holder_and_writes_nothing(arc_data):
    lock(arc_data, "alice, run 1").acquire()
    arc_data.client.advance(20)
    with pytest.raises(LockHeld) as caught:
        lock(arc_data, "bob, run 2").acquire()
    assert "held by 'alice, run 1' for planned failover of sandbox_pair" in caught.value.message
    assert "tag arcdata-sqlmi-dr-lock of SQL managed instance sqlprimary" in caught.value.message
    assert len(arc_data.client.patches) == 1


def test_a_tag_unchanged_for_its_duration_is_taken_over_whatever_its_times_say(arc_data):
    """Neither Resource Manager's clock nor this machine's decides: the tag's value is watched for 30 + 2 s."""
    lock(arc_data, "alice, run 1", duration=30).acquire()
    arc_data.client.advance(-600)  # the times in the tag are ten minutes in the future now
    watch = WatchClock()
    lease, previous = lock(arc_data, "bob, run 2", watch=watch).acquire()
    assert watch.slept == 32 and previous["observed_unchanged_seconds"] == 32
    assert stored(arc_data)["h"] == "bob, run 2" and stored(arc_data)["t"] == 1
    assert stored(arc_data)["k"] == {"h": "alice, run 1", "u": 32}


def test_a_tag_renewed_while_watched_is_alive_and_refuses(arc_data):
    alice = lock(arc_data, "alice, run 1", duration=30)
    alice.acquire()
    watch = WatchClock()
    watch.during_sleep = lambda: (arc_data.client.advance(1), alice.renew()) if watch.slept == 10 else None
    with pytest.raises(LockHeld) as caught:
        lock(arc_data, "bob, run 2", watch=watch).acquire()
    assert "held by 'alice, run 1'" in caught.value.message and "its holder is alive" in caught.value.message
    assert watch.slept == 10


def test_the_intent_is_kept_in_the_tag_and_survives_a_release_that_did_not_finish(arc_data):
    intent = {"id": "1a2b3c4d5e6f", "mode": "forced", "pair": "p", "from_site": "primary", "to_site": "secondary",
              "started": "2026-11-26T03:00:00.000000Z", "holder": "alice, run 1", "ended": False}
    alice = lock(arc_data, "alice, run 1", intent=intent)
    alice.acquire()
    assert stored(arc_data)["x"] == {"i": "1a2b3c4d5e6f", "m": "forced", "f": "primary", "o": "secondary",
                                     "s": "2026-11-26T03:00:00.000000Z"}
    alice.release(finished=False)
    assert stored(arc_data)["h"] == "" and stored(arc_data)["x"]["i"] == "1a2b3c4d5e6f"
    lease, previous = lock(arc_data, "bob, run 2", intent=dict(intent, id="ffffffffffff")).acquire()
    assert describe(lease, arc_data.client.now)["transition"]["id"] == "1a2b3c4d5e6f", "inherited, unfinished"
    lock(arc_data, "bob, run 2").release(finished=True)
    assert stored(arc_data)["x"]["e"] is True


def test_the_holder_renews_keeping_its_acquisition_time(arc_data):
    lock(arc_data, "alice, run 1").acquire()
    arc_data.client.advance(20)
    lease, previous = lock(arc_data, "alice, run 1").acquire()
    assert previous["holder"] == "alice, run 1"
    assert stored(arc_data)["a"] == 1795662000 and stored(arc_data)["r"] == 1795662020


def test_release_removes_the_tag_and_another_holder_cannot_release_it(arc_data):
    lock(arc_data, "alice, run 1").acquire()
    assert lock(arc_data, "bob, run 2").release()[0] is False
    assert TAG in arc_data.tags()
    assert lock(arc_data, "alice, run 1").release()[0] is True
    assert arc_data.tags() == {"owner": "dba team"}
    assert lock(arc_data, "bob, run 2").acquire()[1] is None


def test_a_long_holder_and_purpose_are_cut_to_256_characters_and_the_holder_still_knows_its_lock(arc_data):
    holder = "operator " + "x" * 300 + ", run 1"
    lock(arc_data, holder, purpose="p" * 300).acquire()
    value = arc_data.tags()[TAG]
    assert len(value) <= 256
    assert stored(arc_data)["p"] == ""  # cut first, here to nothing
    assert stored(arc_data)["h"].startswith("operator xxx") and "~" in stored(arc_data)["h"]
    arc_data.client.advance(10)
    assert lock(arc_data, holder).acquire()[1]["holder"] == holder  # renewed: recognised as its own
    with pytest.raises(LockHeld):  # the same long prefix, another run
        lock(arc_data, "operator " + "x" * 300 + ", run 2").acquire()


def test_a_purpose_too_long_is_cut_and_marked(arc_data):
    lock(arc_data, "alice, run 1", purpose="planned failover of " + "pair " * 60).acquire()
    assert len(arc_data.tags()[TAG]) <= 256
    assert stored(arc_data)["p"].startswith("planned failover of pair") and stored(arc_data)["p"].endswith("...")


def test_a_write_overwritten_just_after_ours_is_detected_and_the_winner_named(arc_data):
    """ARM has no compare-and-swap on tags: the re-read after the write finds the other run's value."""
    def bob_writes():
        arc_data.set_tag(TAG, json.dumps({"h": "bob, run 2", "p": "forced failover", "d": 60, "a": 1795662000,
                                          "r": 1795662000, "t": 0}))
    arc_data.client.after_patch = bob_writes
    with pytest.raises(LockHeld) as caught:
        lock(arc_data, "alice, run 1").acquire()
    assert "held by 'bob, run 2' for forced failover" in caught.value.message


def test_a_tag_changed_between_our_read_and_our_write_is_judged_again_before_writing(arc_data):
    lock(arc_data, "alice, run 1", duration=10).acquire()
    watch = WatchClock()  # unchanged for 10 + 2 s: bob may take it over ...

    def carol_takes_it():  # ... but carol got there first
        arc_data.set_tag(TAG, json.dumps({"h": "carol, run 3", "p": "", "d": 60, "a": 1795662011,
                                          "r": 1795662011, "t": 1}))
    watch.during_sleep = lambda: setattr(arc_data, "after_read", carol_takes_it) if watch.slept == 12 else None
    with pytest.raises(LockHeld) as caught:
        lock(arc_data, "bob, run 2", watch=watch).acquire()
    assert "held by 'carol, run 3'" in caught.value.message
    assert stored(arc_data)["h"] == "carol, run 3"


def test_check_mode_sends_no_patch(arc_data):
    lease, previous = lock(arc_data, "alice, run 1", dry_run=True).acquire()
    assert arc_data.client.patches == [] and TAG not in arc_data.tags()
    assert lease["spec"]["holderIdentity"] == "alice, run 1"


def test_a_tag_that_is_not_a_lock_reads_as_a_free_lock_and_is_replaced(arc_data):
    arc_data.set_tag(TAG, "not json")
    lease, previous = lock(arc_data, "alice, run 1").acquire()
    assert previous["holder"] == "" and stored(arc_data)["h"] == "alice, run 1"


def test_an_instance_that_does_not_exist_fails_naming_the_instance_option(arc_data):
    with pytest.raises(InvalidInput) as caught:
        lock(arc_data, "alice, run 1", instance="sqlnowhere").acquire()
    assert caught.value.details["option"] == "instance"
    assert "SQL managed instance 'sqlnowhere' does not exist in resource group arc-primary" in caught.value.message
