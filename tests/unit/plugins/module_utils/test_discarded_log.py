# -*- coding: utf-8 -*-
# Copyright: arcdata.sqlmi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transactions a rejoining old primary discarded: counted from the controller's Events that appeared after
the rejoin began, and unknown (never zero) when no Event says it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.arcdata.sqlmi.plugins.module_utils.discarded_log import DiscardedLog, describe
from ansible_collections.arcdata.sqlmi.plugins.module_utils.errors import ApiFailure


class FakeEvents(object):
    def __init__(self, *events):
        self.items = list(events)
        self.failing = False
        self.asked = []

    def about(self, name, reason):
        self.asked.append((name, reason))
        if self.failing:
            raise ApiFailure("primary: list Events about arc/sqlmi-a: 403 Forbidden", site="primary")
        return list(self.items)


def event(name, count):
    return {"metadata": {"name": name}, "reason": "DivergentLogDiscarded",
            "message": "instance sqlmi-a rejoined as secondary and discarded %d divergent transactions (LSN 8 to 9)"
                       % count}


def test_counts_only_the_events_that_appeared_after_the_rejoin_began():
    events = FakeEvents(event("sqlmi-a.1", 5))
    log = DiscardedLog(events, "sqlmi-a", warn=None)
    log.before()
    events.items.append(event("sqlmi-a.2", 12))
    assert log.count() == 12
    assert events.asked == [("sqlmi-a", "DivergentLogDiscarded")] * 2


def test_no_new_event_is_unknown_not_zero():
    events = FakeEvents(event("sqlmi-a.1", 5))
    log = DiscardedLog(events, "sqlmi-a", warn=None)
    log.before()
    assert log.count() is None
    assert describe(None) == "its controller did not report how many divergent transactions it discarded"


def test_an_event_without_a_count_is_not_counted():
    events = FakeEvents()
    log = DiscardedLog(events, "sqlmi-a", warn=None)
    log.before()
    events.items.append({"metadata": {"name": "sqlmi-a.3"}, "message": "rejoined"})
    assert log.count() is None


@pytest.mark.parametrize("fails_when", ["before", "after"])
def test_unreadable_events_warn_and_leave_the_count_unknown(fails_when):
    warnings = []
    events = FakeEvents()
    log = DiscardedLog(events, "sqlmi-a", warn=warnings.append)
    events.failing = fails_when == "before"
    log.before()
    events.items.append(event("sqlmi-a.4", 3))
    events.failing = True
    assert log.count() is None
    assert warnings and all("discarded transactions of sqlmi-a could not be read" in w for w in warnings)
    assert "403 Forbidden" in warnings[0]


@pytest.mark.parametrize("count, phrase", [(0, "it discarded 0 divergent transactions"),
                                           (1, "it discarded 1 divergent transaction"),
                                           (40, "it discarded 40 divergent transactions")])
def test_the_records_phrase(count, phrase):
    assert describe(count) == phrase
